import type { TypedDataDomain } from "ethers";
import type { Logger } from "pino";
import type { Clearing, ParticipantRegistry } from "../../typechain-types";
import { DomainError } from "../../sdk/errors";
import { recoverCancelSigner, type Cancel, type SignedOrder, type Withdrawal } from "../../sdk/orders";
import { domainSeparator, orderDigest, recoverSigner } from "../../sdk/signatures";
import { verifyTypedData } from "ethers";
import { WITHDRAWAL_TYPES } from "../../sdk/orders";
import { ChainWatcher } from "../chain/watcher";
import { Journal } from "../journal/journal";
import { SettlementPipeline, type PipelineEvents, type PipelineOptions } from "../settlement/pipeline";
import type { SettlementSender } from "../settlement/sender";
import { decodeCommand, encodeCommand, type Command } from "./commands";
import { readSnapshot, encodeSnapshot } from "./snapshot-file";
import { writeFileDurableSync as writeFileDurably } from "../../sdk/durable-file";
import type { DailyBar } from "../engine/market-data";
import { ExchangeCore, type CoreConfig, type CoreEvents, type LiveOrder, type Trade } from "./core";

export interface ExchangeDeps {
  /** Sends settlement transactions (from the operator's wallet). */
  sender: SettlementSender;
  /** The operator's address. */
  operator: string;
  core: CoreConfig;
  pipeline: PipelineOptions;
  journalFile: string;
  clearing: Clearing;
  registry: ParticipantRegistry;
  domain: TypedDataDomain;
  /** First block to look for deposits in (the Clearing contract's deployment). */
  fromBlock: number;
  log: Logger;
  /** Unix seconds. */
  clock: () => number;
  events?: CoreEvents & PipelineEvents & ExchangeEvents;

  watcherPollMs?: number;
  /** Write a snapshot after this many journal records (and on close). Default 50,000. */
  snapshotEvery?: number;
}

/** What the exchange tells the outside beyond the core's events. */
export interface ExchangeEvents {
  /**
   * Every journal record up to `seq` is on disk: what those commands did (their trades) may now be
   * published, since a restart will find it.
   */
  durable?(seq: number): void;
}

/** A block deal as accepted: its two orders (filled) and its trade. */
export interface BlockDealResult {
  buy: LiveOrder;
  sell: LiveOrder;
  trade: Trade;
}

/**
 * The exchange as a service: the deterministic core behind a journal (every accepted command is
 * durable before it is acknowledged), the settlement pipeline, and the chain watcher. `open`
 * replays the journal, so a restart after a crash finds every acknowledged order and trade.
 */
export class Exchange {
  readonly core: ExchangeCore;
  readonly pipeline: SettlementPipeline;
  readonly watcher: ChainWatcher;
  private readonly journal: Journal;
  private readonly replayed: number;
  /** Who may trade, as the registry said; an entry is dropped when the watcher sees its account change. */
  private readonly statusCache = new Map<string, boolean>();

  private readonly snapshotFile: string;
  private closing = false;
  private readonly separator: Uint8Array;
  private lastSnapshot: number;

  private constructor(private readonly deps: ExchangeDeps) {
    this.snapshotFile = `${deps.journalFile}.snapshot`;
    this.separator = domainSeparator(deps.domain);
    const snap = readSnapshot(this.snapshotFile);
    this.core = snap
      ? ExchangeCore.restore(deps.core, deps.events ?? {}, snap)
      : new ExchangeCore(deps.core, deps.events);
    this.journal = Journal.open(deps.journalFile);
    this.replayed = this.journal.recovered;
    this.lastSnapshot = snap?.journalRecords ?? 0;
    if (this.lastSnapshot > this.replayed)
      throw new Error(`the snapshot is ahead of the journal (${this.lastSnapshot} > ${this.replayed} records)`);
    let seq = 0;
    for (const record of Journal.read(deps.journalFile)) {
      if (++seq <= this.lastSnapshot) continue;
      this.core.apply(decodeCommand(record), seq);
    }
    this.watcher = new ChainWatcher(
      deps.clearing,
      deps.registry,
      deps.fromBlock,
      (cmd) => this.submitObserved(cmd),
      (wallet) => this.statusCache.delete(wallet.toLowerCase()),
      deps.log.child({ component: "watcher" }),
      deps.watcherPollMs,
    );
    for (const ref of this.core.chainCursor.refs) this.watcher.remember(ref, this.core.chainCursor.block);
    this.pipeline = new SettlementPipeline(
      this.core,
      deps.clearing,
      deps.sender,
      deps.operator,
      () => this.replayed + this.journal.durableSeq,
      deps.pipeline,
      deps.log.child({ component: "settlement" }),
      deps.events,
    );
    deps.log.info(
      {
        snapshot: this.lastSnapshot,
        replayed: this.replayed - this.lastSnapshot,
        trades: this.core.trades.lastId.toString(),
      },
      "exchange state rebuilt from the snapshot and the journal",
    );
  }

  static async open(deps: ExchangeDeps): Promise<Exchange> {
    const ex = new Exchange(deps);
    await ex.watcher.poll();
    await ex.pipeline.start();
    ex.watcher.start();
    return ex;
  }

  /** Whether `close` was called: no command is accepted any more. */
  get closed(): boolean {
    return this.closing;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.watcher.stop();
    await this.pipeline.stop();
    await this.journal.close();
    if (this.journalLength > this.lastSnapshot) this.writeSnapshot();
  }

  /** Writes the core's state at the current (fully durable) journal position. */
  writeSnapshot(): void {
    const records = this.journalLength;
    const snap = this.core.snapshot(records, this.pipeline.lastConfirmedTradeId);
    writeFileDurably(this.snapshotFile, encodeSnapshot(snap));
    this.lastSnapshot = records;
    this.deps.log.info({ records }, "snapshot written");
  }

  /** Commands in the journal (replayed and new). */
  get journalLength(): number {
    return this.replayed + this.journal.durableSeq;
  }

  // ───────────────────────────────────────── commands ─────────────────────────────────────────

  async submitOrder(signed: SignedOrder): Promise<{ order: LiveOrder; trades: Trade[] }> {
    const { order, signature } = signed;
    let hash: string;
    try {
      hash = orderDigest(this.separator, order);
    } catch {
      throw new DomainError("REQUEST_INVALID", "An order field is out of its EIP-712 type's range.", "validation");
    }
    if (recoverSigner(hash, signature) !== order.trader.toLowerCase()) {
      throw new DomainError(
        "ORDER_SIGNATURE_INVALID",
        `The order is not signed by its trader ${order.trader}.`,
        "unauthorised",
      );
    }
    await this.requireActive(order.trader);
    const cmd: Command = { type: "order", at: this.deps.clock(), order, signature, hash };
    const next = this.core.trades.nextId;
    await this.run(cmd);
    return { order: this.core.orderByNonce(order.trader, order.nonce)!, trades: this.core.trades.from(next) };
  }

  /**
   * A block deal: a buy and a sell order, each signed by its own trader, for the same product, price
   * and quantity, submitted together (the signed order type has no counterparty field, so the
   * pairing is this request). Both signatures and traders are checked here; the core checks the
   * rest and both reservations. Journalled as one command: both orders and the trade, or nothing.
   */
  async submitBlockDeal(buy: SignedOrder, sell: SignedOrder): Promise<BlockDealResult> {
    const legs = [
      ["buy", buy],
      ["sell", sell],
    ] as const;
    const hashes: string[] = [];
    for (const [side, { order, signature }] of legs) {
      let hash: string;
      try {
        hash = orderDigest(this.separator, order);
      } catch {
        throw new DomainError(
          "REQUEST_INVALID",
          `A field of the ${side} order is out of its EIP-712 type's range.`,
          "validation",
        );
      }
      if (recoverSigner(hash, signature) !== order.trader.toLowerCase()) {
        throw new DomainError(
          "ORDER_SIGNATURE_INVALID",
          `The ${side} order is not signed by its trader ${order.trader}.`,
          "unauthorised",
        );
      }
      hashes.push(hash);
    }
    await this.requireActive(buy.order.trader);
    await this.requireActive(sell.order.trader);
    const next = this.core.trades.nextId;
    await this.run({
      type: "blockDeal",
      at: this.deps.clock(),
      buy: { ...buy, hash: hashes[0]! },
      sell: { ...sell, hash: hashes[1]! },
    });
    const b = this.core.orderByNonce(buy.order.trader, buy.order.nonce)!;
    const s = this.core.orderByNonce(sell.order.trader, sell.order.nonce)!;
    const trade = this.core.trades.from(next).find((t) => t.buyOrder === b.id && t.sellOrder === s.id);
    if (!trade) throw new Error(`invariant: block deal of orders ${b.id} and ${s.id} made no trade`);
    return { buy: b, sell: s, trade };
  }

  async cancel(cancel: Cancel, signature: string): Promise<LiveOrder> {
    if (recoverCancelSigner(this.deps.domain, cancel, signature).toLowerCase() !== cancel.trader.toLowerCase()) {
      throw new DomainError(
        "CANCEL_SIGNATURE_INVALID",
        `The cancellation is not signed by ${cancel.trader}.`,
        "unauthorised",
      );
    }
    const at = this.deps.clock();
    if (cancel.expiry !== 0n && cancel.expiry <= BigInt(at))
      throw new DomainError("CANCEL_EXPIRED", "The cancellation has expired.", "validation");
    await this.run({ type: "cancel", at, trader: cancel.trader, nonce: cancel.nonce });
    return this.core.orderByNonce(cancel.trader, cancel.nonce)!;
  }

  async withdraw(w: Withdrawal, signature: string): Promise<void> {
    let signer: string;
    try {
      signer = verifyTypedData(this.deps.domain, WITHDRAWAL_TYPES, w, signature);
    } catch {
      throw new DomainError("WITHDRAWAL_SIGNATURE_INVALID", "The withdrawal signature is malformed.", "validation");
    }
    if (signer.toLowerCase() !== w.trader.toLowerCase()) {
      throw new DomainError(
        "WITHDRAWAL_SIGNATURE_INVALID",
        `The withdrawal is not signed by ${w.trader}.`,
        "unauthorised",
      );
    }
    await this.requireActive(w.trader);
    if (await this.deps.clearing.withdrawalNonceUsed(w.trader, w.nonce)) {
      throw new DomainError("WITHDRAWAL_NONCE_REUSED", `Withdrawal nonce ${w.nonce} was used before.`, "conflict");
    }
    await this.run({ type: "withdraw", at: this.deps.clock(), ...w, signature });
  }

  /** Operator commands: halt and resume a product, close the trading day. */
  async operate(cmd: Extract<Command, { type: "halt" | "resume" | "closeDay" | "expire" }>): Promise<void> {
    await this.run(cmd);
  }

  /**
   * Ends the trading day of every product (journalled): each product's bar, whose close (the VWAP of
   * the day's continuous trades, or the previous close) becomes the reference of the next day's band.
   */
  async closeDay(): Promise<{ day: number; bars: { product: string; bar: DailyBar }[] }> {
    const at = this.deps.clock();
    const from = this.core.bars.length;
    // `run` checks, journals and applies synchronously, before its first await: the bars it adds
    // are the ones at `from` and after, whatever command comes next.
    const done = this.run({ type: "closeDay", at });
    const bars = this.core.bars.slice(from).map(({ product, bar }) => ({ product, bar }));
    await done;
    return { day: at, bars };
  }

  /** The exchange's clock (unix seconds). */
  now(): number {
    return this.deps.clock();
  }

  /** Checks, journals and applies one command; resolves once it is durable. */
  private async run(cmd: Command): Promise<void> {
    if (this.closing)
      throw new DomainError(
        "EXCHANGE_STOPPING",
        "The exchange is stopping; send the request again after it restarts.",
        "retryable",
      );
    const err = this.core.check(cmd);
    if (err) throw err;
    const seq = this.replayed + this.journal.append(encodeCommand(cmd));
    this.core.apply(cmd, seq);
    await this.journal.commit();
    this.deps.events?.durable?.(this.journalLength);
    // A snapshot only at a position where everything applied is durable.
    if (
      this.journal.appendedSeq === this.journal.durableSeq &&
      this.journalLength - this.lastSnapshot >= (this.deps.snapshotEvery ?? 50_000)
    ) {
      this.writeSnapshot();
    }
  }

  private async submitObserved(cmd: Command): Promise<void> {
    await this.run(cmd);
  }

  private async requireActive(trader: string): Promise<void> {
    const key = trader.toLowerCase();
    let active = this.statusCache.get(key);
    if (active === undefined) {
      active = await this.deps.registry.isActive(trader);
      // Only a positive answer is kept: a newly registered trader is let in at its next order.
      if (active) this.statusCache.set(key, active);
    }
    if (!active) {
      throw new DomainError(
        "TRADER_NOT_ACTIVE",
        `${trader} has no active registry account (unregistered, frozen or closed).`,
        "unauthorised",
      );
    }
  }
}
