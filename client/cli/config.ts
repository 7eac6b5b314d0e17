import path from "node:path";
import { z } from "zod";
import { clientError } from "../../sdk/client-errors";

/**
 * The one configuration of the `ets` CLI, from flags first, then the environment, then defaults.
 * Relative folders are taken from the current directory.
 */
export const configSchema = z.object({
  /** JSON-RPC endpoint of the chain node. Default http://127.0.0.1:8545 (`--rpc`, `ETS_RPC_URL`). */
  rpcUrl: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "must be an http:// or https:// URL"),
  /** Base URL of the exchange's REST API. Default http://127.0.0.1:8600 (`--exchange`, `ETS_EXCHANGE_URL`). */
  exchangeUrl: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "must be an http:// or https:// URL")
    .transform((u) => u.replace(/\/+$/, "")),
  /** Folder of the encrypted keystores `<name>.json`. Default `data/wallets` (`--wallets`, `ETS_WALLET_DIR`). */
  walletDir: z.string().min(1),
  /** Folder of the deployment manifests `<chainId>.json`. Default `deployments` (`--deployments`, `ETS_DEPLOYMENTS_DIR`). */
  deploymentsDir: z.string().min(1),
  /** The wallet that signs, by name or address. No default (`--from`, `ETS_FROM`). */
  from: z.string().min(1).optional(),
  /** A file whose first line is the keystore password. No default (`--password-file`, `ETS_PASSWORD_FILE`). */
  passwordFile: z.string().min(1).optional(),
  /** The keystore password itself. No default (`ETS_PASSWORD`; never a flag, so it stays out of shell history). */
  password: z.string().optional(),
  /** Print one JSON object instead of text. Default false (`--json`). */
  json: z.boolean(),
});

export type Config = z.infer<typeof configSchema>;

/** The global flags as commander hands them over. */
export interface GlobalFlags {
  rpc?: string;
  exchange?: string;
  wallets?: string;
  deployments?: string;
  from?: string;
  passwordFile?: string;
  json?: boolean;
}

export const DEFAULTS = {
  rpcUrl: "http://127.0.0.1:8545",
  exchangeUrl: "http://127.0.0.1:8600",
  walletDir: "data/wallets",
  deploymentsDir: "data/deployments",
} as const;

/** Builds and checks the configuration; a bad value is INVALID_CONFIG naming the setting. */
export function loadConfig(flags: GlobalFlags, env: Readonly<Record<string, string | undefined>>, cwd: string): Config {
  const pick = (flag: string | undefined, name: string): string | undefined =>
    flag ?? (env[name] === "" ? undefined : env[name]);
  const raw = {
    rpcUrl: pick(flags.rpc, "ETS_RPC_URL") ?? DEFAULTS.rpcUrl,
    exchangeUrl: pick(flags.exchange, "ETS_EXCHANGE_URL") ?? DEFAULTS.exchangeUrl,
    walletDir: path.resolve(cwd, pick(flags.wallets, "ETS_WALLET_DIR") ?? DEFAULTS.walletDir),
    deploymentsDir: path.resolve(cwd, pick(flags.deployments, "ETS_DEPLOYMENTS_DIR") ?? DEFAULTS.deploymentsDir),
    from: pick(flags.from, "ETS_FROM"),
    passwordFile: pick(flags.passwordFile, "ETS_PASSWORD_FILE"),
    password: pick(undefined, "ETS_PASSWORD"),
    json: flags.json === true,
  };
  if (raw.passwordFile) raw.passwordFile = path.resolve(cwd, raw.passwordFile);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "setting");
    const source = SOURCES[field as keyof typeof SOURCES] ?? field;
    throw clientError("INVALID_CONFIG", `The setting ${source} is invalid: ${issue?.message ?? "bad value"}.`, {
      field,
    });
  }
  return parsed.data;
}

const SOURCES = {
  rpcUrl: "--rpc / ETS_RPC_URL",
  exchangeUrl: "--exchange / ETS_EXCHANGE_URL",
  walletDir: "--wallets / ETS_WALLET_DIR",
  deploymentsDir: "--deployments / ETS_DEPLOYMENTS_DIR",
  from: "--from / ETS_FROM",
  passwordFile: "--password-file / ETS_PASSWORD_FILE",
  password: "ETS_PASSWORD",
} as const;
