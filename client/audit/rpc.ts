import { DomainError } from "../../sdk/errors";

/** One JSON-RPC call of a batch. */
export interface RpcCall {
  method: string;
  params: unknown[];
}

export interface AuditRpcOptions {
  /** Calls per HTTP request. Default 50. */
  batchSize?: number;
  /** How long a node that stopped answering is waited for before the audit gives up, ms. Default 300,000. */
  maxWaitMs?: number;
  /** Timeout of one HTTP request, ms. Default 60,000. */
  requestTimeoutMs?: number;
  /** Told when the node stops answering and when it answers again. */
  onOutage?: (event: { state: "down" | "up"; error: string; waitedMs: number }) => void;
}

/** A JSON-RPC error the node returned for one call (not a transport failure: never retried). */
export class RpcCallError extends Error {
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    message: string,
  ) {
    super(`${method}: ${message} (JSON-RPC ${rpcCode})`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The auditor's own JSON-RPC client: calls sent in HTTP batches, and a node that stops answering
 * (refused connection, reset, 5xx, 429, a truncated answer) waited for with a growing pause until it
 * answers again or `maxWaitMs` passes: the audit then stops with `AUDIT_RPC_LOST`, never passes.
 * It shares no code with the indexer's client on purpose: the audit must not trust its code paths.
 */
export class AuditRpc {
  readonly batchSize: number;
  private readonly maxWaitMs: number;
  private readonly requestTimeoutMs: number;
  private nextId = 1;
  /** Requests sent and outages survived, for the report. */
  readonly stats = { requests: 0, calls: 0, outages: 0, retries: 0 };

  constructor(
    readonly url: string,
    private readonly options: AuditRpcOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 50;
    this.maxWaitMs = options.maxWaitMs ?? 300_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  async call<T>(method: string, params: unknown[]): Promise<T> {
    const [result] = await this.batch<T>([{ method, params }]);
    return result as T;
  }

  /** Results in the order of `calls`; a JSON-RPC error of any call throws {@link RpcCallError}. */
  async batch<T>(calls: RpcCall[]): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < calls.length; i += this.batchSize) {
      out.push(...(await this.sendChunk<T>(calls.slice(i, i + this.batchSize))));
    }
    return out;
  }

  private async sendChunk<T>(calls: RpcCall[]): Promise<T[]> {
    let firstFailure: number | undefined;
    let pause = 200;
    for (;;) {
      try {
        const answers = await this.post(calls);
        if (firstFailure !== undefined) {
          this.options.onOutage?.({ state: "up", error: "", waitedMs: Date.now() - firstFailure });
        }
        return answers as T[];
      } catch (err) {
        if (err instanceof RpcCallError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        const now = Date.now();
        if (firstFailure === undefined) {
          firstFailure = now;
          this.stats.outages++;
          this.options.onOutage?.({ state: "down", error: message, waitedMs: 0 });
        }
        if (now - firstFailure >= this.maxWaitMs) {
          throw new DomainError(
            "AUDIT_RPC_LOST",
            `The chain node at ${this.url} stopped answering and did not come back within ${Math.round(this.maxWaitMs / 1000)} s (${message}); the audit is incomplete.`,
            "retryable",
            { url: this.url, exitCode: 2 },
          );
        }
        this.stats.retries++;
        await sleep(Math.min(pause, this.maxWaitMs - (now - firstFailure)));
        pause = Math.min(pause * 2, 5_000);
      }
    }
  }

  private async post(calls: RpcCall[]): Promise<unknown[]> {
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }));
    this.stats.requests++;
    this.stats.calls += calls.length;
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const json = (await res.json()) as unknown;
    // Some nodes answer a batch of one with a single object, or a whole batch with one error.
    const list = Array.isArray(json) ? json : [json];
    const byId = new Map<number, { result?: unknown; error?: { code: number; message: string } }>();
    for (const a of list as { id: number; result?: unknown; error?: { code: number; message: string } }[]) {
      byId.set(Number(a.id), a);
    }
    return calls.map((c, i) => {
      const a = byId.get(first + i);
      if (!a) {
        const whole = list[0] as { error?: { code: number; message: string } } | undefined;
        if (whole?.error) throw new RpcCallError(c.method, whole.error.code, whole.error.message);
        throw new Error(`no answer to ${c.method} in the batch`);
      }
      if (a.error) throw new RpcCallError(c.method, a.error.code, a.error.message);
      return a.result;
    });
  }
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
