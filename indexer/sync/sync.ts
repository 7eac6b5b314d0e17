import type { Insertable } from "kysely";
import type { Logger } from "pino";
import type { Manifest } from "../../sdk/manifest";
import { DomainError } from "../../sdk/errors";
import { indexerError } from "../errors";
import { applyEvents, deploymentOf, insertEvents, type Applied } from "../indexing/apply";
import { DEFAULT_RULES, type RulesConfig } from "../indexing/supervision/rules";
import { insertRows } from "../store/bulk";
import type { Deployment } from "../indexing/context";
import type { Store } from "../store/open";
import type { BlockTable, TransactionTable } from "../store/schema";
import { rollbackTo } from "../store/versioned";
import { AdaptiveRange } from "./chunks";
import { EventDecoder, type ChainEvent } from "./decode";
import { Progress } from "./progress";
import { RpcError, sleep, type Rpc, type RpcBlock, type RpcLog, type RpcTransaction } from "./rpc";

export interface SyncOptions {
  rpc: Rpc;
  store: Store;
  manifest: Manifest;
  log: Logger;
  /** Blocks to stay behind the head (0: finality is instant, as with QBFT). */
  confirmations?: number;
  /** The largest block range of one `eth_getLogs` (Besu's default limit is 5,000). */
  maxRange?: number;
  /** The range of the first request (default: `maxRange`). */
  initialRange?: number;
  /** Poll interval at the head, ms (default 1,000). */
  pollIntervalMs?: number;
  /** The deepest reorg rolled back; deeper is fatal (default 1,000 blocks). */
  maxReorgDepth?: number;
  /** Events committed in one step at most (whole blocks: a block with more is one step); default 5,000. */
  stepEvents?: number;
  /** A progress line every so many ms while behind (default 5,000). */
  progressIntervalMs?: number;
  /** The supervision thresholds and the trading day's time zone (default `DEFAULT_RULES`). */
  rules?: RulesConfig;
  /**
   * Called after each step's transaction is committed, with the trades and alerts it derived (the
   * live subscriptions publish them). Not called for a step that failed or was rolled back.
   */
  onCommitted?: (step: CommittedStep) => void;
  /** Called after a rollback is committed: the blocks above `to` left the chain. */
  onRolledBack?: (rollback: { from: number; to: number }) => void;
}

/** A committed step: its block range and the trade and alert rows it added. */
export interface CommittedStep extends Applied {
  from: number;
  to: number;
}

export interface Cursor {
  number: number;
  hash: string;
}

export interface SyncStatus {
  /** The chain head last seen (null before the first answer). */
  head: number | null;
  /** The last block whose rows are all stored. */
  indexedBlock: number;
  behind: number | null;
  nodeReachable: boolean;
  /** Unix seconds when the node last answered the head. */
  headSeenAt: number | null;
  reorgs: number;
}

/** Once caught up after this many events, the store's statistics are refreshed (`Store.maintain`). */
const MAINTAIN_AFTER_EVENTS = 10_000;

/** Transactions asked for in one request when the blocks hold many (whole blocks: a block may hold more). */
const FETCH_GROUP_TRANSACTIONS = 500;
/** Requests for blocks in flight at once (per fetched part). */
const FETCH_CONCURRENCY = 2;

/** One range read from the node and decoded, ready to commit. */
interface Fetched {
  from: number;
  to: number;
  logs: RpcLog[];
  events: ChainEvent[];
  transactions: Insertable<TransactionTable>[];
  blocks: Insertable<BlockTable>[];
  first: { number: number; parentHash: string };
  last: { number: number; hash: string };
  blocksMs: number;
  decodeMs: number;
}

/** A reorg seen while fetching: the step is given up and the next one rolls back. */
class ChainMoved extends Error {}

/**
 * Backfills every event of the deployment's contracts from its deployment block, then follows the
 * head. Each step fetches one range of blocks and commits its blocks, transactions, events, derived
 * rows and the new cursor in one database transaction, so a restart (even after kill -9) resumes at
 * the first block not committed.
 */
export class Syncer {
  private readonly decoder: EventDecoder;
  private readonly deployment: Deployment;
  private readonly range: AdaptiveRange;
  private readonly confirmations: number;
  private readonly pollIntervalMs: number;
  private readonly maxReorgDepth: number;
  private readonly stepEvents: number;
  private readonly progress: Progress;
  private head: number | null = null;
  private headSeenAt: number | null = null;
  /** Events committed since the store's statistics were last refreshed. */
  private sinceMaintenance = 0;
  private indexed = -1;
  private reorgs = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** Logs of `[from, to]` already read by `eth_getLogs`, for the next parts of a large range. */
  private heldLogs: { from: number; to: number; logs: RpcLog[] } | undefined;
  /** The next range, fetched while the previous one was committed. */
  private prefetched: { from: number; result: Promise<Fetched | undefined> } | undefined;

  constructor(private readonly opts: SyncOptions) {
    this.decoder = new EventDecoder(opts.manifest);
    this.deployment = deploymentOf(opts.manifest);
    const maxRange = opts.maxRange ?? 5_000;
    this.range = new AdaptiveRange(opts.initialRange ?? maxRange, maxRange);
    this.confirmations = opts.confirmations ?? 0;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1_000;
    this.maxReorgDepth = opts.maxReorgDepth ?? 1_000;
    this.stepEvents = Math.max(1, opts.stepEvents ?? 5_000);
    this.progress = new Progress(opts.log, opts.progressIntervalMs ?? 5_000);
  }

  status(): SyncStatus {
    return {
      head: this.head,
      indexedBlock: this.indexed,
      behind: this.head === null ? null : Math.max(0, this.head - this.confirmations - this.indexed),
      nodeReachable: !this.opts.rpc.unreachable,
      headSeenAt: this.headSeenAt,
      reorgs: this.reorgs,
    };
  }

  /** Checks the database belongs to this deployment (recording it on first use) and reads the cursor. */
  async init(): Promise<Cursor> {
    const { db } = this.opts.store;
    const { manifest } = this.opts;
    const identity = JSON.stringify({
      chainId: manifest.chainId,
      deploymentBlock: manifest.deploymentBlock,
      registry: manifest.contracts.ParticipantRegistry.toLowerCase(),
    });
    const stored = await db.selectFrom("meta").select("value").where("key", "=", "deployment").executeTakeFirst();
    if (!stored) await db.insertInto("meta").values({ key: "deployment", value: identity }).execute();
    else if (stored.value !== identity) {
      throw indexerError(
        "INDEXER_DATABASE_MISMATCH",
        `the database indexes ${stored.value}, not this deployment ${identity}`,
        { stored: stored.value, manifest: identity },
      );
    }
    const cursor = await this.cursor();
    this.indexed = cursor.number;
    return cursor;
  }

  /** Runs until `stop()`: backfill, then follow the head. Fatal errors go to `onFatal`. */
  start(onFatal: (err: Error) => void): void {
    this.loop = (async () => {
      try {
        await this.init();
        while (!this.stopping) {
          let idle: boolean;
          try {
            idle = (await this.step()) === "idle";
          } catch (err) {
            if (isFatal(err)) throw err;
            if (this.stopping) break;
            this.opts.log.error({ err }, "sync step failed; retrying");
            await sleep(Math.min(this.pollIntervalMs * 5, 5_000));
            continue;
          }
          if (idle) await sleep(this.pollIntervalMs);
        }
      } catch (err) {
        if (!this.stopping) onFatal(err as Error);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** Steps until the cursor reaches the target (head − confirmations) seen at the call. */
  async syncToHead(): Promise<SyncStatus> {
    await this.init();
    while ((await this.step()) !== "idle") {
      // next range
    }
    return this.status();
  }

  /** The stored cursor, or the block before the deployment. */
  async cursor(): Promise<Cursor> {
    const row = await this.opts.store.db.selectFrom("cursor").selectAll().where("id", "=", "main").executeTakeFirst();
    if (row) return { number: Number(row.block_number), hash: row.block_hash };
    const start = this.opts.manifest.deploymentBlock - 1;
    if (start < 0) return { number: -1, hash: "" };
    const [block] = await this.opts.rpc.blocks([start], false);
    if (!block) throw new Error(`the node has no block ${start} (the block before the deployment)`);
    return { number: start, hash: block.hash };
  }

  /** One range: "idle" when the cursor is at the target already. */
  async step(): Promise<"progress" | "idle"> {
    const { rpc, store } = this.opts;
    if (await store.reopenIfDeleted()) {
      this.opts.log.error(
        { store: store.location },
        "the database was deleted; rebuilding it from the chain, from the deployment block",
      );
      this.prefetched = undefined;
      this.heldLogs = undefined;
      await this.init();
    }
    this.head = await rpc.blockNumber();
    this.headSeenAt = Math.floor(Date.now() / 1000);
    const target = this.head - this.confirmations;
    const cursor = await this.cursor();
    this.indexed = cursor.number;
    if (cursor.number >= 0) {
      const [atCursor] = await rpc.blocks([cursor.number], false);
      if (!atCursor || atCursor.hash !== cursor.hash) {
        this.prefetched = undefined;
        this.heldLogs = undefined;
        await this.rollBack(cursor);
        return "progress";
      }
    }
    if (cursor.number >= target) {
      this.progress.caughtUp(cursor.number);
      if (this.sinceMaintenance >= MAINTAIN_AFTER_EVENTS) {
        this.sinceMaintenance = 0;
        const t = performance.now();
        await store.maintain();
        this.opts.log.info({ ms: Math.round(performance.now() - t) }, "statistics refreshed after the backfill");
      }
      return "idle";
    }
    const from = cursor.number + 1;
    const t0 = performance.now();
    this.progress.begin(from, target);
    const pre = this.prefetched;
    this.prefetched = undefined;
    const waitStarted = performance.now();
    let fetched = pre && pre.from === from ? await pre.result.catch(() => undefined) : undefined;
    const waitedMs = Math.round(performance.now() - waitStarted);
    if (!fetched) {
      const to = Math.min(from + this.range.size - 1, target);
      try {
        fetched = await this.fetchRange(cursor, from, to);
      } catch (err) {
        this.heldLogs = undefined;
        if (!(err instanceof ChainMoved)) throw err;
        this.opts.log.info({ from, to, reason: err.message }, "the chain moved during a step; checking for a reorg");
        return "progress";
      }
      if (!fetched) return "progress";
    }
    // The next range is fetched while this one is committed.
    const next = fetched.to + 1;
    if (next <= target) {
      const result = this.fetchRange(undefined, next, Math.min(next + this.range.size - 1, target));
      result.catch(() => undefined);
      this.prefetched = { from: next, result };
      // One turn of the event loop sends its requests, so the node works on them during the commit
      // (a SQLite commit does not give the loop a turn until it ends).
      await new Promise((r) => setImmediate(r));
    }
    try {
      const events = await this.commit(cursor, fetched, waitedMs);
      this.range.after(fetched.logs.length, performance.now() - t0);
      this.indexed = fetched.to;
      this.sinceMaintenance += fetched.events.length;
      this.progress.advanced(from, fetched.to, events, this.head);
    } catch (err) {
      this.prefetched = undefined;
      this.heldLogs = undefined;
      if (err instanceof ChainMoved) {
        this.opts.log.info(
          { from, to: fetched.to, reason: err.message },
          "the chain moved during a step; checking for a reorg",
        );
        return "progress";
      }
      throw err;
    }
    return "progress";
  }

  /**
   * The logs of `[from, to]` with the blocks that hold them (and the range's first and last
   * headers), decoded; undefined when the node refused the range (it is shrunk for the next try).
   * `cursor`, when known, is checked against the first block's parent.
   */
  private async fetchRange(cursor: Cursor | undefined, from: number, to: number): Promise<Fetched | undefined> {
    const { rpc } = this.opts;
    let logs: RpcLog[];
    const held = this.heldLogs;
    this.heldLogs = undefined;
    if (held && held.from === from) {
      logs = held.logs;
      to = held.to;
    } else {
      try {
        logs = await rpc.getLogs({ fromBlock: from, toBlock: to, address: this.decoder.addresses });
      } catch (err) {
        if (err instanceof RpcError && this.range.shrinkFor(err, to - from + 1)) {
          this.opts.log.debug({ from, to, range: this.range.size, error: err.message }, "range refused; shrinking");
          return undefined;
        }
        throw err;
      }
    }
    // A range with many logs is committed in parts of about `stepEvents` events (whole blocks): the
    // rest is held for the next steps, whose blocks are fetched while this part is committed.
    if (logs.length > this.stepEvents) {
      const cutBlock = Number(logs[this.stepEvents - 1]!.blockNumber);
      const rest = logs.filter((l) => Number(l.blockNumber) > cutBlock);
      if (rest.length > 0) {
        this.heldLogs = { from: cutBlock + 1, to, logs: rest };
        logs = logs.slice(0, logs.length - rest.length);
        to = cutBlock;
      }
    }
    const started = performance.now();
    const withLogs = [...new Set(logs.map((l) => Number(l.blockNumber)))].sort((a, b) => a - b);
    const full = await this.blocksWithTransactions(withLogs, logs);
    const byNumber = new Map<number, RpcBlock>();
    full.forEach((b, i) => {
      if (!b) throw new ChainMoved(`block ${withLogs[i]} is gone`);
      byNumber.set(withLogs[i]!, b);
    });
    const edges = [from, to].filter((n, i, a) => !byNumber.has(n) && a.indexOf(n) === i);
    (await rpc.blocks(edges, false)).forEach((b, i) => {
      if (!b) throw new ChainMoved(`block ${edges[i]} is gone`);
      byNumber.set(edges[i]!, b);
    });
    if (cursor && cursor.number >= 0 && byNumber.get(from)!.parentHash !== cursor.hash)
      throw new ChainMoved(`block ${from} no longer follows ${cursor.number}`);
    for (const l of logs) {
      if (l.removed) throw new ChainMoved("a removed log");
      if (byNumber.get(Number(l.blockNumber))?.hash !== l.blockHash)
        throw new ChainMoved(`block ${Number(l.blockNumber)} changed`);
    }

    const fetched = performance.now();
    const events: ChainEvent[] = logs
      .map((l) => this.decoder.decode(l, BigInt(byNumber.get(Number(l.blockNumber))!.timestamp)))
      .sort((a, b) =>
        a.blockNumber === b.blockNumber ? Number(a.logIndex - b.logIndex) : Number(a.blockNumber - b.blockNumber),
      );
    const txHashes = new Set(events.map((e) => e.txHash));
    const transactions = withLogs.flatMap((n) =>
      (byNumber.get(n)!.transactions as RpcTransaction[])
        .filter((t) => txHashes.has(t.hash.toLowerCase()))
        .map((t) => ({
          hash: t.hash.toLowerCase(),
          block_number: BigInt(n),
          tx_index: BigInt(t.transactionIndex),
          from: t.from.toLowerCase(),
          to: t.to ? t.to.toLowerCase() : null,
          selector: t.input && t.input.length >= 10 ? t.input.slice(0, 10).toLowerCase() : null,
        })),
    );
    const blocks = withLogs.map((n) => {
      const b = byNumber.get(n)!;
      return { number: BigInt(n), hash: b.hash, parent_hash: b.parentHash, timestamp: BigInt(b.timestamp) };
    });
    const first = byNumber.get(from)!;
    const last = byNumber.get(to)!;
    return {
      from,
      to,
      logs,
      events,
      transactions,
      blocks,
      first: { number: from, parentHash: first.parentHash },
      last: { number: to, hash: last.hash },
      blocksMs: Math.round(fetched - started),
      decodeMs: Math.round(performance.now() - fetched),
    };
  }

  /**
   * The blocks `numbers` with their transactions, in order. A node serves a block's transactions at
   * a cost per transaction (Anvil recovers each sender: about 0.2 ms), and answers one JSON-RPC batch
   * on one thread: when the blocks hold many transactions (counted from their logs), they are asked
   * for in consecutive groups of about `FETCH_GROUP_TRANSACTIONS`, `FETCH_CONCURRENCY` requests at a
   * time, so the node serves them on several cores.
   */
  private async blocksWithTransactions(numbers: number[], logs: RpcLog[]): Promise<(RpcBlock | null)[]> {
    const txs = new Map<number, Set<string>>();
    for (const l of logs) {
      const n = Number(l.blockNumber);
      let set = txs.get(n);
      if (!set) txs.set(n, (set = new Set()));
      set.add(l.transactionHash);
    }
    const groups: number[][] = [];
    let group: number[] = [];
    let weight = 0;
    for (const n of numbers) {
      group.push(n);
      weight += txs.get(n)?.size ?? 0;
      if (weight >= FETCH_GROUP_TRANSACTIONS || group.length >= 50) {
        groups.push(group);
        group = [];
        weight = 0;
      }
    }
    if (group.length > 0) groups.push(group);
    if (groups.length === 1) return this.opts.rpc.blocks(numbers, true);
    const out: (RpcBlock | null)[][] = new Array(groups.length);
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const i = next++;
        out[i] = await this.opts.rpc.blocks(groups[i]!, true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, groups.length) }, worker));
    return out.flat();
  }

  /**
   * Commits a fetched range with the new cursor in one transaction; returns its number of events.
   * `waitedMs`: how long the step waited for the range, fetched ahead (debug log).
   */
  private async commit(cursor: Cursor, f: Fetched, waitedMs: number): Promise<number> {
    if (cursor.number >= 0 && f.first.parentHash !== cursor.hash)
      throw new ChainMoved(`block ${f.from} no longer follows ${cursor.number}`);
    const started = performance.now();
    let applied: Applied = { trades: [], alerts: [] };
    await this.opts.store.db.transaction().execute(async (trx) => {
      // The raw rows are sent first, and the handlers run while the database stores them (on
      // PostgreSQL: the handlers' reads queue behind them on the transaction's connection).
      const raw = Promise.all([
        insertRows(trx, "blocks", f.blocks),
        insertRows(trx, "transactions", f.transactions),
        insertEvents(trx, f.events),
      ]);
      raw.catch(() => undefined);
      try {
        applied = await applyEvents(trx, this.deployment, f.events, this.opts.rules ?? DEFAULT_RULES);
      } catch (err) {
        await raw; // a failed insert is the cause (the transaction refuses every later statement)
        throw err;
      }
      await raw;
      const cursorRow = {
        block_number: BigInt(f.to),
        block_hash: f.last.hash,
        updated_at: BigInt(Math.floor(Date.now() / 1000)),
      };
      const moved = await trx.updateTable("cursor").set(cursorRow).where("id", "=", "main").executeTakeFirst();
      if (moved.numUpdatedRows === 0n)
        await trx
          .insertInto("cursor")
          .values({ id: "main", ...cursorRow })
          .execute();
    });
    this.opts.log.debug(
      {
        from: f.from,
        to: f.to,
        events: f.events.length,
        blocksMs: f.blocksMs,
        decodeMs: f.decodeMs,
        waitedMs,
        commitMs: Math.round(performance.now() - started),
      },
      "step committed",
    );
    if (this.opts.onCommitted) {
      try {
        this.opts.onCommitted({ from: f.from, to: f.to, ...applied });
      } catch (err) {
        this.opts.log.error({ err, from: f.from, to: f.to }, "a listener of committed steps failed");
      }
    }
    return f.events.length;
  }

  /**
   * The block at the cursor is no longer the chain's: finds the newest stored block that still is
   * (the common ancestor) and takes every table back to it, with the cursor, in one transaction.
   */
  private async rollBack(cursor: Cursor): Promise<void> {
    const { db } = this.opts.store;
    const floor = cursor.number - this.maxReorgDepth;
    let ancestor: Cursor | undefined;
    let below = BigInt(cursor.number) + 1n;
    while (!ancestor) {
      const stored = await db
        .selectFrom("blocks")
        .select(["number", "hash"])
        .where("number", "<", below)
        .orderBy("number", "desc")
        .limit(50)
        .execute();
      if (stored.length === 0) break;
      const chain = await this.opts.rpc.blocks(
        stored.map((b) => Number(b.number)),
        false,
      );
      for (const [i, b] of stored.entries()) {
        if (chain[i]?.hash === b.hash) {
          ancestor = { number: Number(b.number), hash: b.hash };
          break;
        }
      }
      below = stored[stored.length - 1]!.number;
      if (Number(below) < floor) break;
    }
    if (!ancestor) {
      // No stored block survives: back to the block before the deployment.
      ancestor = await this.cursorBeforeDeployment();
    }
    if (cursor.number - ancestor.number > this.maxReorgDepth) {
      throw indexerError(
        "INDEXER_REORG_TOO_DEEP",
        `the chain replaced blocks down to ${ancestor.number + 1}, more than ${this.maxReorgDepth} below the indexed block ${cursor.number}`,
        { indexedBlock: cursor.number, ancestor: ancestor.number },
      );
    }
    const a = ancestor;
    await db.transaction().execute(async (trx) => {
      await rollbackTo(trx, BigInt(a.number));
      await trx.deleteFrom("cursor").execute();
      if (a.number >= 0) {
        await trx
          .insertInto("cursor")
          .values({
            id: "main",
            block_number: BigInt(a.number),
            block_hash: a.hash,
            updated_at: BigInt(Math.floor(Date.now() / 1000)),
          })
          .execute();
      }
    });
    this.reorgs++;
    this.indexed = a.number;
    this.opts.log.warn({ from: cursor.number, to: a.number, depth: cursor.number - a.number }, "reorg: rolled back");
    if (this.opts.onRolledBack) {
      try {
        this.opts.onRolledBack({ from: cursor.number, to: a.number });
      } catch (err) {
        this.opts.log.error({ err, from: cursor.number, to: a.number }, "a listener of rollbacks failed");
      }
    }
  }

  private async cursorBeforeDeployment(): Promise<Cursor> {
    const start = this.opts.manifest.deploymentBlock - 1;
    if (start < 0) return { number: -1, hash: "" };
    const [block] = await this.opts.rpc.blocks([start], false);
    if (!block) throw new Error(`the node has no block ${start}`);
    return { number: start, hash: block.hash };
  }
}

function isFatal(err: unknown): boolean {
  return (
    err instanceof DomainError && (err.code === "INDEXER_DATABASE_MISMATCH" || err.code === "INDEXER_REORG_TOO_DEEP")
  );
}
