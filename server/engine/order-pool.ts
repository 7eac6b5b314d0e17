/**
 * Struct-of-arrays storage for resting orders: one slot per order, recycled through a free list,
 * so the hot path allocates nothing. Slot 0 is never used (0 means "none" in the links).
 */
export class OrderPool {
  id: Float64Array;
  trader: Int32Array;
  price: Int32Array;
  remaining: Float64Array;
  expiry: Float64Array;
  prev: Int32Array;
  next: Int32Array;
  /** The book-side level the order rests in. */
  level: Int32Array;
  /** 0 = bid, 1 = ask. */
  side: Uint8Array;
  private freeHead = 0;
  private top = 1;

  constructor(capacity = 1024) {
    this.id = new Float64Array(capacity);
    this.trader = new Int32Array(capacity);
    this.price = new Int32Array(capacity);
    this.remaining = new Float64Array(capacity);
    this.expiry = new Float64Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.level = new Int32Array(capacity);
    this.side = new Uint8Array(capacity);
  }

  alloc(id: number, trader: number, side: number, price: number, remaining: number, expiry: number): number {
    let slot = this.freeHead;
    if (slot !== 0) {
      this.freeHead = this.next[slot]!;
    } else {
      if (this.top === this.id.length) this.grow();
      slot = this.top++;
    }
    this.id[slot] = id;
    this.trader[slot] = trader;
    this.side[slot] = side;
    this.price[slot] = price;
    this.remaining[slot] = remaining;
    this.expiry[slot] = expiry;
    this.prev[slot] = 0;
    this.next[slot] = 0;
    return slot;
  }

  free(slot: number): void {
    this.remaining[slot] = 0;
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
  }

  private grow(): void {
    const n = this.id.length * 2;
    this.id = copy(new Float64Array(n), this.id);
    this.trader = copy(new Int32Array(n), this.trader);
    this.price = copy(new Int32Array(n), this.price);
    this.remaining = copy(new Float64Array(n), this.remaining);
    this.expiry = copy(new Float64Array(n), this.expiry);
    this.prev = copy(new Int32Array(n), this.prev);
    this.next = copy(new Int32Array(n), this.next);
    this.level = copy(new Int32Array(n), this.level);
    const side = new Uint8Array(n);
    side.set(this.side);
    this.side = side;
  }
}

function copy<T extends Float64Array | Int32Array>(to: T, from: T): T {
  to.set(from);
  return to;
}
