/**
 * The supervision rules as pure functions of figures the handlers derived from events: whether a
 * rule fires, its severity, its one-sentence message and its details. No clock, no I/O: the same
 * events give the same alerts, in a sync, a rebuild or after a crash.
 */

/** The thresholds (from `indexer/config.ts`) and the exchange's time zone. */
export interface RulesConfig {
  /** A trade back from B to A within this many seconds (block time) of A to B is a round trip. */
  washWindowSeconds: number;
  /** An account holding more than this share (basis points) of a vintage's circulating supply. */
  concentrationBps: number;
  /** A trade price further than this (basis points) from the previous day's close. */
  priceSpikeBps: number;
  /** A trade of at least this many tonnes is large. */
  largeTradeQuantity: bigint;
  /** A trade of at least this notional (fen) is large. */
  largeTradeNotional: bigint;
  /** A transfer to an account trusted less than this many seconds before. */
  trustWindowSeconds: number;
  /** The exchange's time zone, minutes east of UTC (trading days). */
  utcOffsetMinutes: number;
}

export const DEFAULT_RULES: RulesConfig = {
  washWindowSeconds: 3_600,
  concentrationBps: 2_000,
  priceSpikeBps: 1_000,
  largeTradeQuantity: 100_000n,
  largeTradeNotional: 1_000_000_000n,
  trustWindowSeconds: 7 * 86_400,
  utcOffsetMinutes: 480,
};

export type Severity = "info" | "warning" | "critical";

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
}

const t = (n: bigint) => `${n.toLocaleString("en-US")} t`;
const fen = (n: bigint) => `${n.toLocaleString("en-US")} fen`;
const pct = (bps: bigint) => `${bps / 100n}.${String(bps % 100n).padStart(2, "0")} %`;

/** |a − b| × 10,000 ÷ b, rounded down (b > 0). */
export function deviationBps(a: bigint, b: bigint): bigint {
  const d = a > b ? a - b : b - a;
  return (d * 10_000n) / b;
}

export interface TradeFacts {
  tradeId: bigint;
  product: string;
  buyer: string;
  seller: string;
  buyerEntity: bigint | null;
  sellerEntity: bigint | null;
  quantity: bigint;
  price: bigint;
  timestamp: bigint;
}

/**
 * Wash trade: the same entity on both sides; otherwise the buyer sold the same product to the seller
 * within the window before (`back`: that earlier trade).
 */
export function washTrade(
  trade: TradeFacts,
  back: { tradeId: bigint; timestamp: bigint } | undefined,
  cfg: RulesConfig,
): Finding | undefined {
  if (trade.buyerEntity !== null && trade.buyerEntity === trade.sellerEntity) {
    return {
      rule: "wash_trade",
      severity: "critical",
      message: `Trade ${trade.tradeId} in ${trade.product} has entity ${trade.buyerEntity} on both sides (${t(trade.quantity)} at ${fen(trade.price)}).`,
      details: {
        kind: "same_entity",
        tradeId: trade.tradeId,
        entityId: trade.buyerEntity,
        buyer: trade.buyer,
        seller: trade.seller,
        quantity: trade.quantity,
        price: trade.price,
      },
    };
  }
  if (back && trade.timestamp - back.timestamp <= BigInt(cfg.washWindowSeconds)) {
    const seconds = trade.timestamp - back.timestamp;
    return {
      rule: "wash_trade",
      severity: "warning",
      message: `Trade ${trade.tradeId} in ${trade.product} sends units back from ${trade.seller} to ${trade.buyer} ${seconds} s after trade ${back.tradeId} went the other way.`,
      details: {
        kind: "round_trip",
        tradeId: trade.tradeId,
        earlierTradeId: back.tradeId,
        seconds,
        windowSeconds: cfg.washWindowSeconds,
        buyer: trade.buyer,
        seller: trade.seller,
        quantity: trade.quantity,
        price: trade.price,
      },
    };
  }
  return undefined;
}

/** Price spike: the price further than the threshold from the previous trading day's close. */
export function priceSpike(trade: TradeFacts, prevClose: bigint | null, cfg: RulesConfig): Finding | undefined {
  if (prevClose === null || prevClose <= 0n) return undefined;
  const bps = deviationBps(trade.price, prevClose);
  if (bps <= BigInt(cfg.priceSpikeBps)) return undefined;
  return {
    rule: "price_spike",
    severity: bps > 2n * BigInt(cfg.priceSpikeBps) ? "critical" : "warning",
    message: `Trade ${trade.tradeId} in ${trade.product} at ${fen(trade.price)} is ${pct(bps)} ${trade.price > prevClose ? "above" : "below"} the previous close of ${fen(prevClose)}.`,
    details: {
      tradeId: trade.tradeId,
      price: trade.price,
      previousClose: prevClose,
      deviationBps: bps,
      thresholdBps: cfg.priceSpikeBps,
    },
  };
}

/** Large trade: at least the quantity or the notional threshold. */
export function largeTrade(trade: TradeFacts, cfg: RulesConfig): Finding | undefined {
  const notional = trade.quantity * trade.price;
  const byQuantity = trade.quantity >= cfg.largeTradeQuantity;
  const byNotional = notional >= cfg.largeTradeNotional;
  if (!byQuantity && !byNotional) return undefined;
  return {
    rule: "large_trade",
    severity: "info",
    message: `Trade ${trade.tradeId} in ${trade.product} is large: ${t(trade.quantity)} for ${fen(notional)}.`,
    details: {
      tradeId: trade.tradeId,
      quantity: trade.quantity,
      notional,
      price: trade.price,
      quantityThreshold: cfg.largeTradeQuantity,
      notionalThreshold: cfg.largeTradeNotional,
      byQuantity,
      byNotional,
    },
  };
}

/**
 * Concentration: whether `held` is above the threshold share of `circulating`; a finding only when
 * the account crosses it upwards (`wasAbove` false).
 */
export function concentration(
  account: string,
  product: string,
  held: bigint,
  circulating: bigint,
  wasAbove: boolean,
  cfg: RulesConfig,
): { above: boolean; finding?: Finding } {
  const above = circulating > 0n && held * 10_000n > BigInt(cfg.concentrationBps) * circulating;
  if (!above || wasAbove) return { above };
  const shareBps = (held * 10_000n) / circulating;
  return {
    above,
    finding: {
      rule: "concentration",
      severity: "warning",
      message: `Account ${account} holds ${t(held)} of ${product}, ${pct(shareBps)} of its circulating supply of ${t(circulating)} (threshold ${pct(BigInt(cfg.concentrationBps))}).`,
      details: { held, circulating, shareBps, thresholdBps: cfg.concentrationBps },
    },
  };
}

/** Transfer to a recently trusted account: trusted (added) less than the window before the transfer. */
export function recentlyTrusted(
  transfer: { from: string; to: string; product: string; amount: bigint; timestamp: bigint },
  trust: { addedAt: bigint; activeFrom: bigint } | undefined,
  cfg: RulesConfig,
): Finding | undefined {
  if (!trust) return undefined;
  const since = transfer.timestamp - trust.addedAt;
  if (since < 0n || since >= BigInt(cfg.trustWindowSeconds)) return undefined;
  return {
    rule: "recently_trusted",
    severity: "warning",
    message: `${transfer.from} sent ${t(transfer.amount)} of ${transfer.product} to ${transfer.to}, which it trusted only ${since} s before.`,
    details: {
      amount: transfer.amount,
      trustedAt: trust.addedAt,
      activeFrom: trust.activeFrom,
      secondsSinceTrusted: since,
      windowSeconds: cfg.trustWindowSeconds,
    },
  };
}

/** A report submitted after the year's report deadline. */
export function lateSubmission(
  entityId: bigint,
  year: bigint,
  version: bigint,
  submittedAt: bigint,
  deadline: bigint | null,
): Finding {
  return {
    rule: "late_report",
    severity: "warning",
    message: `Entity ${entityId} submitted version ${version} of its ${year} report after the report deadline.`,
    details: {
      kind: "submitted_late",
      year,
      version,
      submittedAt,
      deadline,
      secondsLate: deadline === null ? null : submittedAt - deadline,
    },
  };
}

/** A covered entity with no report when the first block after the deadline was indexed. */
export function missingReport(entityId: bigint, year: bigint, deadline: bigint, blockTime: bigint): Finding {
  return {
    rule: "late_report",
    severity: "critical",
    message: `Covered entity ${entityId} had submitted no report for ${year} when the report deadline passed.`,
    details: { kind: "missing", year, deadline, checkedAt: blockTime },
  };
}
