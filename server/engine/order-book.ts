import { BookSide } from "./book-side";
import { OrderPool } from "./order-pool";
import { DoneReason, SelfTradePrevention, Side, TimeInForce, type BookListener, type DepthLevel } from "./types";

/** A resting order as a snapshot lists it (in time priority within each price). */
export interface RestingOrder {
  id: number;
  trader: number;
  side: Side;
  price: number;
  remaining: number;
  expiry: number;
}

/**
 * The continuous double auction of one product: price-time priority, limit and market orders,
 * GTC / IOC / FOK, O(1) cancel, optional self-trade prevention and order expiry. Pure: no clock
 * (the time is an argument), no I/O, no randomness; inputs are trusted safe integers (see
 * `validation.ts`). Every outcome goes to the listener, synchronously and in order.
 */
export class OrderBook {
  private readonly pool = new OrderPool(1024);
  private readonly bids: BookSide;
  private readonly asks: BookSide;
  private readonly slotOf = new Map<number, number>();
  // Min-heap of (expiry, order id) for orders that expire.
  private heapExpiry = new Float64Array(64);
  private heapId = new Float64Array(64);
  private heapSize = 0;

  constructor(
    private readonly listener: BookListener,
    private readonly stp: SelfTradePrevention = SelfTradePrevention.None,
  ) {
    this.bids = new BookSide(true, this.pool);
    this.asks = new BookSide(false, this.pool);
  }

  /** Whether an order with this id rests in the book. */
  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  get orderCount(): number {
    return this.slotOf.size;
  }

  bestBid(): number | undefined {
    const level = this.bids.best();
    return level === 0 ? undefined : this.bids.price(level);
  }

  bestAsk(): number | undefined {
    const level = this.asks.best();
    return level === 0 ? undefined : this.asks.price(level);
  }

  depth(levels: number): { bids: DepthLevel[]; asks: DepthLevel[] } {
    return { bids: this.bids.depth(levels), asks: this.asks.depth(levels) };
  }

  restingQuantity(): number {
    return this.bids.totalQuantity() + this.asks.totalQuantity();
  }

  /** The remaining quantity of a resting order (0 when it does not rest). */
  remainingOf(id: number): number {
    const slot = this.slotOf.get(id);
    return slot === undefined ? 0 : this.pool.remaining[slot]!;
  }

  /**
   * A limit order. `price` is the limit; returns the quantity filled. GTC rests its rest; IOC drops
   * it; FOK trades only if it can fill completely (checked before matching).
   */
  limit(
    id: number,
    trader: number,
    side: Side,
    price: number,
    quantity: number,
    tif: TimeInForce,
    expiry: number,
    now: number,
  ): number {
    if (this.heapSize !== 0) this.expire(now);
    if (tif === TimeInForce.FOK && this.fillable(trader, side, price, quantity) < quantity) {
      this.listener.onDone(id, DoneReason.FokRejected, quantity);
      return 0;
    }
    const rest = this.match(id, trader, side, price, quantity);
    if (rest === 0) {
      this.listener.onDone(id, DoneReason.Filled, 0);
    } else if (rest < 0) {
      this.listener.onDone(id, DoneReason.SelfTrade, -rest);
      return quantity + rest;
    } else if (tif === TimeInForce.GTC) {
      this.rest(id, trader, side, price, rest, expiry);
    } else {
      this.listener.onDone(id, DoneReason.Unfilled, rest);
    }
    return quantity - Math.abs(rest);
  }

  /**
   * A market order: an IOC (or FOK) without a price limit other than `protection` (the band edge
   * the caller allows; pass +/-Infinity for none). Returns the quantity filled.
   */
  market(
    id: number,
    trader: number,
    side: Side,
    quantity: number,
    tif: TimeInForce,
    protection: number,
    now: number,
  ): number {
    return this.limit(id, trader, side, protection, quantity, tif === TimeInForce.FOK ? tif : TimeInForce.IOC, 0, now);
  }

  /** Cancels a resting order; false when it does not rest (filled, cancelled or unknown). */
  cancel(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const remaining = this.pool.remaining[slot]!;
    this.remove(slot, id);
    this.listener.onDone(id, DoneReason.Cancelled, remaining);
    return true;
  }

  /** Removes every resting order whose expiry is at or before `now`. */
  expire(now: number): void {
    while (this.heapSize !== 0 && this.heapExpiry[0]! <= now) {
      const id = this.heapId[0]!;
      const expiry = this.heapExpiry[0]!;
      this.heapPop();
      const slot = this.slotOf.get(id);
      if (slot !== undefined && this.pool.expiry[slot] === expiry) {
        const remaining = this.pool.remaining[slot]!;
        this.remove(slot, id);
        this.listener.onDone(id, DoneReason.Expired, remaining);
      }
    }
  }

  /** Every resting order, bids then asks, best price first, in time priority within a price. */
  snapshot(): RestingOrder[] {
    const out: RestingOrder[] = [];
    for (const [side, book] of [
      [Side.Buy, this.bids],
      [Side.Sell, this.asks],
    ] as const) {
      for (let k = 0; ; k++) {
        const level = book.levelAtDepth(k);
        if (level === 0) break;
        for (let slot = book.head(level); slot !== 0; slot = this.pool.next[slot]!) {
          out.push({
            id: this.pool.id[slot]!,
            trader: this.pool.trader[slot]!,
            side: side,
            price: this.pool.price[slot]!,
            remaining: this.pool.remaining[slot]!,
            expiry: this.pool.expiry[slot]!,
          });
        }
      }
    }
    return out;
  }

  /** Rests orders from a snapshot, in the order given (which is their time priority). */
  restore(orders: readonly RestingOrder[]): void {
    for (const o of orders) this.rest(o.id, o.trader, o.side, o.price, o.remaining, o.expiry, false);
  }

  // ─────────────────────────────────────────── matching ───────────────────────────────────────────

  /**
   * Matches an incoming order against the opposite side. Returns the unfilled rest, or minus the
   * rest when self-trade prevention cancelled the incoming order.
   */
  private match(takerId: number, trader: number, side: Side, limit: number, quantity: number): number {
    const isBuy = side === Side.Buy;
    const book = isBuy ? this.asks : this.bids;
    const pool = this.pool;
    const listener = this.listener;
    const stp = this.stp;
    let qty = quantity;
    while (qty > 0) {
      const level = book.best();
      if (level === 0) break;
      const price = book.price(level);
      if (isBuy ? price > limit : price < limit) break;
      let slot = book.head(level);
      while (slot !== 0 && qty > 0) {
        const next = pool.next[slot]!;
        const makerId = pool.id[slot]!;
        if (stp !== SelfTradePrevention.None && pool.trader[slot] === trader) {
          if (stp === SelfTradePrevention.CancelTaker) return -qty;
          const remaining = pool.remaining[slot]!;
          this.remove(slot, makerId);
          listener.onDone(makerId, DoneReason.SelfTrade, remaining);
          slot = next;
          continue;
        }
        const available = pool.remaining[slot]!;
        if (available <= qty) {
          qty -= available;
          listener.onTrade(takerId, makerId, price, available, side);
          book.unlink(slot);
          this.slotOf.delete(makerId);
          pool.free(slot);
          listener.onDone(makerId, DoneReason.Filled, 0);
        } else {
          pool.remaining[slot] = available - qty;
          book.reduce(level, qty);
          listener.onTrade(takerId, makerId, price, qty, side);
          qty = 0;
        }
        slot = next;
      }
    }
    return qty;
  }

  /** What an incoming order could fill now at prices within its limit (for FOK). */
  private fillable(trader: number, side: Side, limit: number, quantity: number): number {
    const book = side === Side.Buy ? this.asks : this.bids;
    if (this.stp === SelfTradePrevention.None) return book.available(limit, quantity);
    // With self-trade prevention, orders of the same trader do not count (and CancelTaker stops at the first).
    let total = 0;
    const isBuy = side === Side.Buy;
    for (let k = 0; total < quantity; k++) {
      const level = book.levelAtDepth(k);
      if (level === 0) break;
      const price = book.price(level);
      if (isBuy ? price > limit : price < limit) break;
      for (let slot = book.head(level); slot !== 0 && total < quantity; slot = this.pool.next[slot]!) {
        if (this.pool.trader[slot] === trader) {
          if (this.stp === SelfTradePrevention.CancelTaker) return total;
          continue;
        }
        total += this.pool.remaining[slot]!;
      }
    }
    return total;
  }

  private rest(
    id: number,
    trader: number,
    side: Side,
    price: number,
    quantity: number,
    expiry: number,
    notify = true,
  ): void {
    const slot = this.pool.alloc(id, trader, side, price, quantity, expiry);
    (side === Side.Buy ? this.bids : this.asks).append(slot);
    this.slotOf.set(id, slot);
    if (expiry !== 0) this.heapPush(expiry, id);
    if (notify) this.listener.onRested(id, price, quantity);
  }

  private remove(slot: number, id: number): void {
    const side = this.sideOf(slot);
    side.unlink(slot);
    this.slotOf.delete(id);
    this.pool.free(slot);
  }

  private sideOf(slot: number): BookSide {
    return this.pool.side[slot] === Side.Buy ? this.bids : this.asks;
  }

  // ─────────────────────────────────────────── expiry heap ───────────────────────────────────────────

  private heapPush(expiry: number, id: number): void {
    if (this.heapSize === this.heapExpiry.length) {
      const e = new Float64Array(this.heapSize * 2);
      e.set(this.heapExpiry);
      this.heapExpiry = e;
      const d = new Float64Array(this.heapSize * 2);
      d.set(this.heapId);
      this.heapId = d;
    }
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.heapExpiry[parent]! <= expiry) break;
      this.heapExpiry[i] = this.heapExpiry[parent]!;
      this.heapId[i] = this.heapId[parent]!;
      i = parent;
    }
    this.heapExpiry[i] = expiry;
    this.heapId[i] = id;
  }

  private heapPop(): void {
    const n = --this.heapSize;
    if (n === 0) return;
    const expiry = this.heapExpiry[n]!;
    const id = this.heapId[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.heapExpiry[child + 1]! < this.heapExpiry[child]!) child++;
      if (this.heapExpiry[child]! >= expiry) break;
      this.heapExpiry[i] = this.heapExpiry[child]!;
      this.heapId[i] = this.heapId[child]!;
      i = child;
    }
    this.heapExpiry[i] = expiry;
    this.heapId[i] = id;
  }
}
