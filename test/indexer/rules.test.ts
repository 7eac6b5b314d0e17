import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { regulatorSession } from "./helpers";
import { readIndexerEnv, rulesConfig } from "../../indexer/config";
import { deploymentOf, rebuildDerived } from "../../indexer/indexing/apply";
import {
  DEFAULT_RULES,
  concentration,
  deviationBps,
  largeTrade,
  priceSpike,
  recentlyTrusted,
  washTrade,
  type TradeFacts,
} from "../../indexer/indexing/supervision/rules";
import { gapBps } from "../../indexer/graphql/resolvers/supervision";
import { rollbackTo } from "../../indexer/store/versioned";
import { dump } from "./helpers";
import { startPostgres } from "./postgres";
import { HEAT, VERIFIER_B, supervisionScenario } from "./scenario";
import { FUND, POWER, STEEL, VERIFIER, World, log } from "./world";

const trade = (over: Partial<TradeFacts> = {}): TradeFacts => ({
  tradeId: 7n,
  product: "TJEA14",
  buyer: "0xb",
  seller: "0xs",
  buyerEntity: 1n,
  sellerEntity: 2n,
  quantity: 100n,
  price: 3_000n,
  timestamp: 10_000n,
  ...over,
});

describe("supervision rules (pure)", function () {
  const cfg = DEFAULT_RULES;

  it("wash trade: the same entity on both sides, or a round trip within the window (inclusive)", function () {
    expect(washTrade(trade({ sellerEntity: 1n }), undefined, cfg)?.details.kind).to.equal("same_entity");
    expect(washTrade(trade(), undefined, cfg)).to.equal(undefined);
    expect(washTrade(trade({ buyerEntity: null, sellerEntity: null }), undefined, cfg)).to.equal(undefined);
    const back = (seconds: bigint) => washTrade(trade(), { tradeId: 3n, timestamp: 10_000n - seconds }, cfg);
    expect(back(3_600n)?.details).to.include({ kind: "round_trip", seconds: 3_600n, earlierTradeId: 3n });
    expect(back(3_601n)).to.equal(undefined);
    expect(washTrade(trade({ sellerEntity: 1n }), { tradeId: 3n, timestamp: 10_000n }, cfg)?.severity).to.equal(
      "critical",
    );
  });

  it("price spike: strictly more than the threshold from the previous close, none without one", function () {
    expect(deviationBps(3_300n, 3_000n)).to.equal(1_000n);
    expect(priceSpike(trade({ price: 3_300n }), 3_000n, cfg)).to.equal(undefined);
    expect(priceSpike(trade({ price: 3_301n }), 3_000n, cfg)?.details).to.include({ deviationBps: 1_003n });
    expect(priceSpike(trade({ price: 2_699n }), 3_000n, cfg)?.message).to.match(/below the previous close/);
    expect(priceSpike(trade({ price: 3_700n }), 3_000n, cfg)?.severity).to.equal("critical");
    expect(priceSpike(trade({ price: 9_000n }), null, cfg)).to.equal(undefined);
  });

  it("large trade: at least the quantity or at least the notional", function () {
    expect(largeTrade(trade({ quantity: 99_999n, price: 1n }), cfg)).to.equal(undefined);
    expect(largeTrade(trade({ quantity: 100_000n, price: 1n }), cfg)?.details).to.include({ byQuantity: true });
    const byNotional = largeTrade(trade({ quantity: 1_000n, price: 1_000_000n }), cfg);
    expect(byNotional?.details).to.include({ byNotional: true, byQuantity: false, notional: 1_000_000_000n });
    expect(largeTrade(trade({ quantity: 1_000n, price: 999_999n }), cfg)).to.equal(undefined);
  });

  it("concentration: above the share, once per crossing", function () {
    expect(concentration("0xa", "TJEA14", 200n, 1_000n, false, cfg)).to.deep.equal({ above: false });
    const up = concentration("0xa", "TJEA14", 201n, 1_000n, false, cfg);
    expect(up.above).to.equal(true);
    expect(up.finding?.details).to.include({ shareBps: 2_010n });
    expect(concentration("0xa", "TJEA14", 900n, 1_000n, true, cfg)).to.deep.equal({ above: true });
    expect(concentration("0xa", "TJEA14", 5n, 0n, false, cfg)).to.deep.equal({ above: false });
  });

  it("recently trusted: less than the window after the account was trusted", function () {
    const t = { from: "0xa", to: "0xb", product: "TJEA14", amount: 5n, timestamp: 1_000_000n };
    const added = (ago: number) => ({ addedAt: 1_000_000n - BigInt(ago), activeFrom: 0n });
    expect(recentlyTrusted(t, added(7 * 86_400 - 1), cfg)?.details).to.include({ secondsSinceTrusted: 604_799n });
    expect(recentlyTrusted(t, added(7 * 86_400), cfg)).to.equal(undefined);
    expect(recentlyTrusted(t, undefined, cfg)).to.equal(undefined);
  });

  it("reads the thresholds from the environment, with their defaults", function () {
    expect(rulesConfig(readIndexerEnv({}))).to.deep.equal(DEFAULT_RULES);
    const env = readIndexerEnv({
      ETS_MARKET_UTC_OFFSET_MINUTES: "-300",
      ETS_SUPERVISION_WASH_WINDOW_S: "600",
      ETS_SUPERVISION_CONCENTRATION_BPS: "1500",
      ETS_SUPERVISION_PRICE_SPIKE_BPS: "500",
      ETS_SUPERVISION_LARGE_TRADE_T: "5000",
      ETS_SUPERVISION_LARGE_TRADE_FEN: "20000000",
      ETS_SUPERVISION_TRUST_WINDOW_S: "86400",
    });
    expect(rulesConfig(env)).to.deep.equal({
      washWindowSeconds: 600,
      concentrationBps: 1_500,
      priceSpikeBps: 500,
      largeTradeQuantity: 5_000n,
      largeTradeNotional: 20_000_000n,
      trustWindowSeconds: 86_400,
      utcOffsetMinutes: -300,
    });
    expect(() => readIndexerEnv({ ETS_SUPERVISION_CONCENTRATION_BPS: "20%" })).to.throw(
      /ETS_SUPERVISION_CONCENTRATION_BPS/,
    );
    expect(() => readIndexerEnv({ ETS_MARKET_UTC_OFFSET_MINUTES: "900" })).to.throw(/ETS_MARKET_UTC_OFFSET_MINUTES/);
  });

  it("verifier gaps in basis points, rounded half up", function () {
    expect(gapBps(150_000n, 151_000n)).to.equal(67n);
    expect(gapBps(20_000n, 19_999n)).to.equal(1n); // 0.5 bps → 1
    expect(gapBps(20_000n, 20_000n)).to.equal(0n);
    expect(gapBps(0n, 5n)).to.equal(10_000n);
  });
});

describe("supervision rules at ingest", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let url: string;
  let auth: { authorization: string };
  let scenario: Awaited<ReturnType<typeof supervisionScenario>>;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-supervision-"));
    world = await World.start();
    scenario = await supervisionScenario(world);
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
      sync: { maxRange: 7 },
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

  it("raises each rule where it applies and nowhere else", async function () {
    const rows = await idx.store.db
      .selectFrom("alerts")
      .select(["rule", "subject", "severity", "entity_id", "block_number"])
      .orderBy("block_number")
      .orderBy("log_index")
      .execute();
    const got = rows.map((r) => `${r.rule} ${r.subject} ${r.severity} ${r.entity_id}`);
    const steelTransfer = rows.find((r) => r.rule === "recently_trusted")!.subject;
    expect(got).to.deep.equal([
      `concentration holding:${addr(world.steel)}:AllowanceToken:2014 warning ${STEEL}`,
      `concentration holding:${addr(world.power)}:AllowanceToken:2014 warning ${POWER}`,
      `recently_trusted ${steelTransfer} warning ${STEEL}`,
      `wash_trade trade:3 critical ${STEEL}`,
      `wash_trade trade:4 warning ${POWER}`,
      `price_spike trade:6 warning ${FUND}`,
      `large_trade trade:8 info ${FUND}`,
      `late_report report:${HEAT}:2014 critical ${HEAT}`,
      `late_report report:${HEAT}:2014:1 warning ${HEAT}`,
    ]);
    const m = scenario.marks;
    expect(Number(rows[0]!.block_number)).to.equal(m.allocated);
    expect(Number(rows[2]!.block_number)).to.be.within(m.allocated + 1, m.transfers);
    expect(Number(rows[7]!.block_number)).to.equal(m.deadline);
    // The trusted transfer went to the fund 26 h after steel trusted it.
    const trusted = await idx.store.db
      .selectFrom("alerts")
      .selectAll()
      .where("rule", "=", "recently_trusted")
      .execute();
    expect(trusted[0]!.account).to.equal(addr(world.steel));
    expect(trusted[0]!.message).to.include(addr(world.fund));
    const details = JSON.parse(trusted[0]!.details);
    expect(Number(details.secondsSinceTrusted)).to.be.within(26 * 3600, 27 * 3600);
  });

  it("gives the figures behind an alert in its details", async function () {
    const spike = await idx.store.db.selectFrom("alerts").selectAll().where("rule", "=", "price_spike").execute();
    // Day 1's close: (100 × 3,000 + 200 × 3,101 + 50 × 3,050 + 100 × 3,000 + 100 × 3,000) / 550 = 3,041.27 → 3,041.
    expect(JSON.parse(spike[0]!.details)).to.deep.equal({
      tradeId: "6",
      price: "3400",
      previousClose: "3041",
      deviationBps: "1180",
      thresholdBps: 1000,
    });
    expect(spike[0]!.message).to.equal(
      "Trade 6 in TJEA14 at 3,400 fen is 11.80 % above the previous close of 3,041 fen.",
    );
    const missing = await idx.store.db.selectFrom("alerts").selectAll().where("log_index", "=", -1n).execute();
    expect(JSON.parse(missing[0]!.details)).to.include({ kind: "missing", deadline: scenario.deadline.toString() });
    expect(missing[0]!.tx_hash).to.equal(null);
  });

  it("lists alerts over GraphQL with filters and pages", async function () {
    const q = `query($where: AlertWhere, $first: Int, $after: String, $dir: OrderDirection) {
      alerts(where: $where, first: $first, after: $after, orderDirection: $dir) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { id rule subject severity entityId account product token tokenId block logIndex message details } }
      } }`;
    const all = await data(q, { first: 1000, dir: "asc" });
    expect(all.alerts.totalCount).to.equal(9);
    const ids = all.alerts.edges.map((e: any) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await data(q, { first: 2, after, dir: "asc" })).alerts;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).to.deep.equal(ids);
    const desc = await data(q, { first: 1000 });
    expect(desc.alerts.edges.map((e: any) => e.node.id)).to.deep.equal([...ids].reverse());

    const wash = await data(q, { where: { rule: "wash_trade" } });
    expect(wash.alerts.edges.map((e: any) => e.node.subject)).to.deep.equal(["trade:4", "trade:3"]);
    const two = await data(q, { where: { rule_in: ["large_trade", "price_spike"] } });
    expect(two.alerts.totalCount).to.equal(2);
    const critical = await data(q, { where: { severity: "CRITICAL" } });
    expect(critical.alerts.edges.map((e: any) => e.node.rule).sort()).to.deep.equal(["late_report", "wash_trade"]);
    const heat = await data(q, { where: { entity: HEAT.toString() } });
    expect(heat.alerts.totalCount).to.equal(2);
    const steel = await data(q, { where: { account: world.steel.address } });
    expect(steel.alerts.totalCount).to.equal(3);
    const m = scenario.marks;
    const between = await data(q, { where: { block_gt: m.deposited, block_lt: m.day2 + 1 } });
    expect(between.alerts.totalCount).to.equal(4);
    const node = wash.alerts.edges[1].node;
    expect(node).to.include({ severity: "CRITICAL", product: "TJEA14", token: "ALLOWANCE", tokenId: "2014" });
    expect(JSON.parse(node.details).kind).to.equal("same_entity");

    const bad = await gql(`{ alerts(where: { rule: "spoofing" }) { totalCount } }`);
    expect(bad.errors[0].extensions.code).to.equal("UNKNOWN_ALERT_RULE");
    const badCursor = await gql(`{ alerts(after: "nope") { totalCount } }`);
    expect(badCursor.errors[0].extensions.code).to.equal("INVALID_CURSOR");
  });

  it("shows each verifier's record for a year", async function () {
    const d = await data(`{ verifiers(year: 2014) {
      verifierEntityId name reportsAttested meanGap meanGapBps largestGap largestGapBps returned approved late adverse qualified } }`);
    expect(d.verifiers).to.deep.equal([
      {
        verifierEntityId: VERIFIER.toString(),
        name: "Verifier A",
        reportsAttested: 2,
        // steel 150,000 → 151,000 (1,000; 66.7 → 67 bps), heat 90,000 → 90,500 (500; 55.6 → 56 bps)
        meanGap: "750",
        meanGapBps: 62,
        largestGap: "1000",
        largestGapBps: 67,
        returned: 0,
        approved: 1,
        late: 1,
        adverse: 0,
        qualified: 1,
      },
      {
        verifierEntityId: VERIFIER_B.toString(),
        name: "Verifier B",
        reportsAttested: 1,
        // power 310,000 → 280,000: 30,000, 967.7 → 968 bps
        meanGap: "30000",
        meanGapBps: 968,
        largestGap: "30000",
        largestGapBps: 968,
        returned: 1,
        approved: 0,
        late: 0,
        adverse: 1,
        qualified: 0,
      },
    ]);
    expect((await data(`{ verifiers(year: 2015) { verifierEntityId } }`)).verifiers).to.deep.equal([]);
  });

  it("derives the same alerts whatever the step ranges, after a rebuild and after a rollback", async function () {
    const synced = await dump(idx.store);
    // Another index of the same chain in one step.
    const other = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "other.sqlite") },
      log,
    });
    try {
      await other.syncer.syncToHead();
      const whole = await dump(other.store);
      expect(whole.alerts).to.deep.equal(synced.alerts);
      expect(whole.market_days).to.deep.equal(synced.market_days);
      expect(whole).to.deep.equal(synced);
    } finally {
      await other.close();
    }
    // Rebuild from the events table.
    await rebuildDerived(idx.store.db, deploymentOf(world.manifest));
    expect(await dump(idx.store)).to.deep.equal(synced);
    // Roll back into the middle of the trading days (as a reorg would) and index again.
    const to = scenario.marks.day1!;
    await idx.store.db.transaction().execute(async (trx) => {
      await rollbackTo(trx, BigInt(to));
      const block = await world.provider.getBlock(to);
      await trx
        .updateTable("cursor")
        .set({ block_number: BigInt(to), block_hash: block!.hash! })
        .execute();
    });
    const cut = await idx.store.db.selectFrom("alerts").select("rule").execute();
    expect(cut.map((r) => r.rule)).to.not.include("price_spike");
    await idx.syncer.syncToHead();
    const again = await dump(idx.store);
    expect(again.alerts).to.deep.equal(synced.alerts);
    expect(again).to.deep.equal({ ...synced, cursor: again.cursor });
  });

  it("derives the same market data and alerts into PostgreSQL as into SQLite", async function () {
    const pg = await startPostgres();
    if (!pg) {
      // eslint-disable-next-line no-console
      console.log("      PostgreSQL is not installed (apt-get install -y postgresql): skipped");
      this.skip();
    }
    const other = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { databaseUrl: await pg.createDatabase(`ets_supervision_${Date.now()}`) },
      log,
      sync: { maxRange: 5 },
    });
    try {
      await other.syncer.syncToHead();
      const [a, b] = [await dump(idx.store), await dump(other.store)];
      expect(b.alerts).to.deep.equal(a.alerts);
      expect(b.market_days).to.deep.equal(a.market_days);
      expect(b.attestations).to.deep.equal(a.attestations);
      expect(b).to.deep.equal(a);
    } finally {
      await other.close();
      pg.stop();
    }
  });

  it("follows the configured thresholds", async function () {
    const deployment = deploymentOf(world.manifest);
    try {
      await rebuildDerived(idx.store.db, deployment, {
        ...DEFAULT_RULES,
        concentrationBps: 6_000,
        priceSpikeBps: 2_000,
        largeTradeQuantity: 100_001n,
        washWindowSeconds: 3 * 3600,
        trustWindowSeconds: 3600,
      });
      const rules = (await idx.store.db.selectFrom("alerts").select(["rule", "subject"]).execute()).map(
        (r) => `${r.rule} ${r.subject}`,
      );
      // Trade 5 is now a round trip (2 h after trade 4 went the other way); the rest are below their thresholds.
      expect(rules.sort()).to.deep.equal(
        [
          "wash_trade trade:3",
          "wash_trade trade:4",
          "wash_trade trade:5",
          `late_report report:${HEAT}:2014`,
          `late_report report:${HEAT}:2014:1`,
        ].sort(),
      );
    } finally {
      await rebuildDerived(idx.store.db, deployment);
    }
  });
});
