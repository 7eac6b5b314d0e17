import { expect } from "chai";
import fc from "fast-check";
import { OrderBook } from "../../../server/engine/order-book";
import { DoneReason, SelfTradePrevention, Side, TimeInForce, type BookListener } from "../../../server/engine/types";
import { ReferenceBook, type RefEvent } from "./reference-book";

type Cmd =
  | { t: "limit"; trader: number; side: Side; price: number; quantity: number; tif: TimeInForce }
  | { t: "market"; trader: number; side: Side; quantity: number; tif: TimeInForce }
  | { t: "cancel"; pick: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("limit" as const),
      trader: fc.integer({ min: 0, max: 3 }),
      side: fc.constantFrom(Side.Buy, Side.Sell),
      price: fc.integer({ min: 95, max: 105 }),
      quantity: fc.integer({ min: 1, max: 50 }),
      tif: fc.constantFrom(TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("market" as const),
      trader: fc.integer({ min: 0, max: 3 }),
      side: fc.constantFrom(Side.Buy, Side.Sell),
      quantity: fc.integer({ min: 1, max: 80 }),
      tif: fc.constantFrom(TimeInForce.IOC, TimeInForce.FOK),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("cancel" as const), pick: fc.nat() }) },
);

function recorder(events: RefEvent[]): BookListener {
  return {
    onTrade: (taker, maker, price, quantity) => events.push({ type: "trade", taker, maker, price, quantity }),
    onDone: (id, reason, remaining) => events.push({ type: "done", id, reason, remaining }),
    onRested: (id, price, remaining) => events.push({ type: "rested", id, price, remaining }),
  };
}

function replay(cmds: Cmd[], stp: SelfTradePrevention) {
  const events: RefEvent[] = [];
  const book = new OrderBook(recorder(events), stp);
  const ref = new ReferenceBook(stp);
  const filled = new Map<number, number>();
  const limits = new Map<number, { side: Side; price: number; quantity: number }>();
  let id = 0;
  for (const c of cmds) {
    if (c.t === "cancel") {
      const live = ref.orders.map((o) => o.id);
      const target = live.length > 0 ? live[c.pick % live.length]! : c.pick;
      expect(book.cancel(target)).to.equal(ref.cancel(target));
      continue;
    }
    id++;
    if (c.t === "limit") {
      limits.set(id, { side: c.side, price: c.price, quantity: c.quantity });
      book.limit(id, c.trader, c.side, c.price, c.quantity, c.tif, 0, 0);
      ref.limit(id, c.trader, c.side, c.price, c.quantity, c.tif);
    } else {
      const limit = c.side === Side.Buy ? Number.MAX_SAFE_INTEGER : 0;
      limits.set(id, { side: c.side, price: limit, quantity: c.quantity });
      book.market(id, c.trader, c.side, c.quantity, c.tif, c.side === Side.Buy ? Infinity : -Infinity, 0);
      ref.limit(id, c.trader, c.side, limit, c.quantity, c.tif);
    }
    // The book is never crossed.
    const bid = book.bestBid();
    const ask = book.bestAsk();
    if (bid !== undefined && ask !== undefined) expect(bid).to.be.lessThan(ask);
  }
  for (const e of events) {
    if (e.type !== "trade") continue;
    filled.set(e.taker, (filled.get(e.taker) ?? 0) + e.quantity);
    filled.set(e.maker, (filled.get(e.maker) ?? 0) + e.quantity);
  }
  return { events, ref, book, filled, limits };
}

describe("OrderBook (property)", function () {
  for (const [name, stp] of [
    ["without self-trade prevention", SelfTradePrevention.None],
    ["cancelling the taker on a self trade", SelfTradePrevention.CancelTaker],
    ["cancelling the maker on a self trade", SelfTradePrevention.CancelMaker],
  ] as const) {
    describe(name, function () {
      it("does exactly what a simple reference book does, event for event", function () {
        fc.assert(
          fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
            const { events, ref, book } = replay(cmds, stp);
            expect(events).to.deep.equal(ref.events);
            expect(book.orderCount).to.equal(ref.orders.length);
            expect(book.restingQuantity()).to.equal(ref.orders.reduce((a, o) => a + o.remaining, 0));
          }),
          { numRuns: 300 },
        );
      });

      it("never fills an order beyond its quantity or trades beyond its limit, and conserves quantity", function () {
        fc.assert(
          fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
            const { events, filled, limits, book } = replay(cmds, stp);
            for (const e of events) {
              if (e.type !== "trade") continue;
              const taker = limits.get(e.taker)!;
              if (taker.side === Side.Buy) expect(e.price).to.be.at.most(taker.price);
              else expect(e.price).to.be.at.least(taker.price);
              expect(e.taker).to.not.equal(e.maker);
            }
            // Σ fills of each order + what it ended or rests with = its quantity.
            const endRemaining = new Map<number, number>();
            for (const e of events) if (e.type === "done") endRemaining.set(e.id, e.remaining);
            for (const [id, o] of limits) {
              const left = endRemaining.has(id) ? endRemaining.get(id)! : book.remainingOf(id);
              expect((filled.get(id) ?? 0) + left, `order ${id}`).to.equal(o.quantity);
            }
            // Each order reaches exactly one end, or still rests.
            const ends = events.filter((e) => e.type === "done").map((e) => (e as { id: number }).id);
            expect(new Set(ends).size).to.equal(ends.length);
          }),
          { numRuns: 300 },
        );
      });
    });
  }

  it("reports a FOK that cannot fill completely without trading", function () {
    const events: RefEvent[] = [];
    const book = new OrderBook(recorder(events));
    book.limit(1, 1, Side.Sell, 100, 10, TimeInForce.GTC, 0, 0);
    book.limit(2, 2, Side.Buy, 100, 11, TimeInForce.FOK, 0, 0);
    expect(events.at(-1)).to.deep.equal({ type: "done", id: 2, reason: DoneReason.FokRejected, remaining: 11 });
    expect(book.remainingOf(1)).to.equal(10);
  });
});
