import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { cashForBuy, clearingCoded, confirmClearing, tradingAsset } from "../../sdk/clearing";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { exchangeProductName, parseTradedProduct, type BookLevel, type OrderView } from "../../sdk/exchange-api";
import { parseAmount, parseDate, parseDuration, parseWholeNumber } from "../../sdk/input";
import { signCancel, signOrder, TIME_IN_FORCE, type Cancel, type Order, type TimeInForceName } from "../../sdk/orders";
import { requireActiveAccount, requireProductExists } from "../../sdk/preflight";
import { ZERO_FEE } from "../../sdk/send";
import { describeUnits, formatAmount } from "../../sdk/transfers";
import { formatYuan } from "../../sdk/units";
import { named, txData, txLine, when, type CommandResult } from "./format";
import type { Action } from "./program";
import type { Session } from "./session";
import {
  depositHint,
  orderJson,
  orderLine,
  positionOf,
  price,
  requireTradingAvailable,
  tradedProductFromOptions,
  tradeJson,
  tradeLine,
  tradingChain,
  type TradingChain,
} from "./trading";

const UINT256_MAX = 2n ** 256n - 1n;
/** How long a signed cancellation stays valid (seconds): enough to reach the exchange, short enough not to linger. */
const CANCEL_TTL = 300n;

interface OrderOptions {
  vintage?: string;
  ccer?: string;
  price?: string;
  market?: boolean;
  ioc?: boolean;
  fok?: boolean;
  expires?: string;
}

/** `ets order buy|sell|cancel|list`: signed orders at the exchange. Returns the `order` command. */
export function registerOrderCommands(program: Command, action: Action): Command {
  const order = program
    .command("order")
    .description("signed orders at the exchange: buy, sell, cancel, list (prices in CNY per tonne)");

  for (const side of ["buy", "sell"] as const) {
    order
      .command(side)
      .description(
        `${side} allowances or CCER: a limit order signed by --from (GTC unless --ioc or --fok), or a market order (--market)`,
      )
      .argument("<quantity>", "whole tonnes")
      .option("--vintage <year>", "allowances of a vintage: 2014 or TJEA14")
      .option("--ccer <batch>", "CCER of an issuance batch: 3 or CCER-3")
      .option("--price <CNY>", "limit price per tonne in CNY, at most two decimals (tick ¥0.01), e.g. 30.25")
      .option(
        "--market",
        `market order: IOC (or FOK with --fok) at the protective limit of today's band (${side === "buy" ? "its upper" : "its lower"} limit)`,
      )
      .option("--ioc", "immediate or cancel: what does not trade at once is cancelled")
      .option("--fok", "fill or kill: trades completely at once, or not at all")
      .option("--expires <when>", "a duration (90s, 15m, 26h, 2d) or a date/time (2014-06-30, ISO 8601); default: none")
      .action(action((session, [quantity], opts) => placeOrder(session, side, quantity ?? "", opts as OrderOptions)));
  }

  order
    .command("cancel")
    .description("cancel one of your orders: a signed cancellation sent to the exchange, or on chain with --on-chain")
    .argument("[nonce]", "the order's nonce (ets order list shows it)")
    .option(
      "--on-chain",
      "cancel through the Clearing contract: the order can never settle, whatever the exchange does",
    )
    .option("--below <nonce>", "on chain: cancel every order with a nonce below this one (implies --on-chain)")
    .action(
      action(async (session, [nonceInput], o) => {
        const opts = o as { onChain?: boolean; below?: string };
        if (opts.below !== undefined) {
          if (nonceInput !== undefined) {
            throw clientError("INVALID_USAGE", "Give either an order's nonce or --below <nonce>, not both.");
          }
          return cancelBelow(session, parseWholeNumber(opts.below, "nonce", 1n, UINT256_MAX));
        }
        if (nonceInput === undefined) {
          throw clientError(
            "INVALID_USAGE",
            "Say which order: ets order cancel <nonce> (ets order list shows the nonces), or --on-chain --below <nonce>.",
          );
        }
        const nonce = parseWholeNumber(nonceInput, "nonce", 0n, UINT256_MAX);
        return opts.onChain ? cancelOnChain(session, nonce) : cancelAtExchange(session, nonce);
      }),
    );

  order
    .command("list")
    .description("an account's orders at the exchange, oldest first")
    .argument("[account]", "address or wallet name (default: --from)")
    .option("--open", "only the orders still open")
    .action(
      action(async (session, [input], o) => {
        const open = (o as { open?: boolean }).open === true;
        const who = session.subject(input, "account");
        const orders = await session.exchange().orders(who.address, open ? "open" : "all");
        return {
          data: { trader: who.address, ...(who.name ? { wallet: who.name } : {}), orders: orders.map(orderJson) },
          text: [
            `${open ? "Open orders" : "Orders"} of ${named(who.address, who.name)} at the exchange:`,
            ...(orders.length ? orders.map((v) => `  ${orderLine(v)}`) : ["  none"]),
          ],
        };
      }),
    );
  return order;
}

/** `ets book <product>` and `ets trades`: the market as the exchange shows it. */
export function registerMarketCommands(program: Command, action: Action): void {
  program
    .command("book")
    .description("a product's order book at the exchange: best bids and asks, today's price band and bar")
    .argument("<product>", "TJEA14 (or 2014) for allowances, CCER-3 for CCER")
    .option("--levels <n>", "price levels per side, 1-100 (default 10)")
    .action(
      action(async (session, [input], o) => {
        const product = parseTradedProduct(input ?? "");
        const levelsInput = (o as { levels?: string }).levels;
        const levels =
          levelsInput === undefined ? 10 : Number(parseWholeNumber(levelsInput, "number of levels", 1n, 100n));
        const chain = await session.chain();
        await requireProductExists(chain.contracts, product);
        const book = await session.exchange().book(exchangeProductName(product), levels);
        const level = (l: BookLevel) => ({
          price: l.price.toString(),
          priceCny: formatYuan(l.price),
          quantity: l.quantity.toString(),
          orders: l.orders,
        });
        const line = (l: BookLevel) =>
          `  ${price(l.price).padStart(16)}  ${formatAmount(product, l.quantity).padStart(12)}  ${l.orders} order${l.orders === 1 ? "" : "s"}`;
        const d = book.day;
        return {
          data: {
            product: book.product,
            halted: book.halted,
            band: { low: book.band.low.toString(), high: book.band.high.toString() },
            day: {
              open: d.open.toString(),
              high: d.high.toString(),
              low: d.low.toString(),
              close: d.close.toString(),
              previousClose: d.previousClose.toString(),
              volume: d.volume.toString(),
              trades: d.trades,
            },
            bids: book.bids.map(level),
            asks: book.asks.map(level),
          },
          text: [
            `${book.product} at the exchange: ${book.halted ? "HALTED by the operator" : "trading"}.`,
            `Price band today: ${price(book.band.low)} – ${price(book.band.high)} (previous close ${price(d.previousClose)}).`,
            d.trades === 0
              ? "Today: no trades yet."
              : `Today: open ${price(d.open)}, high ${price(d.high)}, low ${price(d.low)}, close (volume-weighted) ${price(d.close)}, volume ${formatAmount(product, d.volume)} in ${d.trades} trade${d.trades === 1 ? "" : "s"}.`,
            "Asks (sell orders), best first:",
            ...(book.asks.length ? book.asks.map(line) : ["  none"]),
            "Bids (buy orders), best first:",
            ...(book.bids.length ? book.bids.map(line) : ["  none"]),
          ],
        };
      }),
    );

  program
    .command("trades")
    .description("the latest trades at the exchange, newest first, with their settlement on chain")
    .option("--product <product>", "only this product: TJEA14 (or 2014), CCER-3")
    .option("--limit <n>", "how many, 1-1000 (default 20)")
    .action(
      action(async (session, _args, o) => {
        const opts = o as { product?: string; limit?: string };
        const product = opts.product === undefined ? undefined : parseTradedProduct(opts.product);
        const limit = opts.limit === undefined ? 20 : Number(parseWholeNumber(opts.limit, "limit", 1n, 1000n));
        if (product) await requireProductExists((await session.chain()).contracts, product);
        const name = product ? exchangeProductName(product) : undefined;
        const trades = await session.exchange().trades({ ...(name ? { product: name } : {}), limit });
        return {
          data: { ...(name ? { product: name } : {}), trades: trades.map((t) => tradeJson(session, t)) },
          text: [
            `Latest trades${name ? ` of ${name}` : ""} at the exchange, newest first:`,
            ...(trades.length ? trades.map((t) => `  ${tradeLine(session, t)}`) : ["  none"]),
          ],
        };
      }),
    );
}

// ───────────────────────────────────────── placing orders ─────────────────────────────────────────

async function placeOrder(
  session: Session,
  side: "buy" | "sell",
  quantityInput: string,
  opts: OrderOptions,
): Promise<CommandResult> {
  // Syntax first.
  const product = tradedProductFromOptions(opts);
  const quantity = parseAmount(quantityInput, "tonnes", "quantity");
  if (opts.market && opts.price !== undefined) {
    throw clientError("INVALID_USAGE", "Give either a limit price (--price) or --market, not both.");
  }
  if (!opts.market && opts.price === undefined) {
    throw clientError(
      "INVALID_USAGE",
      "Give the limit price per tonne, --price <CNY> (e.g. 30.25), or --market for a market order.",
    );
  }
  if (opts.ioc && opts.fok) throw clientError("INVALID_USAGE", "Give only one of --ioc and --fok.");
  const limit = opts.price === undefined ? undefined : parseAmount(opts.price, "yuan", "price");
  const tif: TimeInForceName = opts.fok ? "FOK" : opts.ioc || opts.market ? "IOC" : "GTC";
  const isBuy = side === "buy";

  // Then the wallet folder and the chain.
  const sender = session.sender();
  const t = await tradingChain(session);
  const expiry = opts.expires === undefined ? 0n : parseExpiry(opts.expires, await session.chainNow());
  await requireProductExists(t.chain.contracts, product);
  await requireActiveAccount(t.chain.contracts.registry, sender.address, "Trader");

  // Then the exchange: the nonce, the band for a market order, the trading balance.
  const api = session.exchange();
  const name = exchangeProductName(product);
  const asset = tradingAsset(t.chain.manifest, product);
  const [account, book] = await Promise.all([
    api.account(sender.address),
    limit === undefined ? api.book(name, 1) : Promise.resolve(undefined),
  ]);
  const orderPrice = limit ?? (book ? (isBuy ? book.band.high : book.band.low) : 0n);
  const what = describeUnits(product, quantity);
  if (isBuy) {
    const [makerFee, takerFee] = await t.clearing.fees();
    const maxFeeBps = makerFee > takerFee ? makerFee : takerFee;
    const needed = cashForBuy(orderPrice, quantity, maxFeeBps);
    const cash = tradingAsset(t.chain.manifest, { kind: "cash" });
    requireTradingAvailable(
      sender.address,
      { kind: "cash" },
      positionOf(account, cash.token, cash.tokenId),
      needed,
      limit === undefined
        ? `A market buy of ${what} reserves cash at the band's upper limit ${price(orderPrice)} plus fees: ${formatAmount("cash", needed)}`
        : `Buying ${what} at ${price(orderPrice)} needs ${formatAmount("cash", needed)} (price × quantity plus fees)`,
      depositHint({ kind: "cash" }),
    );
  } else {
    requireTradingAvailable(
      sender.address,
      product,
      positionOf(account, asset.token, asset.tokenId),
      quantity,
      `Selling ${what} needs ${formatAmount(product, quantity)}`,
      depositHint(product),
    );
  }

  // Last the password, the signature and the order.
  const { wallet } = await session.signer(sender);
  const order: Order = {
    trader: sender.address,
    token: asset.token,
    tokenId: asset.tokenId,
    isBuy,
    price: orderPrice,
    quantity,
    timeInForce: TIME_IN_FORCE[tif],
    nonce: account.nextNonce,
    expiry,
  };
  const signed = await signOrder(wallet, t.domain, order);
  const { order: accepted, trades } = await api.submitOrder(signed).catch(async (err: unknown) => {
    throw err instanceof DomainError && err.code === "ORDER_PRICE_OUTSIDE_BAND"
      ? await withBand(session, name, err)
      : err;
  });

  const kind =
    limit === undefined ? `market, ${tif}, protective limit ${price(orderPrice)}` : `${price(orderPrice)}, ${tif}`;
  return {
    data: { order: orderJson(accepted), trades: trades.map((tr) => tradeJson(session, tr)) },
    text: [
      `Order nonce ${accepted.nonce}: ${side} ${what} (${kind}) is ${statusSentence(accepted)}`,
      ...(trades.length
        ? [
            "Trades made at once (settled on chain in the next batch):",
            ...trades.map((tr) => `  ${tradeLine(session, tr, sender.address)}`),
          ]
        : []),
      `Order hash ${accepted.hash}${expiry === 0n ? "" : `, expires ${when(expiry)}`}.`,
    ],
  };
}

/** The exchange's ORDER_PRICE_OUTSIDE_BAND with today's band added to its sentence (when the book answers). */
async function withBand(session: Session, product: string, err: DomainError): Promise<DomainError> {
  try {
    const { band } = await session.exchange().book(product, 1);
    return new DomainError(
      err.code,
      `${err.message} Today's band of ${product}: ${price(band.low)} – ${price(band.high)}.`,
      err.kind,
      err.details,
    );
  } catch {
    return err;
  }
}

function statusSentence(o: OrderView): string {
  const filled = `${formatAmount("allowance", o.filled)} of ${formatAmount("allowance", o.quantity)} filled`;
  switch (o.status) {
    case "open":
      return `OPEN, resting in the book: ${filled}. Cancel with: ets order cancel ${o.nonce}`;
    case "filled":
      return `FILLED: ${filled}.`;
    case "unfilled":
      return o.timeInForce === "FOK"
        ? "UNFILLED: the book could not fill it completely at once, so nothing traded (FOK)."
        : `done: ${filled}; the rest was cancelled (IOC).`;
    case "cancelled":
      return `CANCELLED: ${filled} (self-trade prevention: it would have traded with your own order).`;
    default:
      return `${o.status.toUpperCase()}: ${filled}.`;
  }
}

/** `--expires`: a duration from now, or a date or time; in the future. */
export function parseExpiry(input: string, now: bigint): bigint {
  let at: bigint;
  try {
    at = /^\s*\d+\s*[smhd]?\s*$/i.test(input) ? now + parseDuration(input, "expiry") : parseDate(input, "expiry");
  } catch {
    throw clientError(
      "INVALID_EXPIRY",
      `--expires "${input}" is neither a duration (90s, 15m, 26h, 2d) nor a date or time (2014-06-30, 2014-06-30T15:00:00+08:00).`,
      { field: "expiry" },
    );
  }
  if (at <= now) {
    throw clientError("INVALID_EXPIRY", `--expires "${input}" is not in the future (now ${when(now)}).`, {
      field: "expiry",
    });
  }
  return at;
}

// ─────────────────────────────────────────── cancelling ──────────────────────────────────────────

async function cancelAtExchange(session: Session, nonce: bigint): Promise<CommandResult> {
  const sender = session.sender();
  const t = await tradingChain(session);
  const o = await exchangeOrder(session, sender.address, nonce);
  if (!o) {
    throw clientError(
      "ORDER_NOT_FOUND",
      `The exchange has no order of ${sender.address} with nonce ${nonce}; ets order list shows your orders.`,
      { nonce: nonce.toString() },
    );
  }
  requireOpenOrder(o);
  const { wallet } = await session.signer(sender);
  const cancelled = await sendCancel(session, t, wallet, sender.address, nonce);
  return {
    data: { order: orderJson(cancelled) },
    text: [
      `Cancelled order nonce ${nonce} (${cancelled.side} ${formatAmount("allowance", cancelled.quantity)} ${cancelled.product} at ${price(cancelled.price)}): ${formatAmount("allowance", cancelled.filled)} had been filled; what it reserved is released in your trading account.`,
    ],
  };
}

async function cancelOnChain(session: Session, nonce: bigint): Promise<CommandResult> {
  const sender = session.sender();
  const t = await tradingChain(session);
  const [, finished] = await t.clearing.orderState(sender.address, nonce);
  if (finished) {
    throw clientError(
      "ORDER_NOT_OPEN",
      `Order nonce ${nonce} of ${sender.address} is already finished on chain (filled, cancelled, or below your minimum nonce); there is nothing to cancel.`,
      { nonce: nonce.toString() },
    );
  }
  // The order as signed, so that the event names its hash; without the exchange the nonce alone
  // is enough (the contract finishes the nonce).
  let known: OrderView | undefined;
  let reachable = true;
  try {
    known = await exchangeOrder(session, sender.address, nonce);
  } catch (err) {
    if (!(err instanceof DomainError && err.code === "EXCHANGE_UNREACHABLE")) throw err;
    reachable = false;
  }
  const order: Order = known
    ? {
        trader: sender.address,
        token: known.token,
        tokenId: known.tokenId,
        isBuy: known.side === "buy",
        price: known.price,
        quantity: known.quantity,
        timeInForce: TIME_IN_FORCE[known.timeInForce as TimeInForceName] ?? 0,
        nonce,
        expiry: known.expiry,
      }
    : {
        trader: sender.address,
        token: ZeroAddress,
        tokenId: 0n,
        isBuy: false,
        price: 0n,
        quantity: 0n,
        timeInForce: 0,
        nonce,
        expiry: 0n,
      };
  const { wallet } = await session.signer(sender);
  const receipt = await confirmClearing(() => t.clearing.connect(wallet).cancelOrder(order, ZERO_FEE));
  const exchange = known?.status === "open" ? await tellExchange(session, t, wallet, sender.address, [nonce]) : [];
  return {
    data: { nonce: nonce.toString(), onChain: "cancelled", exchange, ...txData(receipt) },
    text: [
      `Cancelled order nonce ${nonce} on chain: it can no longer settle, whatever the exchange does.`,
      ...(reachable
        ? exchangeLines(exchange)
        : ["The exchange could not be reached; its book may still show the order."]),
      txLine(receipt),
    ],
  };
}

async function cancelBelow(session: Session, below: bigint): Promise<CommandResult> {
  const sender = session.sender();
  const t = await tradingChain(session);
  const current = await t.clearing.minNonceOf(sender.address);
  if (below <= current) {
    throw clearingCoded(
      "ClearingNonceNotIncreasing",
      `Every order of ${sender.address} below nonce ${current} is already cancelled on chain; --below must be above ${current}.`,
      { current: current.toString(), requested: below.toString() },
    );
  }
  let open: OrderView[] = [];
  let reachable = true;
  try {
    open = (await session.exchange().orders(sender.address, "open")).filter((o) => o.nonce < below);
  } catch (err) {
    if (!(err instanceof DomainError && err.code === "EXCHANGE_UNREACHABLE")) throw err;
    reachable = false;
  }
  const { wallet } = await session.signer(sender);
  const receipt = await confirmClearing(() => t.clearing.connect(wallet).cancelNoncesBelow(below, ZERO_FEE));
  const exchange = await tellExchange(
    session,
    t,
    wallet,
    sender.address,
    open.map((o) => o.nonce),
  );
  return {
    data: { below: below.toString(), onChain: "cancelled", exchange, ...txData(receipt) },
    text: [
      `Cancelled on chain every order of ${sender.address} with a nonce below ${below}: none of them can settle any more.`,
      ...(reachable ? exchangeLines(exchange) : ["The exchange could not be reached; its book may still show them."]),
      txLine(receipt),
    ],
  };
}

/** The exchange's order of a trader with a nonce, if any. */
async function exchangeOrder(session: Session, trader: string, nonce: bigint): Promise<OrderView | undefined> {
  return (await session.exchange().orders(trader, "all")).find((o) => o.nonce === nonce);
}

function requireOpenOrder(o: OrderView): void {
  if (o.status !== "open") {
    throw clientError(
      "ORDER_NOT_OPEN",
      `Order nonce ${o.nonce} is already ${o.status} (${formatAmount("allowance", o.filled)} of ${formatAmount("allowance", o.quantity)} filled); there is nothing to cancel.`,
      { nonce: o.nonce.toString(), status: o.status },
    );
  }
}

async function sendCancel(
  session: Session,
  t: TradingChain,
  wallet: Parameters<typeof signCancel>[0],
  trader: string,
  nonce: bigint,
): Promise<OrderView> {
  const cancel: Cancel = { trader, nonce, expiry: BigInt(Math.floor(Date.now() / 1000)) + CANCEL_TTL };
  return session.exchange().cancel(cancel, await signCancel(wallet, t.domain, cancel));
}

/**
 * After an on-chain cancellation, takes the orders out of the exchange's book at once: one signed
 * cancellation each, best effort. (The exchange also follows on-chain cancellations; when it got
 * there first, the order is already cancelled and that is what is reported.)
 */
async function tellExchange(
  session: Session,
  t: TradingChain,
  wallet: Parameters<typeof signCancel>[0],
  trader: string,
  nonces: bigint[],
): Promise<{ nonce: string; status: string }[]> {
  const out: { nonce: string; status: string }[] = [];
  for (const nonce of nonces) {
    try {
      const o = await sendCancel(session, t, wallet, trader, nonce);
      out.push({ nonce: nonce.toString(), status: o.status });
    } catch (err) {
      let status = err instanceof DomainError ? `not cancelled: ${err.code}` : "not cancelled";
      if (err instanceof DomainError && err.code === "ORDER_NOT_OPEN") {
        const known = (await session.exchange().orders(trader)).find((o) => o.nonce === nonce);
        if (known?.status === "cancelled") status = "cancelled";
      }
      out.push({ nonce: nonce.toString(), status });
    }
  }
  return out;
}

function exchangeLines(exchange: { nonce: string; status: string }[]): string[] {
  if (exchange.length === 0) return ["The exchange had no open order to take out of its book."];
  return [
    "At the exchange:",
    ...exchange.map((e) => `  nonce ${e.nonce}: ${e.status === "cancelled" ? "taken out of the book" : e.status}`),
  ];
}
