import { expect } from "chai";
import { MatchingEngine, type EngineListener } from "../../../server/engine/engine";
import { vwap } from "../../../server/engine/market-data";
import {
  DoneReason,
  OrderType,
  SelfTradePrevention,
  Side,
  TimeInForce,
  type NewOrder,
} from "../../../server/engine/types";
import { band } from "../../../server/engine/validation";

interface Trade {
  product: number;
  taker: number;
  maker: number;
  price: number;
  quantity: number;
}

function setup(referencePrice = 3000, stp = SelfTradePrevention.None) {
  const trades: Trade[] = [];
  const done: { id: number; reason: DoneReason; remaining: number }[] = [];
  const blocks: { buy: number; sell: number; price: number; quantity: number }[] = [];
  const listener: EngineListener = {
    onTrade: (product, taker, maker, price, quantity) => trades.push({ product, taker, maker, price, quantity }),
    onDone: (_p, id, reason, remaining) => done.push({ id, reason, remaining }),
    onRested: () => undefined,
    onBlockDeal: (_p, buy, sell, price, quantity) => blocks.push({ buy, sell, price, quantity }),
  };
  const engine = new MatchingEngine(listener);
  const p = engine.addProduct({ name: "TJEA14", referencePrice, selfTradePrevention: stp });
  return { engine, p, trades, done, blocks };
}

const order = (o: Partial<NewOrder>): NewOrder => ({
  id: 1,
  trader: 1,
  side: Side.Buy,
  type: OrderType.Limit,
  tif: TimeInForce.GTC,
  price: 3000,
  quantity: 10,
  expiry: 0,
  ...o,
});

describe("MatchingEngine", function () {
  describe("when an order breaks the product's rules", function () {
    const cases: [string, Partial<NewOrder>, string][] = [
      ["a fractional quantity", { quantity: 1.5 }, "ORDER_QUANTITY_INVALID"],
      ["a zero quantity", { quantity: 0 }, "ORDER_QUANTITY_INVALID"],
      ["a negative quantity", { quantity: -5 }, "ORDER_QUANTITY_INVALID"],
      ["an oversized quantity", { quantity: 10_000_001 }, "ORDER_QUANTITY_TOO_LARGE"],
      ["a price that is not whole fen", { price: 3000.5 }, "ORDER_PRICE_INVALID"],
      ["a zero price", { price: 0 }, "ORDER_PRICE_INVALID"],
      ["a price above the band (+10 %)", { price: 3301 }, "ORDER_PRICE_OUTSIDE_BAND"],
      ["a price below the band (−10 %)", { price: 2699 }, "ORDER_PRICE_OUTSIDE_BAND"],
      ["an expired order", { expiry: 100 }, "ORDER_EXPIRED"],
      [
        "a market order that would rest",
        { type: OrderType.Market, tif: TimeInForce.GTC },
        "ORDER_TIME_IN_FORCE_INVALID",
      ],
      ["an unsafe id", { id: 2 ** 53 }, "ORDER_ID_INVALID"],
      ["an unknown side", { side: 7 as Side }, "ORDER_SIDE_INVALID"],
    ];
    for (const [what, o, code] of cases) {
      it(`rejects ${what} with ${code} and leaves the book untouched`, function () {
        const { engine, p, trades } = setup();
        engine.submit(p, order({ id: 99, side: Side.Sell, price: 3000, quantity: 5 }), 200);
        expect(engine.submit(p, order(o), 200)).to.equal(code);
        expect(engine.book(p).orderCount).to.equal(1);
        expect(trades).to.have.length(0);
      });
    }

    it("accepts prices exactly at the band edges", function () {
      const { engine, p } = setup();
      expect(band(3000, 1000)).to.deep.equal({ low: 2700, high: 3300 });
      expect(engine.submit(p, order({ id: 1, price: 3300, side: Side.Sell }), 0)).to.equal(undefined);
      expect(engine.submit(p, order({ id: 2, price: 2700 }), 0)).to.equal(undefined);
    });

    it("rejects a duplicate live order id", function () {
      const { engine, p } = setup();
      engine.submit(p, order({ id: 5 }), 0);
      expect(engine.submit(p, order({ id: 5, price: 2990 }), 0)).to.equal("ORDER_ID_DUPLICATE");
    });

    it("rejects a product off tick", function () {
      const trades: unknown[] = [];
      const engine = new MatchingEngine({
        onTrade: () => trades.push(1),
        onDone: () => undefined,
        onRested: () => undefined,
        onBlockDeal: () => undefined,
      });
      const p = engine.addProduct({ name: "X", referencePrice: 3000, rules: { tick: 5, lot: 10 } });
      expect(engine.submit(p, order({ price: 3002 }), 0)).to.equal("ORDER_PRICE_OFF_TICK");
      expect(engine.submit(p, order({ quantity: 15 }), 0)).to.equal("ORDER_QUANTITY_OFF_LOT");
    });
  });

  describe("when a product is halted", function () {
    it("refuses new orders and block deals but lets traders cancel", function () {
      const { engine, p } = setup();
      engine.submit(p, order({ id: 1 }), 0);
      engine.halt(p);
      expect(engine.submit(p, order({ id: 2 }), 0)).to.equal("PRODUCT_HALTED");
      expect(engine.blockDeal(p, 3, 1, 4, 2, 3000, 100_000)).to.equal("PRODUCT_HALTED");
      expect(engine.cancel(p, 1)).to.equal(true);
      engine.resume(p);
      expect(engine.submit(p, order({ id: 2 }), 0)).to.equal(undefined);
    });
  });

  describe("market orders", function () {
    it("trade only within the band, then drop the rest", function () {
      const { engine, p, trades, done } = setup();
      engine.submit(p, order({ id: 1, side: Side.Sell, price: 3100, quantity: 5 }), 0);
      engine.submit(p, order({ id: 2, side: Side.Sell, price: 3300, quantity: 5 }), 0);
      engine.submit(p, order({ id: 3, type: OrderType.Market, tif: TimeInForce.IOC, price: 0, quantity: 20 }), 0);
      expect(trades.map((t) => [t.maker, t.price, t.quantity])).to.deep.equal([
        [1, 3100, 5],
        [2, 3300, 5],
      ]);
      expect(done.at(-1)).to.deep.equal({ id: 3, reason: DoneReason.Unfilled, remaining: 10 });
    });
  });

  describe("expiry", function () {
    it("removes orders whose expiry passed before they can trade", function () {
      const { engine, p, trades, done } = setup();
      engine.submit(p, order({ id: 1, side: Side.Sell, expiry: 100 }), 50);
      engine.submit(p, order({ id: 2, tif: TimeInForce.IOC }), 100);
      expect(trades).to.have.length(0);
      expect(done[0]).to.deep.equal({ id: 1, reason: DoneReason.Expired, remaining: 10 });
    });
  });

  describe("self-trade prevention", function () {
    it("cancels the incoming order when configured so", function () {
      const { engine, p, trades, done } = setup(3000, SelfTradePrevention.CancelTaker);
      engine.submit(p, order({ id: 1, trader: 7, side: Side.Sell }), 0);
      engine.submit(p, order({ id: 2, trader: 7 }), 0);
      expect(trades).to.have.length(0);
      expect(done.at(-1)).to.deep.equal({ id: 2, reason: DoneReason.SelfTrade, remaining: 10 });
      expect(engine.book(p).remainingOf(1)).to.equal(10);
    });
  });

  describe("market data", function () {
    it("closes at the volume-weighted average of the day's continuous trades", function () {
      const { engine, p } = setup();
      engine.submit(p, order({ id: 1, side: Side.Sell, price: 3000, quantity: 10 }), 0);
      engine.submit(p, order({ id: 2, side: Side.Sell, price: 3100, quantity: 30 }), 0);
      engine.submit(p, order({ id: 3, price: 3100, quantity: 40, tif: TimeInForce.IOC }), 0);
      engine.blockDeal(p, 10, 1, 11, 2, 3500, 100_000);
      const bar = engine.bar(p);
      expect(bar).to.include({
        open: 3000,
        high: 3100,
        low: 3000,
        volume: 40,
        trades: 2,
        blockVolume: 100_000,
        previousClose: 3000,
      });
      expect(bar.close)
        .to.equal(vwap(3000 * 10 + 3100 * 30, 40))
        .and.to.equal(3075);
      const bars = engine.closeDay();
      expect(bars.get("TJEA14")?.close).to.equal(3075);
      // The close is the next day's reference: the band moves with it.
      expect(engine.submit(p, order({ id: 4, price: 3382 }), 0)).to.equal(undefined);
      expect(engine.submit(p, order({ id: 5, price: 3383 }), 0)).to.equal("ORDER_PRICE_OUTSIDE_BAND");
    });

    it("keeps the previous close when nothing traded", function () {
      const { engine } = setup(2400);
      expect(engine.closeDay().get("TJEA14")).to.include({ open: 2400, close: 2400, volume: 0 });
    });

    it("rounds the close half up to whole fen", function () {
      expect(vwap(3001 + 3002, 2)).to.equal(3002);
      expect(vwap(3001 * 2 + 3002, 3)).to.equal(3001);
    });
  });

  describe("block deals", function () {
    it("need at least 100,000 t, a price within ±30 %, and two different traders", function () {
      const { engine, p, blocks, trades } = setup();
      expect(engine.blockDeal(p, 1, 1, 2, 2, 3000, 99_999)).to.equal("BLOCK_DEAL_TOO_SMALL");
      expect(engine.blockDeal(p, 1, 1, 2, 2, 3901, 100_000)).to.equal("BLOCK_DEAL_PRICE_OUTSIDE_BAND");
      expect(engine.blockDeal(p, 1, 1, 2, 2, 2099, 100_000)).to.equal("BLOCK_DEAL_PRICE_OUTSIDE_BAND");
      expect(engine.blockDeal(p, 1, 1, 2, 1, 3000, 100_000)).to.equal("BLOCK_DEAL_SAME_TRADER");
      expect(blocks).to.have.length(0);
      expect(engine.blockDeal(p, 1, 1, 2, 2, 3900, 150_000)).to.equal(undefined);
      expect(blocks).to.deep.equal([{ buy: 1, sell: 2, price: 3900, quantity: 150_000 }]);
      expect(trades).to.have.length(0);
    });
  });

  describe("snapshots", function () {
    it("restore a book with the same orders in the same time priority", function () {
      const { engine, p } = setup();
      for (let i = 1; i <= 6; i++)
        engine.submit(
          p,
          order({
            id: i,
            trader: i,
            side: i % 2 ? Side.Buy : Side.Sell,
            price: i % 2 ? 2990 - i : 3010 + i,
            quantity: i,
          }),
          0,
        );
      const snap = engine.snapshot();
      const copy = setup();
      copy.engine.book(copy.p).restore(snap[0]!.orders);
      expect(copy.engine.book(copy.p).snapshot()).to.deep.equal(snap[0]!.orders);
      expect(copy.engine.depth(copy.p)).to.deep.equal(engine.depth(p));
    });
  });
});
