/**
 * The configuration of `npm start`, read once from the environment and checked with zod. Every
 * field has a default, so `npm start` needs none of them; a bad value stops the start with a message
 * that names the variable.
 */
import path from "node:path";
import { z } from "zod";
import { envInteger } from "../sdk/env";

/** The repository root: relative paths in the configuration are taken from here. */
export const REPO_ROOT = path.resolve(__dirname, "..");

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine(
    (v) => ["1", "0", "true", "false", "yes", "no", "on", "off"].includes(v),
    "expected true/false, yes/no, on/off or 1/0",
  )
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const integer = envInteger;

const envSchema = z.object({
  /** Where everything `npm start` keeps lives (chain snapshot, wallets, deployments). Default `data` (in the repository). */
  ETS_DATA_DIR: z.string().trim().min(1).default("data"),
  /** Address the durable JSON-RPC listens on. Default `127.0.0.1`: this machine only. */
  ETS_RPC_HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** Its port. Default `8545`; `0` picks a free port (tests). */
  ETS_RPC_PORT: integer(0, 65535).default("8545"),
  /** Chain id of the local chain. Default `31337`. */
  ETS_CHAIN_ID: integer(1, 2 ** 32 - 1).default("31337"),
  /** Whether the first start loads the demo registry (114 covered entities and the institutions' accounts). Default `true`. */
  ETS_DEMO: flag.default("true"),
  /** Password of every keystore `npm start` creates. Default `demo-password`: demo only, never for keys of value. */
  ETS_DEMO_PASSWORD: z.string().min(8, "at least 8 characters").default("demo-password"),
  /**
   * Key derivation of the demo entities' keystores: `light` (scrypt N = 2^12) or `standard`
   * (N = 2^17, ethers' default: ~0.4 s of CPU each, so the 114 of them add ~20 s to a first start
   * on two cores, and far more on a busy machine). Default `light`: their password is public anyway.
   * The role keystores (regulator, operator, verifiers, exchange, clearing bank) are always `standard`.
   */
  ETS_DEMO_KDF: z.enum(["light", "standard"]).default("light"),
  /** Execution delay of the regulator's forced transfers and key recoveries, in seconds. Default `86400` (24 h). */
  ETS_ENFORCEMENT_DELAY: integer(0, 365 * 24 * 3600).default("86400"),
  /** Where deployment manifests are written. Default `<data dir>/deployments` (not committed). */
  ETS_DEPLOYMENTS_DIR: z.string().trim().min(1).optional(),
  /** Where keystores are written. Default `<data dir>/wallets`; the `ets` CLI reads the same variable. */
  ETS_WALLET_DIR: z.string().trim().min(1).optional(),
  /** Seconds between blocks (a permissioned network's block time); `0` mines a block per transaction. Default `1`. */
  ETS_BLOCK_TIME: integer(0, 60).default("1"),
  /** Whether to run the exchange (REST + WebSocket, settlement). Default `true`. */
  ETS_EXCHANGE: flag.default("true"),
  /**
   * Whether to run the indexer (sync + GraphQL at http://127.0.0.1:8700/graphql; its own settings
   * in `indexer/config.ts`). Default `true`.
   */
  ETS_INDEXER: flag.default("true"),
  /**
   * Whether to serve the web portal (http://127.0.0.1:8080/: the app, with the chain, the exchange
   * and the indexer behind the same address). Built on first start if `npm install` did not.
   * Default `true`.
   */
  ETS_WEB: flag.default("true"),
  /** Address the web portal listens on. Default `127.0.0.1`. */
  ETS_WEB_HOST: z.string().trim().min(1).default("127.0.0.1"),
  /** Its port. Default `8080`; `0` picks a free port (tests). */
  ETS_WEB_PORT: integer(0, 65535).default("8080"),
  /** Maker fee of the exchange in basis points, set on the Clearing contract at deployment. Default `2`. */
  ETS_MAKER_FEE_BPS: integer(0, 100).default("2"),
  /** Taker fee in basis points. Default `5`. */
  ETS_TAKER_FEE_BPS: integer(0, 100).default("5"),
  /** pino log level. Default `info`. */
  ETS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface StartConfig {
  dataDir: string;
  chainDir: string;
  walletDir: string;
  deploymentsDir: string;
  rpcHost: string;
  rpcPort: number;
  chainId: number;
  demo: boolean;
  demoPassword: string;
  demoKdf: "light" | "standard";
  enforcementDelay: number;
  blockTime: number;
  exchange: boolean;
  indexer: boolean;
  web: boolean;
  webHost: string;
  webPort: number;
  makerFeeBps: number;
  takerFeeBps: number;
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Reads the configuration; throws a `ConfigError` that lists every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StartConfig {
  // An empty variable counts as unset.
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("ETS_") && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? "");
      return `  ${name}=${JSON.stringify(env[name] ?? "")}: ${i.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(REPO_ROOT, e.ETS_DATA_DIR);
  return {
    dataDir,
    chainDir: path.join(dataDir, "chain"),
    walletDir: path.resolve(REPO_ROOT, e.ETS_WALLET_DIR ?? path.join(dataDir, "wallets")),
    deploymentsDir: path.resolve(REPO_ROOT, e.ETS_DEPLOYMENTS_DIR ?? path.join(dataDir, "deployments")),
    rpcHost: e.ETS_RPC_HOST,
    rpcPort: e.ETS_RPC_PORT,
    chainId: e.ETS_CHAIN_ID,
    demo: e.ETS_DEMO,
    demoPassword: e.ETS_DEMO_PASSWORD,
    demoKdf: e.ETS_DEMO_KDF,
    enforcementDelay: e.ETS_ENFORCEMENT_DELAY,
    blockTime: e.ETS_BLOCK_TIME,
    exchange: e.ETS_EXCHANGE,
    indexer: e.ETS_INDEXER,
    web: e.ETS_WEB,
    webHost: e.ETS_WEB_HOST,
    webPort: e.ETS_WEB_PORT,
    makerFeeBps: e.ETS_MAKER_FEE_BPS,
    takerFeeBps: e.ETS_TAKER_FEE_BPS,
    logLevel: e.ETS_LOG_LEVEL,
  };
}
