import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getIntrospectionQuery } from "graphql";
import { createIndexer, type Indexer } from "../../indexer/app";
import type { QueryLimits } from "../../indexer/graphql/limits";
import { regulatorSession } from "./helpers";
import { World, log } from "./world";

describe("indexer GraphQL limits: depth, cost, aliases, tokens, directives", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  /** The default limits. */
  let idx: Indexer;
  let url: string;
  /** Small depth and alias limits, on the same database. */
  let strict: Indexer;
  let strictUrl: string;
  let auth: { authorization: string };

  const open = (limits?: QueryLimits) =>
    createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
      limits,
    });

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-limits-"));
    world = await World.start();
    await world.activity();
    idx = await open();
    await idx.syncer.syncToHead();
    url = `${await idx.listen("127.0.0.1", 0)}/graphql`;
    strict = await open({ maxDepth: 3, maxAliases: 2 });
    strictUrl = `${await strict.listen("127.0.0.1", 0)}/graphql`;
    auth = await regulatorSession(url, world.regulator);
  });

  after(async function () {
    await strict?.close();
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function gql(to: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const res = await fetch(to, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables }),
    });
    return res.json();
  }
  const codes = async (to: string, query: string, variables: Record<string, unknown> = {}) =>
    ((await gql(to, query, variables)).errors ?? []).map((e: any) => e.extensions?.code);

  it("accepts GraphiQL's introspection query, under the strict limits too", async function () {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    for (const to of [url, strictUrl]) {
      const r = await gql(to, query);
      expect(r.errors, JSON.stringify(r.errors)).to.equal(undefined);
      expect(r.data.__schema.queryType.name).to.equal("Query");
    }
  });

  it("refuses a query nested deeper than the limit (QUERY_TOO_DEEP)", async function () {
    const deep = "{ entities { edges { node { accounts { holdings { balance } } } } } }";
    expect(await codes(strictUrl, deep)).to.deep.equal(["QUERY_TOO_DEEP"]);
    expect(await codes(url, deep), "within the default depth").to.deep.equal([]);
    expect(await codes(strictUrl, "{ entities { totalCount } }")).to.deep.equal([]);
  });

  it("refuses too many aliases (TOO_MANY_ALIASES)", async function () {
    const q = "{ a: indexerStatus { head } b: indexerStatus { head } c: indexerStatus { head } }";
    expect(await codes(strictUrl, q)).to.deep.equal(["TOO_MANY_ALIASES"]);
    expect(await codes(url, q)).to.deep.equal([]);
  });

  it("refuses a costly query: a literal page of 1000 entities with their holdings and positions (QUERY_TOO_COSTLY)", async function () {
    const q = (n: number) =>
      `{ entities(first: ${n}) { edges { node { id name sector category creditCodeHash registeredBlock
        holdings { account token tokenId product balance locked sinceBlock }
        compliance { year status covered closed obligation allowancesSurrendered offsetsSurrendered shortfall fine } } } } }`;
    const r = await gql(url, q(1000));
    expect(r.errors.map((e: any) => e.extensions.code)).to.include("QUERY_TOO_COSTLY");
    expect(r.errors[0].message).to.match(/cost|rows/i);
    expect(await codes(url, q(50))).to.deep.equal([]);
  });

  it("counts `first` given by a variable or by default: 1000 entities × accounts × holdings is refused", async function () {
    const q = `query($n: Int) {
      entities(first: $n) { edges { node { id accounts { wallet holdings { balance } } } } }
    }`;
    const r = await gql(url, q, { n: 1000 });
    expect(r.errors.map((e: any) => e.extensions.code)).to.deep.equal(["QUERY_TOO_COSTLY"]);
    expect(r.errors[0].extensions.rows).to.be.greaterThan(r.errors[0].extensions.limit);
    expect(await codes(url, q, { n: 5 })).to.deep.equal([]);
    expect(await codes(url, q), "the default page of 50").to.deep.equal([]);
    // Five aliased accounts × holdings per entity: 2,100 rows each; an omitted $n is the default page of 50.
    const lists = [1, 2, 3, 4, 5].map((i) => `a${i}: accounts { holdings { balance } }`).join(" ");
    const wide = `query($n: Int) { entities(first: $n) { edges { node { ${lists} } } } }`;
    expect(await codes(url, wide), "an omitted variable counts as the default").to.deep.equal(["QUERY_TOO_COSTLY"]);
    expect(await codes(url, wide, { n: 10 })).to.deep.equal([]);
  });

  it("refuses a huge document (QUERY_TOO_LARGE) and too many directives (TOO_MANY_DIRECTIVES)", async function () {
    expect(await codes(url, `{ indexerStatus { ${"head ".repeat(6000)} } }`)).to.deep.equal(["QUERY_TOO_LARGE"]);
    const fields = Array.from({ length: 60 }, () => "head @include(if: true)").join(" ");
    expect(await codes(url, `{ indexerStatus { ${fields} } }`)).to.include("TOO_MANY_DIRECTIVES");
  });

  it("refuses a literal `first` beyond 1000 as INVALID_ARGUMENT, not as a cost", async function () {
    expect(await codes(url, "{ entities(first: 100000) { totalCount } }")).to.deep.equal(["INVALID_ARGUMENT"]);
  });
});
