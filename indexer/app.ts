import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Manifest } from "../sdk/manifest";
import { exportCsvHandler } from "./graphql/export";
import { createIndexerYoga } from "./graphql/yoga";
import { openStore, type Store, type StoreOptions } from "./store/open";
import { Rpc } from "./sync/rpc";
import { Syncer, type SyncOptions } from "./sync/sync";

export interface IndexerDeps {
  rpcUrl: string;
  manifest: Manifest;
  store: StoreOptions;
  log: Logger;
  sync?: Pick<SyncOptions, "confirmations" | "maxRange" | "initialRange" | "pollIntervalMs" | "maxReorgDepth">;
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
  const syncer = new Syncer({
    rpc,
    store,
    manifest: deps.manifest,
    log: deps.log.child({ component: "sync" }),
    ...deps.sync,
  });
  const yoga = createIndexerYoga({
    store,
    log: deps.log.child({ component: "graphql" }),
    status: () => {
      const s = syncer.status();
      return {
        head: s.head,
        nodeReachable: s.nodeReachable,
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
      const exportCsv = exportCsvHandler(yoga, {
        maxRows: deps.exportMaxRows,
        log: deps.log.child({ component: "export" }),
      });
      server = http.createServer((req, res) => {
        // `/export.csv`: any list of the GraphQL API as CSV (graphql/export.ts); the rest is yoga's.
        if (req.url === "/export.csv" || req.url?.startsWith("/export.csv?")) void exportCsv(req, res);
        else void yoga(req, res);
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
      await store.close();
    },
  };
}
