import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createIndexer } from "../../indexer/app";
import { AdaptiveRange, isRangeRefusal } from "../../indexer/sync/chunks";
import { RpcError } from "../../indexer/sync/rpc";
import { freePort } from "../../scripts/lib/anvil";
import { expectStoreEqualsChain } from "./helpers";
import { World, log } from "./world";

/**
 * A JSON-RPC proxy in front of Anvil that refuses `eth_getLogs` over more than `maxRange` blocks
 * the way Besu does, and counts the ranges it was asked for.
 */
async function rangeLimitedProxy(target: string, port: number, maxRange: number) {
  const ranges: number[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const calls = [JSON.parse(body)].flat() as { id: number; method: string; params: any[] }[];
    for (const call of calls) {
      if (call.method !== "eth_getLogs") continue;
      const range = Number(BigInt(call.params[0].toBlock) - BigInt(call.params[0].fromBlock)) + 1;
      ranges.push(range);
      if (range > maxRange) {
        const error = {
          jsonrpc: "2.0",
          id: call.id,
          error: { code: -32000, message: `Requested range exceeds maximum RPC range limit of ${maxRange}` },
        };
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(Array.isArray(JSON.parse(body)) ? [error] : error));
        return;
      }
    }
    const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return { ranges, url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("indexer sync and the node's limits", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-rpc-"));
    world = await World.start();
    await world.activity();
    await world.churn(60);
  });

  after(async function () {
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shrinks the range when the node refuses it, and never asks for more than the maximum", async function () {
    const proxy = await rangeLimitedProxy(world.node.url, await freePort(), 10);
    const idx = await createIndexer({
      rpcUrl: proxy.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "limited.sqlite") },
      log,
      sync: { maxRange: 5_000 },
    });
    try {
      const status = await idx.syncer.syncToHead();
      expect(status.indexedBlock).to.equal(await world.provider.getBlockNumber());
      // The first range was the whole chain; a few refusals later every range fits the node's limit.
      expect(proxy.ranges[0]).to.equal(status.indexedBlock - world.manifest.deploymentBlock + 1);
      const refused = proxy.ranges.filter((r) => r > 10);
      expect(refused.length).to.be.within(1, 8);
      const lastRefusal = proxy.ranges.length - 1 - [...proxy.ranges].reverse().findIndex((r) => r > 10);
      expect(proxy.ranges.slice(lastRefusal + 1).every((r) => r <= 10)).to.equal(true);
      expect(proxy.ranges.slice(lastRefusal + 1).filter((r) => r === 10).length).to.be.greaterThan(3);
      await expectStoreEqualsChain(idx.store, world, status.indexedBlock);
    } finally {
      await idx.close();
      await proxy.close();
    }
  });

  it("waits for a node that does not answer, says so in its status, and catches up once it does", async function () {
    const port = await freePort();
    const idx = await createIndexer({
      rpcUrl: `http://127.0.0.1:${port}`,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "outage.sqlite") },
      log,
      sync: { pollIntervalMs: 50 },
    });
    let fatal: Error | undefined;
    idx.startSync((err) => (fatal = err));
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      expect(idx.syncer.status().nodeReachable).to.equal(false);
      expect(idx.syncer.status().indexedBlock).to.equal(-1);
      const proxy = await rangeLimitedProxy(world.node.url, port, 1_000_000);
      try {
        const head = await world.provider.getBlockNumber();
        const deadline = Date.now() + 60_000;
        while (idx.syncer.status().indexedBlock < head && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        expect(idx.syncer.status()).to.include({ indexedBlock: head, nodeReachable: true });
        expect(fatal).to.equal(undefined);
        // The node goes away again: GraphQL says so, with the last head it saw and when.
        const url = await idx.listen("127.0.0.1", 0);
        await proxy.close();
        await world.increaseTime(60);
        const down = Date.now() + 10_000;
        while (idx.syncer.status().nodeReachable && Date.now() < down) await new Promise((r) => setTimeout(r, 50));
        const res = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            query: "{ indexerStatus { head indexedBlock behind nodeReachable headSeenAt lastCommitAt } }",
          }),
        });
        const { data } = (await res.json()) as { data: { indexerStatus: Record<string, unknown> } };
        expect(data.indexerStatus).to.include({ head, indexedBlock: head, behind: 0, nodeReachable: false });
        const now = Math.floor(Date.now() / 1000);
        expect(data.indexerStatus.headSeenAt).to.be.within(now - 30, now);
        expect(data.indexerStatus.lastCommitAt).to.be.within(now - 60, now);
        expect(fatal).to.equal(undefined);
      } finally {
        await idx.close();
        await proxy.close().catch(() => undefined);
      }
    } finally {
      await idx.close().catch(() => undefined);
    }
  });

  describe("AdaptiveRange", function () {
    it("halves on a refusal, follows a node's hint, doubles after quick light ranges, stays within the maximum", function () {
      const r = new AdaptiveRange(1_000, 5_000);
      expect(r.shrinkFor(new RpcError(-32005, "query returned more than 10000 results"), 1_000)).to.equal(true);
      expect(r.size).to.equal(500);
      expect(
        r.shrinkFor(
          new RpcError(
            -32602,
            "query exceeds max results 20000, retry with the range 0x10-0x20: this block range should work: [0x10, 0x4f]",
          ),
          500,
        ),
      ).to.equal(true);
      expect(r.size).to.equal(64);
      r.after(10, 5);
      expect(r.size).to.equal(64); // the node's hint is a ceiling
      const fresh = new AdaptiveRange(100, 5_000);
      for (let i = 0; i < 20; i++) fresh.after(10, 5);
      expect(fresh.size).to.equal(5_000);
      fresh.after(20_000, 5);
      expect(fresh.size).to.equal(2_500);
      fresh.after(10, 5_000); // slow: stays
      expect(fresh.size).to.equal(2_500);
      expect(r.shrinkFor(new RpcError(-32000, "execution reverted"), 100)).to.equal(false);
      expect(isRangeRefusal({ code: -32000, message: "block range too large" })).to.equal(true);
    });
  });
});
