/**
 * A JSON-RPC proxy that makes a development chain (Anvil) durable.
 *
 * Anvil keeps its chain in memory and writes it to disk only on exit or on an interval, so a
 * `kill -9` would lose transactions it had already confirmed. This proxy listens where users and the
 * CLI connect (127.0.0.1:8545), forwards every request to Anvil on an internal port, and answers a
 * state-changing request (`eth_send*`, the `anvil_*` / `evm_*` mutators) only once the chain state
 * that contains its effect is on disk:
 *
 *   forward → (for a transaction: wait until it is in a block) → `anvil_dumpState` → write
 *   `state.json` to a temp file, fsync, rename, fsync the folder → answer.
 *
 * Group commit: one dump serves every state-changing request whose forward had completed before the
 * dump started; requests arriving during a dump wait for the next one, which starts as soon as the
 * current one ends. Reads are forwarded and answered at once. JSON-RPC batches are forwarded as
 * batches (Anvil keeps their order) and answered whole once their writes are durable.
 *
 * If a dump or write fails, the state-changing items of the affected requests are answered with a
 * JSON-RPC error (-32603) that says the change may not survive a crash; reads are unaffected.
 */
import http from "node:http";
import { once } from "node:events";
import zlib from "node:zlib";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { writeFileDurable } from "../../sdk/durable-file";
import { silentLogger, type Logger } from "./logger";

const gunzip = promisify(zlib.gunzip);

export interface DurableRpcOptions {
  /** Anvil's JSON-RPC URL (internal). */
  upstream: string;
  /** Where to listen (default 127.0.0.1). */
  host?: string;
  /** Port to listen on; 0 picks a free one (default 8545). */
  port?: number;
  /** The snapshot file Anvil loads at start (`--load-state`). */
  stateFile: string;
  log?: Logger;
  /** How long a just-sent transaction may take to reach a block before it is acknowledged anyway (default 2,000 ms). */
  mineTimeoutMs?: number;
  /** Largest request body accepted (default 32 MiB). */
  maxBodyBytes?: number;
}

/** Figures about the durability work, for logs and benchmarks. */
export interface DurableRpcStats {
  /** State-changing requests (or batches) acknowledged after a durable dump. */
  acknowledged: number;
  /** Dumps written (each may serve many requests). */
  dumps: number;
  /** Sum and maximum of dump durations (RPC + decode + durable write), ms. */
  dumpMsTotal: number;
  dumpMsMax: number;
  /** Size of the last snapshot written, bytes. */
  lastStateBytes: number;
  /** Dumps or writes that failed. */
  failures: number;
}

interface JsonRpcCall {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

interface JsonRpcReply {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: unknown;
}

/** Methods of the `anvil_` / `evm_` / `hardhat_` families that only read. */
const READ_ONLY_CHEATS = new Set([
  "anvil_dumpState",
  "anvil_nodeInfo",
  "anvil_metadata",
  "anvil_getAutomine",
  "anvil_getIntervalMining",
  "anvil_getBlobByHash",
  "anvil_getBlobsByTransactionHash",
  "anvil_getBlobsByBlockId",
  "anvil_getBlobSidecarsByBlockId",
  "hardhat_getAutomine",
  "hardhat_metadata",
]);

/**
 * Whether a JSON-RPC method can change the chain state: every `eth_send*` (raw, signed by an
 * unlocked account, unsigned, sync variants), and every `anvil_*`, `evm_*`, `hardhat_*` and
 * `miner_*` method except the few known to only read. Unknown cheat methods count as writes: the
 * price of a wrong guess is one extra dump.
 */
export function isStateChanging(method: string): boolean {
  if (method.startsWith("eth_send")) return true;
  if (/^(anvil|evm|hardhat|miner)_/.test(method)) return !READ_ONLY_CHEATS.has(method);
  return false;
}

const isTxHash = (v: unknown): v is string => typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v);

/** Serialises commit requests into dumps; each dump covers every request queued before it started. */
class GroupCommit {
  private queue: { hashes: string[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly flush: (hashes: string[]) => Promise<void>) {}

  /** Resolves once a dump that started after this call has been made durable. */
  commit(hashes: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ hashes, resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.run();
      }
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        await this.flush(group.flatMap((w) => w.hashes));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.running = false;
  }
}

export class DurableRpcProxy {
  private readonly log: Logger;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly mineTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly committer: GroupCommit;
  private server: http.Server | undefined;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private stopping = false;
  private nextId = 1;
  /** The highest block whose state is on disk (a block mined before the last snapshot started). */
  private durableBlock = 0;
  private readonly figures: DurableRpcStats = {
    acknowledged: 0,
    dumps: 0,
    dumpMsTotal: 0,
    dumpMsMax: 0,
    lastStateBytes: 0,
    failures: 0,
  };

  constructor(private readonly opts: DurableRpcOptions) {
    this.log = opts.log ?? silentLogger;
    this.host = opts.host ?? "127.0.0.1";
    this.requestedPort = opts.port ?? 8545;
    this.mineTimeoutMs = opts.mineTimeoutMs ?? 2_000;
    this.maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
    this.committer = new GroupCommit((hashes) => this.flush(hashes));
  }

  /** The URL clients use (valid after `start`). */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    return addr?.port ?? this.requestedPort;
  }

  stats(): DurableRpcStats {
    return { ...this.figures };
  }

  async start(): Promise<void> {
    // What Anvil loaded from the snapshot is on disk already.
    this.durableBlock = Number(await this.call<string>("eth_blockNumber", []));
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    this.server = server;
    server.listen(this.requestedPort, this.host);
    try {
      await once(server, "listening");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") {
        throw new Error(
          `${this.host}:${this.requestedPort} is already in use (another npm start, or another node?). Stop it, or set ETS_RPC_PORT.`,
        );
      }
      throw err;
    }
    this.log.info(
      { url: this.url, upstream: this.opts.upstream, stateFile: this.opts.stateFile },
      "durable JSON-RPC listening",
    );
  }

  /** Writes the current state durably now (e.g. right after start, or before stopping). */
  async checkpoint(): Promise<void> {
    await this.committer.commit([]);
  }

  /**
   * Stops accepting requests, lets the requests in progress finish (their commits included), then
   * writes a final snapshot. Anvil must still be running.
   */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.stopping = true;
    const server = this.server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([new Promise<void>((resolve) => (this.idle = resolve)), sleep(10_000)]);
    }
    server.closeAllConnections();
    await closed;
    this.server = undefined;
    await this.checkpoint();
    this.log.info({ ...this.figures }, "durable JSON-RPC stopped after a final snapshot");
  }

  // ───────────────────────────────────────── requests ─────────────────────────────────────────

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      res.setHeader("access-control-allow-origin", "*");
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          "access-control-allow-methods": "POST, OPTIONS",
          "access-control-allow-headers": "content-type",
          "access-control-max-age": "600",
        });
        res.end();
        return;
      }
      if (req.method !== "POST") {
        reply(res, 405, errorReply(null, -32600, "send JSON-RPC requests with POST"));
        return;
      }
      const body = await readBody(req, this.maxBodyBytes);
      if (body === undefined) {
        reply(res, 413, errorReply(null, -32600, `request larger than ${this.maxBodyBytes} bytes`));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        reply(res, 200, errorReply(null, -32700, "parse error: the body is not JSON"));
        return;
      }
      const calls = (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcCall[];
      // Answered here: the block up to which everything is on disk. A follower that must never act
      // on a change the chain could still lose (the exchange's chain watcher) reads up to it.
      if (!Array.isArray(parsed) && calls[0]?.method === "ets_durableBlockNumber") {
        reply(
          res,
          200,
          JSON.stringify({ jsonrpc: "2.0", id: calls[0].id ?? null, result: `0x${this.durableBlock.toString(16)}` }),
        );
        return;
      }
      const writes = calls.filter((c) => typeof c?.method === "string" && isStateChanging(c.method));
      if (writes.length > 0 && this.stopping) {
        reply(
          res,
          503,
          errorReply(null, -32000, "the node is shutting down; send the transaction again after the restart"),
        );
        return;
      }

      let upstream: Response;
      try {
        upstream = await fetch(this.opts.upstream, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
      } catch (err) {
        this.log.error({ err }, "chain node unreachable");
        reply(res, 502, errorReply(null, -32603, "the chain node (Anvil) is not reachable"));
        return;
      }
      const text = await upstream.text();
      if (writes.length === 0) {
        res.writeHead(upstream.status, { "content-type": "application/json" });
        res.end(text);
        return;
      }
      res.writeHead(upstream.status, { "content-type": "application/json" });
      res.end(await this.makeDurable(writes, text));
    } catch (err) {
      this.log.error({ err }, "request failed");
      if (!res.headersSent) reply(res, 500, errorReply(null, -32603, "internal error of the durable RPC proxy"));
      else res.end();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.idle) {
        this.idle();
        this.idle = undefined;
      }
    }
  }

  /** Waits until the effects of the successful writes are on disk; returns the body to send. */
  private async makeDurable(writes: JsonRpcCall[], text: string): Promise<string> {
    let replies: JsonRpcReply[];
    let isBatch: boolean;
    try {
      const parsed = JSON.parse(text) as unknown;
      isBatch = Array.isArray(parsed);
      replies = (isBatch ? parsed : [parsed]) as JsonRpcReply[];
    } catch {
      return text; // not JSON-RPC: nothing we can vouch for; pass it on
    }
    const writeIds = new Set(writes.map((w) => JSON.stringify(w.id ?? null)));
    const succeeded = replies.filter((r) => r && writeIds.has(JSON.stringify(r.id ?? null)) && r.error === undefined);
    if (succeeded.length === 0) return text; // every write failed: no state changed
    const hashes = succeeded
      .filter((r) => {
        const call = writes.find((w) => JSON.stringify(w.id ?? null) === JSON.stringify(r.id ?? null));
        return typeof call?.method === "string" && call.method.startsWith("eth_send");
      })
      .map((r) => r.result)
      .filter(isTxHash);
    try {
      await this.committer.commit(hashes);
      this.figures.acknowledged++;
      return text;
    } catch (err) {
      this.log.error({ err }, "state not durable: answering the writes with an error");
      const message = `the change was applied but could not be stored durably (${(err as Error).message}); it may be lost if the node crashes`;
      for (const r of succeeded) {
        delete r.result;
        r.error = { code: -32603, message };
      }
      return JSON.stringify(isBatch ? replies : replies[0]);
    }
  }

  // ───────────────────────────────────────── durability ─────────────────────────────────────────

  /** One group commit: wait for the group's transactions to be mined, dump, write durably. */
  private async flush(hashes: string[]): Promise<void> {
    const started = performance.now();
    try {
      await this.waitMined(hashes);
      const head = Number(await this.call<string>("eth_blockNumber", []));
      const hex = await this.call<string>("anvil_dumpState", []);
      if (typeof hex !== "string" || !hex.startsWith("0x")) throw new Error("anvil_dumpState returned no bytes");
      const raw = Buffer.from(hex.slice(2), "hex");
      // Anvil answers gzip; `--load-state` reads plain JSON.
      const json = raw[0] === 0x1f && raw[1] === 0x8b ? await gunzip(raw) : raw;
      await writeFileDurable(this.opts.stateFile, json);
      if (head > this.durableBlock) this.durableBlock = head;
      const ms = performance.now() - started;
      this.figures.dumps++;
      this.figures.dumpMsTotal += ms;
      this.figures.dumpMsMax = Math.max(this.figures.dumpMsMax, ms);
      this.figures.lastStateBytes = json.length;
      this.log.debug(
        { ms: Math.round(ms * 10) / 10, bytes: json.length, txs: hashes.length },
        "state snapshot written",
      );
    } catch (err) {
      this.figures.failures++;
      throw err;
    }
  }

  /**
   * Anvil (automine) mines a transaction before `eth_sendRawTransaction` returns in practice, but a
   * transaction that arrives ahead of a lower nonce waits in the pool: its effect is not in the state
   * yet. Wait (briefly) until every transaction of the group has a receipt.
   */
  private async waitMined(hashes: string[]): Promise<void> {
    let pending = hashes;
    const deadline = Date.now() + this.mineTimeoutMs;
    while (pending.length > 0) {
      const receipts = await this.batch(pending.map((h) => ["eth_getTransactionReceipt", [h]] as const));
      pending = pending.filter((_, i) => receipts[i] === null || receipts[i] === undefined);
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        this.log.warn(
          { pending },
          "transactions still in the pool (a nonce gap?): acknowledged without being in a block; they become durable with the block that includes them",
        );
        return;
      }
      await sleep(5);
    }
  }

  private async call<T>(method: string, params: unknown[]): Promise<T> {
    const [result] = await this.batch([[method, params]]);
    return result as T;
  }

  private async batch(calls: readonly (readonly [string, unknown[]])[]): Promise<unknown[]> {
    const payload = calls.map(([method, params]) => ({ jsonrpc: "2.0", id: this.nextId++, method, params }));
    const res = await fetch(this.opts.upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    const replies = (await res.json()) as JsonRpcReply[];
    const byId = new Map(replies.map((r) => [r.id, r]));
    return payload.map((p) => {
      const r = byId.get(p.id);
      if (!r) throw new Error(`no reply to ${p.method}`);
      if (r.error !== undefined) throw new Error(`${p.method} failed: ${JSON.stringify(r.error)}`);
      return r.result;
    });
  }
}

// ───────────────────────────────────────── helpers ─────────────────────────────────────────

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorReply(id: unknown, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
}

function reply(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}

/** The request body as text, or undefined when it is larger than `limit`. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}
