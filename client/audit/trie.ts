import { Signature, Transaction, encodeRlp, getBytes, hexlify, keccak256, toBeArray } from "ethers";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import type { RawLog } from "./types";

/** The root of an empty trie: a block without transactions commits to it twice. */
export const EMPTY_TRIE_ROOT = keccak256(encodeRlp("0x"));

/**
 * The root of the Merkle-Patricia trie of `values` keyed by RLP(index): a block's transactions or
 * receipts root (`@ethereumjs/mpt`).
 */
export async function orderedTrieRoot(values: string[]): Promise<string> {
  const trie = new MerklePatriciaTrie();
  for (const [i, v] of values.entries()) {
    await trie.put(getBytes(encodeRlp(i === 0 ? "0x" : toBeArray(i))), getBytes(v));
  }
  return hexlify(trie.root()).toLowerCase();
}

/** A transaction as eth_getBlockByNumber(…, true) gives it. */
export interface FullTx {
  hash: string;
  type?: string;
  chainId?: string;
  nonce: string;
  gas: string;
  gasPrice?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  maxFeePerBlobGas?: string;
  blobVersionedHashes?: string[];
  to: string | null;
  value: string;
  input: string;
  accessList?: { address: string; storageKeys: string[] }[];
  authorizationList?: unknown[];
  v?: string;
  r?: string;
  s?: string;
  yParity?: string;
}

/** The signed envelope of a transaction (what its hash and the transactions trie are of), or undefined when it cannot be rebuilt. */
export function serializeTx(t: FullTx): string | undefined {
  try {
    const type = Number(t.type ?? "0x0");
    const v = BigInt(t.v ?? "0x0");
    const signature =
      type === 0
        ? Signature.from({ r: t.r!, s: t.s!, v: v >= 35n ? 27 + Number((v - 35n) % 2n) : Number(v) })
        : Signature.from({ r: t.r!, s: t.s!, yParity: Number(BigInt(t.yParity ?? t.v ?? "0x0")) as 0 | 1 });
    const tx = Transaction.from({
      type,
      chainId: t.chainId !== undefined ? BigInt(t.chainId) : type === 0 && v >= 35n ? (v - 35n) / 2n : undefined,
      nonce: Number(BigInt(t.nonce)),
      gasLimit: BigInt(t.gas),
      gasPrice: type === 0 || type === 1 ? BigInt(t.gasPrice ?? "0x0") : undefined,
      maxFeePerGas: type >= 2 ? BigInt(t.maxFeePerGas ?? "0x0") : undefined,
      maxPriorityFeePerGas: type >= 2 ? BigInt(t.maxPriorityFeePerGas ?? "0x0") : undefined,
      maxFeePerBlobGas: type === 3 ? BigInt(t.maxFeePerBlobGas ?? "0x0") : undefined,
      blobVersionedHashes: type === 3 ? t.blobVersionedHashes : undefined,
      to: t.to ?? null,
      value: BigInt(t.value),
      data: t.input,
      accessList: type >= 1 ? t.accessList : undefined,
      signature,
    } as Parameters<typeof Transaction.from>[0]);
    if (type === 4) return undefined;
    const serialized = tx.serialized;
    return keccak256(serialized).toLowerCase() === t.hash.toLowerCase() ? serialized : undefined;
  } catch {
    return undefined;
  }
}

/** A receipt's consensus encoding: type byte, then RLP [status, cumulative gas, bloom, logs]. */
export function encodeReceipt(r: {
  type?: string;
  status?: string;
  cumulativeGasUsed: string;
  logsBloom: string;
  logs: RawLog[];
}): string {
  const status = BigInt(r.status ?? "0x1") === 1n ? "0x01" : "0x";
  const gas = BigInt(r.cumulativeGasUsed);
  const body = encodeRlp([
    status,
    gas === 0n ? "0x" : hexlify(toBeArray(gas)),
    r.logsBloom,
    r.logs.map((l) => [l.address, l.topics, l.data]),
  ]);
  const type = Number(r.type ?? "0x0");
  return type === 0 ? body : `0x${type.toString(16).padStart(2, "0")}${body.slice(2)}`;
}
