import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { regulatorSession } from "./helpers";
import { FUND, POWER, STEEL, World, YEAR, log } from "./world";

describe("indexer GraphQL over HTTP", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let url: string;
  let auth: { authorization: string };

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-graphql-"));
    world = await World.start();
    await world.activity();
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

  async function gql(query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: await res.json() };
  }

  async function data(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const r = await gql(query, variables);
    expect(r.body.errors, JSON.stringify(r.body.errors)).to.equal(undefined);
    return r.body.data;
  }

  it("serves GraphiQL at /graphql", async function () {
    const res = await fetch(url, { headers: { accept: "text/html" } });
    expect(res.status).to.equal(200);
    expect(await res.text()).to.match(/graphiql/i);
  });

  it("says how far the index has got", async function () {
    const d = await data("{ indexerStatus { head indexedBlock behind nodeReachable reorgs } }");
    const head = await world.provider.getBlockNumber();
    expect(d.indexerStatus).to.deep.equal({ head, indexedBlock: head, behind: 0, nodeReachable: true, reorgs: 0 });
  });

  it("lists entities with filters and cursor pagination", async function () {
    const q = `query($after: String, $where: EntityWhere) {
      entities(first: 2, after: $after, where: $where) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name category sector } }
      }
    }`;
    const page1 = (await data(q)).entities;
    expect(page1.totalCount).to.be.greaterThanOrEqual(5);
    expect(page1.edges).to.have.length(2);
    expect(page1.pageInfo.hasNextPage).to.equal(true);
    const seen: string[] = page1.edges.map((e: any) => e.node.id);
    let after = page1.pageInfo.endCursor;
    for (;;) {
      const page = (await data(q, { after })).entities;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).to.have.length(page1.totalCount);
    expect([...seen].sort((a, b) => Number(BigInt(a) - BigInt(b)))).to.deep.equal(seen);
    const covered = (await data(q, { where: { category: "COVERED_ENTITY" } })).entities;
    expect(covered.edges.map((e: any) => [e.node.id, e.node.sector])).to.deep.equal([
      [STEEL.toString(), "STEEL"],
      [POWER.toString(), "POWER"],
    ]);
  });

  it("finds entities by name, by an account's status and by their compliance in a year", async function () {
    const ids = async (where: Record<string, unknown>) =>
      (
        await data(`query($w: EntityWhere) { entities(where: $w) { edges { node { id } } } }`, { w: where })
      ).entities.edges.map((e: any) => e.node.id);
    expect(await ids({ name_contains: "steel" })).to.deep.equal([STEEL.toString()]);
    expect(await ids({ name_contains: "BOHAI" })).to.deep.equal([POWER.toString(), FUND.toString()]);
    expect(await ids({ name_contains: "%" })).to.deep.equal([]);
    expect(await ids({ name_contains: "_" })).to.deep.equal([]);
    // The fund's account was frozen and unfrozen: no entity has a frozen account now.
    expect(await ids({ accountStatus: "FROZEN" })).to.deep.equal([]);
    expect(await ids({ accountStatus: "ACTIVE", category: "COVERED_ENTITY" })).to.deep.equal([
      STEEL.toString(),
      POWER.toString(),
    ]);
    // Steel surrendered its whole obligation; power has not yet.
    const [steel, power] = await Promise.all([STEEL, POWER].map((e) => world.read.compliance.positionOf(e, YEAR)));
    expect([steel!.status, power!.status].map(Number)).to.deep.equal([2, 1]);
    expect(await ids({ compliance: { year: YEAR, status_in: ["COMPLIANT"] } })).to.deep.equal([STEEL.toString()]);
    expect(await ids({ compliance: { year: YEAR, status_in: ["OPEN", "SHORTFALL"] } })).to.deep.equal([
      POWER.toString(),
    ]);
    expect(await ids({ compliance: { year: YEAR, status_in: ["NONE"] }, category: "COVERED_ENTITY" })).to.deep.equal(
      [],
    );
    expect(await ids({ compliance: { year: YEAR, status_in: ["NONE"] } })).to.include(FUND.toString());
    const long = await gql(`{ entities(where: { name_contains: "${"x".repeat(101)}" }) { totalCount } }`);
    expect(long.body.errors[0].extensions.code).to.equal("INVALID_ARGUMENT");
  });

  it("shows one entity with its accounts, holdings and compliance", async function () {
    const d = await data(`{ entity(id: "${STEEL}") {
      name accounts { wallet status statusHistory { status fromBlock toBlock } }
      holdings { account product balance locked }
      compliance { year status obligation allowancesSurrendered offsetsSurrendered }
    } }`);
    expect(d.entity.name).to.equal("Tianjin Steel Co.");
    expect(d.entity.accounts.map((a: any) => a.wallet)).to.deep.equal([
      world.steel.address.toLowerCase(),
      world.steel2.address.toLowerCase(),
    ]);
    const onChain = await world.read.allowances.balanceOf(world.steel.address, YEAR);
    const h = d.entity.holdings.find(
      (x: any) => x.account === world.steel.address.toLowerCase() && x.product === "TJEA14",
    );
    expect(h.balance).to.equal(onChain.toString());
    const position = await world.read.compliance.positionOf(STEEL, YEAR);
    expect(d.entity.compliance).to.deep.equal([
      {
        year: YEAR,
        status: "COMPLIANT",
        obligation: position.obligation.toString(),
        allowancesSurrendered: position.allowancesSurrendered.toString(),
        offsetsSurrendered: position.offsetsSurrendered.toString(),
      },
    ]);
    expect((await data(`{ entity(id: "424242") { name } }`)).entity).to.equal(null);
  });

  it("reads holdings and compliance status at a past block", async function () {
    const [afterRegistration, afterAllocation] = world.checkpoints as [number, number];
    const q = `query($account: String!, $block: Int!) { holdings(account: $account, block: { number: $block }) { product balance sinceBlock } }`;
    expect((await data(q, { account: world.steel.address, block: afterRegistration })).holdings).to.deep.equal([]);
    const atAllocation = (await data(q, { account: world.steel.address, block: afterAllocation })).holdings;
    const tjea = atAllocation.find((x: any) => x.product === "TJEA14");
    expect(tjea.balance).to.equal(
      (await world.read.allowances.balanceOf(world.steel.address, YEAR, { blockTag: afterAllocation })).toString(),
    );
    const status = `query($block: Int!) { complianceStatus(entity: "${POWER}", year: ${YEAR}, block: { number: $block }) { status obligation } }`;
    expect((await data(status, { block: afterAllocation })).complianceStatus).to.deep.equal({
      status: "OPEN",
      obligation: null,
    });
    // The power company surrendered 250,000 t of a 310,000 t obligation: still open.
    expect((await data(status, { block: await world.provider.getBlockNumber() })).complianceStatus).to.deep.equal({
      status: "OPEN",
      obligation: "310000",
    });
    expect(Number((await world.read.compliance.positionOf(POWER, YEAR)).status)).to.equal(1);
  });

  it("lists transfers by account, kind and status, newest first, in pages", async function () {
    const q = `query($where: TransferWhere, $after: String) { transfers(first: 2, where: $where, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id kind status from to amount product pendingId caseRef createdBlock } }
    } }`;
    const pending = (await data(q, { where: { kind: "PENDING", token: "ALLOWANCE" } })).transfers;
    expect(pending.totalCount).to.equal(3);
    const next = (await data(q, { where: { kind: "PENDING", token: "ALLOWANCE" }, after: pending.pageInfo.endCursor }))
      .transfers;
    const all = [...pending.edges, ...next.edges].map((e: any) => e.node);
    expect(all.map((t: any) => t.pendingId)).to.deep.equal(["3", "2", "1"]);
    expect(all.map((t: any) => t.status)).to.deep.equal(["BLOCKED", "CANCELLED", "EXECUTED"]);
    expect(all[0].caseRef).to.equal("CASE-2014-7");
    const fund = (await data(q, { where: { account: world.fund.address, status_in: ["EXECUTED"] } })).transfers;
    expect(fund.edges.map((e: any) => e.node.product).sort()).to.deep.equal(["CCER-1", "TJEA14"]);
  });

  it("gives the supply of a vintage as the contracts count it", async function () {
    const d = await data(
      `{ supply(vintage: ${YEAR}) { product minted burned surrendered cancelled circulating inTradingAccounts pending } }`,
    );
    const c = world.read;
    const issued = await c.allowances.issued(YEAR);
    const burned = await c.allowances.burned(YEAR);
    expect(d.supply).to.deep.equal({
      product: "TJEA14",
      minted: issued.toString(),
      burned: burned.toString(),
      surrendered: "390000",
      cancelled: "100",
      circulating: (issued - burned).toString(),
      inTradingAccounts: (await c.allowances.balanceOf(world.manifest.contracts.Clearing!, YEAR)).toString(),
      pending: "0",
    });
    expect((await data(`{ supply(vintage: 2099) { minted } }`)).supply).to.equal(null);
    expect((await data(`{ account(wallet: "${world.fund.address}") { entityId status } }`)).account).to.deep.equal({
      entityId: FUND.toString(),
      status: "ACTIVE",
    });
  });

  it("answers bad input with a clear error and its extensions.code", async function () {
    const head = await world.provider.getBlockNumber();
    const codeOf = async (query: string) => (await gql(query)).body.errors?.[0]?.extensions?.code;
    expect(
      await codeOf(`{ holdings(account: "${world.steel.address}", block: { number: ${head + 10} }) { balance } }`),
    ).to.equal("BLOCK_BEYOND_INDEXED");
    expect(await codeOf(`{ complianceStatus(entity: "1", year: 2014, block: { number: -1 }) { status } }`)).to.equal(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(`{ entities(after: "not-a-cursor") { totalCount } }`)).to.equal("INVALID_CURSOR");
    expect(
      await codeOf(`{ transfers(after: "${Buffer.from('["entities","1"]').toString("base64url")}") { totalCount } }`),
    ).to.equal("INVALID_CURSOR");
    expect(await codeOf(`{ holdings(account: "0x1234") { balance } }`)).to.equal("INVALID_ARGUMENT");
    expect(await codeOf(`{ entities(first: 100000) { totalCount } }`)).to.equal("INVALID_ARGUMENT");
    expect(await codeOf(`{ entities { nope } }`)).to.equal("GRAPHQL_VALIDATION_FAILED");
    expect(await codeOf(`{ entities { `)).to.equal("GRAPHQL_PARSE_FAILED");
    expect(await codeOf(`{ entity(id: "x") { name } }`)).to.be.oneOf(["INVALID_ARGUMENT", "GRAPHQL_VALIDATION_FAILED"]);
    const beyond = await gql(
      `{ holdings(account: "${world.steel.address}", block: { number: ${head + 10} }) { balance } }`,
    );
    expect(beyond.body.errors[0].message).to.match(new RegExp(`beyond the last indexed block ${head}`));
  });
});
