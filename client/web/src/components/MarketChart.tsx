/**
 * Daily candlesticks and volumes of one product from the indexer's public `marketData`, drawn
 * with lightweight-charts, and the latest days as a table (readable without the chart, on a
 * phone or by a screen reader). Prices stay integers in fen; the axis shows them as yuan.
 */
import {
  CandlestickSeries,
  ColorType,
  HistogramSeries,
  createChart,
  type IChartApi,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { gql } from "../lib/graphql";
import { tonnes, yuan } from "../lib/format";
import { AsyncView, Table, useAsync } from "./ui";

export interface MarketDay {
  day: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  notional: string;
  tradeCount: number;
}

const MARKET_QUERY = `query ($product: String!, $from: String!, $to: String!) {
  marketData(product: $product, from: $from, to: $to) {
    day open high low close volume notional tradeCount
  }
}`;

/** `YYYY-MM-DD` `days` days before `day`. */
function daysBefore(day: string, days: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) - days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The product's last `days` trading days (at most 1,000), ending at its current trading day. */
export async function loadMarket(product: string, days = 999): Promise<{ tradingDay?: string; bars: MarketDay[] }> {
  const today = new Date().toISOString().slice(0, 10);
  // The trading day follows chain time, which may differ from the wall clock: ask for it first.
  const probe = await gql<{ market: { tradingDay: string } | null }>(
    `query ($product: String!) { market(product: $product) { tradingDay } }`,
    { product },
  );
  const to = probe.market?.tradingDay ?? today;
  const data = await gql<{ marketData: MarketDay[] }>(MARKET_QUERY, { product, from: daysBefore(to, days), to });
  return { tradingDay: probe.market?.tradingDay, bars: data.marketData };
}

function Chart({ bars }: { bars: MarketDay[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const chart: IChartApi = createChart(box.current, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "#ffffff" }, textColor: "#1d2733" },
      rightPriceScale: { borderVisible: false },
      timeScale: { borderVisible: false },
    });
    const time = (day: string) => (Date.parse(`${day}T00:00:00Z`) / 1000) as UTCTimestamp;
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: "#c62828",
      downColor: "#1b7f3b",
      wickUpColor: "#c62828",
      wickDownColor: "#1b7f3b",
      borderVisible: false,
      // Prices are fen; the axis shows yuan. (The volume pane keeps its own format: tonnes.)
      priceFormat: {
        type: "custom",
        minMove: 1,
        formatter: (fen: number) => `¥${yuan(BigInt(Math.round(fen)))}`,
      },
    });
    candles.setData(
      bars.map((b) => ({
        time: time(b.day),
        open: Number(b.open),
        high: Number(b.high),
        low: Number(b.low),
        close: Number(b.close),
      })),
    );
    const volume = chart.addSeries(
      HistogramSeries,
      { color: "#0f6e5a", priceFormat: { type: "volume" }, priceLineVisible: false },
      1,
    );
    volume.setData(bars.map((b) => ({ time: time(b.day), value: Number(b.volume) })));
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [bars]);
  return <div className="chart" ref={box} data-testid="market-chart" />;
}

/** The chart and table of one product (`TJEA14`). */
export function MarketChart({ product, rows = 10 }: { product: string; rows?: number }) {
  const { t } = useTranslation();
  const { result, reload } = useAsync(() => loadMarket(product), [product], 15_000);
  return (
    <AsyncView result={result} reload={reload}>
      {({ bars }) =>
        bars.length === 0 ? (
          <p className="muted" data-testid="market-empty">
            {t("market.noTrades", { product })}
          </p>
        ) : (
          <>
            <Chart bars={bars} />
            <Table
              testId="market-days"
              head={[
                t("market.day"),
                t("market.open"),
                t("market.high"),
                t("market.low"),
                t("market.close"),
                t("market.volume"),
                t("market.trades"),
              ]}
              rows={[...bars]
                .reverse()
                .slice(0, rows)
                .map((b) => [
                  b.day,
                  yuan(b.open),
                  yuan(b.high),
                  yuan(b.low),
                  yuan(b.close),
                  tonnes(b.volume),
                  String(b.tradeCount),
                ])}
            />
          </>
        )
      }
    </AsyncView>
  );
}
