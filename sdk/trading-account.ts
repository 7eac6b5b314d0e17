import { clearingCoded } from "./clearing";
import type { AccountView, PositionView } from "./exchange-api";
import { describeUnits, formatAmount, type Product } from "./transfers";

/** The position of an asset in the exchange's account view (zero when the exchange has none). */
export function positionOf(account: AccountView, token: string, tokenId: bigint): PositionView {
  const t = token.toLowerCase();
  return (
    account.positions.find((p) => p.token.toLowerCase() === t && p.tokenId === tokenId) ?? {
      token: t,
      tokenId,
      balance: 0n,
      reserved: 0n,
      available: 0n,
    }
  );
}

/**
 * Requires that the trading account at the exchange has `needed` of a product available (balance
 * less what open orders and pending withdrawals reserve): INSUFFICIENT_TRADING_BALANCE otherwise,
 * with `lead` ("The order needs CNY 3,054.00 (price × quantity plus fees)") and `hint` (how to add
 * some) in the sentence. Checked before anything is signed, as the exchange checks it.
 */
export function requireTradingAvailable(
  trader: string,
  product: Product,
  position: PositionView,
  needed: bigint,
  lead: string,
  hint = "",
): void {
  if (position.available >= needed) return;
  const reserved =
    position.reserved > 0n
      ? ` (balance ${formatAmount(product, position.balance)}, reserved by open orders and withdrawals ${formatAmount(product, position.reserved)})`
      : "";
  throw clearingCoded(
    "ClearingInsufficientBalance",
    `${lead}, but the trading account of ${trader} at the exchange has ${describeUnits(product, position.available)} available${reserved}.${hint ? ` ${hint}` : ""}`,
    { available: position.available.toString(), needed: needed.toString() },
  );
}
