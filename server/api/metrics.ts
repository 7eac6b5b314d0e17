import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics of the exchange (served at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    orders: new Counter({
      name: "ets_orders_total",
      help: "Orders received, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    trades: new Counter({ name: "ets_trades_total", help: "Trades matched", registers: [registry] }),
    blockDeals: new Counter({
      name: "ets_block_deals_total",
      help: "Block deals received, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    settled: new Counter({
      name: "ets_trades_settled_total",
      help: "Trades confirmed on chain, by result",
      labelNames: ["result"],
      registers: [registry],
    }),
    backlog: new Gauge({
      name: "ets_settlement_backlog",
      help: "Trades matched and not yet confirmed on chain",
      registers: [registry],
    }),
    latency: new Histogram({
      name: "ets_request_seconds",
      help: "REST request latency",
      labelNames: ["route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
