import type { MarketDay } from "../../components/MarketChart";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { MarketChart } from "../../components/MarketChart";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import { gql } from "../../lib/graphql";
import { shortAddress, tonnes, when, yuan } from "../../lib/format";
import { Bars, ExportButton, Pager } from "./parts";
import { useRegulatorSession } from "./session";

interface TradeRow {
  id: string;
  product: string;
  buyer: string;
  seller: string;
  buyerEntityId: string | null;
  sellerEntityId: string | null;
  quantity: string;
  price: string;
  notional: string;
  timestamp: number;
}

type Day = MarketDay;

const TRADES = `query Trades($where: TradeWhere, $first: Int, $after: String) {
  trades(where: $where, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id product buyer seller buyerEntityId sellerEntityId quantity price notional timestamp } }
  }
}`;
const TRADES_CSV = `query TradesCsv($where: TradeWhere) { trades(where: $where, first: 500) { edges { node {
  id product day timestamp buyer buyerEntityId seller sellerEntityId quantity price notional buyerFee sellerFee txHash } } } }`;
const MARKET = `query Market($product: String!) { market(product: $product) { tradingDay lastPrice previousClose } }`;
const DAYS = `query Days($product: String!, $from: String!, $to: String!) {
  marketData(product: $product, from: $from, to: $to) { day open high low close volume notional tradeCount }
}`;

/** `YYYY-MM-DD` `days` before `day` (calendar arithmetic in UTC). */
function daysBefore(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/**
 * The products with allowances on chain (public `supplies`), newest vintage first, and the one the
 * page opens on: that of the latest trade, else the newest vintage.
 */
function useProducts(): { list: string[]; initial: string } | undefined {
  const session = useRegulatorSession();
  const [products, setProducts] = useState<{ list: string[]; initial: string }>();
  useEffect(() => {
    let live = true;
    Promise.all([
      gql<{ supplies: { product: string; tokenId: string }[] }>("{ supplies { product tokenId } }"),
      session
        .query<{ trades: { edges: { node: { product: string } }[] } }>(
          "{ trades(first: 1) { edges { node { product } } } }",
        )
        .catch(() => undefined),
    ]).then(
      ([d, latest]) => {
        const list = [...d.supplies].sort((a, b) => Number(b.tokenId) - Number(a.tokenId)).map((s) => s.product);
        if (live) setProducts({ list, initial: latest?.trades.edges[0]?.node.product ?? list[0] ?? "" });
      },
      () => live && setProducts({ list: [], initial: "" }),
    );
    return () => {
      live = false;
    };
  }, [session]);
  return products;
}

/** Market overview: the daily bars and volumes of a product, and the settled trades. */
export function Market() {
  const { t } = useTranslation("regulator");
  const products = useProducts();
  const [product, setProduct] = useState<string>();
  const chosen = product ?? products?.initial ?? "";
  return (
    <>
      <div className="toolbar">
        <label className="stacked">
          {t("market.product")}
          <select value={chosen} onChange={(e) => setProduct(e.target.value)} data-testid="market-product">
            <option value="">{t("market.allProducts")}</option>
            {(products?.list ?? []).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
      </div>
      {chosen && (
        <Section title={t("market.chart", { product: chosen })}>
          <MarketChart product={chosen} />
        </Section>
      )}
      {chosen && <Volumes product={chosen} />}
      <Trades key={chosen} product={chosen} />
    </>
  );
}

function Volumes({ product }: { product: string }) {
  const { t } = useTranslation("regulator");
  const { result, reload } = useAsync(
    async () => {
      const { market } = await gql<{
        market: { tradingDay: string; lastPrice: string; previousClose: string | null } | null;
      }>(MARKET, { product });
      if (!market) return { market: null, days: [] as Day[] };
      const { marketData } = await gql<{ marketData: Day[] }>(DAYS, {
        product,
        from: daysBefore(market.tradingDay, 120),
        to: market.tradingDay,
      });
      return { market, days: marketData };
    },
    [product],
    15_000,
  );
  return (
    <AsyncView result={result} reload={reload}>
      {({ market, days }) => (
        <Section title={t("market.turnover", { product })}>
          {!market ? (
            <p className="muted">{t("market.noTrades", { product })}</p>
          ) : (
            <>
              <p>
                {t("market.last", { price: yuan(market.lastPrice) })}
                {market.previousClose && (
                  <span className="muted"> · {t("market.previousClose", { price: yuan(market.previousClose) })}</span>
                )}
              </p>
              <Bars
                testId="market-turnover"
                format={(v) => `¥${yuan(v)}`}
                rows={days
                  .slice(-20)
                  .reverse()
                  .map((d) => ({
                    label: d.day,
                    value: BigInt(d.notional),
                    title: t("market.tradesOfDay", { n: d.tradeCount }),
                  }))}
              />
            </>
          )}
        </Section>
      )}
    </AsyncView>
  );
}

function Trades({ product }: { product: string }) {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const where = product ? { product } : {};
  const { result, reload } = useAsync(
    () =>
      session.query<{
        trades: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: TradeRow }[];
        };
      }>(TRADES, { where, first: 25, after }),
    [session, product, after],
    15_000,
  );
  const party = (wallet: string, entity: string | null) =>
    entity ? (
      <Link to={`/regulator/entity/${entity}`} title={wallet}>
        {entity}
      </Link>
    ) : (
      <span className="mono">{shortAddress(wallet)}</span>
    );
  return (
    <AsyncView result={result} reload={reload}>
      {({ trades }) => (
        <Section
          title={t("market.trades", { count: trades.totalCount })}
          actions={<ExportButton query={TRADES_CSV} variables={{ where }} file="trades.csv" testId="trades-export" />}
        >
          <Table
            testId="trades-table"
            head={[
              t("market.tradeId"),
              t("market.time"),
              t("market.product"),
              t("market.buyer"),
              t("market.seller"),
              t("market.quantity"),
              t("market.price"),
              t("market.notional"),
            ]}
            rows={trades.edges.map(({ node: tr }) => [
              tr.id,
              when(tr.timestamp),
              tr.product,
              party(tr.buyer, tr.buyerEntityId),
              party(tr.seller, tr.sellerEntityId),
              tonnes(tr.quantity),
              yuan(tr.price),
              `¥${yuan(tr.notional)}`,
            ])}
          />
          <Pager
            page={cursors.length}
            hasNext={trades.pageInfo.hasNextPage}
            onNext={() => setCursors([...cursors, trades.pageInfo.endCursor])}
            onPrev={cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined}
          />
        </Section>
      )}
    </AsyncView>
  );
}
