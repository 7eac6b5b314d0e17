/**
 * `npm start`: the whole system on one machine.
 *
 *   1. compile the contracts if `artifacts/` or `typechain-types/` is missing;
 *   2. start the chain: Anvil behind the durable JSON-RPC proxy, continuing from `data/chain/`;
 *   3. first start only: keystores, deployment, demo registry; later starts reuse them;
 *   4. start the services that need the chain: the exchange, the indexer, then the web portal
 *      (built here if `npm install` did not);
 *   5. print the banner and log "ready"; on SIGINT or SIGTERM stop everything in reverse order.
 *
 * Configuration: environment variables, see `scripts/config.ts`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { BootstrapResult } from "./bootstrap";
import { formatBanner } from "./banner";
import { ConfigError, REPO_ROOT, loadConfig, type StartConfig } from "./config";
import { ChainService } from "./lib/chain-service";
import { createLogger, type Logger } from "./lib/logger";
import { ServiceGroup } from "./lib/service";

async function main(): Promise<void> {
  let config: StartConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`npm start: ${err.message}\n(see scripts/config.ts for every variable and its default)\n`);
      process.exit(2);
    }
    throw err;
  }
  const t0 = performance.now();
  const log = createLogger(config.logLevel);
  const startLog = log.child({ component: "start" });
  const services = new ServiceGroup(log);

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string, code: number): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      startLog.info({ reason }, "stopping");
      const clean = await services.stopAll();
      const exitCode = clean ? code : 1;
      startLog.info({ exitCode }, "stopped");
      process.exit(exitCode);
    })();
    return stopping;
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  void services.failed.then((err) => shutdown(`a service failed: ${err.message}`, 1));

  try {
    await ensureCompiled(log.child({ component: "build" }));
    if (stopping) return;

    const chain = await services.start(
      new ChainService({
        chainDir: config.chainDir,
        host: config.rpcHost,
        port: config.rpcPort,
        chainId: config.chainId,
      }),
    );
    if (stopping) return;

    // Loaded now: it needs the compiled contracts' types.
    const { bootstrap } = await import("./bootstrap");
    const result: BootstrapResult = await bootstrap({
      rpcUrl: chain.internalUrl,
      checkpoint: () => chain.checkpoint(),
      chainId: config.chainId,
      walletDir: config.walletDir,
      deploymentsDir: config.deploymentsDir,
      password: config.demoPassword,
      demoKdf: config.demoKdf,
      demo: config.demo,
      enforcementDelay: config.enforcementDelay,
      fees: { makerBps: config.makerFeeBps, takerBps: config.takerFeeBps },
      log: log.child({ component: "bootstrap" }),
    });
    if (stopping) return;
    await chain.setBlockTime(config.blockTime);

    // Services that need the chain and the deployment, in dependency order.
    const running: { name: string; url: string }[] = [];
    let exchangeUrl: string | undefined;
    let indexerUrl: string | undefined;
    let webUrl: string | undefined;
    if (config.exchange) {
      const { ExchangeService } = await import("./lib/exchange-service");
      const exchange = await services.start(
        new ExchangeService({
          rpcUrl: chain.rpcUrl,
          settlementRpcUrl: chain.internalUrl,
          deploymentsDir: config.deploymentsDir,
          walletDir: config.walletDir,
          password: config.demoPassword,
          dataDir: config.dataDir,
        }),
      );
      exchangeUrl = exchange.url;
      running.push({ name: "exchange", url: `${exchange.url}/v1  (OpenAPI: ${exchange.url}/v1/openapi.json)` });
    }
    if (stopping) return;
    if (config.indexer) {
      const { IndexerService } = await import("./lib/indexer-service");
      const indexer = await services.start(
        new IndexerService({
          rpcUrl: chain.rpcUrl,
          deploymentsDir: config.deploymentsDir,
          sqliteFile: path.join(config.dataDir, "indexer.sqlite"),
        }),
      );
      indexerUrl = indexer.url;
      running.push({
        name: "indexer",
        url: `${indexer.url}  (GraphiQL; entity-level data after: npx ets explorer login --from regulator)`,
      });
    }
    if (stopping) return;
    if (config.web) {
      const { WebService } = await import("./lib/web-service");
      const web = await services.start(
        new WebService({
          rpcUrl: chain.rpcUrl,
          chainId: config.chainId,
          deploymentsDir: config.deploymentsDir,
          exchangeUrl,
          indexerUrl,
          host: config.webHost,
          port: config.webPort,
        }),
      );
      webUrl = web.url;
      running.unshift({ name: "web portal", url: `${web.url}  (participants, regulator, verifiers)` });
    }
    if (stopping) return;

    const seconds = (performance.now() - t0) / 1000;
    const startKind = result.deployed
      ? `first start: deployed, ${result.keystoresCreated} keystores, ${result.registered} accounts opened`
      : result.registered > 0
        ? `restart: ${result.registered} missing demo accounts opened`
        : "restart";
    process.stdout.write(
      formatBanner({
        rpcUrl: chain.rpcUrl,
        chainId: config.chainId,
        blockNumber: result.blockNumber,
        stateFile: chain.stateFile,
        manifest: result.manifest,
        manifestFile: result.manifestFile,
        dataDir: config.dataDir,
        walletDir: config.walletDir,
        deploymentsDir: config.deploymentsDir,
        keystores: countKeystores(config.walletDir),
        password: config.demoPassword,
        entityCount: result.entityCount,
        demo: result.demo,
        startKind,
        seconds,
        services: running,
      }),
    );
    startLog.info(
      {
        rpcUrl: chain.rpcUrl,
        ...(webUrl ? { webUrl } : {}),
        chainId: config.chainId,
        firstStart: result.deployed,
        block: result.blockNumber,
        entities: result.entityCount,
        ms: Math.round(seconds * 1000),
      },
      "ready",
    );
  } catch (err) {
    if (stopping) return; // a stop during start makes the start fail; that is expected
    startLog.fatal({ err }, "start failed");
    await shutdown("start failed", 1);
  }
}

/**
 * Compiles the contracts when their artifacts or TypeChain types are missing (a fresh clone).
 * `hardhat typechain` compiles what is out of date and regenerates every type, which a plain
 * `hardhat compile` skips when the artifacts are current but the types were deleted.
 */
async function ensureCompiled(log: Logger): Promise<void> {
  const missing = ["artifacts", "typechain-types"].filter((d) => !fs.existsSync(path.join(REPO_ROOT, d)));
  if (missing.length === 0) return;
  log.info({ missing }, "compiling the contracts (first run of a fresh clone)");
  const t0 = performance.now();
  const hardhat = path.join(REPO_ROOT, "node_modules", ".bin", "hardhat");
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(hardhat, ["typechain"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => output.push(d));
    child.stderr.on("data", (d: Buffer) => output.push(d));
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) {
    throw new Error(`hardhat compile failed (exit ${code}):\n${Buffer.concat(output).toString("utf8")}`);
  }
  log.info({ ms: Math.round(performance.now() - t0) }, "contracts compiled");
}

function countKeystores(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).filter((f) => f.endsWith(".json") && !f.startsWith(".")).length;
}

void main();
