import type { Trade } from "./core";

/**
 * The trades of the exchange by id (ids run from 1 without gaps). Old settled trades can be
 * dropped from memory; the ids stay.
 */
export class TradeLog {
  private items: Trade[] = [];
  /** Id of the trade before `items[0]`. */
  private base = 0n;

  constructor(first?: { base: bigint; trades: Trade[] }) {
    if (first) {
      this.base = first.base;
      this.items = first.trades;
    }
  }

  /** Id of the last trade (0 when none). */
  get lastId(): bigint {
    return this.base + BigInt(this.items.length);
  }

  /** The id the next trade gets. */
  get nextId(): bigint {
    return this.lastId + 1n;
  }

  push(t: Trade): void {
    this.items.push(t);
  }

  get(id: bigint): Trade | undefined {
    return this.items[Number(id - this.base - 1n)];
  }

  /** Trades with ids from `id` on (those still in memory). */
  from(id: bigint): Trade[] {
    const i = Number(id - this.base - 1n);
    return this.items.slice(Math.max(0, i));
  }

  /** The newest trades first, at most `limit`, that pass `keep`. */
  recent(limit: number, keep: (t: Trade) => boolean = () => true): Trade[] {
    const out: Trade[] = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < limit; i--)
      if (keep(this.items[i]!)) out.push(this.items[i]!);
    return out;
  }

  /** What a snapshot keeps: every trade after `settled`, and at least the last `recent`. */
  retained(settled: bigint, recent: number): { base: bigint; trades: Trade[] } {
    const keepFrom = Math.min(Number(settled - this.base), Math.max(0, this.items.length - recent));
    const from = Math.max(0, keepFrom);
    return { base: this.base + BigInt(from), trades: this.items.slice(from) };
  }
}
