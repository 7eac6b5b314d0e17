import type { Logger } from "pino";
import type { Clearing } from "../../typechain-types";
import { toDomainError } from "../../sdk/errors";
import type { ExchangeCore, PendingWithdrawal, Trade } from "../exchange/core";
import { buildBatch, gasFor, type BuiltBatch } from "./batch";
import type { SettlementSender } from "./sender";

export interface PipelineOptions {
  /** Most trades in one batch. */
  batchSize: number;
  /** Longest a matched trade waits for a fuller batch, in ms. */
  batchLatencyMs: number;
  /** Batches sent and not yet confirmed at once. */
  maxInFlight: number;
  /** Wait before retrying after a failure, in ms. */
  retryMs: number;
  /** Block gas limit of the chain. */
  blockGasLimit: bigint;
}

export interface PipelineEvents {
  /** A batch was confirmed: every trade id up to `lastTradeId` is processed on chain. */
  confirmed?(b: {
    lastTradeId: bigint;
    trades: Trade[];
    rejected: Map<bigint, number>;
    txHash: string;
    block: number;
  }): void;
}

interface InFlight {
  built: BuiltBatch;
  nonce: number;
}

/**
 * Matched trades → batches → one `settle` transaction each, with managed nonces → confirmed. Only
 * trades whose command is durable in the journal are sent. The chain remembers the last trade id it
 * processed, so after a crash, a lost reply or a node outage the pipeline re-reads it and sends the
 * rest again: a trade is never settled twice, and never forgotten.
 */
export class SettlementPipeline {
  private confirmedTradeId = 0n;
  private sentTradeId = 0n;
  /** Index into `core.withdrawals` of the first one not yet sent. */
  private withdrawalCursor = 0;
  private readonly inFlight: InFlight[] = [];
  private nonce: number | undefined;
  private sending = false;
  private recovering = false;
  private timer: NodeJS.Timeout | undefined;
  private waitingSince = 0;
  readonly rejected = new Map<bigint, number>();
  /** Confirmed batches and settled trades, for metrics. */
  stats = { batches: 0, settled: 0, rejected: 0, failures: 0 };

  constructor(
    private readonly core: ExchangeCore,
    /** Read-only handle: last trade id, withdrawal states, nonces. */
    private readonly clearing: Clearing,
    private readonly sender: SettlementSender,
    /** The exchange operator's address (the sender of settlement transactions). */
    private readonly operator: string,
    private readonly durableSeq: () => number,
    private readonly opts: PipelineOptions,
    private readonly log: Logger,
    private readonly events: PipelineEvents = {},
  ) {}

  get lastConfirmedTradeId(): bigint {
    return this.confirmedTradeId;
  }

  /** Reads where the chain is and starts sending. */
  async start(): Promise<void> {
    await this.resync();
    this.timer = setInterval(() => void this.tick(), 20);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + 10_000;
    while ((this.inFlight.length > 0 || this.sending) && Date.now() < deadline) await sleep(50);
    await this.sender.close();
  }

  /** Trades matched but not yet confirmed on chain. */
  backlog(): number {
    return Number(this.core.trades.lastId - this.confirmedTradeId);
  }

  private async resync(): Promise<void> {
    const last = await this.clearing.lastTradeId();
    this.confirmedTradeId = last;
    this.sentTradeId = last;
    this.nonce = undefined;
    // Withdrawals run in journal order; find the first one the chain has not executed.
    let cursor = 0;
    const ws = this.core.withdrawals;
    while (cursor < ws.length && (await this.executed(ws[cursor]!))) cursor++;
    this.withdrawalCursor = cursor;
    this.log.info({ lastTradeId: last.toString(), withdrawalCursor: cursor }, "settlement resumes from the chain");
  }

  private async executed(w: PendingWithdrawal): Promise<boolean> {
    if (w.requestId !== undefined) return (await this.clearing.withdrawalRequest(w.requestId)).done;
    return this.clearing.withdrawalNonceUsed(w.trader, w.nonce!);
  }

  private async tick(): Promise<void> {
    if (this.sending || this.recovering) return;
    this.sending = true;
    try {
      while (this.inFlight.length < this.opts.maxInFlight) {
        const durable = this.durableSeq();
        const trades = this.readyTrades(durable);
        const withdrawals = this.readyWithdrawals(durable);
        if (trades.length === 0 && withdrawals.length === 0) {
          this.waitingSince = 0;
          break;
        }
        if (this.waitingSince === 0) this.waitingSince = Date.now();
        const full = trades.length >= this.opts.batchSize || withdrawals.length > 0;
        if (!full && Date.now() - this.waitingSince < this.opts.batchLatencyMs) break;
        await this.send(buildBatch(this.core, trades, withdrawals));
        this.waitingSince = 0;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.sending = false;
    }
  }

  private readyTrades(durable: number): Trade[] {
    const out: Trade[] = [];
    const last = this.core.trades.lastId;
    for (let id = this.sentTradeId + 1n; id <= last && out.length < this.opts.batchSize; id++) {
      const t = this.core.trades.get(id);
      if (!t) throw new Error(`trade ${id} is not in memory`);
      if (t.seq > durable) break;
      out.push(t);
    }
    return out;
  }

  private readyWithdrawals(durable: number): PendingWithdrawal[] {
    const out: PendingWithdrawal[] = [];
    const all = this.core.withdrawals;
    for (let i = this.withdrawalCursor; i < all.length && out.length < 50; i++) {
      if (all[i]!.seq > durable) break;
      out.push(all[i]!);
    }
    return out;
  }

  /**
   * Hands a batch to the sender without waiting for the node's answer (which, through the durable
   * RPC, comes only once the transaction is in a block and on disk): batches go out back to back
   * with consecutive nonces, up to `maxInFlight`.
   */
  private async send(built: BuiltBatch): Promise<void> {
    if (this.nonce === undefined) {
      this.nonce = await this.clearing.runner!.provider!.getTransactionCount(this.operator, "pending");
    }
    const nonce = this.nonce++;
    if (built.trades.length > 0) this.sentTradeId = built.lastTradeId;
    this.withdrawalCursor += built.withdrawals.length;
    const entry: InFlight = { built, nonce };
    this.inFlight.push(entry);
    this.sender.send(built.batch, nonce, gasFor(built, this.opts.blockGasLimit)).then(
      (sent) => {
        this.log.debug(
          { nonce, trades: built.trades.length, withdrawals: built.withdrawals.length, tx: sent.hash },
          "batch sent",
        );
        sent.confirmed.then(
          (receipt) => this.confirm(entry, receipt),
          (err) => this.fail(err, entry),
        );
      },
      (err) => this.fail(err, entry),
    );
  }

  private confirm(
    entry: InFlight,
    receipt: { status: number; hash: string; block: number; rejected: [bigint, number][] },
  ): void {
    this.inFlight.splice(this.inFlight.indexOf(entry), 1);
    if (receipt.status !== 1) return this.fail(new Error("settlement transaction failed"), undefined);
    const rejected = new Map<bigint, number>(receipt.rejected);
    for (const [id, reason] of rejected) this.rejected.set(id, reason);
    if (rejected.size > 0)
      this.log.error(
        { rejected: [...rejected].map(([id, r]) => `${id}:${r}`) },
        "trades rejected by the clearing contract",
      );
    if (entry.built.trades.length > 0 && entry.built.lastTradeId > this.confirmedTradeId)
      this.confirmedTradeId = entry.built.lastTradeId;
    this.stats.batches++;
    this.stats.settled += entry.built.trades.length - rejected.size;
    this.stats.rejected += rejected.size;
    this.events.confirmed?.({
      lastTradeId: this.confirmedTradeId,
      trades: entry.built.trades,
      rejected,
      txHash: receipt.hash,
      block: receipt.block,
    });
  }

  /** After any failure: wait for what is in flight, re-read the chain, and go on from there. */
  private fail(err: unknown, entry?: InFlight): void {
    if (entry) this.inFlight.splice(this.inFlight.indexOf(entry), 1);
    this.stats.failures++;
    const e = toDomainError(err);
    this.log.warn({ code: e.code, message: e.message }, "settlement failed; resynchronising with the chain");
    if (this.recovering) return;
    this.recovering = true;
    void (async () => {
      for (;;) {
        await sleep(this.opts.retryMs);
        if (this.inFlight.length > 0) continue;
        try {
          await this.resync();
          break;
        } catch (again) {
          this.log.warn({ code: toDomainError(again).code }, "chain still unreachable");
        }
      }
      this.recovering = false;
    })();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
