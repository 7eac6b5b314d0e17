import {
  Signature,
  Transaction,
  encodeRlp,
  getBytes,
  hexlify,
  keccak256,
  toBeArray,
  type RlpStructuredData,
} from "ethers";
import type { RawLog } from "./types";

type Nibbles = number[];

function nibbles(bytes: Uint8Array): Nibbles {
  const out: Nibbles = [];
  for (const b of bytes) out.push(b >> 4, b & 15);
  return out;
}

/** Hex-prefix encoding of a key path (Yellow Paper, appendix C). */
function hexPrefix(path: Nibbles, leaf: boolean): string {
  const flag = (leaf ? 2 : 0) + (path.length % 2);
  const all = path.length % 2 === 1 ? [flag, ...path] : [flag, 0, ...path];
  const bytes = new Uint8Array(all.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (all[2 * i]! << 4) | all[2 * i + 1]!;
  return hexlify(bytes);
}

/** A child reference: the node itself when its encoding is shorter than 32 bytes, else its hash. */
function ref(node: RlpStructuredData): RlpStructuredData {
  const encoded = encodeRlp(node);
  return getBytes(encoded).length < 32 ? node : keccak256(encoded);
}

function build(items: [Nibbles, string][], depth: number): RlpStructuredData {
  if (items.length === 1) {
    const [key, value] = items[0]!;
    return [hexPrefix(key.slice(depth), true), value];
  }
  // The longest path all keys share from here: an extension.
  let common = 0;
  for (;;) {
    const n = items[0]![0][depth + common];
    if (n === undefined || !items.every(([k]) => k[depth + common] === n)) break;
    common++;
  }
  if (common > 0) {
    return [hexPrefix(items[0]![0].slice(depth, depth + common), false), ref(build(items, depth + common))];
  }
  const branch: RlpStructuredData[] = [];
  let value = "0x";
  for (let i = 0; i < 16; i++) {
    const group = items.filter(([k]) => k[depth] === i);
    branch.push(group.length === 0 ? "0x" : ref(build(group, depth + 1)));
  }
  const here = items.find(([k]) => k.length === depth);
  if (here) value = here[1];
  branch.push(value);
  return branch;
}

/** The root of the Merkle-Patricia trie of `values` keyed by RLP(index): a block's transactions or receipts root. */
export function orderedTrieRoot(values: string[]): string {
  if (values.length === 0) return keccak256(encodeRlp("0x"));
  const items: [Nibbles, string][] = values.map((v, i) => [
    nibbles(getBytes(encodeRlp(i === 0 ? "0x" : toBeArray(i)))),
    v,
  ]);
  return keccak256(encodeRlp(build(items, 0)));
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
