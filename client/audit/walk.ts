import { RpcCallError, hex, type AuditRpc } from "./rpc";
import { EMPTY_TRIE_ROOT, encodeReceipt, orderedTrieRoot, serializeTx, type FullTx } from "./trie";
import type { AuditFigures, Finding, RawBlock, RawLog, RawReceipt, RawTx } from "./types";

export interface WalkOptions {
  from: number;
  head: number;
  headHash: string;
  /** Lower-case addresses whose logs are replayed and cross-checked with eth_getLogs. */
  addresses: string[];
  /** Blocks per window (one eth_getLogs range). Default 200. */
  window?: number;
  figures: AuditFigures;
  find: (f: Finding) => void;
  /** Every log of the deployment, in chain order, with its transaction and block. */
  onLog: (log: RawLog, tx: RawTx, block: RawBlock) => Promise<void>;
  /** Called after each window with the last block done. */
  onProgress?: (block: number) => void;
}

const num = (h: string | undefined | null): number => (h ? Number(BigInt(h)) : -1);
const logKey = (l: RawLog) =>
  [
    num(l.blockNumber),
    l.transactionHash.toLowerCase(),
    num(l.logIndex),
    l.address.toLowerCase(),
    l.topics.join(","),
    l.data,
  ].join("|");

/**
 * Walks every block from `from` to `head`: each block's number and parent hash link to the one
 * before, the last is the head's hash; each receipt belongs to its block at its transaction's index,
 * each log of a receipt names its block and transaction; each transaction re-encoded hashes to its
 * hash, and the block's transactions root and receipts root are recomputed (Merkle-Patricia tries)
 * from the transactions and receipts the node gave; every deployment log that eth_getLogs gives
 * is in its transaction's receipt and every deployment log of a receipt is in eth_getLogs.
 */
export async function walkChain(rpc: AuditRpc, o: WalkOptions): Promise<void> {
  const size = o.window ?? 200;
  const watched = new Set(o.addresses.map((a) => a.toLowerCase()));
  let blockReceipts = true;
  let prevHash: string | undefined;
  if (o.from > 0) {
    const before = await rpc.call<RawBlock | null>("eth_getBlockByNumber", [hex(o.from - 1), false]);
    prevHash = before?.hash;
  }
  for (let start = o.from; start <= o.head; start += size) {
    const end = Math.min(o.head, start + size - 1);
    const numbers = Array.from({ length: end - start + 1 }, (_, i) => start + i);
    const blocks = await rpc.batch<RawBlock | null>(
      numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [hex(n), true] })),
    );
    const withTxs: RawBlock[] = [];
    blocks.forEach((b, i) => {
      const n = numbers[i]!;
      if (!b) {
        o.find({ kind: "block-missing", block: n, message: `The node has no block ${n} below the head it reported.` });
        prevHash = undefined;
        return;
      }
      o.figures.blocks++;
      if (num(b.number) !== n) {
        o.find({
          kind: "block-number-mismatch",
          block: n,
          expected: String(n),
          found: String(num(b.number)),
          message: `Block ${n} was answered with another number.`,
        });
      }
      if (prevHash !== undefined && b.parentHash.toLowerCase() !== prevHash.toLowerCase()) {
        o.find({
          kind: "block-parent-mismatch",
          block: n,
          expected: prevHash,
          found: b.parentHash,
          message: `Block ${n}'s parent hash is not the hash of block ${n - 1}: the chain is not linked.`,
        });
      }
      prevHash = b.hash;
      b.transactions.forEach((t, idx) => {
        if (
          typeof t !== "object" ||
          num(t.transactionIndex) !== idx ||
          t.blockHash?.toLowerCase() !== b.hash.toLowerCase()
        ) {
          o.find({
            kind: "block-transaction-mismatch",
            block: n,
            tx: typeof t === "object" ? t.hash : String(t),
            message: `A transaction of block ${n} names another block or index.`,
          });
        }
      });
      o.figures.transactions += b.transactions.length;
      if (b.transactions.length > 0) withTxs.push(b);
      else if (b.receiptsRoot && b.transactionsRoot) {
        const empty = EMPTY_TRIE_ROOT;
        if (b.transactionsRoot.toLowerCase() !== empty || b.receiptsRoot.toLowerCase() !== empty) {
          o.find({
            kind: "transactions-root-mismatch",
            block: n,
            expected: empty,
            found: `${b.transactionsRoot} / ${b.receiptsRoot}`,
            message: `Block ${n} has no transactions but its header commits to some.`,
          });
        }
        o.figures.rootsVerified++;
      }
    });
    if (end === o.head && prevHash && prevHash.toLowerCase() !== o.headHash.toLowerCase()) {
      o.find({
        kind: "head-changed",
        block: o.head,
        expected: o.headHash,
        found: prevHash,
        message: `The head block's hash changed during the audit (a reorganisation or a reset chain).`,
      });
    }

    // Receipts of every transaction.
    const receipts = new Map<string, RawReceipt>();
    if (blockReceipts && withTxs.length > 0) {
      try {
        const lists = await rpc.batch<RawReceipt[] | null>(
          withTxs.map((b) => ({ method: "eth_getBlockReceipts", params: [b.hash] })),
        );
        lists.forEach((list) => (list ?? []).forEach((r) => receipts.set(r.transactionHash.toLowerCase(), r)));
      } catch (err) {
        if (!(err instanceof RpcCallError)) throw err;
        blockReceipts = false;
      }
    }
    if (!blockReceipts) {
      const txs = withTxs.flatMap((b) => b.transactions);
      const list = await rpc.batch<RawReceipt | null>(
        txs.map((t) => ({ method: "eth_getTransactionReceipt", params: [t.hash] })),
      );
      list.forEach((r) => r && receipts.set(r.transactionHash.toLowerCase(), r));
    }

    // Deployment logs as eth_getLogs sees them.
    const fromLogs = await getLogs(rpc, start, end, [...watched]);
    const getLogsKeys = new Map(fromLogs.map((l) => [logKey(l), l]));
    const receiptKeys = new Set<string>();

    for (const b of withTxs) {
      const n = num(b.number);
      await verifyRoots(b, receipts, o);
      for (const [idx, t] of b.transactions.entries()) {
        const r = receipts.get(t.hash.toLowerCase());
        if (!r) {
          o.find({
            kind: "receipt-missing",
            block: n,
            tx: t.hash,
            message: `The node has no receipt for a transaction of block ${n}.`,
          });
          continue;
        }
        o.figures.receipts++;
        if (
          r.blockHash.toLowerCase() !== b.hash.toLowerCase() ||
          num(r.blockNumber) !== n ||
          num(r.transactionIndex) !== idx
        ) {
          o.find({
            kind: "receipt-mismatch",
            block: n,
            tx: t.hash,
            expected: `${b.hash} #${n} index ${idx}`,
            found: `${r.blockHash} #${num(r.blockNumber)} index ${num(r.transactionIndex)}`,
            message: `A receipt does not belong to the block and index of its transaction.`,
          });
        }
        for (const l of r.logs) {
          if (!watched.has(l.address.toLowerCase())) continue;
          if (
            l.transactionHash.toLowerCase() !== t.hash.toLowerCase() ||
            l.blockHash.toLowerCase() !== b.hash.toLowerCase()
          ) {
            o.find({
              kind: "receipt-log-mismatch",
              block: n,
              tx: t.hash,
              message: `A log of a receipt names another transaction or block.`,
            });
          }
          const k = logKey(l);
          receiptKeys.add(k);
          if (!getLogsKeys.has(k)) {
            o.find({
              kind: "log-missing-from-getlogs",
              block: n,
              tx: t.hash,
              message: `A deployment log of a receipt (index ${num(l.logIndex)}) is missing from eth_getLogs.`,
            });
          }
          await o.onLog(l, t, b);
        }
      }
    }
    for (const [k, l] of getLogsKeys) {
      if (!receiptKeys.has(k)) {
        o.find({
          kind: "log-missing-from-receipts",
          block: num(l.blockNumber),
          tx: l.transactionHash,
          message: `eth_getLogs gives a deployment log (index ${num(l.logIndex)}) that its transaction's receipt does not have.`,
        });
      }
    }
    o.onProgress?.(end);
  }
}

/** Recomputes the block's transactions and receipts roots from what the node gave. */
async function verifyRoots(b: RawBlock, receipts: Map<string, RawReceipt>, o: WalkOptions): Promise<void> {
  const n = num(b.number);
  const encoded = b.transactions.map((t) => serializeTx(t as unknown as FullTx));
  const list = b.transactions.map((t) => receipts.get(t.hash.toLowerCase()));
  if (encoded.some((e) => e === undefined) || list.some((r) => r === undefined) || !b.transactionsRoot) {
    o.figures.rootsNotVerifiable++;
    return;
  }
  const txRoot = await orderedTrieRoot(encoded as string[]);
  if (txRoot !== b.transactionsRoot.toLowerCase()) {
    o.find({
      kind: "transactions-root-mismatch",
      block: n,
      expected: txRoot,
      found: b.transactionsRoot,
      message: `The transactions the node gives for block ${n} are not those its header commits to.`,
    });
  }
  const receiptRoot = await orderedTrieRoot(list.map((r) => encodeReceipt(r!)));
  if (receiptRoot !== b.receiptsRoot.toLowerCase()) {
    o.find({
      kind: "receipts-root-mismatch",
      block: n,
      expected: receiptRoot,
      found: b.receiptsRoot,
      message: `The receipts the node gives for block ${n} (their status, gas or logs) are not those its header commits to.`,
    });
  }
  o.figures.rootsVerified++;
}

/** eth_getLogs over a range, split in halves while the node refuses it (a range or result-size limit). */
async function getLogs(rpc: AuditRpc, from: number, to: number, address: string[]): Promise<RawLog[]> {
  try {
    return await rpc.call<RawLog[]>("eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(to), address }]);
  } catch (err) {
    if (!(err instanceof RpcCallError) || from === to) throw err;
    const mid = Math.floor((from + to) / 2);
    return [...(await getLogs(rpc, from, mid, address)), ...(await getLogs(rpc, mid + 1, to, address))];
  }
}
