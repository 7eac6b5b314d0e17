/**
 * `npm start` benchmark: time from an empty data folder to ready, and from a restart to ready
 * (3 runs each, median), both from the spawn of `tsx scripts/start.ts` to its "ready" log line;
 * then the cost of durability: a transaction's round trip through the durable JSON-RPC proxy
 * (forward + anvil_dumpState + fsync'd write) against the same transaction sent to Anvil directly,
 * one at a time and 16 at once (group commit), on the demo chain.
 *
 *   npm run bench:start                            writes bench/results/start.json
 *   ETS_DEMO_KDF=standard npm run bench:start      the same with full-strength demo keystores
 *
 * Uses free ports and temporary folders; never touches `data/`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { freePort } from "../scripts/lib/anvil";
import { randomWallet } from "../scripts/lib/keystore";
import { launchStart, type StartProcess } from "../scripts/lib/start-process";

const RUNS = 3;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** `npm start`'s environment for a run in `dataDir`: free ports for every service. */
async function startEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    ETS_DATA_DIR: dataDir,
    ETS_RPC_PORT: String(await freePort()),
    ETS_EXCHANGE_PORT: "0",
    ETS_INDEXER_PORT: "0",
    ETS_WEB_PORT: "0",
  };
}
async function stop(p: StartProcess): Promise<void> {
  p.signalGroup("SIGINT");
  const exit = await p.exited;
  if (exit.code !== 0) throw new Error(`npm start exited with ${exit.code} after SIGINT:\n${p.output()}`);
}

async function send(url: string, raw: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: [raw] }),
  });
  const reply = (await res.json()) as { error?: unknown };
  if (reply.error) throw new Error(`send failed: ${JSON.stringify(reply.error)}`);
}

/** Latencies (ms) of `count` transactions sent one at a time, and the rate of `count` sent `concurrency` at a time. */
async function txCost(url: string, sender: Wallet, nonce: { next: number }, count: number, concurrency: number) {
  const sign = () =>
    sender.signTransaction({
      type: 0,
      chainId: 31337,
      nonce: nonce.next++,
      to: sender.address,
      value: 0,
      gasLimit: 21_000,
      gasPrice: 0,
    });
  const sequential: number[] = [];
  for (let i = 0; i < count; i++) {
    const raw = await sign();
    const t0 = performance.now();
    await send(url, raw);
    sequential.push(performance.now() - t0);
  }
  const raws: string[] = [];
  for (let i = 0; i < count; i++) raws.push(await sign());
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < raws.length) await send(url, raws[next++]!);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    sequentialMs: { p50: round(median(sequential), 2), p95: round(percentile(sequential, 95), 2) },
    concurrentTxPerSec: round(count / seconds),
  };
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ets-bench-start-"));
  const firstStartMs: number[] = [];
  const restartMs: number[] = [];
  let durability: Record<string, unknown> = {};
  try {
    let dataDir = "";
    for (let i = 0; i < RUNS; i++) {
      dataDir = path.join(root, `run-${i}`);
      const p = launchStart(await startEnv(dataDir));
      const ready = await p.ready;
      if (!ready.firstStart) throw new Error("expected a first start");
      firstStartMs.push(ready.elapsedMs);
      console.log(`first start ${i + 1}/${RUNS}: ${(ready.elapsedMs / 1000).toFixed(1)} s`);
      await stop(p);
    }
    const env = await startEnv(dataDir);
    let last: StartProcess | undefined;
    for (let i = 0; i < RUNS; i++) {
      const p = launchStart(env);
      const ready = await p.ready;
      if (ready.firstStart) throw new Error("expected a restart");
      restartMs.push(ready.elapsedMs);
      console.log(`restart ${i + 1}/${RUNS}: ${(ready.elapsedMs / 1000).toFixed(1)} s`);
      if (i < RUNS - 1) await stop(p);
      else last = p;
    }

    // Durability cost, on the demo chain of the last restart.
    const p = last!;
    const proxyUrl = (await p.ready).rpcUrl;
    const anvilUrl = p.internalUrl();
    if (!anvilUrl) throw new Error("no internal Anvil URL in the log");
    const sender = randomWallet();
    const nonce = { next: 0 };
    const direct = await txCost(anvilUrl, sender, nonce, 100, 16);
    const durable = await txCost(proxyUrl, sender, nonce, 100, 16);
    const stateBytes = fs.statSync(path.join(dataDir, "chain", "state.json")).size;
    durability = {
      chain: "demo registry after first start + 400 transfers",
      stateFileBytes: stateBytes,
      anvilDirect: direct,
      durableProxy: durable,
      dumpCostPerSequentialTxMs: round(durable.sequentialMs.p50 - direct.sequentialMs.p50, 2),
    };
    await stop(p);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  const summary = (xs: number[]) => ({
    medianMs: round(median(xs)),
    minMs: round(Math.min(...xs)),
    maxMs: round(Math.max(...xs)),
    runsMs: xs.map((x) => round(x)),
  });
  const result = {
    benchmark: "start",
    date: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? "unknown", node: process.version },
    note: "from the spawn of `tsx scripts/start.ts` to its ready log line; first start = empty data folder (120 keystores, deployment, 119 registrations)",
    config: { demoKdf: process.env.ETS_DEMO_KDF ?? "light" },
    loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    firstStart: summary(firstStartMs),
    restart: summary(restartMs),
    durability,
  };
  const out = path.join(__dirname, "results", "start.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify({ firstStart: result.firstStart, restart: result.restart, durability }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
