import { big, setting, str, type HandlerContext, type Handlers } from "../context";

const FEE_RECIPIENT = "clearing.feeRecipient";

async function adjust(ctx: HandlerContext, trader: string, tokenAddress: string, tokenId: bigint, delta: bigint) {
  const { state, event, deployment } = ctx;
  const token = deployment.nameOf(tokenAddress) ?? tokenAddress;
  const cur = await state.get("trading_balances", { trader, token, token_id: tokenId });
  const balance = (cur?.balance ?? 0n) + delta;
  if (balance < 0n) throw new Error(`trading balance of ${trader} in ${token}:${tokenId} would go negative`);
  await state.put("trading_balances", { trader, token, token_id: tokenId, balance }, event.blockNumber);
}

/** Clearing: trading-account balances, trades, the fee recipient. */
export const clearingHandlers: Handlers = {
  "Clearing:FeesSet": async ({ state, event }) => {
    await state.put("settings", { key: FEE_RECIPIENT, value: str(event.args, "feeRecipient") }, event.blockNumber);
  },
  "Clearing:Deposited": (ctx) => {
    const a = ctx.event.args;
    return adjust(ctx, str(a, "trader"), str(a, "token"), big(a, "tokenId"), big(a, "amount"));
  },
  "Clearing:Withdrawn": (ctx) => {
    const a = ctx.event.args;
    return adjust(ctx, str(a, "trader"), str(a, "token"), big(a, "tokenId"), -big(a, "amount"));
  },
  "Clearing:TradeSettled": async (ctx) => {
    const { state, event, deployment } = ctx;
    const a = event.args;
    const buyer = str(a, "buyer");
    const seller = str(a, "seller");
    const tokenAddress = str(a, "token");
    const tokenId = big(a, "tokenId");
    const quantity = big(a, "quantity");
    const price = big(a, "price");
    const buyerFee = big(a, "buyerFee");
    const sellerFee = big(a, "sellerFee");
    const cash = deployment.address("CashToken");
    if (!cash) throw new Error("the deployment has no CashToken");
    const notional = quantity * price;
    await adjust(ctx, buyer, cash, 0n, -(notional + buyerFee));
    await adjust(ctx, seller, tokenAddress, tokenId, -quantity);
    await adjust(ctx, seller, cash, 0n, notional - sellerFee);
    await adjust(ctx, buyer, tokenAddress, tokenId, quantity);
    if (buyerFee + sellerFee !== 0n) {
      const recipient = await setting(state, FEE_RECIPIENT);
      if (!recipient) throw new Error(`trade ${big(a, "tradeId")} pays fees but no fee recipient was set`);
      await adjust(ctx, recipient, cash, 0n, buyerFee + sellerFee);
    }
    state.insert("trades", {
      block_number: event.blockNumber,
      log_index: event.logIndex,
      trade_id: big(a, "tradeId"),
      buyer,
      seller,
      token: deployment.nameOf(tokenAddress) ?? tokenAddress,
      token_id: tokenId,
      quantity,
      price,
      buy_order_hash: str(a, "buyOrderHash"),
      sell_order_hash: str(a, "sellOrderHash"),
      buyer_fee: buyerFee,
      seller_fee: sellerFee,
      tx_hash: event.txHash,
      timestamp: event.timestamp,
    });
  },
};
