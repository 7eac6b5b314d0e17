import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import pgClient from "pg";
import { createIndexer } from "../../indexer/app";
import { openStore, type Store, type StoreOptions } from "../../indexer/store/open";
import { writeManifest } from "../../sdk/manifest";
import { dump } from "./helpers";
import { startPostgres, type TestPostgres } from "./postgres";
import { World, log } from "./world";

const ROOT = path.resolve(__dirname, "..", "..");

/** `indexer/main.ts` as its own process group, syncing into `store` with ranges of at most 3 blocks. */
function spawnIndexer(world: World, deployments: string, store: StoreOptions): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "indexer", "main.ts")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      ETS_RPC_URL: world.node.url,
      ETS_DEPLOYMENTS_DIR: deployments,
      ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : { ETS_INDEXER_SQLITE: store.sqliteFile }),
      ETS_INDEXER_MAX_RANGE: "3",
      ETS_INDEXER_NO_SERVER: "1",
      ETS_INDEXER_POLL_MS: "50",
      ETS_LOG_LEVEL: "warn",
    },
  });
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  process.kill(-child.pid!, "SIGKILL");
  await exited;
}

async function cursorOf(store: Store): Promise<number> {
  const row = await store.db.selectFrom("cursor").select("block_number").executeTakeFirst();
  return row ? Number(row.block_number) : -1;
}

async function waitFor(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("indexer killed with SIGKILL during a backfill, and its database deleted", function () {
  this.timeout(600_000);
  let world: World;
  let dir: string;
  let pg: TestPostgres | undefined;
  let expected: Record<string, string[]>;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-crash-"));
    pg = await startPostgres();
    world = await World.start("crash-world");
    await world.activity();
    await world.churn(700);
    writeManifest(path.join(dir, "deployments"), world.manifest);
  });

  after(async function () {
    pg?.stop();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function cleanRun(): Promise<Record<string, string[]>> {
    if (expected) return expected;
    const clean = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "clean.sqlite") },
      log,
      sync: { maxRange: 3 },
    });
    await clean.syncer.syncToHead();
    expected = await dump(clean.store);
    await clean.close();
    return expected;
  }

  const kinds: { name: string; options: () => Promise<StoreOptions | undefined> }[] = [
    { name: "SQLite", options: async () => ({ sqliteFile: path.join(dir, "crashed.sqlite") }) },
    { name: "PostgreSQL", options: async () => (pg ? { databaseUrl: await pg.createDatabase("crashed") } : undefined) },
  ];

  for (const kind of kinds) {
    it(`resumes from its cursor after each kill and ends with the database of one clean run, row for row (${kind.name})`, async function () {
      const store = await kind.options();
      if (!store) {
        // eslint-disable-next-line no-console
        console.log("      PostgreSQL is not installed (apt-get install -y postgresql): skipped");
        this.skip();
      }
      const head = await world.provider.getBlockNumber();
      const wanted = await cleanRun();
      const reader = await openStore(store!);
      const kills: number[] = [];
      try {
        for (let round = 0; round < 20 && kills.length < 12; round++) {
          const before = await cursorOf(reader);
          const child = spawnIndexer(world, path.join(dir, "deployments"), store!);
          let stderr = "";
          child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
          // Kill at a random moment once this run has committed some ranges of its own.
          await waitFor(
            async () => (await cursorOf(reader)) > before + 3,
            60_000,
            `progress of run ${round}: ${stderr}`,
          );
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
          await killHard(child);
          const at = await cursorOf(reader);
          kills.push(at);
          if (at >= head) break;
        }
        expect(kills.filter((k) => k < head).length, `killed at ${kills.join(", ")}`).to.be.greaterThanOrEqual(10);
        const last = spawnIndexer(world, path.join(dir, "deployments"), store!);
        await waitFor(async () => (await cursorOf(reader)) >= head, 120_000, "the last run to catch up");
        await killHard(last);
        expect(await dump(reader)).to.deep.equal(wanted);
      } finally {
        await reader.close();
      }
    });
  }

  it("rebuilds a SQLite file deleted while it runs, and one deleted while it was stopped, equal to one clean run", async function () {
    const head = await world.provider.getBlockNumber();
    const wanted = await cleanRun();
    const file = path.join(dir, "deleted.sqlite");
    const remove = () => ["", "-wal", "-shm"].forEach((suffix) => fs.rmSync(file + suffix, { force: true }));
    const cursorInFile = () => {
      try {
        const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
        try {
          const row = db.prepare("select block_number from cursor where id = 'main'").get() as
            { block_number: number } | undefined;
          return row?.block_number ?? -1;
        } finally {
          db.close();
        }
      } catch {
        return -1;
      }
    };
    const child = spawnIndexer(world, path.join(dir, "deployments"), { sqliteFile: file });
    try {
      await waitFor(async () => cursorInFile() >= head, 120_000, "the first sync");
      remove();
      await waitFor(async () => fs.existsSync(file), 30_000, "the file to be created again");
      await waitFor(async () => cursorInFile() >= head, 120_000, "the rebuild");
    } finally {
      await killHard(child);
    }
    const rebuilt = await openStore({ sqliteFile: file });
    try {
      expect(await dump(rebuilt)).to.deep.equal(wanted);
    } finally {
      await rebuilt.close();
    }
    remove();
    const again = spawnIndexer(world, path.join(dir, "deployments"), { sqliteFile: file });
    try {
      await waitFor(async () => cursorInFile() >= head, 120_000, "the sync after a restart");
    } finally {
      await killHard(again);
    }
    const restarted = await openStore({ sqliteFile: file });
    try {
      expect(await dump(restarted)).to.deep.equal(wanted);
    } finally {
      await restarted.close();
    }
  });

  it("rebuilds a PostgreSQL schema whose tables were dropped while it runs, equal to one clean run", async function () {
    if (!pg) {
      // eslint-disable-next-line no-console
      console.log("      PostgreSQL is not installed (apt-get install -y postgresql): skipped");
      this.skip();
    }
    const head = await world.provider.getBlockNumber();
    const wanted = await cleanRun();
    const databaseUrl = await pg!.createDatabase("dropped");
    const admin = new pgClient.Client({ connectionString: databaseUrl });
    await admin.connect();
    const cursorInDb = async () => {
      try {
        const { rows } = await admin.query("select block_number from cursor where id = 'main'");
        return rows.length ? Number(rows[0].block_number) : -1;
      } catch {
        return -1;
      }
    };
    const child = spawnIndexer(world, path.join(dir, "deployments"), { databaseUrl });
    try {
      await waitFor(async () => (await cursorInDb()) >= head, 120_000, "the first sync");
      await admin.query("drop schema public cascade; create schema public");
      await waitFor(async () => (await cursorInDb()) >= head, 120_000, "the rebuild");
    } finally {
      await killHard(child);
      await admin.end();
    }
    const rebuilt = await openStore({ databaseUrl });
    try {
      expect(await dump(rebuilt)).to.deep.equal(wanted);
    } finally {
      await rebuilt.close();
    }
  });
});
