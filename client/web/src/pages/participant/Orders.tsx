import { useTranslation } from "react-i18next";
import { clientError } from "../../../../../sdk/client-errors";
import type { OrderView } from "../../../../../sdk/exchange-api";
import { confirmClearing } from "../../../../../sdk/clearing";
import { DomainError } from "../../../../../sdk/errors";
import { signCancel, TIME_IN_FORCE, type Cancel, type Order, type TimeInForceName } from "../../../../../sdk/orders";
import { ZERO_FEE } from "../../../../../sdk/send";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import { exchangeApi } from "../../lib/exchange";
import { shortAddress, tonnes, when, yuan } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import { tradingChain } from "./shared";

/** How long a signed cancellation stays valid (seconds), as the CLI does. */
const CANCEL_TTL = 300n;

/** The connected trader's orders (with cancel of an open one) and trades at the exchange. */
export function Orders({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const me = wallet.address.toLowerCase();
  const { result, reload } = useAsync(
    async () => {
      const api = exchangeApi();
      const [orders, trades] = await Promise.all([api.orders(wallet.address, "all"), api.trades({ limit: 1000 })]);
      return {
        orders: [...orders].reverse(),
        trades: trades.filter((tr) => tr.buyer.toLowerCase() === me || tr.seller.toLowerCase() === me),
      };
    },
    [wallet.address],
    5_000,
  );
  const cancel = useAction();

  const cancelOrder = (o: OrderView) =>
    cancel.run(async () => {
      const api = exchangeApi();
      const current = (await api.orders(wallet.address, "all")).find((x) => x.nonce === o.nonce);
      if (!current || current.status !== "open") {
        throw clientError(
          "ORDER_NOT_OPEN",
          `Order nonce ${o.nonce} is already ${current?.status ?? "gone"}; there is nothing to cancel.`,
          { nonce: o.nonce.toString() },
        );
      }
      const c: Cancel = {
        trader: wallet.address,
        nonce: o.nonce,
        expiry: BigInt(Math.floor(Date.now() / 1000)) + CANCEL_TTL,
      };
      const cancelled = await api.cancel(c, await signCancel(wallet.signer, tradingChain(chain).domain, c));
      reload();
      return t("orders.cancelled", { nonce: cancelled.nonce.toString(), filled: tonnes(cancelled.filled) });
    });

  // On chain (Clearing.cancelOrder): the order can never settle, whatever the exchange does; then
  // the exchange is asked to take it out of its book (best effort), as `ets order cancel --on-chain`.
  const cancelOnChain = (o: OrderView) =>
    cancel.run(async () => {
      const tc = tradingChain(chain);
      const [, finished] = await tc.clearing.orderState(wallet.address, o.nonce);
      if (finished) {
        throw clientError(
          "ORDER_NOT_OPEN",
          `Order nonce ${o.nonce} is already finished on chain (filled, cancelled, or below your minimum nonce).`,
          { nonce: o.nonce.toString() },
        );
      }
      const order: Order = {
        trader: wallet.address,
        token: o.token,
        tokenId: o.tokenId,
        isBuy: o.side === "buy",
        price: o.price,
        quantity: o.quantity,
        timeInForce: TIME_IN_FORCE[o.timeInForce as TimeInForceName] ?? 0,
        nonce: o.nonce,
        expiry: o.expiry,
      };
      const receipt = await confirmClearing(() => tc.clearing.connect(wallet.signer).cancelOrder(order, ZERO_FEE));
      const c: Cancel = {
        trader: wallet.address,
        nonce: o.nonce,
        expiry: BigInt(Math.floor(Date.now() / 1000)) + CANCEL_TTL,
      };
      await exchangeApi()
        .cancel(c, await signCancel(wallet.signer, tc.domain, c))
        .catch((err: unknown) => {
          // The exchange follows on-chain cancellations too: it may have been first.
          if (!(err instanceof DomainError && err.code === "ORDER_NOT_OPEN")) throw err;
        });
      reload();
      return t("orders.cancelledOnChain", { nonce: o.nonce.toString(), block: receipt.blockNumber });
    });

  return (
    <AsyncView result={result} reload={reload}>
      {(v) => (
        <>
          <Section title={t("orders.title")}>
            <div data-testid="orders-status">
              <ActionStatus action={cancel} />
            </div>
            <Table
              testId="my-orders"
              head={[
                t("orders.nonce"),
                t("trade.product"),
                t("trade.side"),
                t("trade.price"),
                t("trade.quantity"),
                t("orders.filled"),
                t("trade.tif"),
                t("orders.status"),
                t("orders.accepted"),
                "",
              ]}
              rows={v.orders.map((o) => [
                o.nonce.toString(),
                o.product,
                t(`trade.${o.side}`),
                `¥${yuan(o.price)}`,
                tonnes(o.quantity),
                tonnes(o.filled),
                o.timeInForce,
                <span className={o.status === "open" ? "pill" : "pill muted-pill"}>
                  {t(`status.${o.status}`, { defaultValue: o.status })}
                </span>,
                when(o.acceptedAt),
                o.status === "open" ? (
                  <span className="row-actions">
                    <button
                      type="button"
                      className="secondary"
                      disabled={cancel.busy}
                      data-testid={`order-cancel-${o.nonce}`}
                      onClick={() => void cancelOrder(o)}
                    >
                      {t("orders.cancel")}
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={cancel.busy}
                      data-testid={`order-cancel-chain-${o.nonce}`}
                      title={t("orders.onChainHelp")}
                      onClick={() => void cancelOnChain(o)}
                    >
                      {t("orders.cancelOnChain")}
                    </button>
                  </span>
                ) : (
                  ""
                ),
              ])}
            />
          </Section>
          <Section title={t("orders.trades")}>
            <p className="muted">{t("orders.tradesNote")}</p>
            <Table
              testId="my-trades"
              head={[
                t("orders.tradeId"),
                t("trade.time"),
                t("trade.product"),
                t("trade.side"),
                t("trade.price"),
                t("trade.quantity"),
                t("orders.counterparty"),
                t("orders.fee"),
                t("trade.settlement"),
              ]}
              rows={v.trades.map((tr) => {
                const bought = tr.buyer.toLowerCase() === me;
                const other = bought ? tr.seller : tr.buyer;
                return [
                  tr.tradeId.toString(),
                  when(tr.at),
                  tr.product,
                  t(bought ? "trade.buy" : "trade.sell"),
                  `¥${yuan(tr.price)}`,
                  tonnes(tr.quantity),
                  <span className="mono" title={other}>
                    {shortAddress(other)}
                  </span>,
                  `¥${yuan(bought ? tr.buyerFee : tr.sellerFee)}`,
                  <span data-testid={`trade-settlement-${tr.tradeId}`}>
                    {t(`settlement.${tr.settlement}`, { defaultValue: tr.settlement })}
                  </span>,
                ];
              })}
            />
          </Section>
        </>
      )}
    </AsyncView>
  );
}
