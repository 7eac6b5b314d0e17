import { DoneReason, SelfTradePrevention, Side, TimeInForce } from "../../../server/engine/types";

/** A deliberately simple order book (arrays, linear scans) that the fast engine is checked against. */
export interface RefOrder {
  id: number;
  trader: number;
  side: Side;
  price: number;
  remaining: number;
  seq: number;
}

export type RefEvent =
  | { type: "trade"; taker: number; maker: number; price: number; quantity: number }
  | { type: "done"; id: number; reason: DoneReason; remaining: number }
  | { type: "rested"; id: number; price: number; remaining: number };

export class ReferenceBook {
  orders: RefOrder[] = [];
  events: RefEvent[] = [];
  private seq = 0;

  constructor(private readonly stp = SelfTradePrevention.None) {}

  private opposite(side: Side, limit: number, trader: number, skipSelf: boolean): RefOrder[] {
    return this.orders
      .filter((o) => o.side !== side && (side === Side.Buy ? o.price <= limit : o.price >= limit))
      .filter((o) => !skipSelf || o.trader !== trader)
      .sort((a, b) => (side === Side.Buy ? a.price - b.price : b.price - a.price) || a.seq - b.seq);
  }

  limit(id: number, trader: number, side: Side, price: number, quantity: number, tif: TimeInForce): void {
    if (tif === TimeInForce.FOK) {
      let avail = 0;
      for (const o of this.opposite(side, price, trader, false)) {
        if (this.stp !== SelfTradePrevention.None && o.trader === trader) {
          if (this.stp === SelfTradePrevention.CancelTaker) break;
          continue;
        }
        avail += o.remaining;
      }
      if (avail < quantity) {
        this.events.push({ type: "done", id, reason: DoneReason.FokRejected, remaining: quantity });
        return;
      }
    }
    let qty = quantity;
    for (const maker of this.opposite(side, price, trader, false)) {
      if (qty === 0) break;
      if (this.stp !== SelfTradePrevention.None && maker.trader === trader) {
        if (this.stp === SelfTradePrevention.CancelTaker) {
          this.events.push({ type: "done", id, reason: DoneReason.SelfTrade, remaining: qty });
          return;
        }
        this.orders = this.orders.filter((o) => o !== maker);
        this.events.push({ type: "done", id: maker.id, reason: DoneReason.SelfTrade, remaining: maker.remaining });
        continue;
      }
      const fill = Math.min(qty, maker.remaining);
      qty -= fill;
      maker.remaining -= fill;
      this.events.push({ type: "trade", taker: id, maker: maker.id, price: maker.price, quantity: fill });
      if (maker.remaining === 0) {
        this.orders = this.orders.filter((o) => o !== maker);
        this.events.push({ type: "done", id: maker.id, reason: DoneReason.Filled, remaining: 0 });
      }
    }
    if (qty === 0) this.events.push({ type: "done", id, reason: DoneReason.Filled, remaining: 0 });
    else if (tif === TimeInForce.GTC) {
      this.orders.push({ id, trader, side, price, remaining: qty, seq: this.seq++ });
      this.events.push({ type: "rested", id, price, remaining: qty });
    } else this.events.push({ type: "done", id, reason: DoneReason.Unfilled, remaining: qty });
  }

  cancel(id: number): boolean {
    const o = this.orders.find((x) => x.id === id);
    if (!o) return false;
    this.orders = this.orders.filter((x) => x !== o);
    this.events.push({ type: "done", id, reason: DoneReason.Cancelled, remaining: o.remaining });
    return true;
  }
}
