import type { OrderPool } from "./order-pool";
import type { DepthLevel } from "./types";

/**
 * One side of a book: price levels, each a FIFO list of resting orders (time priority), kept in a
 * sorted array with the best price at the end so that the best level is found, and removed, in O(1).
 * An order is unlinked in O(1) through its slot's links (cancel needs no search).
 */
export class BookSide {
  private lvPrice = new Int32Array(64);
  private lvHead = new Int32Array(64);
  private lvTail = new Int32Array(64);
  private lvQty = new Float64Array(64);
  private lvCount = new Int32Array(64);
  private lvFree = 0;
  private lvTop = 1;
  private readonly byPrice = new Map<number, number>();
  /** Level indices sorted worst → best. */
  private sorted = new Int32Array(64);
  private size = 0;
  /** Resting orders on this side. */
  orders = 0;

  constructor(
    /** Bids: higher is better. Asks: lower is better. */
    readonly isBid: boolean,
    private readonly pool: OrderPool,
  ) {}

  get levels(): number {
    return this.size;
  }

  /** The best level's index, or 0 when the side is empty. */
  best(): number {
    return this.size === 0 ? 0 : this.sorted[this.size - 1]!;
  }

  /** The level `k` places behind the best (0 = best), or 0. */
  levelAtDepth(k: number): number {
    return k < this.size ? this.sorted[this.size - 1 - k]! : 0;
  }

  price(level: number): number {
    return this.lvPrice[level]!;
  }

  head(level: number): number {
    return this.lvHead[level]!;
  }

  quantity(level: number): number {
    return this.lvQty[level]!;
  }

  /** Appends a resting order (already in the pool) at the back of its price level. */
  append(slot: number): void {
    const pool = this.pool;
    const price = pool.price[slot]!;
    let level = this.byPrice.get(price);
    if (level === undefined) level = this.addLevel(price);
    const tail = this.lvTail[level]!;
    pool.prev[slot] = tail;
    pool.next[slot] = 0;
    pool.level[slot] = level;
    if (tail === 0) this.lvHead[level] = slot;
    else pool.next[tail] = slot;
    this.lvTail[level] = slot;
    this.lvQty[level] = this.lvQty[level]! + pool.remaining[slot]!;
    this.lvCount[level] = this.lvCount[level]! + 1;
    this.orders++;
  }

  /** Takes `quantity` off a resting order's level total (a partial fill of that order). */
  reduce(level: number, quantity: number): void {
    this.lvQty[level] = this.lvQty[level]! - quantity;
  }

  /** Removes a resting order from its level (and the level when it empties). */
  unlink(slot: number): void {
    const pool = this.pool;
    const level = pool.level[slot]!;
    const prev = pool.prev[slot]!;
    const next = pool.next[slot]!;
    if (prev === 0) this.lvHead[level] = next;
    else pool.next[prev] = next;
    if (next === 0) this.lvTail[level] = prev;
    else pool.prev[next] = prev;
    this.lvQty[level] = this.lvQty[level]! - pool.remaining[slot]!;
    this.orders--;
    const count = this.lvCount[level]! - 1;
    this.lvCount[level] = count;
    if (count === 0) this.removeLevel(level);
  }

  /** The quantity available at prices no worse than `limit` (for FOK), stopping once `enough`. */
  available(limit: number, enough: number): number {
    let total = 0;
    for (let i = this.size - 1; i >= 0 && total < enough; i--) {
      const level = this.sorted[i]!;
      const p = this.lvPrice[level]!;
      if (this.isBid ? p < limit : p > limit) break;
      total += this.lvQty[level]!;
    }
    return total;
  }

  depth(max: number): DepthLevel[] {
    const out: DepthLevel[] = [];
    for (let i = this.size - 1; i >= 0 && out.length < max; i--) {
      const level = this.sorted[i]!;
      out.push({ price: this.lvPrice[level]!, quantity: this.lvQty[level]!, orders: this.lvCount[level]! });
    }
    return out;
  }

  /** Total resting quantity on this side. */
  totalQuantity(): number {
    let total = 0;
    for (let i = 0; i < this.size; i++) total += this.lvQty[this.sorted[i]!]!;
    return total;
  }

  private addLevel(price: number): number {
    let level = this.lvFree;
    if (level !== 0) {
      this.lvFree = this.lvHead[level]!;
    } else {
      if (this.lvTop === this.lvPrice.length) this.growLevels();
      level = this.lvTop++;
    }
    this.lvPrice[level] = price;
    this.lvHead[level] = 0;
    this.lvTail[level] = 0;
    this.lvQty[level] = 0;
    this.lvCount[level] = 0;
    this.byPrice.set(price, level);
    // Insert into the sorted array: new levels are usually near the best end.
    if (this.size === this.sorted.length) {
      const grown = new Int32Array(this.sorted.length * 2);
      grown.set(this.sorted);
      this.sorted = grown;
    }
    let i = this.size;
    while (i > 0 && this.better(this.lvPrice[this.sorted[i - 1]!]!, price)) {
      this.sorted[i] = this.sorted[i - 1]!;
      i--;
    }
    this.sorted[i] = level;
    this.size++;
    return level;
  }

  private removeLevel(level: number): void {
    const price = this.lvPrice[level]!;
    this.byPrice.delete(price);
    const last = this.size - 1;
    if (this.sorted[last] === level) {
      this.size = last;
    } else {
      let i = last - 1;
      while (this.sorted[i] !== level) i--;
      this.sorted.copyWithin(i, i + 1, this.size);
      this.size = last;
    }
    this.lvHead[level] = this.lvFree;
    this.lvFree = level;
  }

  /** Whether price `a` is better than price `b` on this side. */
  private better(a: number, b: number): boolean {
    return this.isBid ? a > b : a < b;
  }

  private growLevels(): void {
    const n = this.lvPrice.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.lvPrice = grow(this.lvPrice, new Int32Array(n));
    this.lvHead = grow(this.lvHead, new Int32Array(n));
    this.lvTail = grow(this.lvTail, new Int32Array(n));
    this.lvQty = grow(this.lvQty, new Float64Array(n));
    this.lvCount = grow(this.lvCount, new Int32Array(n));
  }
}
