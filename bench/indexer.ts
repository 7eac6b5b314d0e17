/**
 * The indexer on a real Anvil chain.
 *
 * 1. Load: the test world's compliance cycle, then real transactions packed up to 1,000 to a block
 *    (`bench/lib/chain-load.ts`): surrenders, immediate registry transfers and settled trades, at
 *    least BENCH_INDEXER_EVENTS events in all (default 200,000).
 * 2. Backfill: BENCH_INDEXER_RUNS full backfills (default 3) from the deployment block into a fresh
 *    SQLite file and a fresh PostgreSQL database (a throwaway cluster; skipped when PostgreSQL is not
 *    installed), each in a process of its own as the indexer runs beside the node (with its Node
 *    flags, `INDEXER_NODE_FLAGS`), with the default settings: events/s (median, min, max) and the
 *    indexer's CPU time, and a check that the stored holdings, supply and trading balances equal
 *    the contracts.
 * 3. Queries: each store is grown to BENCH_INDEXER_TRANSFER_ROWS transfer rows (default 1,000,000:
 *    the real ones, then generated rows between 2,000 generated accounts spread over the indexed
 *    blocks, then the statistics refreshed), and the regulator's standard queries run over HTTP
 *    with a regulator's session:
 *    p50/p99/max latency of each.
 *
 * Writes bench/results/indexer.json.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { id, keccak256, toUtf8Bytes } from "ethers";
import type { Insertable, Kysely } from "kysely";
import { createIndexer } from "../indexer/app";
import { INDEXER_NODE_FLAGS } from "../indexer/config";
import type { Database } from "../indexer/store/schema";
import type { StoreOptions } from "../indexer/store/open";
import { expectStoreEqualsChain, regulatorSession } from "../test/indexer/helpers";
import { startPostgres } from "../test/indexer/postgres";
import { World, YEAR, STEEL, log } from "../test/indexer/world";
import type { BackfillJob, BackfillResult } from "./lib/backfill-process";
import { loadChain } from "./lib/chain-load";

const EVENTS = Number(process.env.BENCH_INDEXER_EVENTS ?? 200_000);
const RUNS = Number(process.env.BENCH_INDEXER_RUNS ?? 3);
const TRANSFER_ROWS = Number(process.env.BENCH_INDEXER_TRANSFER_ROWS ?? 1_000_000);
const QUERY_ROUNDS = Number(process.env.BENCH_INDEXER_QUERY_ROUNDS ?? 200);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function count(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Adds generated transfer rows until the table holds `target` rows: 2,000 accounts, spread over the indexed blocks. */
async function growTransfers(db: Kysely<Database>, target: number): Promise<number> {
  const have = await count(db, "transfers");
  const blocks = await db.selectFrom("blocks").select(["number", "timestamp"]).orderBy("number").execute();
  const accounts = Array.from(
    { length: 2_000 },
    (_, i) => "0x" + keccak256(toUtf8Bytes(`bench-account-${i}`)).slice(26),
  );
  const rows: Insertable<Database["transfers"]>[] = [];
  let added = 0;
  const flush = async () => {
    for (let i = 0; i < rows.length; i += 1_000)
      await db
        .insertInto("transfers")
        .values(rows.slice(i, i + 1_000))
        .execute();
    rows.length = 0;
  };
  for (let n = 0; have + n < target; n++) {
    const block = blocks[n % blocks.length]!;
    const tx = id(`bench-transfer-${n}`);
    rows.push({
      transfer_key: `${tx}:0`,
      token: "AllowanceToken",
      token_id: BigInt(YEAR),
      kind: "immediate",
      status: "done",
      from: accounts[n % accounts.length]!,
      to: accounts[(n * 7 + 1) % accounts.length]!,
      amount: BigInt(1 + (n % 500)),
      pending_id: null,
      release_at: null,
      case_ref: null,
      created_block: block.number,
      created_at: block.timestamp,
      tx_hash: tx,
      closed_block: null,
      from_block: block.number,
      to_block: null,
    });
    added++;
    if (rows.length === 10_000) await flush();
  }
  await flush();
  return added;
}

interface QuerySpec {
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

async function timeQueries(url: string, headers: Record<string, string>, specs: QuerySpec[]) {
  const out: Record<string, { p50: number; p99: number; max: number; rounds: number }> = {};
  for (const spec of specs) {
    const once = async () => {
      const t = performance.now();
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query: spec.query, variables: spec.variables }),
      });
      const body = (await res.json()) as { errors?: { message: string }[] };
      const ms = performance.now() - t;
      if (body.errors) throw new Error(`${spec.name}: ${body.errors[0]!.message}`);
      return ms;
    };
    for (let i = 0; i < 10; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < QUERY_ROUNDS; i++) times.push(await once());
    out[spec.name] = {
      p50: round(percentile(times, 50)),
      p99: round(percentile(times, 99)),
      max: round(Math.max(...times)),
      rounds: QUERY_ROUNDS,
    };
    console.log(`  ${spec.name.padEnd(28)} p50 ${out[spec.name]!.p50} ms  p99 ${out[spec.name]!.p99} ms`);
  }
  return out;
}

function standardQueries(world: World, pastBlock: number, day: string): QuerySpec[] {
  return [
    {
      name: "entity page",
      query: `query ($id: BigInt!) { entity(id: $id) { id name sector category accounts { wallet status }
        holdings { product balance locked } compliance { year status obligation allowancesSurrendered shortfall } } }`,
      variables: { id: STEEL.toString() },
    },
    {
      name: "transfers of an account",
      query: `query ($a: String!) { transfers(where: { account: $a }, first: 50) { totalCount
        pageInfo { hasNextPage endCursor } edges { node { id product kind status from to amount createdBlock } } } }`,
      variables: { a: world.steel.address },
    },
    {
      name: "compliance board",
      query: `query ($y: Int!) { complianceBoard(year: $y) { sectors { sector covered compliant inShortfall open
        notReported reported verified approved obligation shortfall fines } total { covered obligation shortfall } } }`,
      variables: { y: YEAR },
    },
    {
      name: "trades of a day",
      query: `query ($d: String!) { trades(where: { day: $d }, first: 100) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id product price quantity buyer seller buyerEntityId sellerEntityId timestamp } } } }`,
      variables: { d: day },
    },
    {
      name: "holdings at a past block",
      query: `query ($a: String!, $b: Int!) { holdings(account: $a, block: { number: $b }) { product balance locked sinceBlock } }`,
      variables: { a: world.steel.address, b: pastBlock },
    },
  ];
}

/** One backfill in a fresh process (bench/lib/backfill-process.ts), as the indexer runs beside the node. */
function backfillInChild(job: BackfillJob): Promise<BackfillResult> {
  return new Promise((resolve, reject) => {
    const entry = path.join(__dirname, "lib", "backfill-process.ts");
    const child = spawn(process.execPath, [...INDEXER_NODE_FLAGS, "--import", "tsx", entry], {
      env: { ...process.env, BENCH_BACKFILL: JSON.stringify(job) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop();
      if (code !== 0 || !line) reject(new Error(`the backfill process exited with code ${code}: ${out}`));
      else resolve(JSON.parse(line) as BackfillResult);
    });
  });
}

async function main(): Promise<void> {
  const world = await World.start("bench-indexer");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-bench-indexer-"));
  const pg = await startPostgres();
  try {
    const t0 = performance.now();
    await world.activity();
    // A market where the exchange's trades are most of the activity: 70 % of the events are trades,
    // 20 % registry transfers (one transaction each), 10 % surrenders (two events each).
    const surrenders = Math.round(EVENTS * 0.05);
    const transfers = Math.round(EVENTS * 0.2);
    const trades = EVENTS - 2 * surrenders - transfers;
    const load = await loadChain(world, { surrenders, transfers, trades });
    const head = await world.provider.getBlockNumber();
    const pastBlock = Math.floor((world.manifest.deploymentBlock + head) / 2);
    // The trading day (UTC+8) of the last trades.
    const headTime = (await world.provider.getBlock(head))!.timestamp;
    const day = new Date((headTime + 8 * 3600) * 1000).toISOString().slice(0, 10);
    console.log(
      `chain: ${surrenders} surrenders, ${transfers} transfers, ${trades} trades in ${load.blocks} blocks ` +
        `(${round(load.seconds, 1)} s); ${head} blocks in all, ${round((performance.now() - t0) / 1000, 1)} s`,
    );

    const stores: [string, (run: number) => Promise<StoreOptions | undefined>][] = [
      ["sqlite", async (run) => ({ sqliteFile: path.join(dir, `bench-${run}.sqlite`) })],
      ["postgres", async (run) => (pg ? { databaseUrl: await pg.createDatabase(`bench_${run}`) } : undefined)],
    ];
    const results: Record<string, unknown> = {};
    for (const [name, options] of stores) {
      if (!(await options(-1))) {
        console.log(`${name}: skipped (PostgreSQL is not installed)`);
        continue;
      }
      const rates: number[] = [];
      let events = 0;
      let kept: StoreOptions | undefined;
      const cpu: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const store = (await options(run))!;
        const result = await backfillInChild({ rpcUrl: world.node.url, manifest: world.manifest, store });
        events = result.events;
        rates.push(events / result.seconds);
        cpu.push(result.cpuSeconds);
        console.log(
          `${name} backfill ${run + 1}/${RUNS}: ${events} events in ${round(result.seconds)} s: ` +
            `${Math.round(events / result.seconds)} events/s (indexer CPU ${round(result.cpuSeconds, 1)} s)`,
        );
        if (run === 0) {
          const idx = await createIndexer({ rpcUrl: world.node.url, manifest: world.manifest, store, log });
          const compared = await expectStoreEqualsChain(idx.store, world, head);
          console.log(`  ${compared} stored figures equal the contracts at block ${head}`);
          await idx.close();
          kept = store;
        }
      }
      // Queries on the first run's store, grown to TRANSFER_ROWS transfer rows.
      const idx = await createIndexer({ rpcUrl: world.node.url, manifest: world.manifest, store: kept!, log });
      const t = performance.now();
      const added = await growTransfers(idx.store.db, TRANSFER_ROWS);
      // The statistics of the grown table, as the indexer refreshes them after a backfill (and
      // PostgreSQL's autovacuum would after so many inserts).
      await idx.store.maintain();
      const rows = await count(idx.store.db, "transfers");
      console.log(
        `${name}: ${rows} transfer rows (${added} generated in ${round((performance.now() - t) / 1000, 1)} s)`,
      );
      const url = await idx.listen("127.0.0.1", 0);
      const queries = await timeQueries(
        url,
        await regulatorSession(url, world.regulator),
        standardQueries(world, pastBlock, day),
      );
      await idx.close();
      results[name] = {
        events,
        blocks: head - world.manifest.deploymentBlock + 1,
        runs: RUNS,
        eventsPerSecond: {
          median: Math.round(median(rates)),
          min: Math.round(Math.min(...rates)),
          max: Math.round(Math.max(...rates)),
        },
        indexerCpuSeconds: { median: round(median(cpu), 1) },
        transferRows: rows,
        generatedTransferRows: added,
        queries,
      };
      console.log(`${name}: median ${Math.round(median(rates))} events/s over ${RUNS} runs`);
    }
    const file = path.join(__dirname, "results", "indexer.json");
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
          load: { surrenders, transfers, trades, blocks: load.blocks, seconds: round(load.seconds, 1) },
          results,
        },
        null,
        2,
      ) + "\n",
    );
    console.log(`written ${path.relative(process.cwd(), file)}`);
  } finally {
    pg?.stop();
    await world.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
