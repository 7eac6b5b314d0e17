/**
 * The web portal as its own process (run by `npm start`): builds the app if it is missing or out
 * of date, then serves it with the chain, the exchange and the indexer behind one address.
 *
 * Environment: ETS_RPC_URL, ETS_DEPLOYMENTS_DIR, ETS_CHAIN_ID (the manifest to read),
 * ETS_EXCHANGE_URL and ETS_INDEXER_URL (optional), ETS_WEB_HOST (default 127.0.0.1),
 * ETS_WEB_PORT (default 8080; 0 picks a free port).
 */
import http from "node:http";
import { z } from "zod";
import { envInteger } from "../../../sdk/env";
import { readManifest } from "../../../sdk/manifest";
import { createWebApp } from "./app";
import { DIST_DIR, ensureWebBuilt } from "./build";

const envSchema = z.object({
  ETS_RPC_URL: z.string().url(),
  ETS_DEPLOYMENTS_DIR: z.string().min(1),
  ETS_CHAIN_ID: envInteger(1, 2 ** 32 - 1).default("31337"),
  ETS_EXCHANGE_URL: z.string().url().optional(),
  ETS_INDEXER_URL: z.string().url().optional(),
  ETS_WEB_HOST: z.string().trim().min(1).default("127.0.0.1"),
  ETS_WEB_PORT: envInteger(0, 65535).default("8080"),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`web: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  const manifest = readManifest(env.ETS_DEPLOYMENTS_DIR, env.ETS_CHAIN_ID);
  if (!manifest) {
    process.stderr.write(`web: no deployment of chain ${env.ETS_CHAIN_ID} in ${env.ETS_DEPLOYMENTS_DIR}\n`);
    process.exit(2);
  }
  await ensureWebBuilt({ quiet: true });
  const { app, upgrade } = createWebApp({
    distDir: DIST_DIR,
    manifest,
    rpcUrl: env.ETS_RPC_URL,
    exchangeUrl: env.ETS_EXCHANGE_URL,
    indexerUrl: env.ETS_INDEXER_URL,
  });
  const server = http.createServer(app);
  server.on("upgrade", upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.ETS_WEB_PORT, env.ETS_WEB_HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : env.ETS_WEB_PORT;
  process.stdout.write(`web ready at http://${env.ETS_WEB_HOST}:${port}/\n`);

  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (process.env.ETS_EXIT_WITH_STDIN) {
    process.stdin.on("end", stop);
    process.stdin.resume();
  }
}

void main();
