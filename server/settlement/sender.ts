import { getAddress } from "ethers";
import type { IClearing } from "../../typechain-types/contracts/exchange/Clearing";
import { Clearing__factory } from "../../typechain-types";
import { encodeSettle, signLegacyTx } from "./encode";

export interface Confirmation {
  status: number;
  hash: string;
  block: number;
  rejected: [bigint, number][];
}

export interface SendResult {
  hash: string;
  /** Resolves when the transaction is in a block. */
  confirmed: Promise<Confirmation>;
}

/** Sends `settle` transactions. */
export interface SettlementSender {
  send(batch: IClearing.BatchStruct, nonce: number, gasLimit: bigint): Promise<SendResult>;
  close(): Promise<void>;
}

/** A JSON-RPC error of the node, with its revert data when it has any (for `toDomainError`). */
export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number | string | undefined,
    readonly data: string | undefined,
  ) {
    super(message);
  }
}

const REJECTED_TOPIC = Clearing__factory.createInterface().getEvent("TradeRejected").topicHash;

/**
 * Sends settlement transactions with the operator's key straight over JSON-RPC: calldata and the
 * legacy transaction are encoded by hand (`encode.ts`: milliseconds for a batch of hundreds of trades,
 * where ethers' generic coder takes over half a second), and the receipt is polled raw (no block
 * fetches). Gas price 0, as everywhere on the scheme's network.
 */
export class RpcSender implements SettlementSender {
  private readonly to: string;
  private closed = false;
  private nextId = 1;

  constructor(
    private readonly rpcUrl: string,
    private readonly privateKey: string,
    clearing: string,
    private readonly chainId: bigint,
    private readonly pollMs = 100,
  ) {
    this.to = getAddress(clearing);
  }

  async send(batch: IClearing.BatchStruct, nonce: number, gasLimit: bigint): Promise<SendResult> {
    const { raw, hash } = signLegacyTx(
      { nonce, gasPrice: 0n, gasLimit, to: this.to, data: encodeSettle(batch), chainId: this.chainId },
      this.privateKey,
    );
    await this.rpc("eth_sendRawTransaction", [raw]);
    const confirmed = this.receipt(hash);
    confirmed.catch(() => undefined);
    return { hash, confirmed };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async receipt(hash: string): Promise<Confirmation> {
    for (;;) {
      if (this.closed) throw new Error("the sender is closed");
      const r = (await this.rpc("eth_getTransactionReceipt", [hash])) as {
        status: string;
        blockNumber: string;
        logs: { topics: string[]; data: string }[];
      } | null;
      if (r) {
        const rejected: [bigint, number][] = r.logs
          .filter((l) => l.topics[0] === REJECTED_TOPIC)
          .map((l) => [BigInt(l.topics[1]!), Number(BigInt(l.data))]);
        return { status: Number(r.status), hash, block: Number(r.blockNumber), rejected };
      }
      await new Promise((res) => setTimeout(res, this.pollMs));
    }
  }

  private async rpc(method: string, params: unknown[]): Promise<unknown> {
    const res = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }),
    });
    const body = (await res.json()) as {
      result?: unknown;
      error?: { code?: number; message?: string; data?: unknown };
    };
    if (body.error) {
      const data = typeof body.error.data === "string" ? body.error.data : undefined;
      throw new RpcError(body.error.message ?? `${method} failed`, body.error.code, data);
    }
    return body.result;
  }
}
