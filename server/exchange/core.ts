import { DomainError } from "../../sdk/errors";
import type { Order } from "../../sdk/orders";
import { MatchingEngine, type EngineListener, type ProductSnapshot } from "../engine/engine";
import type { DailyBar } from "../engine/market-data";
import { DoneReason, OrderType, SelfTradePrevention, Side, TimeInForce, type NewOrder } from "../engine/types";
import type { OrderRejection, ProductRules } from "../engine/validation";
import { Accounts, assetKey, type AssetKey } from "./accounts";
import type { Command, JournalledOrder } from "./commands";
import { TradeLog } from "./trade-log";

export interface CoreConfig {
  allowanceToken: string;
  offsetToken: string;
  cashToken: string;
  makerFeeBps: number;
  takerFeeBps: number;
  /** Trading account that collects fees. */
  feeRecipient: string;
  /** Reference price (fen) of a product seen for the first time. */
  defaultReferencePrice: number;
  rules?: Partial<ProductRules>;
  selfTradePrevention: SelfTradePrevention;
}

export interface ProductInfo {
  index: number;
  /** `TJEA14` for allowances of vintage 2014, `CCER-3` for CCER batch 3. */
  name: string;
  token: string;
  tokenId: bigint;
}

export type OrderStatus = "open" | "filled" | "cancelled" | "expired" | "unfilled" | "rejected";

export interface LiveOrder {
  id: number;
  order: Order;
  signature: string;
  hash: string;
  product: ProductInfo;
  acceptedAt: number;
  filled: bigint;
  status: OrderStatus;
  /** What is still reserved for it (fen for buys, tonnes for sells). */
  reserved: bigint;
  /** The limit used for the reservation of a buy (fen per tonne). */
  reservePrice: bigint;
}

export interface Trade {
  tradeId: bigint;
  product: ProductInfo;
  buyOrder: number;
  sellOrder: number;
  price: bigint;
  quantity: bigint;
  buyerIsMaker: boolean;
  /** A block deal (two orders traded with each other outside the book); absent for continuous trades. */
  block?: true;
  buyerFee: bigint;
  sellerFee: bigint;
  at: number;
  /** Journal sequence of the command that produced it (settled only once that is durable). */
  seq: number;
}

export interface PendingWithdrawal {
  trader: string;
  token: string;
  tokenId: bigint;
  amount: bigint;
  /** Signed withdrawal: nonce, expiry and signature; on-chain request: its id. */
  nonce?: bigint;
  expiry?: bigint;
  signature?: string;
  requestId?: bigint;
  seq: number;
}

/** The whole state of the core at one journal position (see `snapshot()` and `ExchangeCore.restore`). */
export interface CoreSnapshot {
  version: 1;
  /** Journal records applied to reach this state. */
  journalRecords: number;
  products: { name: string; token: string; tokenId: bigint }[];
  engine: ProductSnapshot[];
  orders: (Omit<LiveOrder, "product"> & { product: string })[];
  usedNonces: string[];
  traderNums: [string, number][];
  nextOrderId: number;
  trades: { base: bigint; trades: (Omit<Trade, "product"> & { product: string })[] };
  withdrawals: PendingWithdrawal[];
  usedWithdrawalNonces: string[];
  maxNonce: [string, bigint][];
  positions: [string, string, bigint, bigint][];
  bars: { day: number; product: string; bar: DailyBar }[];
  chainCursor: { block: number; refs: string[] };
}

/** What the core tells the outside (WebSocket, metrics) after each command. */
export interface CoreEvents {
  trade?(t: Trade): void;
  /** An order was accepted or changed state, by the command with journal sequence `seq`. */
  order?(o: LiveOrder, seq: number): void;
  /** A product was halted or resumed, or its day closed (its band moved), by the command `seq`. */
  product?(p: ProductInfo, seq: number): void;
}

const DONE_STATUS: Record<DoneReason, OrderStatus> = {
  [DoneReason.Filled]: "filled",
  [DoneReason.Cancelled]: "cancelled",
  [DoneReason.Unfilled]: "unfilled",
  [DoneReason.FokRejected]: "unfilled",
  [DoneReason.SelfTrade]: "cancelled",
  [DoneReason.Expired]: "expired",
};

const reject = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new DomainError(code, message, "validation", details);

/**
 * The exchange's state machine: products and their books, trading accounts with reservations,
 * orders and trades. `check` validates a command against the current state without changing it;
 * `apply` runs an accepted command. Deterministic: replaying the same accepted commands rebuilds
 * the same state, trade ids included.
 */
export class ExchangeCore {
  readonly engine: MatchingEngine;
  readonly accounts = new Accounts();
  private readonly products = new Map<string, ProductInfo>();
  private readonly productsByIndex: ProductInfo[] = [];
  private readonly orders = new Map<number, LiveOrder>();
  private readonly byNonce = new Map<string, number>();
  /** Nonces of orders no longer kept in memory (dropped by a snapshot): still never reusable. */
  private readonly retiredNonces = new Set<string>();
  private readonly traderNums = new Map<string, number>();
  private readonly ordersByTrader = new Map<string, number[]>();
  trades = new TradeLog();
  readonly withdrawals: PendingWithdrawal[] = [];
  readonly bars: { day: number; product: string; bar: DailyBar }[] = [];
  private readonly usedWithdrawalNonces = new Set<string>();
  private readonly maxNonce = new Map<string, bigint>();
  /** The last chain block a deposit or withdrawal request came from, and the events of it seen. */
  chainCursor: { block: number; refs: string[] } = { block: 0, refs: [] };
  private nextOrderId = 1;
  private seq = 0;
  private now = 0;
  private readonly cash: AssetKey;
  private readonly maxFeeBps: bigint;

  constructor(
    private readonly config: CoreConfig,
    private readonly events: CoreEvents = {},
  ) {
    this.cash = assetKey(config.cashToken, 0n);
    this.maxFeeBps = BigInt(Math.max(config.makerFeeBps, config.takerFeeBps));
    const listener: EngineListener = {
      onTrade: (product, takerId, makerId, price, quantity, takerSide) =>
        this.onTrade(product, takerId, makerId, price, quantity, takerSide),
      onDone: (_product, orderId, reason) => this.onDone(orderId, reason),
      onRested: () => undefined,
      onBlockDeal: (product, buyId, sellId, price, quantity) =>
        this.onBlockDeal(product, buyId, sellId, price, quantity),
    };
    this.engine = new MatchingEngine(listener);
  }

  // ───────────────────────────────────────── products ─────────────────────────────────────────

  /** The product of a token id, created (with the default reference price) when first seen. */
  productFor(token: string, tokenId: bigint, create = true): ProductInfo | undefined {
    const name = this.productName(token, tokenId);
    if (!name) return undefined;
    let p = this.products.get(name);
    if (!p && create) {
      const index = this.engine.addProduct({
        name,
        referencePrice: this.config.defaultReferencePrice,
        rules: this.config.rules,
        selfTradePrevention: this.config.selfTradePrevention,
      });
      p = { index, name, token: token.toLowerCase(), tokenId };
      this.products.set(name, p);
      this.productsByIndex[index] = p;
    }
    return p;
  }

  product(name: string): ProductInfo | undefined {
    return this.products.get(name.toUpperCase());
  }

  productList(): ProductInfo[] {
    return [...this.productsByIndex];
  }

  private productName(token: string, tokenId: bigint): string | undefined {
    const t = token.toLowerCase();
    if (t === this.config.allowanceToken.toLowerCase()) return `TJEA${String(Number(tokenId % 100n)).padStart(2, "0")}`;
    if (t === this.config.offsetToken.toLowerCase()) return `CCER-${tokenId}`;
    return undefined;
  }

  // ───────────────────────────────────────── commands ─────────────────────────────────────────

  /** Why `cmd` cannot be accepted now, or undefined. Changes nothing. */
  check(cmd: Command): DomainError | undefined {
    switch (cmd.type) {
      case "order":
        return this.checkOrder(cmd.order, cmd.at);
      case "blockDeal":
        return this.checkBlockDeal(cmd);
      case "cancel": {
        const id = this.byNonce.get(nonceKey(cmd.trader, cmd.nonce));
        const o = id === undefined ? undefined : this.orders.get(id);
        if (!o)
          return new DomainError("ORDER_NOT_FOUND", `No order of ${cmd.trader} has nonce ${cmd.nonce}.`, "not_found");
        if (o.status !== "open")
          return new DomainError("ORDER_NOT_OPEN", `Order ${o.hash} is already ${o.status}.`, "conflict");
        return undefined;
      }
      case "withdraw": {
        const asset = this.assetOf(cmd.token, cmd.tokenId);
        if (!asset)
          return reject("WITHDRAWAL_TOKEN_UNKNOWN", `Token ${cmd.token} id ${cmd.tokenId} is not traded here.`);
        if (cmd.amount <= 0n) return reject("INVALID_AMOUNT", "The amount must be greater than zero.");
        if (cmd.expiry !== 0n && cmd.expiry <= BigInt(cmd.at))
          return reject("WITHDRAWAL_EXPIRED", "The withdrawal request has expired.");
        if (this.usedWithdrawalNonces.has(nonceKey(cmd.trader, cmd.nonce))) {
          return new DomainError(
            "WITHDRAWAL_NONCE_REUSED",
            `Withdrawal nonce ${cmd.nonce} was used before.`,
            "conflict",
          );
        }
        const available = this.accounts.available(cmd.trader, asset);
        if (available < cmd.amount) {
          return new DomainError(
            "INSUFFICIENT_TRADING_BALANCE",
            `Only ${available} are available in the trading account; ${cmd.amount} were requested.`,
            "conflict",
            { available: available.toString() },
          );
        }
        return undefined;
      }
      case "halt":
      case "resume":
        return this.product(cmd.product)
          ? undefined
          : new DomainError("PRODUCT_UNKNOWN", `There is no product ${cmd.product}.`, "not_found");
      case "deposit":
      case "withdrawalRequest":
      case "chainCancel":
      case "closeDay":
      case "expire":
        return undefined;
    }
  }

  /** Runs an accepted command (`seq` is its journal sequence). */
  apply(cmd: Command, seq: number): void {
    this.seq = seq;
    this.now = cmd.at;
    switch (cmd.type) {
      case "order":
        this.applyOrder(cmd);
        break;
      case "blockDeal":
        this.applyBlockDeal(cmd);
        break;
      case "cancel": {
        const id = this.byNonce.get(nonceKey(cmd.trader, cmd.nonce));
        const o = id === undefined ? undefined : this.orders.get(id);
        if (o && o.status === "open") this.engine.cancel(o.product.index, o.id);
        break;
      }
      case "chainCancel": {
        this.sawChainEvent(cmd.block, cmd.ref);
        for (const o of this.ordersOf(cmd.trader)) {
          const hit = cmd.nonce !== undefined ? o.order.nonce === cmd.nonce : o.order.nonce < (cmd.below ?? 0n);
          if (o.status === "open" && hit) this.engine.cancel(o.product.index, o.id);
        }
        break;
      }
      case "deposit": {
        this.sawChainEvent(cmd.block, cmd.ref);
        const asset = this.assetOf(cmd.token, cmd.tokenId);
        if (asset) {
          this.productFor(cmd.token, cmd.tokenId);
          this.accounts.credit(cmd.trader, asset, cmd.amount);
        }
        break;
      }
      case "withdraw": {
        const asset = this.assetOf(cmd.token, cmd.tokenId)!;
        this.accounts.debit(cmd.trader, asset, cmd.amount);
        this.usedWithdrawalNonces.add(nonceKey(cmd.trader, cmd.nonce));
        this.withdrawals.push({
          trader: cmd.trader,
          token: cmd.token,
          tokenId: cmd.tokenId,
          amount: cmd.amount,
          nonce: cmd.nonce,
          expiry: cmd.expiry,
          signature: cmd.signature,
          seq,
        });
        break;
      }
      case "withdrawalRequest":
        this.sawChainEvent(cmd.block, `request:${cmd.requestId}`);
        this.applyWithdrawalRequest(cmd, seq);
        break;
      case "halt":
      case "resume": {
        const product = this.product(cmd.product)!;
        if (cmd.type === "halt") this.engine.halt(product.index);
        else this.engine.resume(product.index);
        this.events.product?.(product, seq);
        break;
      }
      case "closeDay":
        for (const [product, bar] of this.engine.closeDay()) this.bars.push({ day: cmd.at, product, bar });
        for (const p of this.productsByIndex) this.events.product?.(p, seq);
        break;
      case "expire":
        this.engine.expire(cmd.at);
        break;
    }
  }

  private sawChainEvent(block: number, ref: string): void {
    if (block > this.chainCursor.block) this.chainCursor = { block, refs: [ref] };
    else if (block === this.chainCursor.block) this.chainCursor.refs.push(ref);
  }

  // ────────────────────────────────────────── orders ──────────────────────────────────────────

  private checkOrder(order: Order, now: number): DomainError | undefined {
    const product = this.productFor(order.token, order.tokenId, false);
    if (!product) {
      return new DomainError(
        "PRODUCT_UNKNOWN",
        `Nothing of token ${order.token} id ${order.tokenId} is traded here yet (deposit it first).`,
        "not_found",
      );
    }
    const key = nonceKey(order.trader, order.nonce);
    if (this.byNonce.has(key) || this.retiredNonces.has(key)) {
      return new DomainError(
        "ORDER_NONCE_REUSED",
        `Nonce ${order.nonce} was already used by an order of ${order.trader}.`,
        "conflict",
      );
    }
    if (order.timeInForce > 2)
      return reject("ORDER_TIME_IN_FORCE_INVALID", "timeInForce must be 0 (GTC), 1 (IOC) or 2 (FOK).");
    const rejection = this.engine.check(product.index, this.toEngine(order, 0, product, false), now);
    if (rejection)
      return reject(rejection, ENGINE_MESSAGES[rejection] ?? rejection, { band: this.engine.band(product.index) });
    return this.checkCovered(order, "The order");
  }

  /** Whether the trading account covers what the order reserves (cash for a buy, units for a sell). */
  private checkCovered(order: Order, what: string): DomainError | undefined {
    if (order.isBuy) {
      const need = this.cashFor(order.price, order.quantity);
      const available = this.accounts.available(order.trader, this.cash);
      if (available < need) {
        return new DomainError(
          "INSUFFICIENT_TRADING_BALANCE",
          `${what} needs ${need} fen (price × quantity + fees) but ${available} are available in the trading account of ${order.trader}.`,
          "conflict",
          { needed: need.toString(), available: available.toString() },
        );
      }
    } else {
      const asset = assetKey(order.token, order.tokenId);
      const available = this.accounts.available(order.trader, asset);
      if (available < order.quantity) {
        return new DomainError(
          "INSUFFICIENT_TRADING_BALANCE",
          `${what} sells ${order.quantity} t but ${available} t are available in the trading account of ${order.trader}.`,
          "conflict",
          { needed: order.quantity.toString(), available: available.toString() },
        );
      }
    }
    return undefined;
  }

  private applyOrder(cmd: Extract<Command, { type: "order" }>): void {
    const order = cmd.order;
    const product = this.productFor(order.token, order.tokenId)!;
    const live = this.addOrder(cmd, product, cmd.at);
    const rejection = this.engine.submit(product.index, this.toEngine(order, live.id, product, true), cmd.at);
    if (rejection) {
      // Only reachable if the state changed between check and apply; undo the reservation.
      live.status = "rejected";
      this.releaseRest(live);
    }
    this.events.order?.(live, this.seq);
  }

  /** Records an accepted order (its nonce is used from now on) and reserves what it needs. */
  private addOrder(signed: JournalledOrder, product: ProductInfo, at: number): LiveOrder {
    const order = signed.order;
    const id = this.nextOrderId++;
    const live: LiveOrder = {
      id,
      order,
      signature: signed.signature,
      hash: signed.hash,
      product,
      acceptedAt: at,
      filled: 0n,
      status: "open",
      reserved: order.isBuy ? this.cashFor(order.price, order.quantity) : order.quantity,
      reservePrice: order.price,
    };
    this.orders.set(id, live);
    this.byNonce.set(nonceKey(order.trader, order.nonce), id);
    const t = order.trader.toLowerCase();
    if ((this.maxNonce.get(t) ?? 0n) < order.nonce) this.maxNonce.set(t, order.nonce);
    const mine = this.ordersByTrader.get(t);
    if (mine) mine.push(id);
    else this.ordersByTrader.set(t, [id]);
    this.accounts.reserve(order.trader, order.isBuy ? this.cash : assetKey(order.token, order.tokenId), live.reserved);
    return live;
  }

  // ──────────────────────────────────────── block deals ───────────────────────────────────────

  /**
   * A block deal is accepted when its two orders are a buy and a sell of the same product at the
   * same price and quantity, of two different traders, each with a new nonce and not expired,
   * within the product's block rules (not halted, at least the block minimum, inside the block
   * band), and both trading accounts cover their side.
   */
  private checkBlockDeal(cmd: Extract<Command, { type: "blockDeal" }>): DomainError | undefined {
    const buy = cmd.buy.order;
    const sell = cmd.sell.order;
    if (!buy.isBuy)
      return reject(
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        "The buy order of the block deal is signed as a sell (isBuy false).",
      );
    if (sell.isBuy)
      return reject(
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        "The sell order of the block deal is signed as a buy (isBuy true).",
      );
    const differ: string[] = [];
    if (buy.token.toLowerCase() !== sell.token.toLowerCase() || buy.tokenId !== sell.tokenId) differ.push("product");
    if (buy.price !== sell.price) differ.push("price");
    if (buy.quantity !== sell.quantity) differ.push("quantity");
    if (differ.length > 0) {
      return reject(
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        `The two orders of a block deal must agree on product, price and quantity; they differ in ${differ.join(", ")}.`,
        { fields: differ },
      );
    }
    if (buy.trader.toLowerCase() === sell.trader.toLowerCase()) {
      return reject(
        "BLOCK_DEAL_SAME_TRADER",
        `${buy.trader} signed both orders; a block deal is between two different traders.`,
      );
    }
    const product = this.productFor(buy.token, buy.tokenId, false);
    if (!product) {
      return new DomainError(
        "PRODUCT_UNKNOWN",
        `Nothing of token ${buy.token} id ${buy.tokenId} is traded here yet (deposit it first).`,
        "not_found",
      );
    }
    for (const [side, o] of [
      ["buy", buy],
      ["sell", sell],
    ] as const) {
      const key = nonceKey(o.trader, o.nonce);
      if (this.byNonce.has(key) || this.retiredNonces.has(key)) {
        return new DomainError(
          "ORDER_NONCE_REUSED",
          `Nonce ${o.nonce} of the ${side} order was already used by an order of ${o.trader}.`,
          "conflict",
        );
      }
      if (o.expiry !== 0n && o.expiry <= BigInt(cmd.at))
        return reject("ORDER_EXPIRED", `The ${side} order of the block deal has expired.`);
    }
    const rejection = this.engine.checkBlockDeal(product.index, toSafe(buy.price), toSafe(buy.quantity));
    if (rejection) return this.blockRejection(rejection, product, buy.price);
    return this.checkCovered(buy, "The buy order") ?? this.checkCovered(sell, "The sell order");
  }

  private blockRejection(code: OrderRejection, product: ProductInfo, price: bigint): DomainError {
    const rules = this.engine.rules(product.index);
    const b = this.engine.blockBand(product.index);
    const details = { blockBand: b, blockMinQuantity: rules.blockMinQuantity };
    switch (code) {
      case "BLOCK_DEAL_TOO_SMALL":
        return reject(code, `A block deal of ${product.name} must be at least ${rules.blockMinQuantity} t.`, details);
      case "BLOCK_DEAL_PRICE_OUTSIDE_BAND":
        return reject(
          code,
          `The price ${price} fen is outside today's block-deal band of ${product.name}, ${b.low}–${b.high} fen (±${rules.blockBandBps / 100} % of the previous close).`,
          details,
        );
      default:
        return reject(code, ENGINE_MESSAGES[code] ?? code, details);
    }
  }

  private applyBlockDeal(cmd: Extract<Command, { type: "blockDeal" }>): void {
    const { buy: b, sell: s } = cmd;
    const product = this.productFor(b.order.token, b.order.tokenId)!;
    const buy = this.addOrder(b, product, cmd.at);
    const sell = this.addOrder(s, product, cmd.at);
    const rejection = this.engine.blockDeal(
      product.index,
      buy.id,
      this.traderNum(b.order.trader, true),
      sell.id,
      this.traderNum(s.order.trader, true),
      toSafe(b.order.price),
      toSafe(b.order.quantity),
    );
    if (rejection) {
      // Only reachable if the state changed between check and apply; undo the reservations.
      for (const o of [buy, sell]) {
        o.status = "rejected";
        this.releaseRest(o);
      }
    }
    this.events.order?.(buy, this.seq);
    this.events.order?.(sell, this.seq);
  }

  /**
   * The engine traded a block deal: one trade for the whole quantity at the agreed price. The sell
   * order counts as the maker (the offer), the buy order as the taker, for fees.
   */
  private onBlockDeal(productIndex: number, buyId: number, sellId: number, price: number, quantity: number): void {
    const buy = this.orders.get(buyId)!;
    const sell = this.orders.get(sellId)!;
    this.fill(productIndex, buy, sell, price, quantity, false, true);
    for (const o of [buy, sell]) {
      o.status = "filled";
      this.releaseRest(o);
    }
  }

  private toEngine(order: Order, id: number, product: ProductInfo, live: boolean): NewOrder {
    return {
      id,
      trader: this.traderNum(order.trader, live),
      side: order.isBuy ? Side.Buy : Side.Sell,
      type: OrderType.Limit,
      tif: order.timeInForce as TimeInForce,
      price: toSafe(order.price),
      quantity: toSafe(order.quantity),
      expiry: toSafe(order.expiry),
    };
  }

  private traderNum(trader: string, create: boolean): number {
    const key = trader.toLowerCase();
    let n = this.traderNums.get(key);
    if (n === undefined) {
      n = this.traderNums.size + 1;
      if (create) this.traderNums.set(key, n);
    }
    return n;
  }

  private onTrade(
    productIndex: number,
    takerId: number,
    makerId: number,
    price: number,
    quantity: number,
    takerSide: Side,
  ): void {
    const taker = this.orders.get(takerId)!;
    const maker = this.orders.get(makerId)!;
    const buyerIsMaker = takerSide === Side.Sell;
    this.fill(productIndex, buyerIsMaker ? maker : taker, buyerIsMaker ? taker : maker, price, quantity, buyerIsMaker);
  }

  /** Moves one fill between the two trading accounts and records the trade. */
  private fill(
    productIndex: number,
    buy: LiveOrder,
    sell: LiveOrder,
    price: number,
    quantity: number,
    buyerIsMaker: boolean,
    block = false,
  ): void {
    const q = BigInt(quantity);
    const p = BigInt(price);
    const notional = p * q;
    const buyerFee = (notional * BigInt(buyerIsMaker ? this.config.makerFeeBps : this.config.takerFeeBps)) / 10_000n;
    const sellerFee = (notional * BigInt(buyerIsMaker ? this.config.takerFeeBps : this.config.makerFeeBps)) / 10_000n;
    const product = this.productsByIndex[productIndex]!;
    const units = assetKey(product.token, product.tokenId);

    // Buyer: release what this fill had reserved, pay price × quantity + fee, receive the units.
    const buyRelease = this.cashFor(buy.reservePrice, q);
    this.accounts.release(buy.order.trader, this.cash, buyRelease);
    buy.reserved -= buyRelease;
    this.accounts.debit(buy.order.trader, this.cash, notional + buyerFee);
    this.accounts.credit(buy.order.trader, units, q);
    // Seller: release and deliver the units, receive the cash less its fee.
    this.accounts.release(sell.order.trader, units, q);
    sell.reserved -= q;
    this.accounts.debit(sell.order.trader, units, q);
    this.accounts.credit(sell.order.trader, this.cash, notional - sellerFee);
    if (buyerFee + sellerFee > 0n) this.accounts.credit(this.config.feeRecipient, this.cash, buyerFee + sellerFee);
    buy.filled += q;
    sell.filled += q;

    const trade: Trade = {
      tradeId: this.trades.nextId,
      product,
      buyOrder: buy.id,
      sellOrder: sell.id,
      price: p,
      quantity: q,
      buyerIsMaker,
      ...(block ? { block: true as const } : {}),
      buyerFee,
      sellerFee,
      at: this.now,
      seq: this.seq,
    };
    this.trades.push(trade);
    this.events.trade?.(trade);
  }

  private onDone(orderId: number, reason: DoneReason): void {
    const o = this.orders.get(orderId);
    if (!o) return;
    o.status = DONE_STATUS[reason];
    this.releaseRest(o);
    this.events.order?.(o, this.seq);
  }

  private releaseRest(o: LiveOrder): void {
    if (o.reserved === 0n) return;
    const asset = o.order.isBuy ? this.cash : assetKey(o.order.token, o.order.tokenId);
    this.accounts.release(o.order.trader, asset, o.reserved);
    o.reserved = 0n;
  }

  private applyWithdrawalRequest(cmd: Extract<Command, { type: "withdrawalRequest" }>, seq: number): void {
    const asset = this.assetOf(cmd.token, cmd.tokenId);
    if (!asset) return;
    // Free the units or cash the trader's open orders hold, newest first, until the request fits.
    const ids = [...(this.ordersByTrader.get(cmd.trader.toLowerCase()) ?? [])].reverse();
    for (const id of ids) {
      if (this.accounts.available(cmd.trader, asset) >= cmd.amount) break;
      const o = this.orders.get(id)!;
      const holds = o.order.isBuy ? asset === this.cash : asset === assetKey(o.order.token, o.order.tokenId);
      if (o.status === "open" && holds) this.engine.cancel(o.product.index, o.id);
    }
    if (this.accounts.available(cmd.trader, asset) < cmd.amount) return; // left to the trader's escape hatch
    this.accounts.debit(cmd.trader, asset, cmd.amount);
    this.withdrawals.push({
      trader: cmd.trader,
      token: cmd.token,
      tokenId: cmd.tokenId,
      amount: cmd.amount,
      requestId: cmd.requestId,
      seq,
    });
  }

  // ───────────────────────────────────────── snapshots ────────────────────────────────────────

  /**
   * The state to persist after `journalRecords` records. Keeps every open order, every order behind
   * a trade not yet settled (`settledTradeId`), the last `recentOrders` orders and the last
   * `recentTrades` trades; older finished orders leave only their nonce.
   */
  snapshot(journalRecords: number, settledTradeId: bigint, recentOrders = 10_000, recentTrades = 10_000): CoreSnapshot {
    const trades = this.trades.retained(settledTradeId, recentTrades);
    const needed = new Set<number>();
    for (const t of trades.trades) {
      needed.add(t.buyOrder);
      needed.add(t.sellOrder);
    }
    const keep = (o: LiveOrder) => o.status === "open" || needed.has(o.id) || o.id >= this.nextOrderId - recentOrders;
    const orders = [...this.orders.values()];
    return {
      version: 1,
      journalRecords,
      products: this.productsByIndex.map((p) => ({ name: p.name, token: p.token, tokenId: p.tokenId })),
      engine: this.engine.snapshot(),
      orders: orders.filter(keep).map((o) => ({ ...o, product: o.product.name })),
      usedNonces: [
        ...this.retiredNonces,
        ...orders.filter((o) => !keep(o)).map((o) => nonceKey(o.order.trader, o.order.nonce)),
      ],
      traderNums: [...this.traderNums],
      nextOrderId: this.nextOrderId,
      trades: { base: trades.base, trades: trades.trades.map((t) => ({ ...t, product: t.product.name })) },
      withdrawals: this.withdrawals,
      usedWithdrawalNonces: [...this.usedWithdrawalNonces],
      maxNonce: [...this.maxNonce],
      positions: this.accounts
        .traders()
        .flatMap((t) =>
          [...this.accounts.of(t)].map(
            ([asset, p]) => [t, asset, p.balance, p.reserved] as [string, string, bigint, bigint],
          ),
        ),
      bars: this.bars,
      chainCursor: this.chainCursor,
    };
  }

  /** A core in the state of a snapshot. */
  static restore(config: CoreConfig, events: CoreEvents, snap: CoreSnapshot): ExchangeCore {
    if (snap.version !== 1) throw new Error(`unknown snapshot version ${String(snap.version)}`);
    const core = new ExchangeCore(config, events);
    core.engine.restore(snap.engine);
    for (const [index, p] of snap.products.entries()) {
      const info: ProductInfo = { index, name: p.name, token: p.token, tokenId: p.tokenId };
      core.products.set(p.name, info);
      core.productsByIndex[index] = info;
    }
    for (const o of snap.orders) {
      const live: LiveOrder = { ...o, product: core.products.get(o.product)! };
      core.orders.set(live.id, live);
      core.byNonce.set(nonceKey(live.order.trader, live.order.nonce), live.id);
      const t = live.order.trader.toLowerCase();
      const mine = core.ordersByTrader.get(t);
      if (mine) mine.push(live.id);
      else core.ordersByTrader.set(t, [live.id]);
    }
    for (const n of snap.usedNonces) core.retiredNonces.add(n);
    for (const [t, n] of snap.traderNums) core.traderNums.set(t, n);
    core.nextOrderId = snap.nextOrderId;
    core.trades = new TradeLog({
      base: snap.trades.base,
      trades: snap.trades.trades.map((t) => ({ ...t, product: core.products.get(t.product)! })),
    });
    core.withdrawals.push(...snap.withdrawals);
    for (const n of snap.usedWithdrawalNonces) core.usedWithdrawalNonces.add(n);
    for (const [t, n] of snap.maxNonce) core.maxNonce.set(t, n);
    for (const [t, asset, balance, reserved] of snap.positions)
      Object.assign(core.accounts.position(t, asset), { balance, reserved });
    core.bars.push(...snap.bars);
    core.chainCursor = snap.chainCursor;
    return core;
  }

  // ────────────────────────────────────────── queries ─────────────────────────────────────────

  order(id: number): LiveOrder | undefined {
    return this.orders.get(id);
  }

  ordersOf(trader: string): LiveOrder[] {
    return (this.ordersByTrader.get(trader.toLowerCase()) ?? []).map((id) => this.orders.get(id)!);
  }

  orderByNonce(trader: string, nonce: bigint): LiveOrder | undefined {
    const id = this.byNonce.get(nonceKey(trader, nonce));
    return id === undefined ? undefined : this.orders.get(id);
  }

  /** The nonce a trader's next order should use: one more than the largest used (consecutive nonces are cheapest to settle). */
  nextNonce(trader: string): bigint {
    return (this.maxNonce.get(trader.toLowerCase()) ?? 0n) + 1n;
  }

  /** Cash a buy of `quantity` at `price` reserves: notional plus the larger fee. */
  cashFor(price: bigint, quantity: bigint): bigint {
    const notional = price * quantity;
    return notional + (notional * this.maxFeeBps) / 10_000n;
  }

  private assetOf(token: string, tokenId: bigint): AssetKey | undefined {
    const t = token.toLowerCase();
    if (t === this.config.cashToken.toLowerCase()) return tokenId === 0n ? this.cash : undefined;
    if (t === this.config.allowanceToken.toLowerCase() || t === this.config.offsetToken.toLowerCase())
      return assetKey(token, tokenId);
    return undefined;
  }
}

function nonceKey(trader: string, nonce: bigint): string {
  return `${trader.toLowerCase()}:${nonce}`;
}

/** A bigint that the engine can hold; larger values become an invalid marker the engine rejects. */
function toSafe(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : -1;
}

const ENGINE_MESSAGES: Record<string, string> = {
  ORDER_PRICE_INVALID: "The price must be a whole number of fen greater than zero.",
  ORDER_PRICE_OFF_TICK: "The price is not on the product's tick.",
  ORDER_PRICE_OUTSIDE_BAND: "The price is outside today's price band around the previous close.",
  ORDER_QUANTITY_INVALID: "The quantity must be a whole number of tonnes greater than zero.",
  ORDER_QUANTITY_OFF_LOT: "The quantity is not a multiple of the lot.",
  ORDER_QUANTITY_TOO_LARGE: "The quantity is larger than one order may be.",
  ORDER_EXPIRED: "The order has expired.",
  ORDER_TIME_IN_FORCE_INVALID: "timeInForce must be 0 (GTC), 1 (IOC) or 2 (FOK).",
  PRODUCT_HALTED: "Trading in this product is halted.",
  BLOCK_DEAL_SAME_TRADER: "The two sides of a block deal must be different traders.",
  PRODUCT_UNKNOWN: "There is no such product.",
};
