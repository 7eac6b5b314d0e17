import { OrderType, Side, TimeInForce, type NewOrder } from "./types";

/** The limits an order is checked against before it reaches a book. */
export interface ProductRules {
  /** Price tick in fen (1 = ¥0.01). */
  tick: number;
  /** Lot in tonnes. */
  lot: number;
  /** Largest quantity of one order, in tonnes. */
  maxQuantity: number;
  /** Continuous-trading band around the reference price, in basis points (1000 = ±10 %; 0 = none). */
  bandBps: number;
  /** Smallest block deal, in tonnes. */
  blockMinQuantity: number;
  /** Block-deal band around the reference price, in basis points. */
  blockBandBps: number;
}

export const DEFAULT_RULES: ProductRules = {
  tick: 1,
  lot: 1,
  maxQuantity: 10_000_000,
  bandBps: 1000,
  blockMinQuantity: 100_000,
  blockBandBps: 3000,
};

/** Largest price the engine accepts, in fen (fits an Int32). */
export const MAX_PRICE = 2_147_483_647;

/** Stable codes of the orders the engine refuses (the API maps them to 4xx). */
export type OrderRejection =
  | "ORDER_ID_INVALID"
  | "ORDER_ID_DUPLICATE"
  | "ORDER_SIDE_INVALID"
  | "ORDER_TYPE_INVALID"
  | "ORDER_TIME_IN_FORCE_INVALID"
  | "ORDER_PRICE_INVALID"
  | "ORDER_PRICE_OFF_TICK"
  | "ORDER_PRICE_OUTSIDE_BAND"
  | "ORDER_QUANTITY_INVALID"
  | "ORDER_QUANTITY_OFF_LOT"
  | "ORDER_QUANTITY_TOO_LARGE"
  | "ORDER_EXPIRED"
  | "ORDER_TRADER_INVALID"
  | "PRODUCT_UNKNOWN"
  | "PRODUCT_HALTED"
  | "BLOCK_DEAL_TOO_SMALL"
  | "BLOCK_DEAL_PRICE_OUTSIDE_BAND"
  | "BLOCK_DEAL_SAME_TRADER";

/** The band [low, high] around `reference` (fen), or the widest range when there is no band. */
export function band(reference: number, bps: number): { low: number; high: number } {
  if (bps === 0 || reference === 0) return { low: 1, high: MAX_PRICE };
  return {
    low: Math.ceil((reference * (10_000 - bps)) / 10_000),
    high: Math.floor((reference * (10_000 + bps)) / 10_000),
  };
}

/** Checks an order against the product's rules; returns the rejection or undefined. */
export function checkOrder(
  o: NewOrder,
  rules: ProductRules,
  reference: number,
  now: number,
): OrderRejection | undefined {
  if (!Number.isSafeInteger(o.id) || o.id < 0) return "ORDER_ID_INVALID";
  if (!Number.isInteger(o.trader) || o.trader < 0 || o.trader > 0x7fffffff) return "ORDER_TRADER_INVALID";
  if (o.side !== Side.Buy && o.side !== Side.Sell) return "ORDER_SIDE_INVALID";
  if (o.type !== OrderType.Limit && o.type !== OrderType.Market) return "ORDER_TYPE_INVALID";
  if (o.tif !== TimeInForce.GTC && o.tif !== TimeInForce.IOC && o.tif !== TimeInForce.FOK)
    return "ORDER_TIME_IN_FORCE_INVALID";
  if (o.type === OrderType.Market && o.tif === TimeInForce.GTC) return "ORDER_TIME_IN_FORCE_INVALID";
  if (!Number.isSafeInteger(o.quantity) || o.quantity <= 0) return "ORDER_QUANTITY_INVALID";
  if (o.quantity % rules.lot !== 0) return "ORDER_QUANTITY_OFF_LOT";
  if (o.quantity > rules.maxQuantity) return "ORDER_QUANTITY_TOO_LARGE";
  if (!Number.isSafeInteger(o.expiry) || o.expiry < 0) return "ORDER_EXPIRED";
  if (o.expiry !== 0 && o.expiry <= now) return "ORDER_EXPIRED";
  if (o.type === OrderType.Limit) {
    if (!Number.isSafeInteger(o.price) || o.price <= 0 || o.price > MAX_PRICE) return "ORDER_PRICE_INVALID";
    if (o.price % rules.tick !== 0) return "ORDER_PRICE_OFF_TICK";
    const b = band(reference, rules.bandBps);
    if (o.price < b.low || o.price > b.high) return "ORDER_PRICE_OUTSIDE_BAND";
  }
  return undefined;
}
