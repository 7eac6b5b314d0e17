import { expect } from "chai";
import fc from "fast-check";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { regulatorSession } from "./helpers";
import { applyEvents } from "../../indexer/indexing/apply";
import type { Deployment } from "../../indexer/indexing/context";
import { openStore, type Store } from "../../indexer/store/open";
import type { ChainEvent, ContractName } from "../../indexer/sync/decode";
import { dump } from "./helpers";
import { addTrade, barOf, dayStart, tradingDay, vwap, type Bar } from "../../indexer/indexing/market";
import { supervisionScenario } from "./scenario";
import { FUND, STEEL, World, log } from "./world";

describe("market arithmetic (pure)", function () {
  it("closes at the VWAP in fen, rounded half up", function () {
    expect(vwap(6_001n, 2n)).to.equal(3_001n); // 3,000.5 → 3,001
    expect(vwap(6_000n + 2n, 3n)).to.equal(2_001n); // 2,000.67 → 2,001
    expect(vwap(9_001n, 3n)).to.equal(3_000n); // 3,000.33 → 3,000
    expect(vwap(0n, 0n)).to.equal(0n);
  });

  it("places a block time in its trading day (UTC+8 by default, or any offset)", function () {
    const at = (iso: string) => BigInt(Date.parse(iso) / 1000);
    expect(tradingDay(at("2024-01-01T15:59:59Z"), 480)).to.equal("2024-01-01");
    expect(tradingDay(at("2024-01-01T16:00:00Z"), 480)).to.equal("2024-01-02");
    expect(tradingDay(at("2024-01-01T04:59:59Z"), -300)).to.equal("2023-12-31");
    expect(tradingDay(at("2024-01-01T00:00:00Z"), 0)).to.equal("2024-01-01");
    expect(dayStart("2024-01-02", 480)).to.equal(at("2024-01-01T16:00:00Z"));
    expect(dayStart("2024-02-30", 480)).to.equal(undefined);
    expect(dayStart("24-1-2", 480)).to.equal(undefined);
  });

  it("maintains a bar trade by trade equal to the bar recomputed from the trades (property)", function () {
    const fill = fc.record({
      price: fc.bigInt({ min: 1n, max: 10n ** 9n }),
      quantity: fc.bigInt({ min: 1n, max: 10n ** 9n }),
    });
    fc.assert(
      fc.property(fc.array(fill, { minLength: 1, maxLength: 60 }), (fills) => {
        let bar: Bar | undefined;
        for (const f of fills) bar = addTrade(bar, f);
        expect(bar).to.deep.equal(barOf(fills));
        const close = vwap(bar!.notional, bar!.volume);
        // Half up: |close × volume − notional| ≤ volume / 2, and the close lies within the day's range.
        const err = close * bar!.volume - bar!.notional;
        expect(2n * (err < 0n ? -err : err) <= bar!.volume).to.equal(true);
        expect(close >= bar!.low && close <= bar!.high).to.equal(true);
      }),
      { numRuns: 300 },
    );
  });

  it("splits trades into days at the zone's midnight whatever their order of arrival in days (property)", function () {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10 * 86_400 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -720, max: 840 }),
        (offsets, tz) => {
          const base = 1_700_000_000n;
          const times = offsets.map((o) => base + BigInt(o)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          for (const t of times) {
            const day = tradingDay(t, tz);
            const start = dayStart(day, tz)!;
            expect(t >= start && t < start + 86_400n).to.equal(true);
          }
        },
      ),
    );
  });
});

// ── synthetic Clearing events: the read model at ingest against its recomputation ────────────────

const CASH = "0x00000000000000000000000000000000000000c1";
const ALLOWANCE = "0x00000000000000000000000000000000000000a1";
const CLEARING = "0x00000000000000000000000000000000000000e1";
const TRADERS = [1, 2, 3, 4].map((i) => `0x${i.toString(16).padStart(40, "0")}`);
const NAMES: Record<string, ContractName> = {
  [CASH]: "CashToken",
  [ALLOWANCE]: "AllowanceToken",
  [CLEARING]: "Clearing",
};
const deployment: Deployment = {
  address: (name) => Object.entries(NAMES).find(([, n]) => n === name)?.[0],
  nameOf: (a) => NAMES[a.toLowerCase()],
};

interface SynthTrade {
  buyer: number;
  seller: number;
  quantity: bigint;
  price: bigint;
  /** Seconds after the previous trade (0: same block unless `newBlock`). */
  dt: number;
  newBlock: boolean;
}

function synthEvents(trades: SynthTrade[]): ChainEvent[] {
  const events: ChainEvent[] = [];
  let block = 10n;
  let time = 1_700_000_000n;
  let log = 0n;
  const push = (name: string, args: Record<string, string>) =>
    events.push({
      blockNumber: block,
      logIndex: log++,
      txHash: `0x${block.toString(16).padStart(64, "0")}`,
      txIndex: 0n,
      timestamp: time,
      contract: "Clearing",
      address: CLEARING,
      name,
      args,
    });
  for (const trader of TRADERS) {
    push("Deposited", { trader, token: CASH, tokenId: "0", amount: (10n ** 17n).toString() });
    push("Deposited", { trader, token: ALLOWANCE, tokenId: "2014", amount: (10n ** 12n).toString() });
  }
  trades.forEach((t, i) => {
    if (t.newBlock || t.dt > 0) {
      block++;
      log = 0n;
      time += BigInt(t.dt);
    }
    push("TradeSettled", {
      tradeId: String(i + 1),
      buyer: TRADERS[t.buyer]!,
      seller: TRADERS[t.seller]!,
      token: ALLOWANCE,
      tokenId: "2014",
      quantity: t.quantity.toString(),
      price: t.price.toString(),
      buyOrderHash: `0x${"b".repeat(64)}`,
      sellOrderHash: `0x${"5".repeat(64)}`,
      buyerFee: "0",
      sellerFee: "0",
    });
  });
  return events;
}

/** Applies the events in batches cut at the given block boundaries (as sync steps would). */
async function applyInBatches(store: Store, events: ChainEvent[], cuts: number[]): Promise<void> {
  const blocks = [...new Set(events.map((e) => e.blockNumber))];
  const edges = [...new Set(cuts.map((c) => blocks[c % blocks.length]!))].sort((a, b) => (a < b ? -1 : 1));
  let from = 0;
  for (const edge of [...edges, blocks[blocks.length - 1]! + 1n]) {
    const to = events.findIndex((e) => e.blockNumber >= edge);
    const end = to < 0 ? events.length : to;
    if (end > from)
      await store.db.transaction().execute((trx) => applyEvents(trx, deployment, events.slice(from, end)));
    from = end;
  }
}

async function expectBarsEqualRecomputation(store: Store): Promise<number> {
  const trades = await store.db.selectFrom("trades").selectAll().orderBy("block_number").orderBy("log_index").execute();
  const byDay = new Map<string, typeof trades>();
  for (const t of trades) {
    const d = tradingDay(t.timestamp, 480);
    byDay.set(d, [...(byDay.get(d) ?? []), t]);
  }
  const days = await store.db
    .selectFrom("market_days")
    .selectAll()
    .where("to_block", "is", null)
    .orderBy("day")
    .execute();
  expect(days.map((d) => d.day)).to.deep.equal([...byDay.keys()]);
  let prev: bigint | null = null;
  for (const d of days) {
    const bar = barOf(byDay.get(d.day)!)!;
    const { open, high, low, last, volume, notional, trade_count } = d;
    expect({ open, high, low, last, volume, notional, trade_count }).to.deep.equal(bar);
    expect(d.close).to.equal(vwap(bar.notional, bar.volume));
    expect(d.prev_close).to.equal(prev);
    prev = d.close;
  }
  const product = await store.db.selectFrom("market_products").selectAll().where("to_block", "is", null).execute();
  if (trades.length) {
    const lastTrade = trades[trades.length - 1]!;
    expect(product[0]).to.include({ last_price: lastTrade.price, last_trade_id: lastTrade.trade_id });
  }
  return days.length;
}

describe("market bars at ingest (synthetic Clearing events)", function () {
  this.timeout(120_000);

  it("equal their recomputation from the trades, however the events are cut into steps (property)", async function () {
    const trade = fc.record({
      buyer: fc.integer({ min: 0, max: 3 }),
      seller: fc.integer({ min: 0, max: 3 }),
      quantity: fc.bigInt({ min: 1n, max: 10_000n }),
      price: fc.bigInt({ min: 1_000n, max: 9_000n }),
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60_000 })),
      newBlock: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(trade, { minLength: 1, maxLength: 40 })
          .map((ts) => ts.map((t) => (t.buyer === t.seller ? { ...t, seller: (t.seller + 1) % 4 } : t))),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (trades, cuts) => {
          const events = synthEvents(trades);
          const one = await openStore({ sqliteFile: ":memory:" });
          const cut = await openStore({ sqliteFile: ":memory:" });
          try {
            await applyInBatches(one, events, []);
            await applyInBatches(cut, events, cuts);
            await expectBarsEqualRecomputation(cut);
            const [a, b] = [await dump(one), await dump(cut)];
            expect(b.market_days).to.deep.equal(a.market_days);
            expect(b.market_products).to.deep.equal(a.market_products);
            expect(b.alerts).to.deep.equal(a.alerts);
          } finally {
            await one.close();
            await cut.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("keeps up with 50,000 trades over 10 trading days in 100 blocks", async function () {
    const trades: SynthTrade[] = [];
    for (let i = 0; i < 50_000; i++) {
      const buyer = i % 4;
      trades.push({
        buyer,
        seller: (buyer + 1 + (i % 3)) % 4,
        quantity: BigInt(1 + ((i * 7919) % 500)),
        price: BigInt(2_900 + ((i * 104_729) % 300)),
        dt: i % 500 === 0 ? 8_640 : 0,
        newBlock: false,
      });
    }
    const store = await openStore({ sqliteFile: ":memory:" });
    try {
      const events = synthEvents(trades);
      const t0 = performance.now();
      await applyInBatches(store, events, [25, 50, 75]);
      const ms = performance.now() - t0;
      expect(await expectBarsEqualRecomputation(store)).to.equal(11);
      // Generous bound (2-core machine shared with others): a few seconds, not minutes.
      expect(ms).to.be.below(60_000);
    } finally {
      await store.close();
    }
  });
});

describe("market data and trades over GraphQL", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let url: string;
  let auth: { authorization: string };
  let scenario: Awaited<ReturnType<typeof supervisionScenario>>;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-market-"));
    world = await World.start();
    scenario = await supervisionScenario(world);
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
    });
    await idx.syncer.syncToHead();
    url = `${await idx.listen("127.0.0.1", 0)}/graphql`;
    auth = await regulatorSession(url, world.regulator);
  });

  after(async function () {
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables }),
    });
    return res.json();
  }
  async function data(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const body = await gql(query, variables);
    expect(body.errors, JSON.stringify(body.errors)).to.equal(undefined);
    return body.data;
  }
  const addr = (w: { address: string }) => w.address.toLowerCase();

  it("keeps each day's bar equal to the bar recomputed from that day's trades", async function () {
    const trades = await idx.store.db
      .selectFrom("trades")
      .selectAll()
      .orderBy("block_number")
      .orderBy("log_index")
      .execute();
    expect(trades.map((t) => t.trade_id)).to.deep.equal(scenario.trades.map((t) => t.id));
    const byDay = new Map<string, typeof trades>();
    for (const t of trades) {
      const d = tradingDay(t.timestamp, 480);
      byDay.set(d, [...(byDay.get(d) ?? []), t]);
    }
    const days = await idx.store.db
      .selectFrom("market_days")
      .selectAll()
      .where("to_block", "is", null)
      .orderBy("day")
      .execute();
    expect(days.map((d) => d.day)).to.deep.equal([...byDay.keys()]);
    expect(days).to.have.length(2);
    let prev: bigint | null = null;
    for (const d of days) {
      const list = byDay.get(d.day)!;
      const bar = barOf(list)!;
      expect({
        open: d.open,
        high: d.high,
        low: d.low,
        last: d.last,
        volume: d.volume,
        notional: d.notional,
        trade_count: d.trade_count,
      }).to.deep.equal(bar);
      expect(d.close).to.equal(vwap(bar.notional, bar.volume));
      expect(d.prev_close).to.equal(prev);
      expect(d.first_trade_id).to.equal(list[0]!.trade_id);
      expect(d.last_trade_id).to.equal(list[list.length - 1]!.trade_id);
      prev = d.close;
    }
  });

  it("answers marketData by product name or token, within a range of days", async function () {
    const q = `query($p: String, $t: Token, $id: BigInt, $from: String!, $to: String!) {
      marketData(product: $p, token: $t, tokenId: $id, from: $from, to: $to) {
        product token tokenId day open high low close last vwap volume notional tradeCount previousClose firstTradeId lastTradeId } }`;
    const first = await idx.store.db
      .selectFrom("trades")
      .select("timestamp")
      .orderBy("block_number")
      .executeTakeFirstOrThrow();
    const year = Number(tradingDay(first.timestamp, 480).slice(0, 4));
    const wide = { from: `${year}-01-01`, to: `${year + 1}-12-31` };
    const all = (await data(q, { p: "TJEA14", ...wide })).marketData;
    expect(all).to.have.length(2);
    const [d1, d2] = all;
    // Day 1: 100 × 3,000 + 200 × 3,101 + 50 × 3,050 + 100 × 3,000 + 100 × 3,000 = 1,672,700 fen for 550 t.
    expect(d1).to.deep.include({
      product: "TJEA14",
      token: "ALLOWANCE",
      tokenId: "2014",
      open: "3000",
      high: "3101",
      low: "3000",
      close: "3041",
      vwap: "3041",
      last: "3000",
      volume: "550",
      notional: "1672700",
      tradeCount: 5,
      previousClose: null,
      firstTradeId: "1",
      lastTradeId: "5",
    });
    // Day 2: 3,400, 3,200, then 100,000 t at 3,000: VWAP 300,660,000 / 100,200 = 3,000.6 → 3,001.
    expect(d2).to.deep.include({
      open: "3400",
      high: "3400",
      low: "3000",
      close: "3001",
      last: "3000",
      previousClose: "3041",
    });
    expect(d2.tradeCount).to.equal(3);
    const byToken = (await data(q, { t: "ALLOWANCE", id: "2014", from: d2.day, to: d2.day })).marketData;
    expect(byToken).to.deep.equal([d2]);
    expect((await data(q, { p: "tjea14", from: d1.day, to: d1.day })).marketData).to.deep.equal([d1]);
    expect((await data(q, { p: "TJEA15", ...wide })).marketData).to.deep.equal([]);

    const err = async (vars: Record<string, unknown>) => (await gql(q, vars)).errors[0].extensions.code;
    expect(await err({ p: "GOLD", from: "2024-01-01", to: "2024-01-02" })).to.equal("UNKNOWN_PRODUCT");
    expect(await err({ from: "2024-01-01", to: "2024-01-02" })).to.equal("UNKNOWN_PRODUCT");
    expect(await err({ p: "TJEA14", from: "2024-13-01", to: "2024-12-02" })).to.equal("INVALID_DATE_RANGE");
    expect(await err({ p: "TJEA14", from: "2024-01-02", to: "2024-01-01" })).to.equal("INVALID_DATE_RANGE");
    expect(await err({ p: "TJEA14", from: "2000-01-01", to: "2024-01-01" })).to.equal("INVALID_DATE_RANGE");
  });

  it("summarises a product: last price, previous close, the current trading day", async function () {
    const q = `query($p: String!) { market(product: $p) {
      product lastPrice lastTradeId lastTradeAt tradingDay previousClose today { day close tradeCount } } }`;
    const m = (await data(q, { p: "TJEA14" })).market;
    // The indexed chain ends 31 days after the last trade: no trade today, the previous close is day 2's.
    expect(m).to.deep.include({
      product: "TJEA14",
      lastPrice: "3000",
      lastTradeId: "8",
      previousClose: "3001",
      today: null,
    });
    const latest = await world.provider.getBlock(scenario.marks.late);
    expect(m.tradingDay).to.equal(tradingDay(BigInt(latest!.timestamp), 480));
    expect((await data(q, { p: "CCER-1" })).market).to.equal(null);
  });

  it("lists trades with both parties, their entities, fees and order hashes, by every filter", async function () {
    const q = `query($where: TradeWhere, $first: Int, $after: String, $dir: OrderDirection) {
      trades(where: $where, first: $first, after: $after, orderDirection: $dir) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id product token tokenId buyer seller buyerEntityId sellerEntityId quantity price notional
          buyOrderHash sellOrderHash buyerFee sellerFee block logIndex txHash timestamp day } } } }`;
    const ids = async (where: Record<string, unknown>, dir = "asc") =>
      (await data(q, { where, first: 100, dir })).trades.edges.map((e: any) => Number(e.node.id));
    const all = (await data(q, { first: 100 })).trades;
    expect(all.totalCount).to.equal(8);
    expect(all.edges.map((e: any) => Number(e.node.id))).to.deep.equal([8, 7, 6, 5, 4, 3, 2, 1]);
    const t3 = all.edges.find((e: any) => e.node.id === "3").node;
    expect(t3).to.include({
      product: "TJEA14",
      buyer: addr(world.steel),
      seller: addr(world.steel2),
      buyerEntityId: STEEL.toString(),
      sellerEntityId: STEEL.toString(),
      quantity: "50",
      price: "3050",
      notional: "152500",
    });
    expect(t3.buyOrderHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(t3.sellOrderHash).to.not.equal(t3.buyOrderHash);
    // Taker buyer 20 bps, maker seller 10 bps of 152,500 fen.
    expect([t3.buyerFee, t3.sellerFee]).to.deep.equal(["305", "152"]);

    expect(await ids({ product: "TJEA14" })).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await ids({ token: "ALLOWANCE", tokenId: "2014" })).to.have.length(8);
    expect(await ids({ product: "CCER-1" })).to.deep.equal([]);
    expect(await ids({ trader: world.fund.address })).to.deep.equal([1, 2, 4, 5, 6, 7, 8]);
    expect(await ids({ buyer: world.power.address })).to.deep.equal([4]);
    expect(await ids({ seller: world.fund.address })).to.deep.equal([4]);
    expect(await ids({ entity: STEEL.toString() })).to.deep.equal([3]);
    expect(await ids({ entity: FUND.toString() })).to.deep.equal([1, 2, 4, 5, 6, 7, 8]);
    const t6 = all.edges.find((e: any) => e.node.id === "6").node;
    expect(await ids({ day: t6.day })).to.deep.equal([6, 7, 8]);
    expect(await ids({ timestamp_gt: t6.timestamp - 1 })).to.deep.equal([6, 7, 8]);
    expect(await ids({ timestamp_lt: t6.timestamp })).to.deep.equal([1, 2, 3, 4, 5]);
    expect(await ids({ block_gt: t6.block, block_lt: t6.block + 2 })).to.deep.equal([7]);

    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await data(q, { first: 3, after })).trades;
      seen.push(...page.edges.map((e: any) => Number(e.node.id)));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).to.deep.equal([8, 7, 6, 5, 4, 3, 2, 1]);

    const one = await data(`{ trade(id: "6") { id price day buyerEntityId } missing: trade(id: "99") { id } }`);
    expect(one.trade).to.deep.equal({ id: "6", price: "3400", day: t6.day, buyerEntityId: FUND.toString() });
    expect(one.missing).to.equal(null);
    const bad = await gql(`{ trades(where: { day: "yesterday" }) { totalCount } }`);
    expect(bad.errors[0].extensions.code).to.equal("INVALID_DATE_RANGE");
    const tooMany = await gql(`{ trades(first: 1001) { totalCount } }`);
    expect(tooMany.errors[0].extensions.code).to.equal("INVALID_ARGUMENT");
  });
});
