import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import type { StoreOptions } from "../../indexer/store/open";
import { Rpc } from "../../indexer/sync/rpc";
import { dump, expectStoreEqualsChain } from "./helpers";
import { startPostgres, type TestPostgres } from "./postgres";
import { FUND, POWER, STEEL, World, YEAR, log } from "./world";

describe("indexer sync against a real node", function () {
  this.timeout(300_000);
  let world: World;
  let pg: TestPostgres | undefined;
  let dir: string;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-indexer-"));
    world = await World.start();
    await world.activity();
    pg = await startPostgres();
  });

  after(async function () {
    await world?.stop();
    pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function indexer(store: StoreOptions, maxRange = 7, stepEvents?: number): Promise<Indexer> {
    return createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store,
      log,
      sync: { maxRange, initialRange: 3, stepEvents },
    });
  }

  it("decodes events of static arguments by its fast path exactly as ethers' ABI decoder does", async function () {
    const { EventDecoder } = await import("../../indexer/sync/decode");
    const decoder = new EventDecoder(world.manifest);
    const rpc = new Rpc(world.node.url);
    const logs = await rpc.getLogs({
      fromBlock: world.manifest.deploymentBlock,
      toBlock: await world.provider.getBlockNumber(),
      address: decoder.addresses,
    });
    const names = new Set<string>();
    for (const l of logs) {
      const fast = decoder.decode(l, 0n);
      expect(fast, `${fast.contract}:${fast.name}`).to.deep.equal(decoder.decode(l, 0n, true));
      names.add(fast.name);
    }
    expect(names.size).to.be.greaterThan(20);
  });

  const stores: { name: string; options: () => Promise<StoreOptions | undefined> }[] = [
    {
      name: "SQLite",
      options: async () => ({ sqliteFile: path.join(dir, `sqlite-${Date.now()}-${Math.random()}.sqlite`) }),
    },
    {
      name: "PostgreSQL",
      options: async () =>
        pg
          ? { databaseUrl: await pg.createDatabase(`ets_${Date.now()}_${Math.floor(Math.random() * 1e6)}`) }
          : undefined,
    },
  ];

  for (const kind of stores) {
    describe(`into ${kind.name}`, function () {
      let idx: Indexer;

      before(async function () {
        const options = await kind.options();
        if (!options) {
          // eslint-disable-next-line no-console
          console.log("      PostgreSQL is not installed (apt-get install -y postgresql): skipped");
          this.skip();
        }
        idx = await indexer(options!);
      });

      after(async function () {
        await idx?.close();
      });

      it("stores every log of the deployment's contracts, decoded, with its block and transaction", async function () {
        const status = await idx.syncer.syncToHead();
        const head = await world.provider.getBlockNumber();
        expect(status.indexedBlock).to.equal(head);
        const rpc = new Rpc(world.node.url);
        const logs = await rpc.getLogs({
          fromBlock: world.manifest.deploymentBlock,
          toBlock: head,
          address: Object.values(world.manifest.contracts).filter((a): a is string => !!a),
        });
        const events = await idx.store.db.selectFrom("events").selectAll().execute();
        expect(events.length).to.equal(logs.length);
        expect(logs.length).to.be.greaterThan(100);
        const names = new Set(events.map((e) => `${e.contract}:${e.name}`));
        for (const expected of [
          "ParticipantRegistry:EntityRegistered",
          "AllowanceToken:TransferSingle",
          "AllowanceToken:TransferPending",
          "Allocation:Allocated",
          "EmissionsReporting:ReportApproved",
          "Compliance:AllowancesSurrendered",
          "Compliance:CancellationCertificate",
          "Clearing:TradeSettled",
          "Authority:RoleGranted",
        ]) {
          expect(names.has(expected), expected).to.equal(true);
        }
        const txs = await idx.store.db.selectFrom("transactions").selectAll().execute();
        expect(new Set(events.map((e) => e.tx_hash)).size).to.equal(txs.length);
        const surrender = txs.find(
          (t) =>
            t.from === world.steel.address.toLowerCase() && t.to === world.manifest.contracts.Compliance.toLowerCase(),
        );
        expect(surrender?.selector).to.match(/^0x[0-9a-f]{8}$/);
      });

      it("derives holdings equal to balanceOf, now and at every checkpoint block", async function () {
        let compared = 0;
        for (const block of [...world.checkpoints, await world.provider.getBlockNumber()]) {
          compared += await expectStoreEqualsChain(idx.store, world, block);
        }
        expect(compared).to.be.greaterThan(50);
      });

      it("derives transfers with their route and status", async function () {
        const rows = await idx.store.db.selectFrom("transfers").selectAll().where("to_block", "is", null).execute();
        const pending = rows
          .filter((r) => r.kind === "pending")
          .map((r) => `${r.token}:${r.pending_id}:${r.status}`)
          .sort();
        expect(pending).to.deep.equal([
          "AllowanceToken:1:executed",
          "AllowanceToken:2:cancelled",
          "AllowanceToken:3:blocked",
          "OffsetToken:1:executed",
        ]);
        const blocked = rows.find((r) => r.pending_id === 3n && r.token === "AllowanceToken");
        expect(blocked?.case_ref).to.equal("CASE-2014-7");
        const immediate = rows.filter((r) => r.kind === "immediate");
        // steel → steel2, and the deposits into the Clearing contract (allowances, then cash).
        expect(immediate.map((r) => `${r.token}:${r.amount}`).sort()).to.deep.equal([
          "AllowanceToken:1000",
          "AllowanceToken:10000",
          "CashToken:500000",
        ]);
      });

      it("derives entities, account status history, supply, compliance and trades as the contracts say", async function () {
        const { db } = idx.store;
        const entities = await db
          .selectFrom("entities")
          .selectAll()
          .where("to_block", "is", null)
          .orderBy("entity_id")
          .execute();
        expect(entities.map((e) => [e.entity_id, e.category, e.sector])).to.deep.include.members([
          [STEEL, "covered_entity", "steel"],
          [POWER, "covered_entity", "power"],
          [FUND, "institution", "none"],
        ]);
        const fundHistory = await db
          .selectFrom("accounts")
          .select(["status", "from_block", "to_block"])
          .where("wallet", "=", world.fund.address.toLowerCase())
          .orderBy("from_block")
          .execute();
        expect(fundHistory.map((h) => h.status)).to.deep.equal(["active", "frozen", "active"]);

        const c = world.read;
        for (const entity of [STEEL, POWER]) {
          const p = await c.compliance.positionOf(entity, YEAR);
          const row = await db
            .selectFrom("compliance")
            .selectAll()
            .where("entity_id", "=", entity)
            .where("year", "=", BigInt(YEAR))
            .where("to_block", "is", null)
            .executeTakeFirstOrThrow();
          expect(row.status).to.equal(["none", "open", "compliant", "shortfall"][Number(p.status)]);
          expect(row.obligation).to.equal(p.obligation);
          expect(row.allowances_surrendered).to.equal(p.allowancesSurrendered);
          expect(row.offsets_surrendered).to.equal(p.offsetsSurrendered);
        }
        const supply = await db
          .selectFrom("supply")
          .selectAll()
          .where("to_block", "is", null)
          .where("token", "=", "OffsetToken")
          .executeTakeFirstOrThrow();
        expect(supply.minted).to.equal(20_000n);
        expect(supply.burned).to.equal(await c.offsets.burned(1n));
        expect(supply.surrendered + supply.cancelled).to.equal(supply.burned);
        const allowance = await db
          .selectFrom("supply")
          .selectAll()
          .where("to_block", "is", null)
          .where("token", "=", "AllowanceToken")
          .executeTakeFirstOrThrow();
        expect(allowance.surrendered).to.equal(390_000n);
        expect(allowance.cancelled).to.equal(100n);
        const trades = await db.selectFrom("trades").selectAll().execute();
        expect(trades.map((t) => [t.trade_id, t.quantity, t.price])).to.deep.equal([[1n, 60n, 3_000n]]);
        const batches = await db.selectFrom("ccer_batches").selectAll().execute();
        expect(batches.map((b) => [b.batch_id, b.project_type, b.amount])).to.deep.equal([[1n, "wind", 20_000n]]);
        const allocations = await db
          .selectFrom("allocations")
          .select(["kind", "amount"])
          .orderBy("block_number")
          .execute();
        expect(allocations.map((a) => `${a.kind}:${a.amount}`)).to.deep.equal([
          "plan:200000",
          "plan:300000",
          "reserve:5000",
        ]);
      });

      it("gives the same rows whatever the block ranges of the steps, and when a range is committed in parts", async function () {
        // One range for the whole chain; and ranges of 5,000 blocks committed 4 events at a time.
        for (const stepEvents of [undefined, 4]) {
          const other = await indexer(
            { sqliteFile: path.join(dir, `ranges-${stepEvents}-${Date.now()}.sqlite`) },
            5_000,
            stepEvents,
          );
          try {
            await other.syncer.syncToHead();
            expect(await dump(other.store)).to.deep.equal(await dump(idx.store));
          } finally {
            await other.close();
          }
        }
      });

      it("rebuilds the derived tables from the events table alone, row for row", async function () {
        const { rebuildDerived, deploymentOf } = await import("../../indexer/indexing/apply");
        const before = await dump(idx.store);
        const replayed = await rebuildDerived(idx.store.db, deploymentOf(world.manifest));
        expect(replayed).to.equal(before.events!.length);
        expect(await dump(idx.store)).to.deep.equal(before);
      });
    });
  }
});
