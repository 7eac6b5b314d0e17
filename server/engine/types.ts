/**
 * Types of the matching engine. Inside the engine every price (fen per tonne, i.e. ticks of ¥0.01)
 * and quantity (tonnes, i.e. lots of 1 t) is a safe integer; the boundary (`validation.ts`) checks
 * that before anything reaches a book.
 */

export enum Side {
  Buy = 0,
  Sell = 1,
}

export enum TimeInForce {
  GTC = 0,
  IOC = 1,
  FOK = 2,
}

export enum OrderType {
  Limit = 0,
  Market = 1,
}

/** What happens when an order would trade against another order of the same trader. */
export enum SelfTradePrevention {
  /** Trade anyway. */
  None = 0,
  /** Cancel the rest of the incoming order. */
  CancelTaker = 1,
  /** Cancel the resting order and go on matching. */
  CancelMaker = 2,
}

/** Why an order stopped living (or never rested). */
export enum DoneReason {
  Filled = 0,
  Cancelled = 1,
  /** IOC or market order: the unfilled rest is dropped. */
  Unfilled = 2,
  /** FOK that could not fill completely: nothing traded. */
  FokRejected = 3,
  SelfTrade = 4,
  Expired = 5,
}

export interface NewOrder {
  /** Caller-chosen id, unique among live orders (a safe integer). */
  id: number;
  /** Caller-chosen trader number (for self-trade prevention). */
  trader: number;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  /** Limit price in fen (ignored for market orders). */
  price: number;
  /** Quantity in tonnes. */
  quantity: number;
  /** Unix seconds after which the order no longer trades; 0 = never. */
  expiry: number;
}

/**
 * Receives everything a book does, synchronously and in order. The engine never allocates an event
 * object on the hot path; the caller decides what to keep.
 */
export interface BookListener {
  /** A trade: `taker` hit `maker`'s resting order at the maker's price. */
  onTrade(takerId: number, makerId: number, price: number, quantity: number, takerSide: Side): void;
  /** An order will never trade again (or never rested); `remaining` is what was left unfilled. */
  onDone(orderId: number, reason: DoneReason, remaining: number): void;
  /** An order (or its rest) now rests in the book. */
  onRested(orderId: number, price: number, remaining: number): void;
}

/** One price level of a depth snapshot. */
export interface DepthLevel {
  price: number;
  quantity: number;
  orders: number;
}
