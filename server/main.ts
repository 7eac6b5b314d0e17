/**
 * Runs the exchange alone: `tsx server/main.ts`. Reads the deployment manifest of the chain it is
 * pointed at and the exchange operator's keystore; configuration from the environment
 * (server/config.ts plus the variables below). `npm start` runs the same server in its process.
 */
import path from "node:path";
import pino from "pino";
import { z } from "zod";
import { findKeystore, unlockKeystore } from "../sdk/keystore";
import { readManifest } from "../sdk/manifest";
import { connectRpc } from "../sdk/provider";
import { readExchangeEnv } from "./config";
import { startExchangeServer } from "./server";

const env = z
  .object({
    /** JSON-RPC of the chain. Default http://127.0.0.1:8545. */
    ETS_RPC_URL: z.string().url().default("http://127.0.0.1:8545"),
    /** JSON-RPC for settlement transactions, if not ETS_RPC_URL. */
    ETS_SETTLEMENT_RPC_URL: z.string().url().optional(),
    /** Folder of deployment manifests. Default data/deployments. */
    ETS_DEPLOYMENTS_DIR: z.string().min(1).default("data/deployments"),
    /** Folder of keystores. Default data/wallets. */
    ETS_WALLET_DIR: z.string().min(1).default("data/wallets"),
    /** Name (or address) of the operator's keystore there. Default exchange. */
    ETS_EXCHANGE_WALLET: z.string().min(1).default("exchange"),
    /** Its password. */
    ETS_PASSWORD: z.string().min(1, "set ETS_PASSWORD to the exchange wallet's password"),
    /** Default data/exchange/journal.log. */
    ETS_EXCHANGE_JOURNAL: z.string().min(1).default("data/exchange/journal.log"),
    ETS_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .parse(process.env);

async function main(): Promise<void> {
  const log = pino({ level: env.ETS_LOG_LEVEL });
  const provider = connectRpc(env.ETS_RPC_URL);
  const { chainId } = await provider.getNetwork();
  const manifest = readManifest(env.ETS_DEPLOYMENTS_DIR, chainId);
  if (!manifest) throw new Error(`no deployment manifest for chain ${chainId} in ${env.ETS_DEPLOYMENTS_DIR}`);
  const operator = (
    await unlockKeystore(findKeystore(env.ETS_WALLET_DIR, env.ETS_EXCHANGE_WALLET), env.ETS_PASSWORD)
  ).connect(provider);
  const journalFile = path.resolve(env.ETS_EXCHANGE_JOURNAL);
  await import("node:fs").then((fs) => fs.mkdirSync(path.dirname(journalFile), { recursive: true }));
  const running = await startExchangeServer({
    env: readExchangeEnv(),
    manifest,
    operator,
    journalFile,
    log,
    settlementRpcUrl: env.ETS_SETTLEMENT_RPC_URL,
  });
  process.stdout.write(`exchange ready at ${running.url}\n`);
  const stop = async () => {
    await running.close();
    provider.destroy();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  // Run by `npm start` with a pipe as standard input: when the orchestrator dies (even by SIGKILL)
  // the pipe closes, and the exchange stops with it rather than linger.
  if (process.env.ETS_EXIT_WITH_STDIN === "1") {
    process.stdin.on("end", () => void stop());
    process.stdin.on("error", () => void stop());
    process.stdin.resume();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`exchange failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
