import { MarketDay, type DailyBar } from "./market-data";
import { OrderBook, type RestingOrder } from "./order-book";
import {
  DoneReason,
  OrderType,
  SelfTradePrevention,
  Side,
  type BookListener,
  type DepthLevel,
  type NewOrder,
} from "./types";
import { band, checkOrder, DEFAULT_RULES, MAX_PRICE, type OrderRejection, type ProductRules } from "./validation";

/** Everything the engine does, with the product it happened in (its index from `addProduct`). */
export interface EngineListener {
  onTrade(product: number, takerId: number, makerId: number, price: number, quantity: number, takerSide: Side): void;
  onDone(product: number, orderId: number, reason: DoneReason, remaining: number): void;
  onRested(product: number, orderId: number, price: number, remaining: number): void;
  onBlockDeal(product: number, buyId: number, sellId: number, price: number, quantity: number): void;
}

export interface ProductConfig {
  name: string;
  rules?: Partial<ProductRules>;
  /** The previous close: the centre of the price band. */
  referencePrice: number;
  selfTradePrevention?: SelfTradePrevention;
}

/** The state of one product, as a snapshot keeps it. */
export interface ProductSnapshot {
  name: string;
  rules: ProductRules;
  selfTradePrevention: SelfTradePrevention;
  halted: boolean;
  day: DailyBar;
  orders: RestingOrder[];
}

interface Product {
  name: string;
  rules: ProductRules;
  stp: SelfTradePrevention;
  book: OrderBook;
  day: MarketDay;
  halted: boolean;
}

/**
 * The matching engine: one order book per product, with the boundary checks (tick, lot, band,
 * quantity, expiry, halt), the day's market data and block deals. Pure: the caller passes the time
 * with every command, and receives every outcome through its listener.
 */
export class MatchingEngine {
  private readonly products: Product[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly listener: EngineListener) {}

  addProduct(config: ProductConfig, restore?: ProductSnapshot): number {
    if (this.index.has(config.name)) throw new Error(`product ${config.name} exists`);
    if (
      !Number.isSafeInteger(config.referencePrice) ||
      config.referencePrice < 0 ||
      config.referencePrice > MAX_PRICE
    ) {
      throw new Error(`reference price of ${config.name} must be a whole number of fen`);
    }
    const n = this.products.length;
    const rules = { ...DEFAULT_RULES, ...config.rules };
    const day = restore ? MarketDay.restore(restore.day) : new MarketDay(config.referencePrice);
    const listener = this.listener;
    const bookListener: BookListener = {
      onTrade(takerId, makerId, price, quantity, takerSide) {
        day.trade(price, quantity);
        listener.onTrade(n, takerId, makerId, price, quantity, takerSide);
      },
      onDone(orderId, reason, remaining) {
        listener.onDone(n, orderId, reason, remaining);
      },
      onRested(orderId, price, remaining) {
        listener.onRested(n, orderId, price, remaining);
      },
    };
    const stp = config.selfTradePrevention ?? SelfTradePrevention.None;
    const book = new OrderBook(bookListener, stp);
    if (restore) book.restore(restore.orders);
    this.products.push({ name: config.name, rules, stp, book, day, halted: restore?.halted ?? false });
    this.index.set(config.name, n);
    return n;
  }

  productIndex(name: string): number | undefined {
    return this.index.get(name);
  }

  productNames(): string[] {
    return this.products.map((p) => p.name);
  }

  /** What `submit` would reject the order for, without running it. */
  check(product: number, order: NewOrder, now: number): OrderRejection | undefined {
    const p = this.products[product];
    if (!p) return "PRODUCT_UNKNOWN";
    if (p.halted) return "PRODUCT_HALTED";
    const rejection = checkOrder(order, p.rules, p.day.reference, now);
    if (rejection) return rejection;
    if (p.book.has(order.id)) return "ORDER_ID_DUPLICATE";
    return undefined;
  }

  /** The price band of a product now: [low, high] in fen. */
  band(product: number): { low: number; high: number } {
    const p = this.product(product);
    return band(p.day.reference, p.rules.bandBps);
  }

  /** Checks and runs a new order. Returns the rejection, or undefined once it was processed. */
  submit(product: number, order: NewOrder, now: number): OrderRejection | undefined {
    const rejection = this.check(product, order, now);
    if (rejection) return rejection;
    const p = this.products[product]!;
    if (order.type === OrderType.Market) {
      const b = band(p.day.reference, p.rules.bandBps);
      const protection = order.side === Side.Buy ? b.high : b.low;
      p.book.market(order.id, order.trader, order.side, order.quantity, order.tif, protection, now);
    } else {
      p.book.limit(order.id, order.trader, order.side, order.price, order.quantity, order.tif, order.expiry, now);
    }
    return undefined;
  }

  /** Cancels a resting order; false when it does not rest. Allowed while halted. */
  cancel(product: number, id: number): boolean {
    const p = this.products[product];
    return p ? p.book.cancel(id) : false;
  }

  /** Removes expired orders of every product. */
  expire(now: number): void {
    for (const p of this.products) p.book.expire(now);
  }

  halt(product: number): void {
    this.product(product).halted = true;
  }

  resume(product: number): void {
    this.product(product).halted = false;
  }

  isHalted(product: number): boolean {
    return this.product(product).halted;
  }

  /**
   * What `blockDeal` would reject a block deal for, without running it: the product's state and
   * rules only (halt, price, tick, quantity, lot, largest order, block minimum, block band). The
   * orders themselves (ids, traders) are the caller's to check.
   */
  checkBlockDeal(product: number, price: number, quantity: number): OrderRejection | undefined {
    const p = this.products[product];
    if (!p) return "PRODUCT_UNKNOWN";
    if (p.halted) return "PRODUCT_HALTED";
    if (!Number.isSafeInteger(price) || price <= 0 || price > MAX_PRICE) return "ORDER_PRICE_INVALID";
    if (price % p.rules.tick !== 0) return "ORDER_PRICE_OFF_TICK";
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return "ORDER_QUANTITY_INVALID";
    if (quantity % p.rules.lot !== 0) return "ORDER_QUANTITY_OFF_LOT";
    if (quantity > p.rules.maxQuantity) return "ORDER_QUANTITY_TOO_LARGE";
    if (quantity < p.rules.blockMinQuantity) return "BLOCK_DEAL_TOO_SMALL";
    const b = band(p.day.reference, p.rules.blockBandBps);
    if (price < b.low || price > b.high) return "BLOCK_DEAL_PRICE_OUTSIDE_BAND";
    return undefined;
  }

  /** The rules a product's orders are checked against. */
  rules(product: number): Readonly<ProductRules> {
    return this.product(product).rules;
  }

  /** The block-deal band of a product now: [low, high] in fen. */
  blockBand(product: number): { low: number; high: number } {
    const p = this.product(product);
    return band(p.day.reference, p.rules.blockBandBps);
  }

  /**
   * A block deal (大宗协议交易): two orders that name each other, traded at their agreed price
   * outside the book, at least the block minimum, within the block band. Counts in the day's block
   * volume, not in the close.
   */
  blockDeal(
    product: number,
    buyId: number,
    buyTrader: number,
    sellId: number,
    sellTrader: number,
    price: number,
    quantity: number,
  ): OrderRejection | undefined {
    const p = this.products[product];
    if (!p) return "PRODUCT_UNKNOWN";
    if (p.halted) return "PRODUCT_HALTED";
    if (!Number.isSafeInteger(buyId) || !Number.isSafeInteger(sellId) || buyId < 0 || sellId < 0 || buyId === sellId)
      return "ORDER_ID_INVALID";
    if (buyTrader === sellTrader) return "BLOCK_DEAL_SAME_TRADER";
    const rejection = this.checkBlockDeal(product, price, quantity);
    if (rejection) return rejection;
    p.day.block(quantity);
    this.listener.onBlockDeal(product, buyId, sellId, price, quantity);
    return undefined;
  }

  depth(product: number, levels = 10): { bids: DepthLevel[]; asks: DepthLevel[] } {
    return this.product(product).book.depth(levels);
  }

  book(product: number): OrderBook {
    return this.product(product).book;
  }

  /** Today's bar so far. */
  bar(product: number): DailyBar {
    return this.product(product).day.bar();
  }

  /** Ends the trading day of every product: returns each bar; the close becomes the next reference. */
  closeDay(): Map<string, DailyBar> {
    const bars = new Map<string, DailyBar>();
    for (const p of this.products) bars.set(p.name, p.day.roll());
    return bars;
  }

  /** Rebuilds products from a snapshot (into an engine without products). */
  restore(products: readonly ProductSnapshot[]): void {
    for (const p of products) {
      this.addProduct(
        {
          name: p.name,
          rules: p.rules,
          referencePrice: p.day.previousClose,
          selfTradePrevention: p.selfTradePrevention,
        },
        p,
      );
    }
  }

  snapshot(): ProductSnapshot[] {
    return this.products.map((p) => ({
      name: p.name,
      rules: p.rules,
      selfTradePrevention: p.stp,
      halted: p.halted,
      day: p.day.bar(),
      orders: p.book.snapshot(),
    }));
  }

  private product(index: number): Product {
    const p = this.products[index];
    if (!p) throw new RangeError(`no product ${index}`);
    return p;
  }
}
