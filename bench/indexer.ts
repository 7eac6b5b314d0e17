/**
 * Indexer backfill throughput on a real Anvil chain: the test world's compliance cycle, then
 * settlement batches of 1,000 one-tonne trades each (one TradeSettled log per trade, alternating
 * directions between two traders) until BENCH_INDEXER_EVENTS events exist (default 50,000). Then a
 * full backfill from the deployment block into a fresh SQLite file and a fresh PostgreSQL database
 * (a throwaway cluster; skipped when PostgreSQL is not installed), with the default settings:
 * events/s, blocks/s, and a check that the stored trading balances equal Clearing.balanceOf.
 * Writes bench/results/indexer.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { id, type HDNodeWallet } from "ethers";
import { createIndexer } from "../indexer/app";
import type { StoreOptions } from "../indexer/store/open";
import { clearingDomain, signOrder, type Order } from "../sdk/orders";
import { startPostgres } from "../test/indexer/postgres";
import { World, YEAR, log } from "../test/indexer/world";

const EVENTS = Number(process.env.BENCH_INDEXER_EVENTS ?? 50_000);
const PER_BATCH = 1_000;

async function generate(world: World): Promise<void> {
  const clearing = world.manifest.contracts.Clearing!;
  const domain = clearingDomain(world.manifest.chainId, clearing);
  const send = async (p: Promise<{ wait: () => Promise<unknown> }>) => (await p).wait();
  // Both traders hold units and cash in their trading accounts.
  await send(world.as(world.bank).cash.deposit(world.power.address, 50_000_000n, id("bench-cash-power")));
  await send(world.as(world.bank).cash.deposit(world.fund.address, 50_000_000n, id("bench-cash-fund")));
  for (const w of [world.power, world.fund]) {
    await send(world.as(w).cash.approve(clearing, 50_000_000n));
    await send(world.as(w).clearing!.depositCash(50_000_000n));
  }
  await send(
    world.as(world.power).allowances.safeTransferFrom(world.power.address, world.fund.address, YEAR, 5_000n, "0x"),
  );
  await world.increaseTime(27 * 3600);
  const pending = await world.read.allowances.pendingTransferCount();
  await send(world.as(world.fund).allowances.executePending(pending));
  await send(world.as(world.fund).allowances.safeTransferFrom(world.fund.address, clearing, YEAR, 5_000n, "0x"));

  const order = (trader: HDNodeWallet, isBuy: boolean, nonce: bigint): Order => ({
    trader: trader.address,
    token: world.manifest.contracts.AllowanceToken,
    tokenId: BigInt(YEAR),
    isBuy,
    price: 3_000n,
    quantity: 1_000_000_000n,
    timeInForce: 0,
    nonce,
    expiry: 0n,
  });
  const fundBuys = [
    await signOrder(world.fund, domain, order(world.fund, true, 10n)),
    await signOrder(world.power, domain, order(world.power, false, 10n)),
  ];
  const powerBuys = [
    await signOrder(world.power, domain, order(world.power, true, 11n)),
    await signOrder(world.fund, domain, order(world.fund, false, 11n)),
  ];
  let tradeId = (await world.read.clearing!.lastTradeId()) + 1n;
  const operator = world.as(world.operator).clearing!;
  let made = 0;
  for (let batch = 0; made < EVENTS; batch++) {
    const fills = Array.from({ length: PER_BATCH }, () => ({
      tradeId: tradeId++,
      buy: 0,
      sell: 1,
      quantity: 1n,
      price: 3_000n,
      buyerIsMaker: batch % 2 === 0,
    }));
    await send(
      operator.settle(
        { orders: batch % 2 === 0 ? fundBuys : powerBuys, fills, withdrawals: [], requests: [] },
        { gasLimit: 90_000_000n },
      ),
    );
    made += PER_BATCH;
  }
}

async function main(): Promise<void> {
  const world = await World.start("bench-indexer");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-bench-indexer-"));
  const pg = await startPostgres();
  try {
    const t0 = performance.now();
    await world.activity();
    await generate(world);
    const head = await world.provider.getBlockNumber();
    console.log(`generated the chain in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${head} blocks`);
    const stores: [string, StoreOptions | undefined][] = [
      ["sqlite", { sqliteFile: path.join(dir, "bench.sqlite") }],
      ["postgres", pg ? { databaseUrl: await pg.createDatabase("bench_indexer") } : undefined],
    ];
    const results: Record<string, unknown> = {};
    for (const [name, store] of stores) {
      if (!store) {
        console.log(`${name}: skipped (PostgreSQL is not installed)`);
        continue;
      }
      const idx = await createIndexer({ rpcUrl: world.node.url, manifest: world.manifest, store, log });
      const t = performance.now();
      await idx.syncer.syncToHead();
      const seconds = (performance.now() - t) / 1000;
      const events = Number(
        (
          await idx.store.db
            .selectFrom("events")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
      const trades = Number(
        (
          await idx.store.db
            .selectFrom("trades")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
      for (const row of await idx.store.db
        .selectFrom("trading_balances")
        .selectAll()
        .where("to_block", "is", null)
        .execute()) {
        const token =
          row.token === "CashToken" ? world.manifest.contracts.CashToken : world.manifest.contracts.AllowanceToken;
        const onChain = await world.read.clearing!.balanceOf(row.trader, token, row.token_id);
        if (onChain !== row.balance)
          throw new Error(
            `${name}: trading balance of ${row.trader} ${row.token} is ${row.balance}, the chain says ${onChain}`,
          );
      }
      await idx.close();
      results[name] = {
        events,
        trades,
        blocks: head - world.manifest.deploymentBlock + 1,
        seconds: Math.round(seconds * 100) / 100,
        eventsPerSecond: Math.round(events / seconds),
      };
      console.log(
        `${name}: ${events} events (${trades} trades) in ${seconds.toFixed(2)} s: ${Math.round(events / seconds)} events/s`,
      );
    }
    const file = path.join(__dirname, "results", "indexer.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ date: new Date().toISOString(), events: EVENTS, perBatch: PER_BATCH, results }, null, 2) + "\n",
    );
    console.log(`written ${path.relative(process.cwd(), file)}`);
  } finally {
    pg?.stop();
    await world.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
