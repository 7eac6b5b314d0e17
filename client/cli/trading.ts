import type { TypedDataDomain } from "ethers";
import { z } from "zod";
import { clearingAddress, connectClearing, type Clearing } from "../../sdk/clearing";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { apiJson, kindOfStatus, type OrderView, type TradedProduct, type TradeView } from "../../sdk/exchange-api";
import { clearingDomain } from "../../sdk/orders";
import { formatAmount, type Product } from "../../sdk/transfers";
import { formatYuan, parseBatchId, parseVintage } from "../../sdk/units";
import { named, timeJson, when } from "./format";
import type { Chain, Session } from "./session";
import { nameOf } from "./shared";

/**
 * What the exchange commands share: the Clearing contract of the connected chain, the product
 * options, trading-account positions, and how orders and trades are shown (prices in CNY per
 * tonne in text; fen and CNY side by side in JSON).
 */

/** The connected chain with its Clearing contract (read-only) and the EIP-712 domain of orders. */
export interface TradingChain {
  chain: Chain;
  clearing: Clearing;
  clearingAddress: string;
  domain: TypedDataDomain;
}

export async function tradingChain(session: Session): Promise<TradingChain> {
  const chain = await session.chain();
  const address = clearingAddress(chain.manifest);
  return {
    chain,
    clearing: connectClearing(chain.manifest, chain.provider),
    clearingAddress: address,
    domain: clearingDomain(chain.chainId, address),
  };
}

/** `--vintage <year>` or `--ccer <batch>`: what an order trades (exactly one). */
export function tradedProductFromOptions(opts: { vintage?: string; ccer?: string }): TradedProduct {
  const given = [opts.vintage !== undefined, opts.ccer !== undefined].filter(Boolean).length;
  if (given !== 1) {
    throw clientError(
      "PRODUCT_REQUIRED",
      given === 0
        ? "Say what to trade: --vintage <year> (allowances, e.g. 2014 or TJEA14) or --ccer <batch> (CCER, e.g. 3 or CCER-3)."
        : "Give only one of --vintage and --ccer.",
    );
  }
  if (opts.vintage !== undefined) return { kind: "allowance", vintage: parseVintage(opts.vintage) };
  return { kind: "ccer", batch: parseBatchId(opts.ccer ?? "") };
}

/** A price in CNY per tonne: "CNY 30.25/t". */
export function price(fen: bigint): string {
  return `${formatAmount("cash", fen)}/t`;
}

export { positionOf, requireTradingAvailable } from "../../sdk/trading-account";

/** How to put a product into the trading account. */
export function depositHint(product: Product): string {
  const flag =
    product.kind === "cash"
      ? "<CNY> --cash"
      : product.kind === "allowance"
        ? `<tonnes> --vintage ${product.vintage}`
        : `<tonnes> --ccer ${product.batch}`;
  return `Deposit first: ets deposit ${flag}.`;
}

/** An order for JSON: amounts as decimal strings (price in fen per tonne, and in CNY). */
export function orderJson(o: OrderView) {
  return {
    hash: o.hash,
    trader: o.trader,
    product: o.product,
    side: o.side,
    price: o.price.toString(),
    priceCny: formatYuan(o.price),
    quantity: o.quantity.toString(),
    filled: o.filled.toString(),
    timeInForce: o.timeInForce,
    nonce: o.nonce.toString(),
    expiry: o.expiry === 0n ? null : timeJson(o.expiry),
    status: o.status,
    acceptedAt: timeJson(o.acceptedAt),
  };
}

/** A trade for JSON. */
export function tradeJson(session: Session, t: TradeView) {
  return {
    tradeId: t.tradeId.toString(),
    product: t.product,
    price: t.price.toString(),
    priceCny: formatYuan(t.price),
    quantity: t.quantity.toString(),
    buyer: t.buyer,
    buyerWallet: nameOf(session, t.buyer),
    seller: t.seller,
    sellerWallet: nameOf(session, t.seller),
    aggressor: t.aggressor,
    buyerFee: t.buyerFee.toString(),
    sellerFee: t.sellerFee.toString(),
    at: timeJson(t.at),
    settlement: t.settlement,
  };
}

/** An order on one line: "nonce 3  sell 100 t TJEA14 at CNY 30.25/t  GTC  open, 60 t of 100 t filled". */
export function orderLine(o: OrderView): string {
  const expiry = o.expiry === 0n ? "" : `, expires ${when(o.expiry)}`;
  return `nonce ${o.nonce}  ${o.side} ${formatAmount("allowance", o.quantity)} ${o.product} at ${price(o.price)}  ${o.timeInForce}  ${o.status}, ${formatAmount("allowance", o.filled)} of ${formatAmount("allowance", o.quantity)} filled${expiry}`;
}

/** A trade on one line, from the point of view of `me` when given. */
export function tradeLine(session: Session, t: TradeView, me?: string): string {
  const party = (address: string) => named(address, nameOf(session, address));
  const mine = me?.toLowerCase();
  let who: string;
  if (mine === t.buyer.toLowerCase()) who = `bought from ${party(t.seller)}`;
  else if (mine === t.seller.toLowerCase()) who = `sold to ${party(t.buyer)}`;
  else who = `seller ${party(t.seller)}, buyer ${party(t.buyer)}`;
  return `trade ${t.tradeId}  ${t.product}  ${formatAmount("allowance", t.quantity)} at ${price(t.price)}  ${who}  ${when(t.at)}  ${settlementWords(t.settlement)}`;
}

function settlementWords(settlement: string): string {
  switch (settlement) {
    case "settled":
      return "settled on chain";
    case "pending":
      return "settlement pending";
    case "rejected":
      return "REJECTED at settlement";
    default:
      return `settlement ${settlement}`;
  }
}

/**
 * POSTs to an exchange endpoint that the SDK's `ExchangeApi` does not cover (block deals, the
 * operator's `/v1/admin/…`), with its error handling: the exchange's own code and sentence for a
 * 4xx/5xx, EXCHANGE_UNREACHABLE when nothing answers, EXCHANGE_BAD_RESPONSE for anything else.
 */
export async function postToExchange<T extends z.ZodTypeAny>(
  session: Session,
  path: string,
  body: unknown,
  schema: T,
  opts: { token?: string; timeoutMs?: number } = {},
): Promise<z.output<T>> {
  const base = session.config.exchangeUrl.replace(/\/+$/, "");
  const url = `${base}${path}`;
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
      },
      body: apiJson(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const reason = e.name === "TimeoutError" ? "no answer in time" : (e.cause?.code ?? e.cause?.message ?? "no answer");
    throw clientError(
      "EXCHANGE_UNREACHABLE",
      `The exchange at ${base} cannot be reached (${reason}); check that it runs (npm start) or set --exchange / ETS_EXCHANGE_URL. Nothing was sent.`,
      { url: base },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status < 200 || status >= 300) {
    const error = z
      .object({ error: z.object({ code: z.string().regex(/^[A-Z][A-Z0-9_]*$/), message: z.string() }) })
      .safeParse(json);
    if (error.success) {
      throw new DomainError(error.data.error.code, error.data.error.message, kindOfStatus(status), {
        status,
        source: "exchange",
      });
    }
    throw clientError(
      "EXCHANGE_BAD_RESPONSE",
      `POST ${url} answered HTTP ${status} without the exchange's error object; is ${base} the exchange?`,
      { status },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw clientError(
      "EXCHANGE_BAD_RESPONSE",
      `POST ${url} answered something that is not the exchange's API; is ${base} the exchange?`,
      { status },
    );
  }
  return parsed.data as z.output<T>;
}
