/**
 * One full backfill in a process of its own, as the indexer runs in production (`indexer/main.ts`
 * beside the chain, not inside the program that generated the load): reads its job from
 * BENCH_BACKFILL (JSON: rpcUrl, manifest, store), syncs to the head, and prints one JSON line with
 * the events stored, the wall time of the sync and the process's CPU time.
 */
import pino from "pino";
import { createIndexer } from "../../indexer/app";
import type { StoreOptions } from "../../indexer/store/open";
import type { Manifest } from "../../sdk/manifest";

export interface BackfillJob {
  rpcUrl: string;
  manifest: Manifest;
  store: StoreOptions;
}

export interface BackfillResult {
  events: number;
  seconds: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_BACKFILL ?? "") as BackfillJob;
  const idx = await createIndexer({ ...job, log: pino({ level: "silent" }) });
  const cpu = process.cpuUsage();
  const t = performance.now();
  await idx.syncer.syncToHead();
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const row = await idx.store.db
    .selectFrom("events")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  await idx.close();
  const result: BackfillResult = { events: Number(row.n), seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
