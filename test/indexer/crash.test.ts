import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer } from "../../indexer/app";
import { openStore, type Store } from "../../indexer/store/open";
import { writeManifest } from "../../sdk/manifest";
import { dump } from "./helpers";
import { World, log } from "./world";

const ROOT = path.resolve(__dirname, "..", "..");

/** `indexer/main.ts` as its own process group, syncing into `file` with ranges of at most 3 blocks. */
function spawnIndexer(world: World, deployments: string, file: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "indexer", "main.ts")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      ETS_RPC_URL: world.node.url,
      ETS_DEPLOYMENTS_DIR: deployments,
      ETS_INDEXER_SQLITE: file,
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

describe("indexer killed with SIGKILL during a backfill", function () {
  this.timeout(600_000);
  let world: World;
  let dir: string;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-crash-"));
    world = await World.start("crash-world");
    await world.activity();
    await world.churn(400);
    writeManifest(path.join(dir, "deployments"), world.manifest);
  });

  after(async function () {
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("resumes from its cursor after each kill and ends with the database of one clean run, row for row", async function () {
    const head = await world.provider.getBlockNumber();
    const clean = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "clean.sqlite") },
      log,
      sync: { maxRange: 3 },
    });
    await clean.syncer.syncToHead();
    const expected = await dump(clean.store);
    await clean.close();

    const file = path.join(dir, "crashed.sqlite");
    const reader = await openStore({ sqliteFile: file });
    const kills: number[] = [];
    try {
      for (let round = 0; round < 5; round++) {
        const before = await cursorOf(reader);
        const child = spawnIndexer(world, path.join(dir, "deployments"), file);
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        // Kill at a random moment once this run has committed some ranges of its own.
        await waitFor(async () => (await cursorOf(reader)) > before + 3, 60_000, `progress of run ${round}: ${stderr}`);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
        await killHard(child);
        const at = await cursorOf(reader);
        kills.push(at);
        if (at >= head) break;
      }
      expect(kills.filter((k) => k < head).length, `killed at ${kills.join(", ")}`).to.be.greaterThanOrEqual(3);
      const last = spawnIndexer(world, path.join(dir, "deployments"), file);
      await waitFor(async () => (await cursorOf(reader)) >= head, 120_000, "the last run to catch up");
      await killHard(last);
      expect(await dump(reader)).to.deep.equal(expected);
    } finally {
      await reader.close();
    }
  });
});
