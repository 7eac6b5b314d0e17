import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { createWebApp } from "../../client/web/server/app";
import type { Manifest } from "../../sdk/manifest";
import { freePort } from "../../scripts/lib/anvil";

const manifest: Manifest = {
  chainId: 31337,
  deploymentBlock: 7,
  deployedAt: "2026-01-01T00:00:00Z",
  contracts: {
    Authority: "0x0000000000000000000000000000000000000001",
    ParticipantRegistry: "0x0000000000000000000000000000000000000002",
    TransferRules: "0x0000000000000000000000000000000000000003",
    AllowanceToken: "0x0000000000000000000000000000000000000004",
    OffsetToken: "0x0000000000000000000000000000000000000005",
    CashToken: "0x0000000000000000000000000000000000000006",
    Allocation: "0x0000000000000000000000000000000000000007",
    EmissionsReporting: "0x0000000000000000000000000000000000000008",
    Compliance: "0x0000000000000000000000000000000000000009",
    ReserveSales: "0x000000000000000000000000000000000000000a",
  },
  accounts: {},
};

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The portal's server alone: its configuration, static app, and proxies to services up or down. */
describe("web portal server (client/web/server/app.ts)", function () {
  let dist: string;
  const servers: http.Server[] = [];

  before(() => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), "ets-web-dist-"));
    fs.mkdirSync(path.join(dist, "assets"));
    fs.writeFileSync(path.join(dist, "index.html"), "<!doctype html><title>portal</title>");
    fs.writeFileSync(path.join(dist, "assets", "app.js"), "console.log(1)");
  });
  after(() => {
    for (const s of servers) s.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  async function portal(deps: { rpcUrl: string; exchangeUrl?: string; indexerUrl?: string; distDir?: string }) {
    const { app, upgrade } = createWebApp({ distDir: dist, manifest, ...deps });
    const { url, server } = await listen(app);
    server.on("upgrade", upgrade);
    servers.push(server);
    return url;
  }

  it("serves the configuration, the app's files, and the app for any other path", async () => {
    const url = await portal({ rpcUrl: "http://127.0.0.1:1" });
    const config = (await (await fetch(`${url}/config.json`)).json()) as Record<string, unknown>;
    expect(config).to.deep.include({ chainId: 31337, deploymentBlock: 7, exchange: false, indexer: false });
    expect(config.contracts).to.deep.equal(manifest.contracts);
    expect(await (await fetch(`${url}/assets/app.js`)).text()).to.equal("console.log(1)");
    const page = await fetch(`${url}/participant/holdings`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.contain("<title>portal</title>");
  });

  it("forwards JSON-RPC, REST and GraphQL to their services, keeping the browser's Host for the indexer", async () => {
    const seen: { url?: string; host?: string; body: string }[] = [];
    const echo = (name: string) =>
      listen((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
          seen.push({ url: `${name}:${req.url}`, host: req.headers.host, body });
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ from: name, url: req.url }));
        });
      });
    const [rpc, exchange, indexer] = await Promise.all([echo("rpc"), echo("exchange"), echo("indexer")]);
    servers.push(rpc.server, exchange.server, indexer.server);
    const url = await portal({
      rpcUrl: `${rpc.url}/`,
      exchangeUrl: exchange.url,
      indexerUrl: `${indexer.url}/graphql`,
    });
    const post = (p: string, body: unknown) =>
      fetch(`${url}${p}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(await (await post("/rpc", { id: 1 })).json()).to.deep.equal({ from: "rpc", url: "/" });
    expect(await (await fetch(`${url}/v1/books/TJEA13`)).json()).to.deep.equal({
      from: "exchange",
      url: "/v1/books/TJEA13",
    });
    expect(await (await post("/graphql", { query: "{x}" })).json()).to.deep.equal({ from: "indexer", url: "/graphql" });
    expect(await (await post("/auth/nonce", {})).json()).to.deep.equal({ from: "indexer", url: "/auth/nonce" });
    const gqlSeen = seen.find((s) => s.url === "indexer:/graphql")!;
    expect(gqlSeen.host).to.equal(new URL(url).host);
    expect(gqlSeen.body).to.equal(JSON.stringify({ query: "{x}" }));
  });

  it("answers a clear JSON error when a service does not run or does not answer", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const url = await portal({ rpcUrl: closed, indexerUrl: `${closed}/graphql` });
    const noExchange = await fetch(`${url}/v1/products`);
    expect(noExchange.status).to.equal(503);
    expect(((await noExchange.json()) as { error: { code: string } }).error.code).to.equal("EXCHANGE_UNREACHABLE");
    const rpc = await fetch(`${url}/rpc`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(rpc.status).to.equal(502);
    expect(((await rpc.json()) as { error: { code: string } }).error.code).to.equal("CHAIN_UNREACHABLE");
    const gql = await fetch(`${url}/graphql`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(gql.status).to.equal(502);
    expect(((await gql.json()) as { error: { code: string } }).error.code).to.equal("INDEXER_UNREACHABLE");
  });

  it("says the app is not built instead of failing when dist/ is empty", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "ets-web-empty-"));
    const url = await portal({ rpcUrl: "http://127.0.0.1:1", distDir: empty });
    const res = await fetch(`${url}/`);
    expect(res.status).to.equal(503);
    expect(await res.text()).to.contain("npm run build:web");
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
