import path from "node:path";
import { Worker } from "node:worker_threads";
import type { IClearing } from "../../typechain-types/contracts/exchange/Clearing";
import { Clearing__factory } from "../../typechain-types";

export interface SendResult {
  hash: string;
  /** Resolves when the transaction is in a block. */
  confirmed: Promise<{ status: number; hash: string; block: number; rejected: [bigint, number][] }>;
}

/** Sends `settle` transactions. */
export interface SettlementSender {
  send(batch: IClearing.BatchStruct, nonce: number, gasLimit: bigint): Promise<SendResult>;
  close(): Promise<void>;
}

/** An error from the worker, carrying the revert data (if any) for `toDomainError`. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly data: string | undefined,
  ) {
    super(message);
  }
}

interface Pending {
  sent: (r: SendResult) => void;
  fail: (e: unknown) => void;
  confirm?: (c: Awaited<SendResult["confirmed"]>) => void;
  unconfirmed?: (e: unknown) => void;
}

/**
 * Encodes, signs and sends settlement transactions in a worker thread (`sender.worker.js`), and
 * reads their receipts there: a batch of hundreds of trades takes a few hundred milliseconds of
 * ABI encoding, hashing and signing, which would otherwise stall the order flow.
 */
export class WorkerSender implements SettlementSender {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly ready: Promise<void>;

  constructor(rpcUrl: string, privateKey: string, clearing: string) {
    this.worker = new Worker(path.join(__dirname, "sender.worker.js"));
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type === "ready") {
          this.worker.off("message", onMessage);
          resolve();
        }
      };
      this.worker.on("message", onMessage);
      this.worker.once("error", reject);
    });
    this.worker.on(
      "message",
      (m: {
        type: string;
        id: number;
        hash?: string;
        error?: { message: string; code?: string; data?: string };
        status?: number;
        block?: number;
        rejected?: [bigint, number][];
      }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        switch (m.type) {
          case "sent": {
            const confirmed = new Promise<Awaited<SendResult["confirmed"]>>((resolve, reject) => {
              p.confirm = resolve;
              p.unconfirmed = reject;
            });
            confirmed.catch(() => undefined);
            p.sent({ hash: m.hash!, confirmed });
            break;
          }
          case "confirmed":
            this.pending.delete(m.id);
            p.confirm?.({ status: m.status!, hash: m.hash!, block: m.block!, rejected: m.rejected ?? [] });
            break;
          case "failed": {
            this.pending.delete(m.id);
            const e = new SendError(m.error?.message ?? "send failed", m.error?.code, m.error?.data);
            if (p.unconfirmed) p.unconfirmed(e);
            else p.fail(e);
            break;
          }
        }
      },
    );
    this.worker.postMessage({ type: "init", rpcUrl, privateKey, clearing, abi: Clearing__factory.abi });
  }

  async send(batch: IClearing.BatchStruct, nonce: number, gasLimit: bigint): Promise<SendResult> {
    await this.ready;
    const id = this.nextId++;
    return new Promise<SendResult>((sent, fail) => {
      this.pending.set(id, { sent, fail });
      this.worker.postMessage({ type: "send", id, batch, nonce, gasLimit });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
