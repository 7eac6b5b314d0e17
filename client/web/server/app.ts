/**
 * The web portal's HTTP server: the built single-page app, its `/config.json`, and the system's
 * services behind the same address, so the browser talks to one origin:
 *
 *   /rpc                          → the chain's JSON-RPC (wallets send their signed transactions here)
 *   /v1/…                         → the exchange (REST and the `/v1/stream` WebSocket)
 *   /graphql, /auth/…, /export.csv → the indexer (GraphQL, Sign-In with Ethereum, CSV export)
 *
 * Build separate from listen: `createWebApp(deps)` here, `main.ts` listens.
 */
import fs from "node:fs";
import path from "node:path";
import express, { type Express } from "express";
import { createProxyMiddleware, type RequestHandler } from "http-proxy-middleware";
import type { Manifest } from "../../../sdk/manifest";

export interface WebDeps {
  /** The built app (`client/web/dist`). */
  distDir: string;
  /** The deployment the portal works with. */
  manifest: Manifest;
  rpcUrl: string;
  /** The exchange's address, when it runs. */
  exchangeUrl?: string;
  /** The indexer's address, when it runs. */
  indexerUrl?: string;
}

/** What the app reads at load: the chain, the contracts and which services are behind this address. */
export interface PortalConfig {
  chainId: number;
  deploymentBlock: number;
  contracts: Manifest["contracts"];
  accounts: Manifest["accounts"];
  exchange: boolean;
  indexer: boolean;
}

export interface WebApp {
  app: Express;
  /** Forwards WebSocket upgrades (the exchange's `/v1/stream`); attach to the HTTP server. */
  upgrade: NonNullable<RequestHandler["upgrade"]>;
}

export function createWebApp(deps: WebDeps): WebApp {
  const app = express();
  app.disable("x-powered-by");
  const config: PortalConfig = {
    chainId: deps.manifest.chainId,
    deploymentBlock: deps.manifest.deploymentBlock,
    contracts: deps.manifest.contracts,
    accounts: deps.manifest.accounts,
    exchange: Boolean(deps.exchangeUrl),
    indexer: Boolean(deps.indexerUrl),
  };
  app.get("/config.json", (_req, res) => {
    res.set("Cache-Control", "no-store").json(config);
  });

  const unavailable = (what: string, code: string) => (_req: express.Request, res: express.Response) => {
    res.status(503).json({ error: { code, message: `The ${what} does not run behind this portal.` } });
  };
  const proxyError = (what: string, code: string) => ({
    error: (_err: Error, _req: unknown, res: unknown) => {
      const r = res as express.Response;
      if (typeof r.status !== "function" || r.headersSent) return;
      r.status(502).json({ error: { code, message: `The ${what} cannot be reached; try again in a moment.` } });
    },
  });

  const rpc = createProxyMiddleware({
    target: deps.rpcUrl,
    changeOrigin: true,
    pathRewrite: () => new URL(deps.rpcUrl).pathname,
    on: proxyError("chain node", "CHAIN_UNREACHABLE"),
  });
  app.use("/rpc", rpc);

  let upgrade: WebApp["upgrade"] = (_req, socket) => socket.destroy();
  if (deps.exchangeUrl) {
    const exchange = createProxyMiddleware({
      target: deps.exchangeUrl,
      changeOrigin: true,
      pathFilter: "/v1",
      ws: true,
      on: proxyError("exchange", "EXCHANGE_UNREACHABLE"),
    });
    app.use(exchange);
    upgrade = exchange.upgrade!;
  } else {
    app.use("/v1", unavailable("exchange", "EXCHANGE_UNREACHABLE"));
  }

  if (deps.indexerUrl) {
    const target = new URL(deps.indexerUrl).origin;
    app.use(
      createProxyMiddleware({
        target,
        // The browser's Host is kept: a Sign-In with Ethereum message names the site the person
        // is on (this portal), and the indexer checks the message against the request's Host.
        changeOrigin: false,
        pathFilter: ["/graphql", "/auth", "/export.csv"],
        on: proxyError("indexer", "INDEXER_UNREACHABLE"),
      }),
    );
  } else {
    for (const p of ["/graphql", "/auth", "/export.csv"]) app.use(p, unavailable("indexer", "INDEXER_UNREACHABLE"));
  }

  const index = path.join(deps.distDir, "index.html");
  app.use(express.static(deps.distDir, { index: false, maxAge: "1h", immutable: false }));
  app.get(/.*/, (_req, res) => {
    if (!fs.existsSync(index)) {
      res.status(503).type("text").send("The web portal is not built: run `npm run build:web`.");
      return;
    }
    res.set("Cache-Control", "no-cache").sendFile(index);
  });
  return { app, upgrade };
}
