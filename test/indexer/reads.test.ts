import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { deploymentOf, rebuildDerived } from "../../indexer/indexing/apply";
import { dump, regulatorSession } from "./helpers";
import { startPostgres } from "./postgres";
import { FUND, HEAT, POWER, STEEL, VERIFIER, World, YEAR, log } from "./world";

const STATUS = ["NONE", "OPEN", "COMPLIANT", "SHORTFALL"];

describe("indexer registry and compliance reads", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let url: string;
  let auth: { authorization: string };
  /** The checkpoints of `activity` and of `reserveActivity`. */
  let marks: number[];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-reads-"));
    world = await World.start();
    await world.activity();
    await world.reserveActivity();
    marks = [...world.checkpoints];
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
      sync: { maxRange: 7, initialRange: 3 },
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

  /** Every node of a list, `first` at a time, following `endCursor`; checks totalCount and hasNextPage. */
  async function all(field: string, query: string, variables: Record<string, unknown> = {}): Promise<any[]> {
    const nodes: any[] = [];
    let after: string | null = null;
    let total = -1;
    for (let pages = 0; ; pages++) {
      const page: any = (await data(query, { ...variables, after }))[field];
      if (total >= 0) expect(page.totalCount).to.equal(total);
      total = page.totalCount;
      nodes.push(...page.edges.map((e: any) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      expect(page.edges.length).to.be.greaterThan(0);
      after = page.pageInfo.endCursor;
      expect(pages).to.be.lessThan(1000);
    }
    expect(nodes).to.have.length(total);
    return nodes;
  }

  const lower = (a: string) => a.toLowerCase();

  it("shows an auction's outcome and bids as ReserveSales says them", async function () {
    const c = world.read;
    const d = await data(`{ auction(id: "1") {
      id vintage product quantity reservePrice biddingEnds revealEnds state bidsCommitted bidsRevealed bidsForfeited
      bidsSettled escrow clearingPrice sold unsold marginalDemand marginalSupply paid refunded finalisedBlock
      bids { bidId bidder bidderEntityId escrow price quantity revealed settled forfeited won paid refund payee }
    } }`);
    const a = await c.sales.auction(1n);
    const au = d.auction;
    expect(au).to.deep.include({
      id: "1",
      vintage: YEAR,
      product: "TJEA14",
      quantity: a.quantity.toString(),
      reservePrice: a.reservePrice.toString(),
      biddingEnds: Number(a.biddingEnds),
      revealEnds: Number(a.revealEnds),
      state: "FINALISED",
      bidsCommitted: Number(a.bids),
      bidsRevealed: Number(a.revealed),
      bidsForfeited: 1,
      bidsSettled: 4,
      clearingPrice: a.clearingPrice.toString(),
      sold: a.sold.toString(),
      unsold: (a.quantity - a.sold).toString(),
      marginalDemand: a.marginalDemand.toString(),
      marginalSupply: a.marginalSupply.toString(),
    });
    // The world's auction: 6,000 t at 25.00, and 7,000 t at the 22.00 margin for 4,000 t left (1 t unsold).
    expect([au.clearingPrice, au.sold, au.unsold]).to.deep.equal(["2200", "9999", "1"]);
    expect(au.bids).to.have.length(4);
    let paid = 0n;
    let refunded = 0n;
    let escrow = 0n;
    for (const b of au.bids) {
      const onChain = await c.sales.bid(1n, BigInt(b.bidId));
      const [won, cost] = await c.sales.allocationOf(1n, BigInt(b.bidId));
      expect(b).to.deep.include({
        bidder: lower(onChain.bidder),
        escrow: onChain.escrow.toString(),
        revealed: onChain.revealed,
        settled: onChain.settled,
        forfeited: !onChain.revealed,
        won: won.toString(),
        paid: (onChain.revealed ? cost : onChain.escrow).toString(),
        refund: (onChain.revealed ? onChain.escrow - cost : 0n).toString(),
        payee: lower(onChain.bidder),
      });
      expect(b.price).to.equal(onChain.revealed ? onChain.price.toString() : null);
      paid += BigInt(b.paid);
      refunded += BigInt(b.refund);
      escrow += BigInt(b.escrow);
    }
    expect(au.bids.map((b: any) => b.bidderEntityId)).to.deep.equal([STEEL, POWER, STEEL, FUND].map(String));
    expect([au.paid, au.refunded, au.escrow]).to.deep.equal([paid, refunded, escrow].map(String));
    expect(paid + refunded).to.equal(escrow);
    // Every fen paid by the sales reached the treasury.
    const sale = (await data(`{ fixedSale(id: "1") { paid } }`)).fixedSale;
    expect((await c.cash.balanceOf(world.treasury.address)).toString()).to.equal((paid + BigInt(sale.paid)).toString());
  });

  it("lists auctions and fixed-price sales, and shows a sale with its purchases", async function () {
    const c = world.read;
    const list = await data(`{
      auctions(where: { vintage: ${YEAR}, state: FINALISED }) { totalCount edges { node { id } } }
      open: auctions(where: { state: BIDDING }) { totalCount }
      fixedSales(where: { closed: true }) { totalCount edges { node { id vintage quantity price opensAt closesAt
        maxPerBuyer sold unsold purchaseCount paid closed
        purchases { buyer buyerEntityId quantity paid block timestamp txHash } } } }
    }`);
    expect(list.auctions.totalCount).to.equal(1);
    expect(list.open.totalCount).to.equal(0);
    expect(list.fixedSales.totalCount).to.equal(1);
    const s = list.fixedSales.edges[0].node;
    const onChain = await c.sales.fixedSale(1n);
    expect(s).to.deep.include({
      id: "1",
      vintage: YEAR,
      quantity: onChain.quantity.toString(),
      price: onChain.price.toString(),
      opensAt: Number(onChain.opensAt),
      closesAt: Number(onChain.closesAt),
      maxPerBuyer: onChain.maxPerBuyer.toString(),
      sold: onChain.sold.toString(),
      unsold: (onChain.quantity - onChain.sold).toString(),
      purchaseCount: 3,
      paid: (onChain.sold * onChain.price).toString(),
      closed: onChain.closed,
    });
    expect(s.purchases.map((p: any) => [p.buyer, p.buyerEntityId, p.quantity])).to.deep.equal([
      [lower(world.fund.address), FUND.toString(), "1500"],
      [lower(world.power.address), POWER.toString(), "2000"],
      [lower(world.steel.address), STEEL.toString(), "500"],
    ]);
    for (const p of s.purchases) {
      expect(p.quantity).to.equal((await c.sales.boughtIn(1n, p.buyer)).toString());
      expect(p.paid).to.equal((BigInt(p.quantity) * onChain.price).toString());
    }
    expect((await data(`{ auction(id: "7") { id } fixedSale(id: "7") { id } }`)).auction).to.equal(null);
  });

  it("pages surrenders without gaps or duplicates; filters; totals equal Compliance.positionOf", async function () {
    const q = `query($after: String, $where: SurrenderWhere) { surrenders(first: 1, after: $after, where: $where) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id entityId year wallet kind tokenId product amount block timestamp txHash } }
    } }`;
    const rows = await all("surrenders", q);
    expect(rows).to.have.length(3);
    expect(new Set(rows.map((r) => r.id)).size).to.equal(3);
    // Newest first.
    const blocks = rows.map((r) => r.block);
    expect([...blocks].sort((a, b) => b - a)).to.deep.equal(blocks);
    for (const entity of [STEEL, POWER]) {
      const p = await world.read.compliance.positionOf(entity, YEAR);
      const mine = rows.filter((r) => r.entityId === entity.toString());
      const sum = (kind: string) => mine.filter((r) => r.kind === kind).reduce((s, r) => s + BigInt(r.amount), 0n);
      expect(sum("ALLOWANCE")).to.equal(p.allowancesSurrendered);
      expect(sum("CCER")).to.equal(p.offsetsSurrendered);
    }
    const ccer = await all("surrenders", q, { where: { kind: "CCER" } });
    expect(ccer.map((r) => [r.entityId, r.product, r.amount])).to.deep.equal([[STEEL.toString(), "CCER-1", "11000"]]);
    const asc = await data(`{ surrenders(orderDirection: asc, where: { entity_in: ["${POWER}"], year_in: [${YEAR}] }) {
      edges { node { entityId amount } } } }`);
    expect(asc.surrenders.edges.map((e: any) => e.node)).to.deep.equal([
      { entityId: POWER.toString(), amount: "250000" },
    ]);
    const none = await data(`{ surrenders(where: { entity_in: [] }) { totalCount } }`);
    expect(none.surrenders.totalCount).to.equal(0);
    const block = await world.provider.getBlock(rows[0].block);
    expect(rows[0].timestamp).to.equal(block!.timestamp);
  });

  it("lists cancellations and certificates; a certificate equals Compliance.certificate", async function () {
    const certs = await all(
      "certificates",
      `query($after: String) { certificates(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id holder entityId allowances offsets beneficiary purpose units { product amount } } } } }`,
    );
    expect(certs.map((x) => x.id)).to.deep.equal(["2", "1"]);
    for (const x of certs) {
      const onChain = await world.read.compliance.certificate(BigInt(x.id));
      expect(x).to.deep.include({
        holder: lower(onChain.holder),
        entityId: onChain.entityId.toString(),
        allowances: onChain.allowances.toString(),
        offsets: onChain.offsets.toString(),
        beneficiary: onChain.beneficiary,
        purpose: onChain.purpose,
      });
      const units = x.units.reduce((s: bigint, u: any) => s + BigInt(u.amount), 0n);
      expect(units).to.equal(onChain.allowances + onChain.offsets);
    }
    const one = (await data(`{ certificate(id: "1") { units { kind product amount } } }`)).certificate;
    expect(one.units).to.deep.equal([
      { kind: "ALLOWANCE", product: "TJEA14", amount: "100" },
      { kind: "CCER", product: "CCER-1", amount: "50" },
    ]);
    expect((await data(`{ certificate(id: "99") { id } }`)).certificate).to.equal(null);
    const byEntity = await data(`{ certificates(where: { entity: "${POWER}" }) { edges { node { id } } } }`);
    expect(byEntity.certificates.edges.map((e: any) => e.node.id)).to.deep.equal(["2"]);
    const cancellations = await all(
      "cancellations",
      `query($after: String, $where: CancellationWhere) { cancellations(first: 2, after: $after, where: $where) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { certificateId holder kind tokenId amount } } } }`,
    );
    expect(cancellations.map((x) => [x.certificateId, x.kind, x.amount])).to.deep.equal([
      ["2", "ALLOWANCE", "20"],
      ["1", "CCER", "50"],
      ["1", "ALLOWANCE", "100"],
    ]);
    const supply = await data(`{ supply(vintage: ${YEAR}) { cancelled } }`);
    const cancelled = cancellations.filter((x) => x.kind === "ALLOWANCE").reduce((s, x) => s + BigInt(x.amount), 0n);
    expect(supply.supply.cancelled).to.equal(cancelled.toString());
  });

  it("lists allocations by kind and entity, and CCER batches", async function () {
    const q = `query($after: String, $where: AllocationWhere) { allocations(first: 2, after: $after, where: $where, orderDirection: asc) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { kind year entityId wallet gross deducted amount newEntrant reason } } } }`;
    const every = await all("allocations", q);
    expect(every.map((a) => `${a.kind}:${a.entityId}:${a.amount}`)).to.deep.equal([
      `PLAN:${STEEL}:200000`,
      `PLAN:${POWER}:300000`,
      `RESERVE:${STEEL}:5000`,
      `RESERVE:${HEAT}:2000`,
    ]);
    const reserve = await all("allocations", q, { where: { kind_in: ["RESERVE", "CLAWBACK"] } });
    expect(reserve.map((a) => [a.entityId, a.newEntrant, a.reason])).to.deep.equal([
      [STEEL.toString(), false, "new furnace"],
      [HEAT.toString(), true, "new heat plant"],
    ]);
    for (const a of every.filter((x) => x.kind === "PLAN")) {
      const e = await world.read.allocation.entitlementOf(YEAR, BigInt(a.entityId));
      expect(a.amount).to.equal((e.gross - e.deducted).toString());
    }
    const batches = await data(`{ ccerBatches(where: { projectType_in: ["wind"], hydro: false }) { totalCount
      edges { node { id product to amount projectId projectType hydro originRef supply { minted surrendered cancelled circulating } } } } }`);
    expect(batches.ccerBatches.totalCount).to.equal(1);
    const b = batches.ccerBatches.edges[0].node;
    expect(b).to.deep.include({ id: "1", product: "CCER-1", to: lower(world.steel.address), amount: "20000" });
    expect(b.supply.minted).to.equal("20000");
    expect(b.supply.circulating).to.equal((20_000n - (await world.read.offsets.burned(1n))).toString());
    expect((await data(`{ ccerBatches(where: { hydro: true }) { totalCount } }`)).ccerBatches.totalCount).to.equal(0);
  });

  it("gives the supply of every vintage as the token counts it, at every checkpoint", async function () {
    const clearing = world.manifest.contracts.Clearing!;
    for (const block of [...marks, await world.provider.getBlockNumber()]) {
      const d = await data(
        `query($b: Int!) { supplies(block: { number: $b }) { tokenId product minted burned circulating inTradingAccounts pending surrendered cancelled clawedBack } }`,
        { b: block },
      );
      const issued = await world.read.allowances.issued(YEAR, { blockTag: block });
      if (issued === 0n) {
        expect(d.supplies).to.deep.equal([]);
        continue;
      }
      const burned = await world.read.allowances.burned(YEAR, { blockTag: block });
      expect(d.supplies).to.have.length(1);
      expect(d.supplies[0]).to.deep.include({
        tokenId: String(YEAR),
        minted: issued.toString(),
        burned: burned.toString(),
        circulating: (issued - burned).toString(),
        inTradingAccounts: (await world.read.allowances.balanceOf(clearing, YEAR, { blockTag: block })).toString(),
      });
      const s = d.supplies[0];
      expect(BigInt(s.surrendered) + BigInt(s.cancelled) + BigInt(s.clawedBack)).to.equal(burned);
    }
    const ccer = await data(`{ supplies(token: CCER) { product minted } }`);
    expect(ccer.supplies).to.deep.equal([{ product: "CCER-1", minted: "20000" }]);
  });

  it("shows an entity's page: reports with their history, verifications, allocations, surrenders, cancellations", async function () {
    const d = await data(`{
      steel: entity(id: "${STEEL}") {
        reports { year status version reportedTotal verifiedTotal verifierEntityId verifierName opinion obligation submittedLate
          history { status fromBlock toBlock } }
        allocations { kind amount } reserveIssues { amount reason } surrenders(year: ${YEAR}) { kind amount }
        certificates { id } cancellations { certificateId amount }
      }
      verifier: entity(id: "${VERIFIER}") { verifications(year: ${YEAR}) { entityId status verifiedTotal opinion } }
      heat: entity(id: "${HEAT}") { reports { year } reserveIssues { amount newEntrant } }
    }`);
    const s = d.steel;
    expect(s.reports).to.have.length(1);
    const r = s.reports[0];
    const onChain = await world.read.reporting.reportOf(STEEL, YEAR);
    expect(r).to.deep.include({
      year: YEAR,
      status: "APPROVED",
      reportedTotal: "150000",
      verifiedTotal: "151000",
      verifierEntityId: VERIFIER.toString(),
      verifierName: "Verifier A",
      opinion: "POSITIVE",
      obligation: (await world.read.compliance.positionOf(STEEL, YEAR)).obligation.toString(),
      submittedLate: false,
    });
    expect(r.version).to.equal(Number(onChain.versions));
    // Verifier assigned, submitted, verified, approved: each a version, each ending where the next begins.
    expect(r.history.map((h: any) => h.status)).to.deep.equal(["NONE", "SUBMITTED", "VERIFIED", "APPROVED"]);
    for (let i = 1; i < r.history.length; i++) expect(r.history[i - 1].toBlock).to.equal(r.history[i].fromBlock);
    expect(r.history[r.history.length - 1].toBlock).to.equal(null);
    expect(s.allocations.map((a: any) => `${a.kind}:${a.amount}`)).to.deep.equal(["PLAN:200000", "RESERVE:5000"]);
    expect(s.reserveIssues).to.deep.equal([{ amount: "5000", reason: "new furnace" }]);
    expect(s.surrenders).to.deep.equal([
      { kind: "ALLOWANCE", amount: "140000" },
      { kind: "CCER", amount: "11000" },
    ]);
    expect(s.certificates).to.deep.equal([{ id: "1" }]);
    expect(s.cancellations.map((x: any) => x.amount)).to.deep.equal(["100", "50"]);
    expect(d.verifier.verifications.map((v: any) => [v.entityId, v.status, v.verifiedTotal, v.opinion])).to.deep.equal([
      [STEEL.toString(), "APPROVED", "151000", "POSITIVE"],
      [POWER.toString(), "APPROVED", "310000", "QUALIFIED"],
    ]);
    expect(d.heat).to.deep.equal({ reports: [], reserveIssues: [{ amount: "2000", newEntrant: true }] });
    const buyer = await data(
      `{ entity(id: "${STEEL}") { auctionBids { auctionId bidId bidder won paid } fixedSalePurchases { buyer quantity paid } } }`,
    );
    const [won1] = await world.read.sales.allocationOf(1n, 1n);
    const [won3] = await world.read.sales.allocationOf(1n, 3n);
    expect(buyer.entity.auctionBids.map((b: any) => [b.bidId, b.bidder, b.won])).to.deep.equal([
      ["1", lower(world.steel.address), won1.toString()],
      ["3", lower(world.steel2.address), won3.toString()],
    ]);
    expect(buyer.entity.fixedSalePurchases).to.deep.equal([
      { buyer: lower(world.steel.address), quantity: "500", paid: "1200000" },
    ]);
  });

  const BOARD = `query($year: Int!, $block: BlockInput) { complianceBoard(year: $year, block: $block) { year block
    sectors { sector covered compliant inShortfall open notReported reported verified approved estimated obligation
      allowancesSurrendered offsetsSurrendered outstanding shortfall fines
      entities { totalCount edges { node { entityId name sector status reportStatus obligation allowancesSurrendered
        offsetsSurrendered surrendered outstanding shortfall fine } } } }
    total { sector covered compliant inShortfall open notReported reported verified approved estimated obligation
      allowancesSurrendered offsetsSurrendered outstanding shortfall fines entities(first: 1) { totalCount } } } }`;

  /** Every entity row of the board equals `Compliance.positionOf` at the block; sector sums equal their rows. */
  async function expectBoardEqualsChain(board: any, block: number): Promise<void> {
    for (const row of board.sectors) {
      const entities = row.entities.edges.map((e: any) => e.node);
      expect(entities).to.have.length(row.covered);
      let obligation = 0n;
      let allowances = 0n;
      let offsets = 0n;
      let shortfall = 0n;
      for (const e of entities) {
        expect(e.sector).to.equal(row.sector);
        const p = await world.read.compliance.positionOf(BigInt(e.entityId), YEAR, { blockTag: block });
        expect(e.status, `${e.entityId} at ${block}`).to.equal(STATUS[Number(p.status)]);
        expect(e.obligation).to.equal(p.obligationSet ? p.obligation.toString() : null);
        expect(e.allowancesSurrendered).to.equal(p.allowancesSurrendered.toString());
        expect(e.offsetsSurrendered).to.equal(p.offsetsSurrendered.toString());
        expect(e.shortfall).to.equal(p.shortfall.toString());
        obligation += p.obligation;
        allowances += p.allowancesSurrendered;
        offsets += p.offsetsSurrendered;
        shortfall += p.shortfall;
      }
      expect([row.obligation, row.allowancesSurrendered, row.offsetsSurrendered, row.shortfall]).to.deep.equal(
        [obligation, allowances, offsets, shortfall].map(String),
      );
    }
    const sum = (k: string) => board.sectors.reduce((s: bigint, r: any) => s + BigInt(r[k]), 0n).toString();
    for (const k of ["covered", "compliant", "inShortfall", "open", "notReported", "approved", "estimated"]) {
      expect(board.total[k], k).to.equal(Number(sum(k)));
    }
    for (const k of [
      "obligation",
      "allowancesSurrendered",
      "offsetsSurrendered",
      "outstanding",
      "shortfall",
      "fines",
    ]) {
      expect(board.total[k], k).to.equal(sum(k));
    }
    expect(board.total.entities.totalCount).to.equal(board.total.covered);
  }

  it("gives the compliance board of a year by sector, now and at a past block", async function () {
    const now = await world.provider.getBlockNumber();
    const board = (await data(BOARD, { year: YEAR })).complianceBoard;
    expect(board.block).to.equal(now);
    expect(
      board.sectors.map((r: any) => [r.sector, r.covered, r.compliant, r.open, r.notReported, r.approved]),
    ).to.deep.equal([
      ["STEEL", 1, 1, 0, 0, 1],
      ["POWER", 1, 0, 1, 0, 1],
      ["HEAT", 1, 0, 1, 1, 0],
    ]);
    const power = board.sectors[1];
    expect([power.obligation, power.allowancesSurrendered, power.outstanding]).to.deep.equal([
      "310000",
      "250000",
      "60000",
    ]);
    expect(board.total).to.deep.include({ covered: 3, compliant: 1, open: 2, inShortfall: 0, notReported: 1 });
    expect(board.total.outstanding).to.equal("60000");
    await expectBoardEqualsChain(board, now);
    const heat = board.sectors[2].entities.edges[0].node;
    expect(heat).to.deep.include({
      entityId: HEAT.toString(),
      name: "Binhai Heat",
      status: "OPEN",
      reportStatus: "NONE",
    });

    // After the allocation, before any report: both covered, nothing reported, no heat company yet.
    const early = (await data(BOARD, { year: YEAR, block: { number: marks[1] } })).complianceBoard;
    expect(early.block).to.equal(marks[1]);
    expect(early.sectors.map((r: any) => [r.sector, r.covered, r.open, r.notReported, r.obligation])).to.deep.equal([
      ["STEEL", 1, 1, 1, "0"],
      ["POWER", 1, 1, 1, "0"],
    ]);
    await expectBoardEqualsChain(early, marks[1]!);
    const before = (await data(BOARD, { year: YEAR, block: { number: marks[0] } })).complianceBoard;
    expect(before.sectors).to.deep.equal([]);
    expect(before.total.covered).to.equal(0);
    expect(before.total.obligation).to.equal("0");
    const other = (await data(BOARD, { year: 2099 })).complianceBoard;
    expect(other.sectors).to.deep.equal([]);
  });

  it("marks entity-level fields @restricted and leaves the public ones open", async function () {
    const { createIndexerYoga } = await import("../../indexer/graphql/yoga");
    const schema = createIndexerYoga({
      store: idx.store,
      log,
      status: () => ({ head: null, nodeReachable: true, headSeenAt: null, reorgs: 0, confirmations: 0 }),
    }).getEnveloped({}).schema;
    const restricted = (type: string, field: string) => {
      const def = (schema.getType(type) as any).getFields()[field];
      expect(def, `${type}.${field}`).to.not.equal(undefined);
      return (def.astNode.directives ?? []).some((d: any) => d.name.value === "restricted");
    };
    for (const f of ["surrenders", "cancellations", "allocations", "complianceBoard"]) {
      expect(restricted("Query", f), f).to.equal(true);
    }
    expect(restricted("Auction", "bids")).to.equal(true);
    expect(restricted("FixedSale", "purchases")).to.equal(true);
    for (const f of [
      "auctions",
      "auction",
      "fixedSales",
      "fixedSale",
      "certificates",
      "certificate",
      "ccerBatches",
      "supplies",
    ]) {
      expect(restricted("Query", f), f).to.equal(false);
    }
  });

  it("refuses a cursor of another list or a malformed one with INVALID_CURSOR", async function () {
    const foreign = Buffer.from('["transfers","1","x"]').toString("base64url");
    for (const field of [
      "surrenders",
      "cancellations",
      "certificates",
      "allocations",
      "ccerBatches",
      "auctions",
      "fixedSales",
    ]) {
      for (const after of [foreign, "not-a-cursor"]) {
        const body = await gql(`query($after: String) { ${field}(after: $after) { totalCount } }`, { after });
        expect(body.errors?.[0]?.extensions?.code, `${field} ${after}`).to.equal("INVALID_CURSOR");
      }
    }
    const board = await gql(
      `{ complianceBoard(year: ${YEAR}) { total { entities(after: "${foreign}") { totalCount } } } }`,
    );
    expect(board.errors?.[0]?.extensions?.code).to.equal("INVALID_CURSOR");
    const wallet = await gql(`{ surrenders(where: { wallet: "0x12" }) { totalCount } }`);
    expect(wallet.errors?.[0]?.extensions?.code).to.equal("INVALID_ARGUMENT");
    const far = await gql(`{ complianceBoard(year: ${YEAR}, block: { number: 99999999 }) { block } }`);
    expect(far.errors?.[0]?.extensions?.code).to.equal("BLOCK_BEYOND_INDEXED");
  });

  it("rebuilds the new tables from the events alone, row for row", async function () {
    const before = await dump(idx.store);
    for (const table of ["auctions", "auction_bids", "fixed_sales", "fixed_sale_purchases"]) {
      expect(before[table]!.length, table).to.be.greaterThan(0);
    }
    await rebuildDerived(idx.store.db, deploymentOf(world.manifest));
    expect(await dump(idx.store)).to.deep.equal(before);
  });

  it("rolls the reserve-sales tables back on a reorg, to what a fresh index of the new chain gives", async function () {
    const reg = world.as(world.regulator);
    const snapshot = await world.provider.send("evm_snapshot", []);
    const now = BigInt((await world.provider.getBlock("latest"))!.timestamp);
    await (await reg.sales.createFixedSale(YEAR, 100n, 2_000n, now, now + 3_600n, 0n)).wait();
    await (await world.as(world.fund).sales.buy(2n, 40n)).wait();
    await idx.syncer.syncToHead();
    expect((await data(`{ fixedSales { totalCount } fixedSale(id: "2") { sold } }`)).fixedSale.sold).to.equal("40");
    await world.provider.send("evm_revert", [snapshot]);
    await world.churn(3);
    const status = await idx.syncer.syncToHead();
    expect(status.reorgs).to.equal(1);
    expect((await data(`{ fixedSales { totalCount } fixedSale(id: "2") { sold } }`)).fixedSale).to.equal(null);
    const fresh = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "fresh.sqlite") },
      log,
    });
    try {
      await fresh.syncer.syncToHead();
      expect(await dump(idx.store)).to.deep.equal(await dump(fresh.store));
    } finally {
      await fresh.close();
    }
  });

  it("after the year's close: shortfalls on the board, and the board at a block before it unchanged", async function () {
    const beforeClose = await world.provider.getBlockNumber();
    const earlier = (await data(BOARD, { year: YEAR })).complianceBoard;
    await world.closeYear();
    await idx.syncer.syncToHead();
    const now = await world.provider.getBlockNumber();
    const board = (await data(BOARD, { year: YEAR })).complianceBoard;
    expect(board.sectors.map((r: any) => [r.sector, r.compliant, r.inShortfall, r.open, r.estimated])).to.deep.equal([
      ["STEEL", 1, 0, 0, 0],
      ["POWER", 0, 1, 0, 0],
      ["HEAT", 0, 1, 0, 1],
    ]);
    expect(board.total.shortfall).to.equal("62500");
    await expectBoardEqualsChain(board, now);
    const then = (await data(BOARD, { year: YEAR, block: { number: beforeClose } })).complianceBoard;
    expect({ ...then, block: 0 }).to.deep.equal({ ...earlier, block: 0 });
  });
  it("answers every read the same on PostgreSQL", async function () {
    const pg = await startPostgres();
    if (!pg) {
      // eslint-disable-next-line no-console
      console.log("      PostgreSQL is not installed (apt-get install -y postgresql): skipped");
      this.skip();
    }
    const other = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { databaseUrl: await pg!.createDatabase(`ets_reads_${Date.now()}`) },
      log,
    });
    try {
      await other.syncer.syncToHead();
      const otherUrl = `${await other.listen("127.0.0.1", 0)}/graphql`;
      const otherAuth = await regulatorSession(otherUrl, world.regulator);
      const ask = async (at: string, query: string, variables: Record<string, unknown>) => {
        const res = await fetch(at, {
          method: "POST",
          headers: { "content-type": "application/json", ...(at === otherUrl ? otherAuth : auth) },
          body: JSON.stringify({ query, variables }),
        });
        return res.json();
      };
      const LISTS = `query($after: String) {
        auctions { totalCount edges { node { id clearingPrice sold unsold bidsForfeited paid refunded
          bids { bidId bidderEntityId won paid refund forfeited } } } }
        fixedSales { edges { node { id sold unsold paid purchases { buyer buyerEntityId quantity paid timestamp } } } }
        surrenders(first: 2, after: $after) { totalCount pageInfo { endCursor hasNextPage } edges { cursor node { id entityId amount timestamp } } }
        cancellations(where: { kind: ALLOWANCE }) { edges { node { id certificateId amount } } }
        certificates(where: { id_gt: "1" }) { edges { node { id beneficiary units { amount } } } }
        allocations(where: { kind_in: [PLAN, RESERVE], year_in: [${YEAR}] }) { totalCount edges { node { id kind amount newEntrant } } }
        ccerBatches { edges { node { id supply { surrendered cancelled } } } }
        supplies { product minted burned surrendered cancelled clawedBack circulating inTradingAccounts pending }
        steel: entity(id: "${STEEL}") { reports { status history { status fromBlock toBlock } } allocations { amount }
          surrenders { amount } certificates { id } cancellations { amount } reserveIssues { amount } }
        verifier: entity(id: "${VERIFIER}") { verifications { entityId verifiedTotal } }
      }`;
      const cases: [string, Record<string, unknown>][] = [
        [LISTS, {}],
        [BOARD, { year: YEAR }],
        [BOARD, { year: YEAR, block: { number: marks[1] } }],
        [BOARD, { year: YEAR, block: { number: marks[marks.length - 1] } }],
        [`query($b: Int!) { supplies(block: { number: $b }) { product minted burned } }`, { b: marks[2] }],
      ];
      const first = await ask(url, LISTS, {});
      cases.push([LISTS, { after: first.data.surrenders.pageInfo.endCursor }]);
      for (const [query, variables] of cases) {
        const mine = await ask(url, query, variables);
        expect(mine.errors, JSON.stringify(mine.errors)).to.equal(undefined);
        expect(await ask(otherUrl, query, variables)).to.deep.equal(mine);
      }
    } finally {
      await other.close();
      pg!.stop();
    }
  });
});
