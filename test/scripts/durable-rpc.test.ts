import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { startAnvil, type AnvilNode } from "../../scripts/lib/anvil";
import { DurableRpcProxy, isStateChanging } from "../../scripts/lib/durable-rpc";

/** JSON-RPC over fetch, without ethers' batching: each call is its own HTTP request. */
async function rpc(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return res.json();
}

/** Hashes of the transactions in a state snapshot file. */
function snapshotTxs(file: string): Set<string> {
  const state = JSON.parse(fs.readFileSync(file, "utf8")) as { transactions: { info: { transaction_hash: string } }[] };
  return new Set(state.transactions.map((t) => t.info.transaction_hash));
}

describe("durable JSON-RPC proxy (scripts/lib/durable-rpc.ts)", function () {
  this.timeout(60_000);

  let dir: string;
  let anvil: AnvilNode;
  let proxy: DurableRpcProxy;
  const sender = Wallet.createRandom();
  let nonce = 0;
  const signed = () =>
    sender.signTransaction({
      type: 0,
      chainId: 31337,
      nonce: nonce++,
      to: sender.address,
      value: 0,
      gasLimit: 21_000,
      gasPrice: 0,
    });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-durable-"));
    anvil = await startAnvil({ lifeline: true });
    proxy = new DurableRpcProxy({ upstream: anvil.url, port: 0, stateFile: path.join(dir, "state.json") });
    await proxy.start();
  });

  after(async () => {
    await proxy.stop();
    await anvil.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("treats sends and Anvil's mutators as writes, everything else as reads", () => {
    for (const m of [
      "eth_sendRawTransaction",
      "eth_sendTransaction",
      "anvil_mine",
      "anvil_setBalance",
      "evm_increaseTime",
      "evm_revert",
    ]) {
      expect(isStateChanging(m), m).to.equal(true);
    }
    for (const m of [
      "eth_call",
      "eth_getBalance",
      "eth_blockNumber",
      "eth_getLogs",
      "anvil_dumpState",
      "anvil_nodeInfo",
    ]) {
      expect(isStateChanging(m), m).to.equal(false);
    }
  });

  it("answers a transaction only once the snapshot on disk contains it, one dump serving many", async () => {
    const raws = await Promise.all(Array.from({ length: 30 }, () => signed()));
    const before = proxy.stats();
    const missing: string[] = [];
    await Promise.all(
      raws.map(async (raw, i) => {
        const reply = (await rpc(proxy.url, {
          jsonrpc: "2.0",
          id: i,
          method: "eth_sendRawTransaction",
          params: [raw],
        })) as {
          result: string;
        };
        // At the moment of the answer, the file on disk must already hold the transaction.
        if (!snapshotTxs(path.join(dir, "state.json")).has(reply.result)) missing.push(reply.result);
      }),
    );
    expect(missing).to.deep.equal([]);
    const after = proxy.stats();
    expect(after.acknowledged - before.acknowledged).to.equal(30);
    expect(after.dumps - before.dumps).to.be.below(30); // group commit
  });

  it("answers a batch of reads and writes whole, after the writes are durable", async () => {
    const raw = await signed();
    const replies = (await rpc(proxy.url, [
      { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: [raw] },
      { jsonrpc: "2.0", id: 3, method: "eth_blockNumber", params: [] },
    ])) as { id: number; result: string }[];
    expect(replies.map((r) => r.id).sort()).to.deep.equal([1, 2, 3]);
    const hash = replies.find((r) => r.id === 2)!.result;
    expect(snapshotTxs(path.join(dir, "state.json")).has(hash)).to.equal(true);
  });

  it("passes a rejected write through without a dump", async () => {
    const dumps = proxy.stats().dumps;
    const reply = (await rpc(proxy.url, {
      jsonrpc: "2.0",
      id: 1,
      method: "eth_sendRawTransaction",
      params: ["0x1234"],
    })) as {
      error?: unknown;
    };
    expect(reply.error).to.not.equal(undefined);
    expect(proxy.stats().dumps).to.equal(dumps);
  });

  it("answers a write with an error when its state cannot be stored", async () => {
    const broken = new DurableRpcProxy({
      upstream: anvil.url,
      port: 0,
      stateFile: path.join(dir, "missing", "folder", "state.json"),
    });
    await broken.start();
    try {
      const reply = (await rpc(broken.url, {
        jsonrpc: "2.0",
        id: 1,
        method: "eth_sendRawTransaction",
        params: [await signed()],
      })) as {
        error?: { code: number; message: string };
      };
      expect(reply.error?.code).to.equal(-32603);
      expect(reply.error?.message).to.match(/could not be stored durably/);
    } finally {
      await broken.stop().catch(() => undefined); // its final snapshot fails too
    }
  });

  it("writes a snapshot from which Anvil continues the same chain", async () => {
    await proxy.checkpoint();
    const latest = (await rpc(proxy.url, {
      jsonrpc: "2.0",
      id: 1,
      method: "eth_getBlockByNumber",
      params: ["latest", false],
    })) as {
      result: { number: string; hash: string };
    };
    const copy = path.join(dir, "copy.json");
    fs.copyFileSync(path.join(dir, "state.json"), copy);
    const reloaded = await startAnvil({ lifeline: true, args: ["--load-state", copy] });
    try {
      const again = (await rpc(reloaded.url, {
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getBlockByNumber",
        params: [latest.result.number, false],
      })) as { result: { hash: string } };
      expect(again.result.hash).to.equal(latest.result.hash);
      const count = (await rpc(reloaded.url, {
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getTransactionCount",
        params: [sender.address, "latest"],
      })) as { result: string };
      // Every transaction sent so far, the one the broken proxy could not store included: the
      // checkpoint above wrote the state that contains it.
      expect(Number(count.result)).to.equal(nonce);
    } finally {
      await reloaded.stop();
    }
  });
});
