/**
 * Runs the indexer alone: `tsx indexer/main.ts`. Reads the deployment manifest of the chain it is
 * pointed at, syncs it into SQLite (or PostgreSQL with DATABASE_URL) and serves GraphQL (GraphiQL at
 * /graphql). Configuration from the environment: `indexer/config.ts`.
 */
import pino from "pino";
import { readManifest } from "../sdk/manifest";
import { createIndexer } from "./app";
import { accessOptions, limitOptions, readIndexerEnv, rulesConfig } from "./config";
import { Rpc } from "./sync/rpc";

async function main(): Promise<void> {
  const env = readIndexerEnv();
  const log = pino({ level: env.ETS_LOG_LEVEL, base: { component: "indexer" } });
  const chainId = await new Rpc(env.ETS_RPC_URL, {
    onOutage: ({ down, error }) => down && log.warn({ error }, "node unreachable; waiting"),
  }).chainId();
  const manifest = readManifest(env.ETS_DEPLOYMENTS_DIR, chainId);
  if (!manifest) throw new Error(`no deployment manifest for chain ${chainId} in ${env.ETS_DEPLOYMENTS_DIR}`);
  const indexer = await createIndexer({
    rpcUrl: env.ETS_RPC_URL,
    manifest,
    store: env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { sqliteFile: env.ETS_INDEXER_SQLITE },
    log,
    rules: rulesConfig(env),
    sync: {
      confirmations: env.ETS_INDEXER_CONFIRMATIONS,
      maxRange: env.ETS_INDEXER_MAX_RANGE,
      pollIntervalMs: env.ETS_INDEXER_POLL_MS,
      maxReorgDepth: env.ETS_INDEXER_MAX_REORG_DEPTH,
    },
    access: accessOptions(env),
    limits: limitOptions(env),
    exportMaxRows: env.ETS_INDEXER_EXPORT_MAX_ROWS,
  });
  log.info({ store: indexer.store.location, dialect: indexer.store.dialect }, "store open");
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await indexer.close();
    process.exit(code);
  };
  indexer.startSync((err) => {
    log.fatal({ err }, "sync stopped");
    void stop(1);
  });
  if (env.ETS_INDEXER_NO_SERVER === "0") {
    const url = await indexer.listen(env.ETS_INDEXER_HOST, env.ETS_INDEXER_PORT);
    process.stdout.write(`indexer ready at ${url}/graphql\n`);
  } else {
    process.stdout.write("indexer syncing (no server)\n");
  }
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  // Run by `npm start`: its standard input is a pipe from the orchestrator, closed when it dies.
  if (process.env.ETS_EXIT_WITH_STDIN === "1") {
    process.stdin.on("end", () => void stop(0));
    process.stdin.on("error", () => void stop(0));
    process.stdin.resume();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`indexer: ${(err as Error).message}\n`);
  process.exit(1);
});
