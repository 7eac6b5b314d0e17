import type { DailyBar } from "../engine/market-data";
import type { DepthLevel } from "../engine/types";
import type { LiveOrder, ProductInfo, Trade } from "../exchange/core";
import type { Position } from "../exchange/accounts";

/** API views: amounts as decimal strings, as ARCHITECTURE.md fixes. */
export function presentOrder(o: LiveOrder) {
  return {
    hash: o.hash,
    trader: o.order.trader,
    product: o.product.name,
    token: o.order.token,
    tokenId: o.order.tokenId.toString(),
    side: o.order.isBuy ? "buy" : "sell",
    price: o.order.price.toString(),
    quantity: o.order.quantity.toString(),
    filled: o.filled.toString(),
    timeInForce: ["GTC", "IOC", "FOK"][o.order.timeInForce],
    nonce: o.order.nonce.toString(),
    expiry: o.order.expiry.toString(),
    status: o.status,
    acceptedAt: o.acceptedAt,
  };
}

export function presentTrade(t: Trade, buyer: string, seller: string, settlement: "pending" | "settled" | "rejected") {
  return {
    tradeId: t.tradeId.toString(),
    product: t.product.name,
    price: t.price.toString(),
    quantity: t.quantity.toString(),
    buyer,
    seller,
    /** `continuous` (matched in the book) or `block` (a block deal: the buyer counts as the aggressor). */
    kind: t.block ? "block" : "continuous",
    aggressor: t.buyerIsMaker ? "sell" : "buy",
    buyerFee: t.buyerFee.toString(),
    sellerFee: t.sellerFee.toString(),
    at: t.at,
    settlement,
  };
}

export function presentProduct(p: ProductInfo) {
  return { name: p.name, token: p.token, tokenId: p.tokenId.toString() };
}

export function presentPosition(asset: string, p: Position) {
  const [token, tokenId] = asset.split(":");
  return {
    token,
    tokenId,
    balance: p.balance.toString(),
    reserved: p.reserved.toString(),
    available: (p.balance - p.reserved).toString(),
  };
}

/** One price level of a book. */
export function presentLevel(l: DepthLevel) {
  return { price: String(l.price), quantity: String(l.quantity), orders: l.orders };
}

/** A closed day's bar: prices in fen, volumes in tonnes, turnover in fen (decimal strings). */
export function presentBar(b: DailyBar) {
  return {
    open: String(b.open),
    high: String(b.high),
    low: String(b.low),
    close: String(b.close),
    volume: String(b.volume),
    turnover: String(b.turnover),
    trades: b.trades,
    blockVolume: String(b.blockVolume),
    previousClose: String(b.previousClose),
  };
}
