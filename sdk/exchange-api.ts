import { z } from "zod";
import { clientError } from "./client-errors";
import { DomainError, type ErrorKind } from "./errors";
import type { Cancel, SignedOrder, Withdrawal } from "./orders";
import type { Product } from "./transfers";
import { parseBatchId, parseVintage, productName } from "./units";

/**
 * A typed client of the exchange's REST API (`/v1`, ARCHITECTURE.md): the views it returns,
 * checked with zod and with amounts as bigint, and its errors as DomainErrors that keep the
 * exchange's own code and sentence. An exchange that cannot be reached is EXCHANGE_UNREACHABLE
 * (retryable); something else answering at the URL is EXCHANGE_BAD_RESPONSE.
 */

/** A whole number the API writes as a decimal string (or a safe JSON integer). */
const whole = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));

export const orderViewSchema = z.object({
  hash: z.string(),
  trader: z.string(),
  product: z.string(),
  token: z.string(),
  tokenId: whole,
  side: z.enum(["buy", "sell"]),
  price: whole,
  quantity: whole,
  filled: whole,
  timeInForce: z.string(),
  nonce: whole,
  expiry: whole,
  /** open, filled, cancelled, expired, unfilled (IOC/FOK rest), rejected. */
  status: z.string(),
  /** Unix seconds. */
  acceptedAt: z.number(),
});
export type OrderView = z.infer<typeof orderViewSchema>;

export const tradeViewSchema = z.object({
  tradeId: whole,
  product: z.string(),
  price: whole,
  quantity: whole,
  buyer: z.string(),
  seller: z.string(),
  /** The side of the order that took liquidity. */
  aggressor: z.enum(["buy", "sell"]),
  buyerFee: whole,
  sellerFee: whole,
  /** Unix seconds. */
  at: z.number(),
  /** pending, settled, rejected. */
  settlement: z.string(),
});
export type TradeView = z.infer<typeof tradeViewSchema>;

const levelSchema = z.object({ price: whole, quantity: whole, orders: z.number() });
export type BookLevel = z.infer<typeof levelSchema>;

export const bookViewSchema = z.object({
  product: z.string(),
  halted: z.boolean(),
  /** Today's continuous-trading price band (fen per tonne). */
  band: z.object({ low: whole, high: whole }),
  /** Today's bar so far: prices in fen, volume in tonnes (the close is the volume-weighted average). */
  day: z.object({
    open: whole,
    high: whole,
    low: whole,
    close: whole,
    volume: whole,
    trades: z.number(),
    previousClose: whole,
  }),
  bids: z.array(levelSchema),
  asks: z.array(levelSchema),
});
export type BookView = z.infer<typeof bookViewSchema>;

export const positionViewSchema = z.object({
  token: z.string(),
  tokenId: whole,
  balance: whole,
  reserved: whole,
  available: whole,
});
export type PositionView = z.infer<typeof positionViewSchema>;

export const accountViewSchema = z.object({
  trader: z.string(),
  positions: z.array(positionViewSchema),
  openOrders: z.number(),
  /** The nonce for the trader's next order (consecutive nonces are cheapest to settle). */
  nextNonce: whole,
});
export type AccountView = z.infer<typeof accountViewSchema>;

const errorBodySchema = z.object({
  error: z.object({ code: z.string().regex(/^[A-Z][A-Z0-9_]*$/), message: z.string() }),
});

export interface ExchangeApiOptions {
  /** Longest wait for one answer, in ms. Default 10 s. */
  timeoutMs?: number;
  /** Appended to the sentence of EXCHANGE_UNREACHABLE (e.g. how the client is pointed elsewhere). */
  unreachableHint?: string;
  fetch?: typeof fetch;
}

/** The exchange's REST API at `baseUrl` (e.g. http://127.0.0.1:8600). */
export class ExchangeApi {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    baseUrl: string,
    private readonly opts: ExchangeApiOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** The trader's positions (balance, reserved, available per token id) and next order nonce. */
  async account(trader: string): Promise<AccountView> {
    return this.get(`/v1/accounts/${encodeURIComponent(trader)}`, accountViewSchema);
  }

  /** A product's book: `levels` best price levels per side, the band and the day's bar. */
  async book(product: string, levels = 10): Promise<BookView> {
    return this.get(`/v1/books/${encodeURIComponent(product)}?levels=${levels}`, bookViewSchema);
  }

  /** The latest trades, newest first. */
  async trades(query: { product?: string; limit?: number } = {}): Promise<TradeView[]> {
    const params = new URLSearchParams();
    if (query.product !== undefined) params.set("product", query.product);
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    const qs = params.toString() ? `?${params.toString()}` : "";
    return (await this.get(`/v1/trades${qs}`, z.object({ trades: z.array(tradeViewSchema) }))).trades;
  }

  /** A trader's orders, oldest first: every one, or only those still open. */
  async orders(trader: string, status: "open" | "all" = "all"): Promise<OrderView[]> {
    const qs = `?trader=${encodeURIComponent(trader)}&status=${status}`;
    return (await this.get(`/v1/orders${qs}`, z.object({ orders: z.array(orderViewSchema) }))).orders;
  }

  /** Sends a signed order; the answer has the order as accepted and the trades it made at once. */
  async submitOrder(signed: SignedOrder): Promise<{ order: OrderView; trades: TradeView[] }> {
    return this.send("/v1/orders", signed, z.object({ order: orderViewSchema, trades: z.array(tradeViewSchema) }));
  }

  /** Sends a signed cancellation; the answer is the order, cancelled. */
  async cancel(cancel: Cancel, signature: string): Promise<OrderView> {
    return (await this.send("/v1/orders/cancel", { cancel, signature }, z.object({ order: orderViewSchema }))).order;
  }

  /** Sends a signed withdrawal; the exchange executes it in its next settlement batch. */
  async withdraw(withdrawal: Withdrawal, signature: string): Promise<void> {
    await this.send("/v1/withdrawals", { withdrawal, signature }, z.object({ accepted: z.literal(true) }));
  }

  private async get<T extends z.ZodTypeAny>(path: string, schema: T): Promise<z.output<T>> {
    return this.request("GET", path, undefined, schema);
  }

  private async send<T extends z.ZodTypeAny>(path: string, body: unknown, schema: T): Promise<z.output<T>> {
    return this.request("POST", path, body, schema);
  }

  private async request<T extends z.ZodTypeAny>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    schema: T,
  ): Promise<z.output<T>> {
    const url = `${this.baseUrl}${path}`;
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(url, {
        method,
        headers: body === undefined ? { accept: "application/json" } : { "content-type": "application/json" },
        body: body === undefined ? undefined : apiJson(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw this.unreachable(err);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status < 200 || status >= 300) {
      const error = errorBodySchema.safeParse(json);
      if (error.success) {
        throw new DomainError(error.data.error.code, error.data.error.message, kindOfStatus(status), {
          status,
          source: "exchange",
        });
      }
      throw clientError(
        "EXCHANGE_BAD_RESPONSE",
        `${method} ${url} answered HTTP ${status} without the exchange's error object; is ${this.baseUrl} the exchange?`,
        { status },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw clientError(
        "EXCHANGE_BAD_RESPONSE",
        `${method} ${url} answered something that is not the exchange's API (${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.message ?? "unexpected"}); is ${this.baseUrl} the exchange?`,
        { status },
      );
    }
    return parsed.data as z.output<T>;
  }

  private unreachable(err: unknown): DomainError {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const reason =
      e.name === "TimeoutError"
        ? `no answer within ${this.timeoutMs / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message ?? "no answer");
    const hint = this.opts.unreachableHint ? `; ${this.opts.unreachableHint}` : "";
    return clientError(
      "EXCHANGE_UNREACHABLE",
      `The exchange at ${this.baseUrl} cannot be reached (${reason})${hint}. Nothing was sent.`,
      { url: this.baseUrl },
    );
  }
}

/** The error kind of an HTTP status of the exchange. */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 401 || status === 403) return "unauthorised";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429 || status === 502 || status === 503 || status === 504) return "retryable";
  if (status >= 500) return "internal";
  return "validation";
}

/** JSON for the API: bigints as decimal strings. */
export function apiJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A product traded at the exchange: allowances of a vintage or CCER of a batch. */
export type TradedProduct = Extract<Product, { kind: "allowance" | "ccer" }>;

/** The exchange's name of a product: `TJEA14` (vintage 2014), `CCER-3` (batch 3). */
export function exchangeProductName(product: TradedProduct): string {
  return product.kind === "allowance" ? productName(product.vintage) : `CCER-${product.batch}`;
}

/** Parses a product as people write it: `TJEA14` or `2014` (allowances), `CCER-3` (CCER). */
export function parseTradedProduct(input: string): TradedProduct {
  const text = input.trim().toUpperCase();
  if (/^(TJEA\d{2}|\d{4})$/.test(text)) {
    try {
      return { kind: "allowance", vintage: parseVintage(text) };
    } catch {
      // below: one sentence for every bad product
    }
  } else if (/^CCER-\d+$/.test(text)) {
    try {
      return { kind: "ccer", batch: parseBatchId(text) };
    } catch {
      // below
    }
  }
  throw clientError(
    "INVALID_PRODUCT",
    `"${input}" is not a product: give an allowance vintage such as TJEA14 (or 2014) or a CCER batch such as CCER-3.`,
    { field: "product" },
  );
}
