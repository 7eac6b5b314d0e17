import path from "node:path";
import { z } from "zod";
import { envInteger } from "../sdk/env";
import type { RulesConfig } from "./indexing/supervision/rules";

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
  /**
   * Access (`/auth/…`): the host a SIWE message must name as its domain. Default: the `Host` header
   * of the login request (set it behind a proxy, e.g. `explorer.example.org`).
   */
  ETS_INDEXER_AUTH_DOMAIN: optional(z.string().trim().min(1)),
  /** How long a session lasts, seconds. Default `28800` (8 h). */
  ETS_INDEXER_SESSION_TTL_S: envInteger(60, 30 * 86_400).default("28800"),
  /** How long a login nonce may wait for its message, seconds. Default `300`. */
  ETS_INDEXER_NONCE_TTL_S: envInteger(10, 86_400).default("300"),
  /** A session's role is asked on chain again when its last check is older than this, seconds. Default `60`. */
  ETS_INDEXER_ROLE_RECHECK_S: envInteger(0, 86_400).default("60"),
  /** GraphQL limits: deepest selection (GraphiQL's introspection query fits). Default `10`. */
  ETS_GRAPHQL_MAX_DEPTH: envInteger(1, 1000).default("10"),
  /** Largest cost (GraphQL Armor's: objects 2, scalars 1, ×1.5 per level, × a literal `first`; a page of 1,000 rows of some 15 fields fits). Default `100000`. */
  ETS_GRAPHQL_MAX_COST: envInteger(1, 1e9).default("100000"),
  /** Largest number of rows a query may ask for: each list's `first` (or its default) times its parents'. Default `100000`. */
  ETS_GRAPHQL_MAX_ROWS: envInteger(1, 1e12).default("100000"),
  /** Rows assumed for a list without `first` (an entity's holdings, accounts, positions). Default `20`. */
  ETS_GRAPHQL_LIST_SIZE: envInteger(1, 1e6).default("20"),
  /** Most aliases in one query. Default `15`. */
  ETS_GRAPHQL_MAX_ALIASES: envInteger(0, 10_000).default("15"),
  /** Most tokens in one query document. Default `5000`. */
  ETS_GRAPHQL_MAX_TOKENS: envInteger(1, 1e6).default("5000"),
  /** Most directives in one query. Default `50`. */
  ETS_GRAPHQL_MAX_DIRECTIVES: envInteger(0, 10_000).default("50"),
  /** The exchange's time zone for trading days, minutes east of UTC. Default `480` (UTC+8). */
  ETS_MARKET_UTC_OFFSET_MINUTES: z
    .string()
    .trim()
    .regex(/^-?\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(-720).max(840))
    .default("480"),
  /** Wash trades: a round trip A→B→A in one product within this many seconds of block time. Default `3600`. */
  ETS_SUPERVISION_WASH_WINDOW_S: envInteger(0, 31_536_000).default("3600"),
  /** Concentration: one account above this share of a vintage's circulating supply, basis points. Default `2000` (20 %). */
  ETS_SUPERVISION_CONCENTRATION_BPS: envInteger(1, 10_000).default("2000"),
  /** Price spikes: a trade further than this from the previous day's close, basis points. Default `1000` (10 %). */
  ETS_SUPERVISION_PRICE_SPIKE_BPS: envInteger(1, 1_000_000).default("1000"),
  /** Large trades: at least this many tonnes. Default `100000`. */
  ETS_SUPERVISION_LARGE_TRADE_T: envInteger(1, Number.MAX_SAFE_INTEGER).default("100000"),
  /** Large trades: or at least this notional, fen. Default `1000000000` (10 million yuan). */
  ETS_SUPERVISION_LARGE_TRADE_FEN: envInteger(1, Number.MAX_SAFE_INTEGER).default("1000000000"),
  /** Transfers to an account the holder trusted less than this many seconds before. Default `604800` (7 days). */
  ETS_SUPERVISION_TRUST_WINDOW_S: envInteger(0, 31_536_000).default("604800"),
  ETS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type IndexerEnv = z.infer<typeof envSchema>;

/**
 * V8 flags the indexer's process runs with (`npm start` passes them; see the operator guide): a
 * backfill makes many short-lived objects per event, and a young generation of 64 MB (16 MB by
 * default) lets most die young, which cut its CPU time by a tenth on the benchmark.
 */
export const INDEXER_NODE_FLAGS = ["--max-semi-space-size=64"];

/** The access settings of `createIndexer` (`indexer/auth/`), from the environment. */
export function accessOptions(env: IndexerEnv) {
  return {
    domain: env.ETS_INDEXER_AUTH_DOMAIN,
    sessionTtlS: env.ETS_INDEXER_SESSION_TTL_S,
    nonceTtlS: env.ETS_INDEXER_NONCE_TTL_S,
    roleRecheckS: env.ETS_INDEXER_ROLE_RECHECK_S,
  };
}

/** The GraphQL limits of `createIndexer` (`graphql/limits.ts`), from the environment. */
export function limitOptions(env: IndexerEnv) {
  return {
    maxDepth: env.ETS_GRAPHQL_MAX_DEPTH,
    maxCost: env.ETS_GRAPHQL_MAX_COST,
    maxRows: env.ETS_GRAPHQL_MAX_ROWS,
    listSize: env.ETS_GRAPHQL_LIST_SIZE,
    maxAliases: env.ETS_GRAPHQL_MAX_ALIASES,
    maxTokens: env.ETS_GRAPHQL_MAX_TOKENS,
    maxDirectives: env.ETS_GRAPHQL_MAX_DIRECTIVES,
  };
}

/** The indexer's configuration from the environment; a bad value names its variable. */
export function readIndexerEnv(env: NodeJS.ProcessEnv = process.env): IndexerEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid indexer configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** The supervision thresholds and the trading day's time zone, as the handlers take them. */
export function rulesConfig(env: IndexerEnv): RulesConfig {
  return {
    washWindowSeconds: env.ETS_SUPERVISION_WASH_WINDOW_S,
    concentrationBps: env.ETS_SUPERVISION_CONCENTRATION_BPS,
    priceSpikeBps: env.ETS_SUPERVISION_PRICE_SPIKE_BPS,
    largeTradeQuantity: BigInt(env.ETS_SUPERVISION_LARGE_TRADE_T),
    largeTradeNotional: BigInt(env.ETS_SUPERVISION_LARGE_TRADE_FEN),
    trustWindowSeconds: env.ETS_SUPERVISION_TRUST_WINDOW_S,
    utcOffsetMinutes: env.ETS_MARKET_UTC_OFFSET_MINUTES,
  };
}
