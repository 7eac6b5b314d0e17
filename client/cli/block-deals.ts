import fs from "node:fs";
import type { Command } from "commander";
import { verifyTypedData } from "ethers";
import { z } from "zod";
import { cashForBuy, tradingAsset } from "../../sdk/clearing";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { exchangeProductName, orderViewSchema, tradeViewSchema } from "../../sdk/exchange-api";
import { parseAmount } from "../../sdk/input";
import { ORDER_TYPES, signOrder, TIME_IN_FORCE, type Order, type SignedOrder } from "../../sdk/orders";
import { requireActiveAccount, requireProductExists } from "../../sdk/preflight";
import { describeUnits, formatAmount } from "../../sdk/transfers";
import { formatYuan } from "../../sdk/units";
import { toJson, when, type CommandResult } from "./format";
import { parseExpiry } from "./orders";
import type { Action } from "./program";
import type { Session } from "./session";
import {
  depositHint,
  orderJson,
  positionOf,
  postToExchange,
  price,
  requireTradingAvailable,
  tradedProductFromOptions,
  tradeJson,
  tradeLine,
  tradingChain,
} from "./trading";

/**
 * `ets order block buy|sell`: a block deal (大宗协议交易, ≥ 100,000 t by default, within ±30 % of
 * the previous close) agreed between two traders outside the book. The signed order type names no
 * counterparty, so a deal is its two signed orders submitted together: one party signs its order
 * and hands the file to the other (`--out`), who signs the opposite order with the same terms and
 * submits both (`--counter`).
 */

interface BlockOptions {
  vintage?: string;
  ccer?: string;
  price?: string;
  expires?: string;
  counter?: string;
  out?: string;
}

/** Default life of a signed block order: long enough to hand over, short enough not to linger. */
const DEFAULT_EXPIRES = "1h";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const whole = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => BigInt(v));
const signedOrderFile = z.object({
  order: z
    .object({
      trader: address,
      token: address,
      tokenId: whole,
      isBuy: z.boolean(),
      price: whole,
      quantity: whole,
      timeInForce: z.number().int().min(0).max(2),
      nonce: whole,
      expiry: whole,
    })
    .strict(),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
});

const dealResultSchema = z.object({ trade: tradeViewSchema, buy: orderViewSchema, sell: orderViewSchema });

export function registerBlockDealCommand(order: Command, action: Action): void {
  order
    .command("block")
    .description(
      "a block deal with a named counterparty, outside the book (≥ 100,000 t, within ±30 % of the previous close): sign your side for the counterparty (--out), or sign the opposite side of their signed order and submit both (--counter)",
    )
    .argument("<side>", "buy or sell")
    .argument("<quantity>", "whole tonnes")
    .option("--vintage <year>", "allowances of a vintage: 2014 or TJEA14")
    .option("--ccer <batch>", "CCER of an issuance batch: 3 or CCER-3")
    .option("--price <CNY>", "the agreed price per tonne in CNY, e.g. 28.00")
    .option(
      "--expires <when>",
      `how long your signed order stays valid: a duration or a date (default ${DEFAULT_EXPIRES})`,
    )
    .option("--counter <file>", "the counterparty's signed order: sign the opposite side and submit the deal")
    .option("--out <file>", "write your signed order to this file (owner-only) for the counterparty")
    .action(
      action((session, [side, quantity], opts) => blockDeal(session, side ?? "", quantity ?? "", opts as BlockOptions)),
    );
}

async function blockDeal(
  session: Session,
  sideInput: string,
  quantityInput: string,
  opts: BlockOptions,
): Promise<CommandResult> {
  // Syntax first.
  const side = sideInput.trim().toLowerCase();
  if (side !== "buy" && side !== "sell") {
    throw clientError("INVALID_USAGE", `The side "${sideInput}" is neither buy nor sell: ets order block buy|sell …`);
  }
  const product = tradedProductFromOptions(opts);
  const quantity = parseAmount(quantityInput, "tonnes", "quantity");
  if (opts.price === undefined) {
    throw clientError("INVALID_USAGE", "Give the agreed price per tonne: --price <CNY> (e.g. 28.00).");
  }
  const limit = parseAmount(opts.price, "yuan", "price");
  if (opts.counter !== undefined && opts.out !== undefined) {
    throw clientError(
      "INVALID_USAGE",
      "Give --counter (submit the deal) or --out (sign your side for the counterparty), not both.",
    );
  }
  const isBuy = side === "buy";
  const counter = opts.counter === undefined ? undefined : readSignedOrder(opts.counter);

  // Then the wallet folder and the chain.
  const sender = session.sender();
  const t = await tradingChain(session);
  const asset = tradingAsset(t.chain.manifest, product);
  const name = exchangeProductName(product);
  if (counter)
    requireCounterpart(counter, { isBuy, token: asset.token, tokenId: asset.tokenId, limit, quantity, name });
  if (counter) requireCounterpartSignature(counter, t.domain, sender.address);
  const expiry = parseExpiry(opts.expires ?? DEFAULT_EXPIRES, await session.chainNow());
  await requireProductExists(t.chain.contracts, product);
  await requireActiveAccount(t.chain.contracts.registry, sender.address, "Trader");

  // Then the exchange: the nonce and the trading balance.
  const api = session.exchange();
  const account = await api.account(sender.address);
  const what = describeUnits(product, quantity);
  if (isBuy) {
    const [makerFee, takerFee] = await t.clearing.fees();
    const needed = cashForBuy(limit, quantity, makerFee > takerFee ? makerFee : takerFee);
    const cash = tradingAsset(t.chain.manifest, { kind: "cash" });
    requireTradingAvailable(
      sender.address,
      { kind: "cash" },
      positionOf(account, cash.token, cash.tokenId),
      needed,
      `Buying ${what} at ${price(limit)} needs ${formatAmount("cash", needed)} (price × quantity plus fees)`,
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

  // Last the password and the signature. FOK: should the signed order ever reach the book instead,
  // it trades in full at once or not at all.
  const { wallet } = await session.signer(sender);
  const mine = await signOrder(wallet, t.domain, {
    trader: sender.address,
    token: asset.token,
    tokenId: asset.tokenId,
    isBuy,
    price: limit,
    quantity,
    timeInForce: TIME_IN_FORCE.FOK,
    nonce: account.nextNonce,
    expiry,
  });

  if (!counter) {
    const text = toJson(mine);
    if (opts.out !== undefined) writeOwnerOnly(opts.out, `${text}\n`);
    const other = isBuy ? "sell" : "buy";
    return {
      data: { signedOrder: JSON.parse(text) as unknown, ...(opts.out !== undefined ? { file: opts.out } : {}) },
      text: [
        `Signed a block-deal ${side} order: ${what} at ${price(limit)}, nonce ${mine.order.nonce}, valid until ${when(expiry)}.`,
        opts.out !== undefined
          ? `Written to ${opts.out}. Give it to the counterparty; they submit the deal with:`
          : "Give this signed order to the counterparty:",
        ...(opts.out !== undefined ? [] : [`  ${text}`]),
        `  ets order block ${other} ${quantity} --${product.kind === "ccer" ? `ccer ${product.batch}` : `vintage ${product.vintage}`} --price ${formatYuan(limit)} --counter <file> --from <their wallet>`,
        `Until then, place no other order from this wallet: it would take nonce ${mine.order.nonce} first, and the deal would be refused (ORDER_NONCE_REUSED).`,
      ],
    };
  }

  const pair = isBuy ? { buy: mine, sell: counter } : { buy: counter, sell: mine };
  const r = await postToExchange(session, "/v1/block-deals", pair, dealResultSchema);
  return {
    data: { trade: tradeJson(session, r.trade), buy: orderJson(r.buy), sell: orderJson(r.sell) },
    text: [
      `Block deal done: ${what} at ${price(r.trade.price)}, outside the book (settled on chain in the next batch).`,
      `  ${tradeLine(session, r.trade, sender.address)}`,
      `Buy order nonce ${r.buy.nonce} of ${r.buy.trader}, sell order nonce ${r.sell.nonce} of ${r.sell.trader}: both filled.`,
    ],
  };
}

/** The counterparty's signed order from a file (as `--out` writes it). */
function readSignedOrder(file: string): SignedOrder {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw clientError("FILE_UNREADABLE", `The counterparty's signed order ${file} cannot be read.`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = signedOrderFile.safeParse(json);
  if (!parsed.success) {
    throw clientError(
      "FILE_UNREADABLE",
      `${file} is not a signed order as \`ets order block … --out\` writes it ({ "order": {…}, "signature": "0x…" }).`,
      { file },
    );
  }
  return parsed.data;
}

/** The counterparty's order must be the opposite side of the same terms (what the exchange checks too). */
function requireCounterpart(
  counter: SignedOrder,
  mine: { isBuy: boolean; token: string; tokenId: bigint; limit: bigint; quantity: bigint; name: string },
): void {
  const o = counter.order;
  const differ: string[] = [];
  if (o.isBuy === mine.isBuy) differ.push(`side (both ${mine.isBuy ? "buy" : "sell"})`);
  if (o.token.toLowerCase() !== mine.token.toLowerCase() || o.tokenId !== mine.tokenId)
    differ.push(`product (theirs is not ${mine.name})`);
  if (o.price !== mine.limit) differ.push(`price (theirs ${price(o.price)}, yours ${price(mine.limit)})`);
  if (o.quantity !== mine.quantity)
    differ.push(
      `quantity (theirs ${formatAmount("allowance", o.quantity)}, yours ${formatAmount("allowance", mine.quantity)})`,
    );
  if (differ.length > 0) {
    throw new DomainError(
      "BLOCK_DEAL_ORDERS_MISMATCHED",
      `The counterparty's order does not match the deal you describe: ${differ.join("; ")}. Nothing was signed.`,
      "validation",
      { fields: differ },
    );
  }
}

/** Their signature must be their trader's (EOA wallets; checked again by the exchange), and not you. */
function requireCounterpartSignature(
  counter: SignedOrder,
  domain: Parameters<typeof verifyTypedData>[0],
  me: string,
): void {
  const o: Order = counter.order;
  if (o.trader.toLowerCase() === me.toLowerCase()) {
    throw new DomainError(
      "BLOCK_DEAL_SAME_TRADER",
      `The counterparty's order is your own (${me}); a block deal is between two different traders.`,
      "validation",
    );
  }
  let signer: string;
  try {
    signer = verifyTypedData(domain, ORDER_TYPES, o, counter.signature);
  } catch {
    signer = "";
  }
  if (signer.toLowerCase() !== o.trader.toLowerCase()) {
    throw new DomainError(
      "ORDER_SIGNATURE_INVALID",
      `The counterparty's order is not signed by its trader ${o.trader} for this chain and Clearing contract. Nothing was signed.`,
      "unauthorised",
    );
  }
}

function writeOwnerOnly(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  } catch (err) {
    throw clientError("FILE_UNREADABLE", `${file} cannot be written: ${(err as Error).message}.`, { file });
  }
}
