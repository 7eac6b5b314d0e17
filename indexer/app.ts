import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Manifest } from "../sdk/manifest";
import { Access, type AccessOptions } from "./auth/access";
import { authRoutes } from "./auth/routes";
import type { QueryLimits } from "./graphql/limits";
import { exportCsvHandler } from "./graphql/export";
import { createIndexerYoga } from "./graphql/yoga";
import { reconcile } from "./reconcile";
import { trade, withEntities } from "./graphql/resolvers/market";
import { alert, createLivePubSub } from "./graphql/resolvers/supervision";
import { DEFAULT_RULES, type RulesConfig } from "./indexing/supervision/rules";
import type { AlertTable, TradeTable } from "./store/schema";
import type { Selectable } from "kysely";
import { openStore, type Store, type StoreOptions } from "./store/open";
import { Rpc } from "./sync/rpc";
import { Syncer, type SyncOptions } from "./sync/sync";

export interface IndexerDeps {
  rpcUrl: string;
  manifest: Manifest;
  store: StoreOptions;
  log: Logger;
  sync?: Pick<
    SyncOptions,
    "confirmations" | "maxRange" | "initialRange" | "pollIntervalMs" | "maxReorgDepth" | "stepEvents"
  >;
  /** Login and sessions (`indexer/auth/`): domain, lifetimes, role re-check interval. */
  access?: AccessOptions;
  /** GraphQL depth, cost, alias, token and directive limits. */
  limits?: QueryLimits;
  /** The supervision thresholds and the trading day's time zone (`rulesConfig(env)`); default `DEFAULT_RULES`. */
  rules?: RulesConfig;
  /** The most rows of one CSV export (`/export.csv`); default 1,000,000. */
  exportMaxRows?: number;
}

export interface Indexer {
  store: Store;
  syncer: Syncer;
  rpc: Rpc;
  /** Starts the sync loop (backfill, then follow); `onFatal` hears an error it cannot retry. */
  startSync(onFatal: (err: Error) => void): void;
  /** Serves GraphQL on `host:port` (0 = a free port); resolves with the base URL. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

/** Builds the indexer (store, sync, GraphQL) without starting anything: `main.ts` and tests start it. */
export async function createIndexer(deps: IndexerDeps): Promise<Indexer> {
  const store = await openStore(deps.store);
  let stopping = false;
  const rpc = new Rpc(deps.rpcUrl, {
    aborted: () => stopping,
    onOutage: ({ down, error, attempt }) =>
      down
        ? deps.log.warn({ rpcUrl: deps.rpcUrl, error, attempt }, "node unreachable; waiting")
        : deps.log.info({ rpcUrl: deps.rpcUrl }, "node reachable again"),
  });
  const rules = deps.rules ?? DEFAULT_RULES;
  const pubsub = createLivePubSub();
  const live = deps.log.child({ component: "live" });
  let publishing = Promise.resolve();
  const syncer = new Syncer({
    rpc,
    store,
    manifest: deps.manifest,
    log: deps.log.child({ component: "sync" }),
    ...deps.sync,
    rules,
    // The subscriptions hear a step's trades and alerts once its transaction is committed.
    // Steps are published one after the other, in chain order (a step's trades need their entities);
    // a feed nobody subscribes to is not prepared.
    onCommitted: (step) => {
      const stepTrades = pubsub.listening("trade") ? step.trades : [];
      const stepAlerts = pubsub.listening("alert") ? step.alerts : [];
      if (stepTrades.length === 0 && stepAlerts.length === 0) return;
      publishing = publishing
        .then(async () => {
          const trades = await withEntities(store, stepTrades as unknown as Selectable<TradeTable>[]);
          for (const t of trades) pubsub.publish("trade", trade(t, rules.utcOffsetMinutes));
          for (const a of stepAlerts) pubsub.publish("alert", alert(a as unknown as Selectable<AlertTable>));
        })
        .catch((err: unknown) => live.error({ err, from: step.from, to: step.to }, "publishing a step failed"));
    },
    // After the steps published before it.
    onRolledBack: ({ from, to }) => {
      if (!pubsub.listening("reorg")) return;
      publishing = publishing
        .then(() => pubsub.publish("reorg", { fromBlock: from, toBlock: to, depth: from - to }))
        .catch((err: unknown) => live.error({ err, from, to }, "publishing a reorg failed"));
    },
  });
  const access = new Access(
    { store, rpcUrl: deps.rpcUrl, manifest: deps.manifest, log: deps.log.child({ component: "auth" }) },
    deps.access,
  );
  const yoga = createIndexerYoga({
    store,
    access,
    limits: deps.limits,
    reconcile: (block) => reconcile(store, rpc, deps.manifest, block),
    pubsub,
    utcOffsetMinutes: rules.utcOffsetMinutes,
    log: deps.log.child({ component: "graphql" }),
    status: () => {
      const s = syncer.status();
      return {
        head: s.head,
        nodeReachable: s.nodeReachable,
        headSeenAt: s.headSeenAt,
        reorgs: s.reorgs,
        confirmations: deps.sync?.confirmations ?? 0,
      };
    },
  });
  let server: http.Server | undefined;
  return {
    store,
    syncer,
    rpc,
    startSync: (onFatal) => syncer.start(onFatal),
    async listen(host, port) {
      // The login routes (/auth/…) first, then `/export.csv` (any list of the GraphQL API as CSV,
      // graphql/export.ts), then GraphQL.
      const auth = authRoutes(access, deps.log.child({ component: "auth" }));
      const exportCsv = exportCsvHandler(yoga, {
        maxRows: deps.exportMaxRows,
        log: deps.log.child({ component: "export" }),
      });
      server = http.createServer((req, res) => {
        void auth(req, res).then((done) => {
          if (done) return;
          if (req.url === "/export.csv" || req.url?.startsWith("/export.csv?")) void exportCsv(req, res);
          else void yoga(req, res);
        });
      });
      await new Promise<void>((resolve, reject) => {
        server!.once("error", reject);
        server!.listen(port, host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      return `http://${host}:${addr.port}`;
    },
    async close() {
      stopping = true;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await syncer.stop();
      await publishing;
      await store.close();
    },
  };
}
