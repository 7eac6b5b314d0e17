import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { Access } from "../../indexer/auth/access";
import { exportCsvHandler } from "../../indexer/graphql/export";
import { createIndexerYoga } from "../../indexer/graphql/yoga";
import { regulatorSession } from "./helpers";
import { World, YEAR, log } from "./world";

/** RFC 4180: fields separated by commas, quoted when they hold a comma, a quote or a line break. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

describe("indexer CSV export", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let base: string;
  let auth: { authorization: string };

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-export-"));
    world = await World.start();
    await world.activity();
    await (
      await world
        .as(world.steel)
        .compliance.cancelUnits([YEAR], [7n], [], [], '天津马拉松, "绿色" 2014', "碳中和\nevent")
    ).wait();
    await world.churn(20);
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
    });
    await idx.syncer.syncToHead();
    base = await idx.listen("127.0.0.1", 0);
    auth = await regulatorSession(base, world.regulator);
  });

  after(async function () {
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    expect(body.errors, JSON.stringify(body.errors)).to.equal(undefined);
    return body.data;
  }

  const exportGet = (query: string, variables?: Record<string, unknown>, at = base) => {
    const params = new URLSearchParams({ query });
    if (variables) params.set("variables", JSON.stringify(variables));
    return fetch(`${at}/export.csv?${params}`, { headers: auth });
  };
  const exportPost = (body: unknown, at = base) =>
    fetch(`${at}/export.csv`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  /** The CSV of a response: its BOM checked and dropped, parsed. */
  async function csvOf(res: Response): Promise<string[][]> {
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("text/csv; charset=utf-8");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    return parseCsv(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).slice(1));
  }

  /** Every node of a GraphQL list, page after page. */
  async function allNodes(field: string, query: string, variables: Record<string, unknown> = {}): Promise<any[]> {
    const nodes: any[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await gql(query, { ...variables, after }))[field];
      nodes.push(...page.edges.map((e: any) => e.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }

  it("exports a list page after page (GET): a header row, one row per node, equal to the GraphQL result", async function () {
    const res = await exportGet(
      `{ transfers(first: 7, where: { token: ALLOWANCE }) { edges { node { id kind status from to amount product createdBlock } } } }`,
    );
    expect(res.headers.get("content-disposition")).to.equal('attachment; filename="transfers.csv"');
    const rows = await csvOf(res);
    const nodes = await allNodes(
      "transfers",
      `query($after: String) { transfers(first: 7, after: $after, where: { token: ALLOWANCE }) {
        pageInfo { hasNextPage endCursor } edges { node { id kind status from to amount product createdBlock } } } }`,
    );
    expect(nodes.length).to.be.greaterThan(20);
    expect(rows[0]).to.deep.equal(["id", "kind", "status", "from", "to", "amount", "product", "createdBlock"]);
    expect(rows.slice(1)).to.deep.equal(
      nodes.map((n) => [n.id, n.kind, n.status, n.from, n.to, n.amount, n.product, String(n.createdBlock)]),
    );
    expect(new Set(rows.slice(1).map((r) => r[0])).size).to.equal(nodes.length);

    // A client that goes away mid-download costs the server nothing: the next export is whole.
    const abort = new AbortController();
    const partial = await fetch(
      `${base}/export.csv?query=${encodeURIComponent("{ transfers(first: 1) { edges { node { id } } } }")}`,
      { signal: abort.signal, headers: auth },
    );
    await partial.body!.getReader().read();
    abort.abort();
    const again = await csvOf(await exportGet(`{ transfers(first: 3) { edges { node { id } } } }`));
    expect(again.length - 1).to.be.greaterThanOrEqual(nodes.length);
  });

  it("flattens nested objects as a.b columns and lists as JSON; quotes commas, quotes, line breaks and UTF-8", async function () {
    const rows = await csvOf(
      await exportPost({
        query: `query($w: CertificateWhere) { certificates(where: $w, orderDirection: asc) { edges { node { id holder beneficiary purpose units { product amount } } } } }`,
        variables: { w: { id_gt: "0" } },
      }),
    );
    const d = await gql(
      `{ certificates(orderDirection: asc) { edges { node { id holder beneficiary purpose units { product amount } } } } }`,
    );
    expect(rows[0]).to.deep.equal(["id", "holder", "beneficiary", "purpose", "units"]);
    expect(rows.slice(1)).to.deep.equal(
      d.certificates.edges.map(({ node: n }: any) => [
        n.id,
        n.holder,
        n.beneficiary,
        n.purpose,
        JSON.stringify(n.units),
      ]),
    );
    expect(rows[2]![2]).to.equal('天津马拉松, "绿色" 2014');
    expect(rows[2]![3]).to.equal("碳中和\nevent");

    const batches = await csvOf(
      await exportGet(
        `{ ccerBatches { edges { cursor node { id projectType hydro supply { minted surrendered } } } } }`,
      ),
    );
    expect(batches).to.deep.equal([
      ["id", "projectType", "hydro", "supply.minted", "supply.surrendered"],
      ["1", "wind", "false", "20000", "11000"],
    ]);
  });

  it("follows aliases, fragments, a nested connection and the query's own after; POST with variables", async function () {
    const all = await allNodes(
      "transfers",
      `query($after: String) { transfers(first: 1000, after: $after, orderDirection: asc) { pageInfo { hasNextPage endCursor } edges { node { id amount } } } }`,
    );
    const first = await gql(`{ transfers(first: 5, orderDirection: asc) { pageInfo { endCursor } } }`);
    const rows = await csvOf(
      await exportPost({
        query: `query Export($dir: OrderDirection, $after: String) { list: transfers(first: 4, orderDirection: $dir, after: $after) {
          totalCount edges { row: node { ...T } } } } fragment T on Transfer { id qty: amount }`,
        variables: { dir: "asc", after: first.transfers.pageInfo.endCursor },
        operationName: "Export",
      }),
    );
    expect(rows[0]).to.deep.equal(["id", "qty"]);
    expect(rows.slice(1)).to.deep.equal(all.slice(5).map((n) => [n.id, n.amount]));

    const nested = await csvOf(
      await exportGet(
        `{ complianceBoard(year: ${YEAR}) { total { entities(first: 1) { edges { node { entityId status } } } } } }`,
      ),
    );
    expect(nested.slice(1).map((r) => r[0])).to.deep.equal(["1001", "1002"]);
  });

  it("answers a bad export with a 400 and a JSON error of a stable code", async function () {
    const expectError = async (res: Response, code: string, status = 400) => {
      expect(res.status).to.equal(status);
      expect(res.headers.get("content-type")).to.match(/^application\/json/);
      const body = await res.json();
      expect(body.error.code, JSON.stringify(body)).to.equal(code);
      expect(body.error.message).to.be.a("string").and.not.equal("");
      return body.error;
    };
    await expectError(await fetch(`${base}/export.csv`), "EXPORT_BAD_REQUEST");
    await expectError(await fetch(`${base}/export.csv`, { method: "PUT", body: "{}" }), "EXPORT_BAD_REQUEST");
    await expectError(await exportPost("{not json"), "EXPORT_BAD_REQUEST");
    await expectError(
      await exportPost({ query: "{ transfers { totalCount } }", variables: [1] }),
      "EXPORT_BAD_REQUEST",
    );
    await expectError(
      await fetch(`${base}/export.csv?query=${encodeURIComponent("{ a }")}&variables=%7B`),
      "EXPORT_BAD_REQUEST",
    );
    await expectError(await exportGet("{ transfers { "), "GRAPHQL_PARSE_FAILED");
    await expectError(await exportGet("{ indexerStatus { head } }"), "EXPORT_NO_CONNECTION");
    await expectError(await exportGet("{ transfers { totalCount } }"), "EXPORT_NO_CONNECTION");
    await expectError(
      await exportGet("{ entities { edges { node { id } } } surrenders { edges { node { id } } } }"),
      "EXPORT_AMBIGUOUS_CONNECTION",
    );
    await expectError(
      await exportGet(`{ a: complianceBoard(year: ${YEAR}) { sectors { entities { edges { node { name } } } } } }`),
      "EXPORT_NO_CONNECTION",
    );
    const cursor = await expectError(
      await exportGet(`{ transfers(after: "nope") { edges { node { id } } } }`),
      "INVALID_CURSOR",
    );
    expect(cursor.message).to.match(/not a cursor of transfers/);
    await expectError(await exportGet(`{ transfers { edges { node { nope } } } }`), "GRAPHQL_VALIDATION_FAILED");
    await expectError(await exportGet(`{ transfers(first: 5000) { edges { node { id } } } }`), "INVALID_ARGUMENT");
  });

  it("refuses a list with more rows than the cap, and passes the caller's headers to the GraphQL server", async function () {
    const yoga = createIndexerYoga({
      store: idx.store,
      log,
      access: new Access({ store: idx.store, rpcUrl: world.node.url, manifest: world.manifest, log }),
      status: () => ({ head: null, nodeReachable: true, headSeenAt: null, reorgs: 0, confirmations: 0 }),
    });
    const seen: (string | null)[] = [];
    const queries: string[] = [];
    const spy = Object.create(yoga, {
      fetch: {
        value: (url: string, init: RequestInit, ctx: unknown) => {
          seen.push(new Headers(init.headers).get("authorization"));
          queries.push(JSON.parse(init.body as string).query);
          return yoga.fetch(url, init, ctx as never);
        },
      },
    });
    const handler = exportCsvHandler(spy, { maxRows: 5 });
    const server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const at = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(
        `${at}/export.csv?query=${encodeURIComponent("{ transfers { edges { node { id } } } }")}`,
        {
          headers: auth,
        },
      );
      expect(res.status).to.equal(400);
      const body = await res.json();
      expect(body.error.code).to.equal("EXPORT_TOO_MANY_ROWS");
      expect(body.error.message).to.match(/more than the 5 one export may hold/);
      expect(seen).to.deep.equal([auth.authorization]);
      const few = await csvOf(
        await exportGet(`{ entities(where: { id_lt: "2000" }) { edges { node { id name } } } }`, undefined, at),
      );
      expect(few).to.deep.equal([
        ["id", "name"],
        ["1001", "Tianjin Steel Co."],
        ["1002", "Bohai Power"],
      ]);
      // Page after page; only the first asks for the count.
      queries.length = 0;
      const surrenders = await csvOf(
        await exportGet(`{ surrenders(first: 1) { totalCount edges { node { amount } } } }`, undefined, at),
      );
      expect(surrenders.slice(1).map((r) => r[0])).to.have.members(["140000", "11000", "250000"]);
      expect(queries).to.have.length(3);
      expect(queries[0]).to.match(/totalCount/);
      for (const q of queries.slice(1)) expect(q).to.not.match(/totalCount/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
