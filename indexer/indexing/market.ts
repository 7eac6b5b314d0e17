/**
 * Daily bars of a product, in integers only (tonnes, fen). A bar is maintained trade by trade at
 * ingest (`addTrade`), and equals the bar recomputed from the day's trades (`barOf`).
 *
 * The close of a day is the volume-weighted average price of its trades (DOMAIN.md): notional ÷
 * volume in fen, rounded half up (`vwap`): 2 trades of 1 t at 3,000 and 3,001 fen close at 3,001.
 */

export interface Bar {
  open: bigint;
  high: bigint;
  low: bigint;
  last: bigint;
  /** Tonnes. */
  volume: bigint;
  /** Fen: Σ quantity × price. */
  notional: bigint;
  trade_count: bigint;
}

export interface Fill {
  price: bigint;
  quantity: bigint;
}

/** notional ÷ volume rounded half up (both non-negative); 0 for no volume. */
export function vwap(notional: bigint, volume: bigint): bigint {
  if (volume <= 0n) return 0n;
  return (2n * notional + volume) / (2n * volume);
}

/** The bar after one more trade of the day (`bar` undefined: the day's first). */
export function addTrade(bar: Bar | undefined, t: Fill): Bar {
  if (!bar) {
    return {
      open: t.price,
      high: t.price,
      low: t.price,
      last: t.price,
      volume: t.quantity,
      notional: t.quantity * t.price,
      trade_count: 1n,
    };
  }
  return {
    open: bar.open,
    high: t.price > bar.high ? t.price : bar.high,
    low: t.price < bar.low ? t.price : bar.low,
    last: t.price,
    volume: bar.volume + t.quantity,
    notional: bar.notional + t.quantity * t.price,
    trade_count: bar.trade_count + 1n,
  };
}

/** The bar of a day's trades in chain order, recomputed from the list (undefined: no trades). */
export function barOf(trades: readonly Fill[]): Bar | undefined {
  if (trades.length === 0) return undefined;
  const prices = trades.map((t) => t.price);
  const volume = trades.reduce((s, t) => s + t.quantity, 0n);
  const notional = trades.reduce((s, t) => s + t.quantity * t.price, 0n);
  return {
    open: prices[0]!,
    high: prices.reduce((a, b) => (b > a ? b : a)),
    low: prices.reduce((a, b) => (b < a ? b : a)),
    last: prices[prices.length - 1]!,
    volume,
    notional,
    trade_count: BigInt(trades.length),
  };
}

/** The last day formatted (trades come in time order: most calls repeat it). */
let lastDay = { days: NaN, text: "" };

/** The trading day (`YYYY-MM-DD`) of a block time (unix seconds) in a zone `offsetMinutes` east of UTC. */
export function tradingDay(timestamp: bigint, offsetMinutes: number): string {
  const local = Number(timestamp) + offsetMinutes * 60;
  const days = Math.floor(local / 86_400);
  if (days !== lastDay.days) lastDay = { days, text: new Date(days * 86_400_000).toISOString().slice(0, 10) };
  return lastDay.text;
}

/** The unix seconds at which `day` (`YYYY-MM-DD`) starts in that zone, or undefined for a malformed day. */
export function dayStart(day: string, offsetMinutes: number): bigint | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) return undefined;
  return BigInt(ms / 1000) - BigInt(offsetMinutes) * 60n;
}
