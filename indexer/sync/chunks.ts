import type { RpcError } from "./rpc";

/**
 * The block range of the next `eth_getLogs`: halved when the node refuses a range (too many blocks or
 * results), doubled after a quick answer with few logs, never above the configured maximum.
 */
export class AdaptiveRange {
  private current: number;
  /** Below the smallest range a node refused: never grown back to. */
  private ceiling: number;

  constructor(
    initial: number,
    readonly max: number,
    /** Logs above which a range is too heavy (its transaction too large); halves the next range. */
    readonly heavyLogs = 10_000,
    /** A step faster than this (ms) with few logs doubles the next range. */
    readonly quickMs = 1_000,
  ) {
    this.current = Math.max(1, Math.min(initial, max));
    this.ceiling = max;
  }

  get size(): number {
    return this.current;
  }

  /**
   * After a refused request of `tried` blocks: whether it was a range refusal worth retrying with a
   * smaller range (then shrunk), or an error to raise.
   */
  shrinkFor(err: RpcError, tried: number): boolean {
    if (!isRangeRefusal(err) || tried <= 1) return false;
    const hinted = hintedRange(err.message);
    this.ceiling = Math.max(1, Math.min(this.ceiling, tried - 1, hinted ?? Infinity));
    this.current = Math.max(1, Math.min(hinted ?? Math.floor(tried / 2), Math.floor(tried / 2) || 1));
    return true;
  }

  /** After a successful range. */
  after(logs: number, ms: number): void {
    if (logs > this.heavyLogs) this.current = Math.max(1, Math.floor(this.current / 2));
    else if (ms < this.quickMs && logs < this.heavyLogs / 2) this.current = Math.min(this.ceiling, this.current * 2);
  }
}

/** The messages nodes answer when a range is too large or returns too much (Besu, Geth, Erigon, providers). */
export function isRangeRefusal(err: { code: number; message: string }): boolean {
  return (
    /range|too many|too large|exceed|limit|results|query returned more than|response size|timeout/i.test(err.message) ||
    err.code === -32005
  );
}

/** A range a node suggests in its refusal (e.g. "… this block range should work: [0x1, 0x3e8]"). */
function hintedRange(message: string): number | undefined {
  const m = /\[(0x[0-9a-f]+),\s*(0x[0-9a-f]+)\]/i.exec(message);
  if (!m) return undefined;
  const n = Number(BigInt(m[2]!) - BigInt(m[1]!)) + 1;
  return n > 0 ? n : undefined;
}
