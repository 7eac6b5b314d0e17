// Settlement sender, in a worker thread so that encoding, signing and sending a large batch (and
// reading its receipt) never stalls the exchange's order flow. Plain JavaScript: it loads only
// ethers, whatever runs the main thread (tsx, ts-node or compiled code).
"use strict";
const { parentPort } = require("node:worker_threads");
const { Contract, FeeData, JsonRpcProvider, Wallet } = require("ethers");

let clearing;
let rejectedTopic;

class ZeroFee extends JsonRpcProvider {
  async getFeeData() {
    return new FeeData(0n, null, null);
  }
}

function describe(err) {
  const out = { message: String((err && (err.shortMessage || err.message)) || err), code: err && err.code };
  // Revert data, wherever ethers or the node put it, for the main thread's error decoding.
  const seen = new Set();
  const find = (e, depth) => {
    if (!e || typeof e !== "object" || depth > 6 || seen.has(e)) return undefined;
    seen.add(e);
    if (typeof e.data === "string" && /^0x[0-9a-fA-F]{8}/.test(e.data)) return e.data;
    for (const k of ["error", "info", "cause", "data"]) {
      const d = find(e[k], depth + 1);
      if (d) return d;
    }
    return undefined;
  };
  out.data = find(err, 0);
  return out;
}

parentPort.on("message", async (msg) => {
  if (msg.type === "init") {
    const provider = new ZeroFee(msg.rpcUrl, undefined, {
      staticNetwork: true,
      cacheTimeout: -1,
      pollingInterval: 100,
    });
    const wallet = new Wallet(msg.privateKey, provider);
    clearing = new Contract(msg.clearing, msg.abi, wallet);
    rejectedTopic = clearing.interface.getEvent("TradeRejected").topicHash;
    parentPort.postMessage({ type: "ready" });
    return;
  }
  if (msg.type !== "send") return;
  const { id, batch, nonce, gasLimit } = msg;
  let tx;
  try {
    tx = await clearing.settle(batch, { nonce, gasLimit, gasPrice: 0n, type: 0 });
    parentPort.postMessage({ type: "sent", id, hash: tx.hash });
  } catch (err) {
    parentPort.postMessage({ type: "failed", id, error: describe(err) });
    return;
  }
  try {
    const receipt = await tx.wait();
    const rejected = [];
    for (const log of receipt.logs) {
      if (log.topics[0] !== rejectedTopic) continue;
      const parsed = clearing.interface.parseLog(log);
      rejected.push([parsed.args[0], Number(parsed.args[1])]);
    }
    parentPort.postMessage({
      type: "confirmed",
      id,
      status: receipt.status,
      hash: receipt.hash,
      block: receipt.blockNumber,
      rejected,
    });
  } catch (err) {
    parentPort.postMessage({ type: "failed", id, error: describe(err) });
  }
});
