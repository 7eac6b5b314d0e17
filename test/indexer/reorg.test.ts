import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { dump, expectStoreEqualsChain } from "./helpers";
import { World, YEAR, log } from "./world";

describe("indexer reorg handling", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-reorg-"));
    world = await World.start();
    await world.activity();
    idx = await open("live.sqlite");
    await idx.syncer.syncToHead();
  });

  after(async function () {
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (file: string) =>
    createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, file) },
      log,
      sync: { maxRange: 5 },
    });

  /** The store equals, row for row, a new index of the chain as it is now, and the chain's balances. */
  async function expectSameAsFreshIndex(): Promise<void> {
    const fresh = await open(`fresh-${Date.now()}.sqlite`);
    try {
      await fresh.syncer.syncToHead();
      expect(await dump(idx.store)).to.deep.equal(await dump(fresh.store));
    } finally {
      await fresh.close();
    }
    await expectStoreEqualsChain(idx.store, world, await world.provider.getBlockNumber());
  }

  /** The first event of a GraphQL subscription over server-sent events (no session: a public field). */
  async function firstEvent(url: string, query: string): Promise<{ next: Promise<any>; close: () => void }> {
    const abort = new AbortController();
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query }),
      signal: abort.signal,
    });
    expect(res.status).to.equal(200);
    const reader = res.body!.getReader();
    const next = (async () => {
      let text = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended: ${text}`);
        text += new TextDecoder().decode(value);
        const data = /^data:(.*)$/m.exec(text);
        if (data) return JSON.parse(data[1]!);
      }
    })();
    next.catch(() => undefined);
    return { next, close: () => abort.abort() };
  }

  it("rolls back blocks that left the chain when the chain got shorter", async function () {
    const snapshot = await world.provider.send("evm_snapshot", []);
    await world.churn(4);
    await world
      .as(world.steel)
      .allowances.safeTransferFrom(world.steel.address, world.fund.address, YEAR, 10n, "0x")
      .then((t) => t.wait());
    let status = await idx.syncer.syncToHead();
    const indexedBefore = status.indexedBlock;
    expect(
      await idx.store.db
        .selectFrom("transfers")
        .select("status")
        .where("status", "=", "pending")
        .where("to_block", "is", null)
        .execute(),
    ).to.have.length(1);

    const url = `${await idx.listen("127.0.0.1", 0)}/graphql`;
    const reorgs = await firstEvent(url, "subscription { reorgs { fromBlock toBlock depth } }");
    await world.provider.send("evm_revert", [snapshot]);
    const head = await world.provider.getBlockNumber();
    expect(head).to.be.lessThan(indexedBefore);
    status = await idx.syncer.syncToHead();
    expect(status.reorgs).to.equal(1);
    expect(status.indexedBlock).to.equal(head);
    // A subscriber learns which blocks' trades and alerts were withdrawn.
    const { data } = await Promise.race([
      reorgs.next,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no reorg event within 10 s")), 10_000)),
    ]);
    reorgs.close();
    expect(data.reorgs.fromBlock).to.equal(indexedBefore);
    expect(data.reorgs.toBlock).to.be.at.most(head);
    expect(data.reorgs.depth).to.equal(indexedBefore - data.reorgs.toBlock);
    expect(
      await idx.store.db
        .selectFrom("transfers")
        .select("status")
        .where("status", "=", "pending")
        .where("to_block", "is", null)
        .execute(),
    ).to.have.length(0);
    await expectSameAsFreshIndex();
  });

  it("rolls back and re-indexes when other blocks replace indexed ones at the same heights", async function () {
    const snapshot = await world.provider.send("evm_snapshot", []);
    await world.churn(6);
    await idx.syncer.syncToHead();
    const replaced = await idx.store.db
      .selectFrom("events")
      .select("block_number")
      .orderBy("block_number", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();

    await world.provider.send("evm_revert", [snapshot]);
    // Another history: different transfers, and more blocks than before.
    await world.provider.send("evm_increaseTime", [5]);
    const b = world.as(world.steel2).allowances;
    for (let i = 0; i < 8; i++)
      await (await b.safeTransferFrom(world.steel2.address, world.steel.address, YEAR, 11n, "0x")).wait();
    expect(await world.provider.getBlockNumber()).to.be.greaterThan(Number(replaced.block_number));
    const status = await idx.syncer.syncToHead();
    expect(status.reorgs).to.equal(2);
    const amounts = await idx.store.db
      .selectFrom("transfers")
      .select("amount")
      .where("created_block", ">", replaced.block_number - 6n)
      .execute();
    expect(amounts.every((a) => a.amount === 11n)).to.equal(true);
    await expectSameAsFreshIndex();
  });

  it("stops with INDEXER_REORG_TOO_DEEP when more blocks changed than the configured depth", async function () {
    const shallow = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "shallow.sqlite") },
      log,
      sync: { maxReorgDepth: 2 },
    });
    try {
      const snapshot = await world.provider.send("evm_snapshot", []);
      await world.churn(6);
      await shallow.syncer.syncToHead();
      const before = await dump(shallow.store);
      await world.provider.send("evm_revert", [snapshot]);
      // The same transactions again would make the same blocks if mined in the same seconds: a
      // minute later they are other blocks at every height.
      await world.provider.send("evm_increaseTime", [60]);
      await world.churn(8);
      try {
        await shallow.syncer.syncToHead();
        expect.fail("rolled back a reorg deeper than allowed");
      } catch (err) {
        expect((err as { code?: string }).code).to.equal("INDEXER_REORG_TOO_DEEP");
      }
      // Nothing was changed.
      expect(await dump(shallow.store)).to.deep.equal(before);
    } finally {
      await shallow.close();
    }
  });

  it("stays the configured number of confirmations behind the head", async function () {
    const behind = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "confirmations.sqlite") },
      log,
      sync: { confirmations: 3 },
    });
    try {
      const status = await behind.syncer.syncToHead();
      const head = await world.provider.getBlockNumber();
      expect(status).to.include({ indexedBlock: head - 3, head, behind: 0 });
    } finally {
      await behind.close();
    }
  });
});
