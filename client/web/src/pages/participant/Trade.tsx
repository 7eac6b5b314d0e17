import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { cashForBuy, tradingAsset } from "../../../../../sdk/clearing";
import { DomainError } from "../../../../../sdk/errors";
import { parseTradedProduct, type BookLevel, type TradedProduct } from "../../../../../sdk/exchange-api";
import { parseAmount } from "../../../../../sdk/input";
import { signOrder, TIME_IN_FORCE, type Order, type TimeInForceName } from "../../../../../sdk/orders";
import { requireActiveAccount, requireProductExists } from "../../../../../sdk/preflight";
import { describeUnits, formatAmount } from "../../../../../sdk/transfers";
import { MarketChart } from "../../components/MarketChart";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import { ServiceError } from "../../lib/errors";
import { exchangeApi } from "../../lib/exchange";
import { tonnes, when, yuan } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import { TradingAccount } from "./Funds";
import { positionOf, requireTradingAvailable, tradingChain } from "./shared";

/** The products the exchange lists (`/v1/products`). */
export async function listProducts(): Promise<string[]> {
  let res: Response;
  try {
    res = await fetch("/v1/products", { headers: { accept: "application/json" } });
  } catch {
    throw new ServiceError("EXCHANGE_UNREACHABLE", "The exchange cannot be reached; try again in a moment.");
  }
  const body = (await res.json().catch(() => undefined)) as { products?: { name: string }[] } | undefined;
  if (!res.ok || !body?.products)
    throw new ServiceError("EXCHANGE_BAD_RESPONSE", `The exchange answered HTTP ${res.status}.`);
  return body.products.map((p) => p.name);
}

/** A price in CNY per tonne: "¥30.25". */
const price = (fen: bigint) => `¥${yuan(fen)}`;

/** Order entry (signed with EIP-712), the book's depth, the price chart and the latest trades of a product. */
export function Trade({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const products = useAsync(listProducts, []);
  const [chosen, setChosen] = useState<string>();
  const list = products.result.value ?? [];
  const product = chosen ?? list[0];
  const [tick, setTick] = useState(0);

  return (
    <>
      <Section
        title={t("trade.title")}
        actions={
          list.length > 0 && (
            <label className="inline">
              {t("trade.product")}{" "}
              <select data-testid="trade-product" value={product} onChange={(e) => setChosen(e.target.value)}>
                {list.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </label>
          )
        }
      >
        <AsyncView result={products.result} reload={products.reload}>
          {(names) =>
            names.length === 0 || !product ? (
              <p className="muted">{t("trade.noProducts")}</p>
            ) : (
              <OrderForm key={product} wallet={wallet} product={product} onDone={() => setTick((x) => x + 1)} />
            )
          }
        </AsyncView>
      </Section>
      {product && (
        <>
          <div className="grid2">
            <Book product={product} refresh={tick} />
            <RecentTrades product={product} refresh={tick} />
          </div>
          <Section title={t("trade.chart", { product })}>
            <MarketChart product={product} />
          </Section>
        </>
      )}
      <TradingAccount wallet={wallet} refresh={tick} />
    </>
  );
}

function OrderForm({ wallet, product, onDone }: { wallet: ConnectedWallet; product: string; onDone: () => void }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const [side, setSide] = useState<"buy" | "sell">("buy");
  const [quantity, setQuantity] = useState("");
  const [priceInput, setPriceInput] = useState("");
  const [tif, setTif] = useState<TimeInForceName | "MARKET">("GTC");
  const action = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      // Syntax first, then the chain, then the exchange; last the signature.
      const traded: TradedProduct = parseTradedProduct(product);
      const qty = parseAmount(quantity, "tonnes", "quantity");
      const market = tif === "MARKET";
      const limit = market ? undefined : parseAmount(priceInput, "yuan", "price");
      const timeInForce: TimeInForceName = market ? "IOC" : tif;
      const isBuy = side === "buy";
      const tc = tradingChain(chain);
      await requireProductExists(chain.contracts, traded);
      await requireActiveAccount(chain.contracts.registry, wallet.address, "Trader");
      const api = exchangeApi();
      const [account, book] = await Promise.all([
        api.account(wallet.address),
        market ? api.book(product, 1) : Promise.resolve(undefined),
      ]);
      const orderPrice = limit ?? (book ? (isBuy ? book.band.high : book.band.low) : 0n);
      const what = describeUnits(traded, qty);
      const asset = tradingAsset(chain.manifest, traded);
      if (isBuy) {
        const [makerFee, takerFee] = await tc.clearing.fees();
        const needed = cashForBuy(orderPrice, qty, makerFee > takerFee ? makerFee : takerFee);
        const cash = tradingAsset(chain.manifest, { kind: "cash" });
        requireTradingAvailable(
          wallet.address,
          { kind: "cash" },
          positionOf(account, cash.token, cash.tokenId),
          needed,
          `Buying ${what} at ${price(orderPrice)}/t needs ${formatAmount("cash", needed)} (price × quantity plus fees)`,
        );
      } else {
        requireTradingAvailable(
          wallet.address,
          traded,
          positionOf(account, asset.token, asset.tokenId),
          qty,
          `Selling ${what} needs ${formatAmount(traded, qty)}`,
        );
      }
      const order: Order = {
        trader: wallet.address,
        token: asset.token,
        tokenId: asset.tokenId,
        isBuy,
        price: orderPrice,
        quantity: qty,
        timeInForce: TIME_IN_FORCE[timeInForce],
        nonce: account.nextNonce,
        expiry: 0n,
      };
      const signed = await signOrder(wallet.signer, tc.domain, order);
      const { order: accepted, trades } = await api.submitOrder(signed).catch(async (err: unknown) => {
        if (err instanceof DomainError && err.code === "ORDER_PRICE_OUTSIDE_BAND") {
          const band = await api.book(product, 1).then(
            (b) => b.band,
            () => undefined,
          );
          if (band) {
            throw new DomainError(
              err.code,
              `${err.message} Today's band of ${product}: ${price(band.low)} – ${price(band.high)}.`,
              err.kind,
              err.details,
            );
          }
        }
        throw err;
      });
      setQuantity("");
      onDone();
      return t("trade.accepted", {
        nonce: accepted.nonce.toString(),
        side: t(`trade.${accepted.side}`),
        what,
        price: price(accepted.price),
        status: t(`status.${accepted.status}`, { defaultValue: accepted.status }),
        filled: tonnes(accepted.filled),
        trades: trades.length,
      });
    });
  };

  return (
    <>
      <form onSubmit={submit} data-testid="order-form">
        <div className="form-row">
          <label>
            {t("trade.side")}
            <select data-testid="order-side" value={side} onChange={(e) => setSide(e.target.value as "buy" | "sell")}>
              <option value="buy">{t("trade.buy")}</option>
              <option value="sell">{t("trade.sell")}</option>
            </select>
          </label>
          <label>
            {t("trade.quantity")}
            <input
              data-testid="order-quantity"
              inputMode="numeric"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
            />
          </label>
          <label>
            {t("trade.price")}
            <input
              data-testid="order-price"
              inputMode="decimal"
              value={tif === "MARKET" ? "" : priceInput}
              disabled={tif === "MARKET"}
              placeholder={tif === "MARKET" ? t("trade.marketPrice") : "30.00"}
              onChange={(e) => setPriceInput(e.target.value)}
            />
          </label>
          <label>
            {t("trade.tif")}
            <select
              data-testid="order-tif"
              value={tif}
              onChange={(e) => setTif(e.target.value as TimeInForceName | "MARKET")}
            >
              <option value="GTC">{t("trade.gtc")}</option>
              <option value="IOC">{t("trade.ioc")}</option>
              <option value="FOK">{t("trade.fok")}</option>
              <option value="MARKET">{t("trade.market")}</option>
            </select>
          </label>
        </div>
        <button type="submit" data-testid="order-submit" disabled={action.busy}>
          {t("trade.sign")}
        </button>
      </form>
      <div data-testid="order-status">
        <ActionStatus action={action} />
      </div>
    </>
  );
}

function Levels({ levels, testId }: { levels: BookLevel[]; testId: string }) {
  const { t } = useTranslation("participant");
  return (
    <Table
      testId={testId}
      head={[t("trade.price"), t("trade.quantity"), t("trade.orders")]}
      rows={levels.map((l) => [price(l.price), tonnes(l.quantity), String(l.orders)])}
    />
  );
}

function Book({ product, refresh }: { product: string; refresh: number }) {
  const { t } = useTranslation("participant");
  const { result, reload } = useAsync(() => exchangeApi().book(product, 10), [product, refresh], 5_000);
  return (
    <Section title={t("trade.book", { product })}>
      <AsyncView result={result} reload={reload}>
        {(b) => (
          <>
            <p className="muted" data-testid="book-band">
              {t("trade.band", { low: price(b.band.low), high: price(b.band.high) })}
              {b.halted && <span className="pill bad">{t("trade.halted")}</span>}
            </p>
            <h3>{t("trade.asks")}</h3>
            <Levels levels={[...b.asks].reverse()} testId="book-asks" />
            <h3>{t("trade.bids")}</h3>
            <Levels levels={b.bids} testId="book-bids" />
          </>
        )}
      </AsyncView>
    </Section>
  );
}

function RecentTrades({ product, refresh }: { product: string; refresh: number }) {
  const { t } = useTranslation("participant");
  const { result, reload } = useAsync(() => exchangeApi().trades({ product, limit: 15 }), [product, refresh], 5_000);
  return (
    <Section title={t("trade.recent")}>
      <AsyncView result={result} reload={reload}>
        {(trades) => (
          <Table
            testId="recent-trades"
            head={[t("trade.time"), t("trade.price"), t("trade.quantity"), t("trade.settlement")]}
            rows={trades.map((tr) => [
              <span title={when(tr.at)}>{new Date(tr.at * 1000).toLocaleTimeString()}</span>,
              price(tr.price),
              tonnes(tr.quantity),
              t(`settlement.${tr.settlement}`, { defaultValue: tr.settlement }),
            ])}
          />
        )}
      </AsyncView>
    </Section>
  );
}
