import path from "node:path";
import { z } from "zod";
import { envInteger } from "../sdk/env";

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const envSchema = z.object({
  /** JSON-RPC of the chain. Default `http://127.0.0.1:8545`. */
  ETS_RPC_URL: z.string().url().default("http://127.0.0.1:8545"),
  /** Folder of deployment manifests (`<chainId>.json`). Default `data/deployments`. */
  ETS_DEPLOYMENTS_DIR: z.string().trim().min(1).default("data/deployments"),
  /** PostgreSQL (`postgres://user:pass@host:5432/db`). Default: none, and SQLite is used. */
  DATABASE_URL: optional(
    z
      .string()
      .trim()
      .regex(/^postgres(ql)?:\/\//, "a postgres:// URL"),
  ),
  /** The SQLite file when DATABASE_URL is unset. Default `data/indexer.sqlite`. */
  ETS_INDEXER_SQLITE: z.string().trim().min(1).default(path.join("data", "indexer.sqlite")),
  /** Address the GraphQL server listens on. Default `127.0.0.1`. */
  ETS_INDEXER_HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** Its port. Default `8700`; `0` picks a free port (tests). */
  ETS_INDEXER_PORT: envInteger(0, 65535).default("8700"),
  /** Blocks to stay behind the head. Default `0` (finality is instant on QBFT and Anvil). */
  ETS_INDEXER_CONFIRMATIONS: envInteger(0, 10_000).default("0"),
  /** Largest block range of one eth_getLogs. Default `5000` (Besu's limit). */
  ETS_INDEXER_MAX_RANGE: envInteger(1, 1_000_000).default("5000"),
  /** Poll interval at the head, ms. Default `1000`. */
  ETS_INDEXER_POLL_MS: envInteger(10, 600_000).default("1000"),
  /** Deepest reorg rolled back; deeper stops the indexer. Default `1000`. */
  ETS_INDEXER_MAX_REORG_DEPTH: envInteger(1, 1_000_000).default("1000"),
  /** The most rows one CSV export (`/export.csv`) may hold. Default `1000000`. */
  ETS_INDEXER_EXPORT_MAX_ROWS: envInteger(1, 100_000_000).default("1000000"),
  /** Sync only, no GraphQL server (`1`). Default `0`. */
  ETS_INDEXER_NO_SERVER: z.enum(["0", "1"]).default("0"),
  ETS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type IndexerEnv = z.infer<typeof envSchema>;

/** The indexer's configuration from the environment; a bad value names its variable. */
export function readIndexerEnv(env: NodeJS.ProcessEnv = process.env): IndexerEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid indexer configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
