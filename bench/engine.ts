/**
 * Matching-engine benchmark on the shared order flow (../shared/bench/orderflow.mjs).
 *
 *   npm run bench:engine            all scenarios, 3 fresh processes each, medians
 *   tsx bench/engine.ts --child S   one measured run of scenario S (used by the parent)
 *
 * Each child builds the stream before timing, warms up on a throw-away engine (seed 43, 100,000
 * orders), then runs the measured stream twice on fresh engines: once untimed per op (throughput),
 * once with a clock read around every op (latency percentiles; with the journal, the time until the
 * op is durable). It checks the stream's totals and
 * exits non-zero when they differ from the expected ones.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { MatchingEngine, type EngineListener } from "../server/engine/engine";
import { DoneReason, OrderType, Side, TimeInForce, type NewOrder } from "../server/engine/types";
import { Journal } from "../server/journal/journal";

interface Workload {
  params: Record<string, unknown>;
  n: number;
  kind: Uint8Array;
  side: Uint8Array;
  price: Int32Array;
  size: Int32Array;
  ref: Int32Array;
}
interface OrderFlow {
  generate(params?: Record<string, unknown>): Workload;
  fingerprint(w: Workload): string;
}

interface Totals {
  volume: number;
  fokRejects: number;
  cancelHits: number;
  cancelMisses: number;
  resting: number;
  restingLots: number;
}

/** The steady stream's totals from ../shared/bench/README.md (with and without the journal). */
const STEADY_TOTALS = {
  fingerprint: "468f5dd5",
  volume: 27_433_874,
  fokRejects: 5_198,
  cancelHits: 154_945,
  cancelMisses: 538_183,
  resting: 1_871,
  restingLots: 94_126,
};

const SCENARIOS = {
  steady: {
    params: {},
    expect: STEADY_TOTALS,
  },
  "steady-journal": {
    params: {},
    expect: STEADY_TOTALS,
  },
  deep: {
    params: { pCancel: 0.3, cancelMaxDelay: 1000 },
    expect: {
      fingerprint: "7c723ff9",
      volume: 27_398_537,
      fokRejects: 5_331,
      cancelHits: 63_375,
      cancelMisses: 147_018,
      resting: 93_616,
      restingLots: 4_717_442,
    },
  },
} as const;
type Scenario = keyof typeof SCENARIOS;

const ROOT = path.resolve(__dirname, "..");
const ORDERFLOW = path.resolve(ROOT, "..", "shared", "bench", "orderflow.mjs");

async function loadOrderFlow(): Promise<OrderFlow> {
  // A runtime import of the shared module (ESM) from this CommonJS file.
  return (await import(ORDERFLOW)) as OrderFlow;
}

/**
 * Runs a workload through a fresh engine. `lat` (if given) receives each op's latency in ns: the
 * engine's time for the op, or with a journal the time until the op is durable (its acknowledgement).
 * With a journal every command is appended before it is applied, and a group is committed every
 * `GROUP` ops while the next group is matched (group commit), as the exchange does.
 */
async function run(
  w: Workload,
  journal?: Journal,
  lat?: Float64Array,
): Promise<{ seconds: number; totals: Totals; newOrders: number }> {
  const totals: Totals = { volume: 0, fokRejects: 0, cancelHits: 0, cancelMisses: 0, resting: 0, restingLots: 0 };
  const listener: EngineListener = {
    onTrade(_p, _t, _m, _price, q) {
      totals.volume += q;
    },
    onDone(_p, _id, reason) {
      if (reason === DoneReason.FokRejected) totals.fokRejects++;
    },
    onRested() {},
    onBlockDeal() {},
  };
  const engine = new MatchingEngine(listener);
  // The shared stream has no price band (and every order is its own trader): reference 0 = no band.
  const product = engine.addProduct({
    name: "BENCH",
    referencePrice: 0,
    rules: { bandBps: 0, maxQuantity: 1_000_000 },
  });
  const order: NewOrder = {
    id: 0,
    trader: 0,
    side: Side.Buy,
    type: OrderType.Limit,
    tif: TimeInForce.GTC,
    price: 0,
    quantity: 0,
    expiry: 0,
  };
  const { kind, side, price, size, ref, n } = w;
  const record = new Uint8Array(16);
  const view = new DataView(record.buffer);
  const GROUP = 8192;
  const started = lat && journal ? new Float64Array(GROUP) : undefined;
  const acks: Promise<void>[] = [];
  let newOrders = 0;
  const t0 = performance.now();
  for (let g = 0; g < n; g += GROUP) {
    const end = Math.min(n, g + GROUP);
    for (let i = g; i < end; i++) {
      const s = lat ? performance.now() : 0;
      const k = kind[i]!;
      if (journal) {
        view.setUint8(0, k);
        view.setUint8(1, side[i]!);
        view.setInt32(4, price[i]!, true);
        view.setInt32(8, size[i]!, true);
        view.setInt32(12, ref[i]!, true);
        journal.append(record);
      }
      if (k === 4) {
        if (engine.cancel(product, ref[i]!)) totals.cancelHits++;
        else totals.cancelMisses++;
      } else {
        newOrders++;
        order.id = ref[i]!;
        order.trader = ref[i]!;
        order.side = side[i]! as Side;
        order.quantity = size[i]!;
        if (k === 3) {
          order.type = OrderType.Market;
          order.tif = TimeInForce.IOC;
          order.price = 0;
        } else {
          order.type = OrderType.Limit;
          order.tif = k === 0 ? TimeInForce.GTC : k === 1 ? TimeInForce.IOC : TimeInForce.FOK;
          order.price = price[i]!;
        }
        const rejection = engine.submit(product, order, 0);
        if (rejection) throw new Error(`op ${i} rejected: ${rejection}`);
      }
      if (lat) {
        if (started) started[i - g] = s;
        else lat[i] = (performance.now() - s) * 1e6;
      }
    }
    if (journal) {
      const ack = journal.commit();
      if (started && lat) {
        const from = g;
        const starts = started.slice(0, end - g);
        acks.push(
          ack.then(() => {
            const t = performance.now();
            for (let i = 0; i < starts.length; i++) lat[from + i] = (t - starts[i]!) * 1e6;
          }),
        );
      } else acks.push(ack);
      // Let the previous group's write and sync complete in the background while this one matches.
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  await Promise.all(acks);
  const seconds = (performance.now() - t0) / 1000;
  const book = engine.book(product);
  totals.resting = book.orderCount;
  totals.restingLots = book.restingQuantity();
  return { seconds, totals, newOrders };
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function child(scenario: Scenario): Promise<void> {
  const spec = SCENARIOS[scenario];
  const flow = await loadOrderFlow();
  const w = flow.generate(spec.params);
  const fingerprint = flow.fingerprint(w);
  const warm = flow.generate({ ...spec.params, seed: 43, newOrders: 100_000 });
  const dir = scenario.endsWith("-journal") ? fs.mkdtempSync(path.join(os.tmpdir(), "ets-bench-journal-")) : undefined;
  const open = (name: string) => (dir ? Journal.open(path.join(dir, name)) : undefined);
  try {
    await run(warm, open("warm.log"));
    const journal = open("measured.log");
    const measured = await run(w, journal);
    const journalStats = journal ? { bytes: journal.bytesWritten, fsyncs: journal.syncs } : undefined;
    await journal?.close();
    const lat = new Float64Array(w.n);
    const journal2 = open("latency.log");
    await run(w, journal2, lat);
    await journal2?.close();
    lat.sort();
    const mismatches = Object.entries(spec.expect)
      .filter(([k, v]) => (k === "fingerprint" ? fingerprint !== v : measured.totals[k as keyof Totals] !== v))
      .map(
        ([k, v]) =>
          `${k}: expected ${v}, got ${k === "fingerprint" ? fingerprint : measured.totals[k as keyof Totals]}`,
      );
    process.stdout.write(
      JSON.stringify({
        scenario,
        fingerprint,
        ops: w.n,
        newOrders: measured.newOrders,
        seconds: measured.seconds,
        newOrdersPerSec: measured.newOrders / measured.seconds,
        opsPerSec: w.n / measured.seconds,
        latencyNs: { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), p999: percentile(lat, 0.999) },
        journal: journalStats,
        totals: measured.totals,
        mismatches,
      }) + "\n",
    );
    if (mismatches.length > 0) process.exitCode = 1;
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function parent(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const results: Record<string, unknown> = {};
  let failed = false;
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    const samples: ReturnType<typeof JSON.parse>[] = [];
    for (let r = 0; r < runs; r++) {
      let out: string;
      try {
        out = execFileSync(process.execPath, [...process.execArgv, __filename, "--child", scenario], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "inherit"],
        });
      } catch (err) {
        out = String((err as { stdout?: string }).stdout ?? "");
        failed = true;
      }
      const sample = JSON.parse(out.trim().split("\n").pop() ?? "{}");
      if (sample.mismatches?.length) {
        failed = true;
        console.error(`${scenario}: totals differ: ${sample.mismatches.join("; ")}`);
      }
      samples.push(sample);
    }
    const pick = (f: (s: (typeof samples)[number]) => number) => samples.map(f);
    const summary = {
      runs,
      newOrdersPerSec: Math.round(median(pick((s) => s.newOrdersPerSec))),
      opsPerSec: Math.round(median(pick((s) => s.opsPerSec))),
      newOrdersPerSecRuns: pick((s) => Math.round(s.newOrdersPerSec)),
      latencyNs: {
        p50: Math.round(median(pick((s) => s.latencyNs.p50))),
        p99: Math.round(median(pick((s) => s.latencyNs.p99))),
        p999: Math.round(median(pick((s) => s.latencyNs.p999))),
      },
      journal: samples[0]?.journal,
      totals: samples[0]?.totals,
      fingerprint: samples[0]?.fingerprint,
    };
    results[scenario] = summary;
    console.log(
      `${scenario.padEnd(15)} ${summary.newOrdersPerSec.toLocaleString("en")} new orders/s  ${summary.opsPerSec.toLocaleString("en")} ops/s  ` +
        `p50 ${summary.latencyNs.p50} ns  p99 ${summary.latencyNs.p99} ns  p99.9 ${summary.latencyNs.p999} ns  (runs: ${summary.newOrdersPerSecRuns.join(", ")})`,
    );
  }
  const out = {
    benchmark: "engine",
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    results,
  };
  fs.mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "bench", "results", "engine.json"), JSON.stringify(out, null, 2) + "\n");
  console.log("written bench/results/engine.json");
  if (failed) process.exit(1);
}

const i = process.argv.indexOf("--child");
if (i >= 0) void child(process.argv[i + 1] as Scenario);
else void parent();
