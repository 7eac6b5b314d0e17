import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import fc from "fast-check";
import { insertRows } from "../../indexer/store/bulk";
import { openStore, type Store, type StoreOptions } from "../../indexer/store/open";
import { atBlock, current, put, rollbackTo, versionsAt } from "../../indexer/store/versioned";
import { Rpc } from "../../indexer/sync/rpc";
import { Syncer } from "../../indexer/sync/sync";
import type { Manifest } from "../../sdk/manifest";
import { startPostgres, type TestPostgres } from "./postgres";
import { log } from "./world";

const MAX_INT64 = 2n ** 63n - 1n;

describe("indexer store", function () {
  this.timeout(120_000);
  let pg: TestPostgres | undefined;
  let dir: string;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-store-"));
    pg = await startPostgres();
  });

  after(function () {
    pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const kinds: { name: string; options: () => Promise<StoreOptions | undefined> }[] = [
    {
      name: "SQLite",
      options: async () => ({ sqliteFile: path.join(dir, `s-${Date.now()}-${Math.random()}.sqlite`) }),
    },
    {
      name: "PostgreSQL",
      options: async () => (pg ? { databaseUrl: await pg.createDatabase(`store_${Date.now()}`) } : undefined),
    },
  ];

  for (const kind of kinds) {
    describe(`on ${kind.name}`, function () {
      let options: StoreOptions;
      let store: Store;

      before(async function () {
        const o = await kind.options();
        if (!o) {
          // eslint-disable-next-line no-console
          console.log("      PostgreSQL is not installed (apt-get install -y postgresql): skipped");
          this.skip();
        }
        options = o!;
        store = await openStore(options);
      });

      after(async function () {
        await store?.close();
      });

      it("migrates once: reopening finds the schema in place", async function () {
        const again = await openStore(options);
        try {
          const tables = ["events", "holdings", "transfers", "supply", "compliance", "trades"];
          for (const t of tables) {
            const rows = await (again.db as any).selectFrom(t).selectAll().execute();
            expect(rows, t).to.deep.equal([]);
          }
        } finally {
          await again.close();
        }
      });

      it("refreshes the planner's statistics on demand (after a backfill)", async function () {
        await store.maintain();
        if (store.dialect === "sqlite") {
          const { rows } = await sql<{
            n: bigint;
          }>`select count(*) as n from sqlite_master where name = 'sqlite_stat1'`.execute(store.db);
          expect(Number(rows[0]!.n)).to.equal(1);
        } else {
          const { rows } = await sql<{ analyzed: boolean; vacuumed: boolean }>`
            select last_analyze is not null as analyzed, last_vacuum is not null as vacuumed
            from pg_stat_user_tables where relname = 'transfers'`.execute(store.db);
          expect(rows[0]).to.deep.equal({ analyzed: true, vacuumed: true });
        }
      });

      it("keeps integers exact up to 2^63 − 1 and reads every integer back as a bigint", async function () {
        const values = {
          account: "0xabc",
          token: "AllowanceToken",
          token_id: 2014n,
          balance: MAX_INT64,
          locked: 9_007_199_254_740_993n, // 2^53 + 1: a float would lose it
        };
        await put(store.db, "holdings", values, 7n, null);
        const row = await current(store.db, "holdings", { account: "0xabc", token: "AllowanceToken", token_id: 2014n });
        expect(row).to.include({ balance: MAX_INT64, locked: 9_007_199_254_740_993n, from_block: 7n });
        const count = await store.db
          .selectFrom("holdings")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow();
        expect(count.n).to.equal(1n);
      });

      it("bulk-loads any text and integer exactly (tabs, newlines, backslashes, quotes, nulls, any Unicode)", async function () {
        let block = 1_000_000n;
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                message: fc.oneof(
                  fc.string({ unit: "binary" }),
                  fc.constantFrom("\\N", "\\", "a\tb\nc\rd", '{"a":"b\\"c"}', "NULL", "", "碳排放配额"),
                ),
                details: fc.string({ unit: "grapheme" }),
                account: fc.option(fc.string(), { nil: null }),
                tokenId: fc.option(fc.bigInt({ min: -MAX_INT64 - 1n, max: MAX_INT64 }), { nil: null }),
              }),
              { minLength: 1, maxLength: 40 },
            ),
            async (specs) => {
              block++;
              const rows = specs.map((r, i) => ({
                block_number: block,
                log_index: BigInt(i),
                rule: "bulk",
                subject: `s${i}`,
                severity: "info",
                entity_id: null,
                account: r.account === null ? null : r.account.replace(/\0/g, ""),
                token: null,
                token_id: r.tokenId,
                tx_hash: null,
                timestamp: 1n,
                // PostgreSQL text holds no NUL character (SQLite does): the indexer never stores one
                message: r.message.replace(/\0/g, ""),
                details: r.details.replace(/\0/g, ""),
              }));
              await insertRows(store.db, "alerts", rows);
              const back = await store.db
                .selectFrom("alerts")
                .select(["log_index", "message", "details", "account", "token_id"])
                .where("block_number", "=", block)
                .orderBy("log_index")
                .execute();
              expect(back).to.deep.equal(
                rows.map((r) => ({
                  log_index: r.log_index,
                  message: r.message,
                  details: r.details,
                  account: r.account,
                  token_id: r.token_id,
                })),
              );
            },
          ),
          { numRuns: 40 },
        );
      });

      it("refuses a bulk load with a duplicate key as a whole, and the store stays usable", async function () {
        const row = (logIndex: bigint) => ({
          block_number: 42n,
          log_index: logIndex,
          rule: "dup",
          subject: "s",
          severity: "info",
          entity_id: null,
          account: null,
          token: null,
          token_id: null,
          tx_hash: null,
          timestamp: 1n,
          message: "m",
          details: "{}",
        });
        await insertRows(store.db, "alerts", [row(0n)]);
        const rows = () =>
          store.db.selectFrom("alerts").select("log_index").where("rule", "=", "dup").orderBy("log_index").execute();
        let failure: unknown;
        try {
          await store.db.transaction().execute(async (trx) => {
            await insertRows(trx, "alerts", [row(1n), row(2n), row(0n)]);
          });
        } catch (err) {
          failure = err;
        }
        expect(String(failure)).to.match(/UNIQUE|unique|duplicate/);
        expect(await rows()).to.deep.equal([{ log_index: 0n }]);
        // The connection that failed is back in the pool, and works.
        for (let i = 0; i < 6; i++) await rows();
        await insertRows(store.db, "alerts", [row(1n)]);
        expect(await rows()).to.deep.equal([{ log_index: 0n }, { log_index: 1n }]);
      });

      it("versions a key by block: reads at a past block, one version per block, rollback reopens", async function () {
        const key = { account: "0xdef", token: "OffsetToken", token_id: 1n };
        const set = (balance: bigint, block: bigint) =>
          put(store.db, "holdings", { ...key, balance, locked: 0n }, block);
        await set(100n, 10n);
        await set(80n, 12n);
        await set(70n, 12n); // same block: rewrites that block's version
        await set(50n, 15n);
        const at = async (block: bigint) =>
          (
            await atBlock(
              store.db.selectFrom("holdings").selectAll().where("account", "=", "0xdef"),
              block,
            ).executeTakeFirst()
          )?.balance;
        expect([
          await at(9n),
          await at(10n),
          await at(11n),
          await at(12n),
          await at(14n),
          await at(15n),
          await at(99n),
        ]).to.deep.equal([undefined, 100n, 100n, 70n, 70n, 50n, 50n]);
        const versions = await store.db
          .selectFrom("holdings")
          .select(["from_block", "to_block"])
          .where("account", "=", "0xdef")
          .orderBy("from_block")
          .execute();
        expect(versions.map((v) => [v.from_block, v.to_block])).to.deep.equal([
          [10n, 12n],
          [12n, 15n],
          [15n, null],
        ]);
        await store.db.transaction().execute((trx) => rollbackTo(trx, 13n));
        expect(await at(99n)).to.equal(70n);
        expect((await current(store.db, "holdings", key))?.from_block).to.equal(12n);
        await store.db.transaction().execute((trx) => rollbackTo(trx, 9n));
        expect(await current(store.db, "holdings", key)).to.equal(undefined);
      });

      it("reads all of an account's holdings at a past block in one query, whatever their history", async function () {
        const h = (token: string, id: bigint, balance: bigint, block: bigint) =>
          put(store.db, "holdings", { account: "0x999", token, token_id: id, balance, locked: 0n }, block);
        for (let b = 1n; b <= 200n; b++) await h("AllowanceToken", 2014n, b * 10n, b);
        await h("OffsetToken", 3n, 5n, 50n);
        await h("AllowanceToken", 2015n, 1n, 150n);
        const at = async (block: bigint) =>
          (await versionsAt(store.db, "holdings", block, (q) => q.where("c.account", "=", "0x999")))
            .map((r) => `${r.token}:${r.token_id}=${r.balance}@${r.from_block}`)
            .sort();
        expect(await at(0n)).to.deep.equal([]);
        expect(await at(49n)).to.deep.equal(["AllowanceToken:2014=490@49"]);
        expect(await at(120n)).to.deep.equal(["AllowanceToken:2014=1200@120", "OffsetToken:3=5@50"]);
        expect(await at(1000n)).to.deep.equal([
          "AllowanceToken:2014=2000@200",
          "AllowanceToken:2015=1@150",
          "OffsetToken:3=5@50",
        ]);
      });

      it("refuses to index another deployment into a database that indexes one", async function () {
        const manifest = (registry: string): Manifest => ({
          chainId: 31337,
          deploymentBlock: 0,
          deployedAt: "2026-01-01T00:00:00Z",
          contracts: {
            Authority: "0x" + "1".repeat(40),
            ParticipantRegistry: registry,
            TransferRules: "0x" + "3".repeat(40),
            AllowanceToken: "0x" + "4".repeat(40),
            OffsetToken: "0x" + "5".repeat(40),
            CashToken: "0x" + "6".repeat(40),
            Allocation: "0x" + "7".repeat(40),
            EmissionsReporting: "0x" + "8".repeat(40),
            Compliance: "0x" + "9".repeat(40),
            ReserveSales: "0x" + "a".repeat(40),
          },
          accounts: {},
        });
        const rpc = new Rpc("http://127.0.0.1:9");
        await new Syncer({ rpc, store, manifest: manifest("0x" + "2".repeat(40)), log }).init();
        const other = new Syncer({ rpc, store, manifest: manifest("0x" + "b".repeat(40)), log });
        try {
          await other.init();
          expect.fail("accepted another deployment");
        } catch (err) {
          expect((err as { code?: string }).code).to.equal("INDEXER_DATABASE_MISMATCH");
        }
      });
    });
  }
});
