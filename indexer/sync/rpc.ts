/**
 * A small JSON-RPC client for the sync: batches, and an outage policy. A node that cannot be reached
 * (connection refused, reset, time-out, HTTP 5xx) is waited for and asked again, forever, with
 * back-off; an error the node answers with (a range too large, say) is thrown to the caller.
 */

export interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  transactions: RpcTransaction[] | string[];
}

export interface RpcTransaction {
  hash: string;
  from: string;
  to: string | null;
  input: string;
  transactionIndex: string;
}

export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

/** An error answered by the node (the request reached it). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface RpcOptions {
  /** Per-request time-out in ms (default 30 s). */
  timeoutMs?: number;
  /** Called when the node stops answering and when it answers again. */
  onOutage?: (state: { down: boolean; error?: string; attempt: number }) => void;
  /** Gives up waiting when it returns true (the indexer is stopping). */
  aborted?: () => boolean;
}

export class Rpc {
  private nextId = 1;
  private down = false;

  constructor(
    readonly url: string,
    private readonly opts: RpcOptions = {},
  ) {}

  /** Whether the last attempt failed to reach the node. */
  get unreachable(): boolean {
    return this.down;
  }

  async call<T>(method: string, params: unknown[]): Promise<T> {
    const [result] = await this.batch<T>([{ method, params }]);
    return result as T;
  }

  /** Sends the calls as one JSON-RPC batch; the results come back in the calls' order. */
  async batch<T>(calls: { method: string; params: unknown[] }[]): Promise<T[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, ...c })));
    const answers = await this.post(body);
    const byId = new Map<number, { result?: T; error?: { code: number; message: string; data?: unknown } }>();
    for (const a of Array.isArray(answers) ? answers : [answers]) byId.set(Number(a.id), a);
    return calls.map((c, i) => {
      const a = byId.get(first + i);
      if (!a) throw new RpcError(-32603, `no answer to ${c.method}`);
      if (a.error) throw new RpcError(a.error.code, a.error.message, a.error.data);
      return a.result as T;
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async post(body: string): Promise<any> {
    for (let attempt = 1; ; attempt++) {
      let problem: string;
      try {
        const res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
        if (res.status < 500) {
          const text = await res.text();
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            // A proxy's error page, or a node that limits the response size with a plain-text answer.
            throw new RpcError(res.status, `HTTP ${res.status}: ${text.slice(0, 200)}`);
          }
          if (this.down) {
            this.down = false;
            this.opts.onOutage?.({ down: false, attempt });
          }
          return parsed;
        }
        problem = `HTTP ${res.status}`;
      } catch (err) {
        if (err instanceof RpcError) throw err;
        problem = (err as Error).cause ? String((err as Error & { cause: unknown }).cause) : String(err);
      }
      if (this.opts.aborted?.()) throw new Error(`node unreachable (${problem}) and the indexer is stopping`);
      if (!this.down || attempt % 10 === 0) this.opts.onOutage?.({ down: true, error: problem, attempt });
      this.down = true;
      await sleep(Math.min(200 * 2 ** Math.min(attempt, 6), 10_000));
    }
  }

  async blockNumber(): Promise<number> {
    return Number(await this.call<string>("eth_blockNumber", []));
  }

  async chainId(): Promise<number> {
    return Number(await this.call<string>("eth_chainId", []));
  }

  async getLogs(filter: { fromBlock: number; toBlock: number; address: string[] }): Promise<RpcLog[]> {
    return this.call<RpcLog[]>("eth_getLogs", [
      { fromBlock: hex(filter.fromBlock), toBlock: hex(filter.toBlock), address: filter.address },
    ]);
  }

  /** Blocks by number (null for one the node does not have), in batches of `per` calls. */
  async blocks(numbers: number[], withTransactions: boolean, per = 50): Promise<(RpcBlock | null)[]> {
    const out: (RpcBlock | null)[] = [];
    for (let i = 0; i < numbers.length; i += per) {
      const slice = numbers.slice(i, i + per);
      out.push(
        ...(await this.batch<RpcBlock | null>(
          slice.map((n) => ({ method: "eth_getBlockByNumber", params: [hex(n), withTransactions] })),
        )),
      );
    }
    return out;
  }
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
