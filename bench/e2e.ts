/**
 * End-to-end exchange benchmark against `npm start` (a fresh data folder, 1-second blocks, the
 * durable JSON-RPC, the exchange on its journal): signed orders from many wallets over REST,
 * matched, batched and settled on chain.
 *
 *   npm run bench:e2e          (BENCH_WALLETS, default 60; BENCH_SECONDS, default 30)
 *
 * The wallets are demo covered entities: the regulator imports a CCER batch to each, the clearing
 * bank deposits cash, each deposits both into its trading account. Wallets work in pairs: one posts
 * ten 1 t sell orders, the other sweeps them with one IOC buy (ten trades), then they swap sides.
 * Orders are signed before the clock starts (a load generator's signing is not the system's cost).
 * Measured: sustained settled trades per second (trade ids confirmed by the Clearing contract per
 * second of the steady window) and the latency from an order's acknowledgement to the settlement
 * of the trades it made, p50/p99. Writes bench/results/e2e.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getBytes, hexlify, id, type Wallet } from "ethers";
import * as secp from "tiny-secp256k1";
import { launchStart } from "../scripts/lib/start-process";
import { freePort } from "../scripts/lib/anvil";
import { connectContracts } from "../sdk/contracts";
import { findKeystore, unlockKeystore } from "../sdk/keystore";
import { readManifest } from "../sdk/manifest";
import { clearingDomain, type Order } from "../sdk/orders";
import { connectRpc } from "../sdk/provider";
import { domainSeparator, orderDigest } from "../sdk/signatures";
import { Clearing__factory } from "../typechain-types";

const WALLETS = Number(process.env.BENCH_WALLETS ?? 60);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP = 5;
const UNITS = 1_000_000n;
const CASH = 10_000_000_000n; // fen
const PASSWORD = "demo-password";

function sign(w: Wallet, sep: Uint8Array, o: Order): string {
  const digest = getBytes(orderDigest(sep, o));
  const { signature, recoveryId } = secp.signRecoverable(digest, getBytes(w.privateKey));
  return hexlify(new Uint8Array([...signature, 27 + recoveryId]));
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-bench-e2e-"));
  const exchangePort = await freePort();
  const start = launchStart(
    {
      ETS_DATA_DIR: dataDir,
      ETS_RPC_PORT: String(await freePort()),
      ETS_EXCHANGE_PORT: String(exchangePort),
      ETS_INDEXER_PORT: "0",
      ETS_WEB_PORT: "0",
      ETS_BLOCK_TIME: "1",
      ETS_LOG_LEVEL: "info",
      ...(process.env.BENCH_PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {}),
    },
    120_000,
  );
  try {
    const ready = await start.ready;
    console.log(`npm start ready in ${(ready.elapsedMs / 1000).toFixed(1)} s`);
    const provider = connectRpc(ready.rpcUrl);
    const manifest = readManifest(path.join(dataDir, "deployments"), ready.chainId)!;
    const walletDir = path.join(dataDir, "wallets");
    const unlock = async (name: string) =>
      (await unlockKeystore(findKeystore(walletDir, name), PASSWORD)).connect(provider);
    const regulator = await unlock("regulator");
    const bank = await unlock("clearing-bank");
    const names = fs
      .readdirSync(walletDir)
      .filter((f) => f.startsWith("entity-"))
      .map((f) => f.replace(/\.json$/, ""))
      .sort()
      .slice(0, WALLETS);
    const traders = await Promise.all(names.map(unlock));
    const exchange = `http://127.0.0.1:${exchangePort}`;

    // Setup: a CCER batch and cash for each wallet, then both into its trading account.
    const t0 = performance.now();
    const reg = connectContracts(manifest, regulator);
    const bk = connectContracts(manifest, bank);
    let rn = await provider.getTransactionCount(regulator.address, "pending");
    let bn = await provider.getTransactionCount(bank.address, "pending");
    const setup = [];
    for (const [i, t] of traders.entries()) {
      setup.push(
        reg.offsets.importBatch(
          t.address,
          {
            projectId: `BENCH-${i}`,
            projectType: "wind",
            hydro: false,
            methodology: "CM-001-V02",
            reductionStart: 1_388_534_400n,
            reductionEnd: 1_420_070_399n,
            serialFirst: 1n,
            serialLast: UNITS,
            originRef: `bench-${dataDir}-${i}`,
          },
          { nonce: rn++ },
        ),
      );
      setup.push(bk.cash.deposit(t.address, CASH, id(`bench-${dataDir}-${i}`), { nonce: bn++ }));
    }
    await Promise.all((await Promise.all(setup)).map((tx) => tx.wait()));
    const clearingAddress = manifest.contracts.Clearing!;
    await Promise.all(
      traders.map(async (t, i) => {
        const c = connectContracts(manifest, t);
        const batchId = BigInt(i + 1);
        const txs = [
          await c.offsets.safeTransferFrom(t.address, clearingAddress, batchId, UNITS, "0x", { nonce: 0 }),
          await c.cash.approve(clearingAddress, CASH, { nonce: 1 }),
          await Clearing__factory.connect(clearingAddress, t).depositCash(CASH, { nonce: 2 }),
        ];
        await Promise.all(txs.map((tx) => tx.wait()));
      }),
    );
    // Every trader needs both sides' product: give each pair's partner a share of the other's batch
    // by trading is simplest; instead each pair trades the product of its first wallet.
    for (;;) {
      const acc = (await (await fetch(`${exchange}/v1/accounts/${traders.at(-1)!.address}`)).json()) as {
        positions: unknown[];
      };
      if (acc.positions.length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(
      `setup: ${traders.length} wallets funded and deposited in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // Pre-signed order flow per pair.
    const sep = domainSeparator(clearingDomain(manifest.chainId, clearingAddress));
    const pairs = Math.floor(traders.length / 2);
    const rounds = Math.ceil((SECONDS * 700) / (pairs * 10)) + 5;
    const nonces = traders.map(() => 0n);
    type Step = { body: string; trades: number };
    const flows: Step[][] = [];
    for (let p = 0; p < pairs; p++) {
      const a = 2 * p;
      const b = 2 * p + 1;
      const product = BigInt(a + 1); // CCER batch of the pair's first wallet
      const steps: Step[] = [];
      for (let r = 0; r < rounds; r++) {
        // Round r: the holder of the units sells; its partner buys. Units start with `a`.
        const [seller, buyer] = r % 2 === 0 ? [a, b] : [b, a];
        const order = (w: number, isBuy: boolean, quantity: bigint, tif: number): string => {
          const t = traders[w]!;
          const o: Order = {
            trader: t.address,
            token: manifest.contracts.OffsetToken,
            tokenId: product,
            isBuy,
            price: 3000n,
            quantity,
            timeInForce: tif,
            nonce: ++nonces[w]!,
            expiry: 0n,
          };
          return json({ order: o, signature: sign(t, sep, o) });
        };
        for (let k = 0; k < 10; k++) steps.push({ body: order(seller, false, 1n, 0), trades: 0 });
        steps.push({ body: order(buyer, true, 10n, 1), trades: 10 });
      }
      flows.push(steps);
    }
    console.log(`signed ${flows.reduce((a, f) => a + f.length, 0)} orders`);

    // Load: each pair sends its flow in order, as fast as acknowledgements come back.
    const clearing = Clearing__factory.connect(clearingAddress, provider);
    const ackAt = new Map<bigint, number>(); // trade id → when the order that made it was acknowledged
    const settledAt = new Map<bigint, number>();
    let lastSeen = await clearing.lastTradeId();
    const startTradeId = lastSeen;
    let running = true;
    let stopAt = Number.POSITIVE_INFINITY;
    const poller = (async () => {
      while (running || settledAt.size < ackAt.size) {
        const last = await clearing.lastTradeId();
        const now = performance.now();
        for (let id = lastSeen + 1n; id <= last; id++) settledAt.set(id, now);
        lastSeen = last;
        await new Promise((r) => setTimeout(r, 100));
        if (!running && performance.now() - stopAt > 60_000) break;
      }
    })();
    const begin = performance.now();
    const deadline = begin + SECONDS * 1000;
    let rejected = 0;
    const orderLatency: number[] = [];
    await Promise.all(
      flows.map(async (steps) => {
        for (const s of steps) {
          if (performance.now() > deadline) return;
          const sent = performance.now();
          const res = await fetch(`${exchange}/v1/orders`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: s.body,
          });
          const now = performance.now();
          orderLatency.push(now - sent);
          const out = (await res.json()) as { trades?: { tradeId: string }[]; error?: { code: string } };
          if (res.status !== 201) {
            rejected++;
            if (rejected < 5) console.error("rejected:", JSON.stringify(out.error));
            continue;
          }
          for (const t of out.trades ?? []) ackAt.set(BigInt(t.tradeId), now);
        }
      }),
    );
    stopAt = performance.now();
    running = false;
    await poller;
    const end = Math.max(...settledAt.values());

    // Sustained rate: trades settled per second between the warm-up and the end of the load.
    const from = begin + WARMUP * 1000;
    const inWindow = [...settledAt.values()].filter((t) => t >= from && t <= stopAt).length;
    const sustained = inWindow / ((stopAt - from) / 1000);
    const lat = [...ackAt]
      .filter(([id]) => settledAt.has(id))
      .map(([id, at]) => settledAt.get(id)! - at)
      .sort((x, y) => x - y);
    const pct = (q: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!);
    orderLatency.sort((x, y) => x - y);
    const ackMs = {
      p50: Math.round(orderLatency[Math.floor(orderLatency.length / 2)] ?? 0),
      p99: Math.round(orderLatency[Math.floor(orderLatency.length * 0.99)] ?? 0),
    };
    const result = {
      benchmark: "e2e",
      date: new Date().toISOString(),
      wallets: traders.length,
      blockTimeSeconds: 1,
      loadSeconds: Number(((stopAt - begin) / 1000).toFixed(1)),
      tradesMatched: ackAt.size,
      tradesSettled: Number(lastSeen - startTradeId),
      rejectedOrders: rejected,
      sustainedSettledTradesPerSecond: Math.round(sustained),
      drainSeconds: Number(((end - stopAt) / 1000).toFixed(1)),
      ackToSettledMs: { p50: pct(0.5), p99: pct(0.99) },
      ordersSent: orderLatency.length,
      orderAckMs: ackMs,
    };
    console.log(
      `${result.tradesSettled} trades settled; sustained ${result.sustainedSettledTradesPerSecond} settled trades/s; ack → settled p50 ${result.ackToSettledMs.p50} ms, p99 ${result.ackToSettledMs.p99} ms; ${rejected} orders rejected; ${orderLatency.length} orders, ack p50 ${ackMs.p50} ms p99 ${ackMs.p99} ms`,
    );
    fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
    fs.writeFileSync(path.join(__dirname, "results", "e2e.json"), JSON.stringify(result, null, 2) + "\n");
    console.log("written bench/results/e2e.json");
    if (process.env.BENCH_BLOCKS) {
      const logs = await clearing.queryFilter(clearing.filters.TradeSettled(), 0, "latest");
      const perBlock = new Map<number, number>();
      for (const l of logs) perBlock.set(l.blockNumber, (perBlock.get(l.blockNumber) ?? 0) + 1);
      const blocks = [...perBlock.keys()].sort((a, b) => a - b);
      for (const b of blocks) {
        const blk = await provider.getBlock(b);
        console.log(
          `block ${b} t=${blk?.timestamp} txs=${blk?.transactions.length} trades=${perBlock.get(b)} gas=${blk?.gasUsed}`,
        );
      }
    }
    if (process.env.BENCH_LOG_LEVEL)
      for (const l of start.lines)
        if (l.component === "settlement" || l.component === "chain") console.log(JSON.stringify(l).slice(0, 300));
    provider.destroy();
  } finally {
    start.signalGroup("SIGINT");
    await start.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
