import express, { type Request, type Response, type NextFunction } from "express";
import { rateLimit, ipKeyGenerator } from "express-rate-limit";
import type { Server } from "node:http";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { z } from "zod";
import { DomainError } from "../sdk/errors";
import { errorHandler } from "./api/errors";
import type { Metrics } from "./api/metrics";
import { openApiDocument } from "./api/openapi";
import { presentOrder, presentPosition, presentProduct, presentTrade } from "./api/present";
import { addressParam, cancelSchema, limitQuery, signedOrderSchema, withdrawalSchema } from "./api/schemas";
import type { LiveOrder, Trade } from "./exchange/core";
import type { Exchange } from "./exchange/exchange";

export interface AppDeps {
  exchange: Exchange;
  log: Logger;
  metrics: Metrics;
  /** Requests per second one trader may send (orders, cancels, withdrawals). */
  rateLimitPerSecond: number;
}

/** Builds the exchange's HTTP app (REST under /v1) and the WebSocket attachment; `main.ts` listens. */
export function createApp(deps: AppDeps) {
  const { exchange, log, metrics } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(express.json({ limit: "64kb" }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = metrics.latency.startTimer();
    res.on("finish", () => {
      const route = (req.route?.path as string | undefined) ?? "unmatched";
      end({ route, status: String(res.statusCode) });
      log.debug({ method: req.method, url: req.originalUrl, status: res.statusCode }, "request");
    });
    next();
  });

  const perTrader = rateLimit({
    windowMs: 1_000,
    limit: deps.rateLimitPerSecond,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (req) => {
      const b = req.body as
        { order?: { trader?: string }; cancel?: { trader?: string }; withdrawal?: { trader?: string } } | undefined;
      const trader = b?.order?.trader ?? b?.cancel?.trader ?? b?.withdrawal?.trader;
      return typeof trader === "string" ? trader.toLowerCase() : ipKeyGenerator(req.ip ?? "");
    },
    handler: (_req, res) => {
      res.status(429).json({
        error: {
          code: "RATE_LIMITED",
          message: `Too many requests: at most ${deps.rateLimitPerSecond} per second per trader.`,
        },
      });
    },
  });

  const traderOf = (o: number) => exchange.core.order(o)!.order.trader;
  const settlement = (t: Trade) =>
    exchange.pipeline.rejected.has(t.tradeId)
      ? "rejected"
      : t.tradeId <= exchange.pipeline.lastConfirmedTradeId
        ? "settled"
        : "pending";
  const tradeView = (t: Trade) => presentTrade(t, traderOf(t.buyOrder), traderOf(t.sellOrder), settlement(t));

  app.get("/healthz", (_req, res) => {
    const w = exchange.watcher.status;
    res.status(w.reachable ? 200 : 503).json({
      status: w.reachable ? "ok" : "chain unreachable",
      chainBlock: w.block,
      journal: exchange.journalLength,
      trades: exchange.core.trades.lastId.toString(),
      lastSettledTradeId: exchange.pipeline.lastConfirmedTradeId.toString(),
      settlementBacklog: exchange.pipeline.backlog(),
    });
  });

  app.get("/metrics", async (_req, res) => {
    metrics.backlog.set(exchange.pipeline.backlog());
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/v1/openapi.json", (_req, res) => {
    res.json(openApiDocument);
  });

  app.post("/v1/orders", perTrader, async (req, res) => {
    const body = signedOrderSchema.parse(req.body);
    try {
      const { order, trades } = await exchange.submitOrder(body);
      metrics.orders.inc({ outcome: "accepted" });
      res.status(201).json({ order: presentOrder(order), trades: trades.map(tradeView) });
    } catch (err) {
      metrics.orders.inc({ outcome: "rejected" });
      throw err;
    }
  });

  app.post("/v1/orders/cancel", perTrader, async (req, res) => {
    const body = cancelSchema.parse(req.body);
    const order = await exchange.cancel(body.cancel, body.signature);
    res.json({ order: presentOrder(order) });
  });

  app.get("/v1/orders", (req, res) => {
    const trader = addressParam.parse(req.query.trader);
    const status = z.enum(["open", "all"]).default("all").parse(req.query.status);
    const orders = exchange.core.ordersOf(trader).filter((o) => status === "all" || o.status === "open");
    res.json({ orders: orders.map(presentOrder) });
  });

  app.get("/v1/products", (_req, res) => {
    res.json({ products: exchange.core.productList().map(presentProduct) });
  });

  app.get("/v1/books/:product", (req, res) => {
    const product = exchange.core.product(String(req.params.product));
    if (!product)
      throw new DomainError("PRODUCT_UNKNOWN", `There is no product ${String(req.params.product)}.`, "not_found");
    const levels = z.coerce.number().int().min(1).max(100).default(10).parse(req.query.levels);
    const depth = exchange.core.engine.depth(product.index, levels);
    const fmt = (l: { price: number; quantity: number; orders: number }) => ({
      price: String(l.price),
      quantity: String(l.quantity),
      orders: l.orders,
    });
    res.json({
      product: product.name,
      halted: exchange.core.engine.isHalted(product.index),
      band: exchange.core.engine.band(product.index),
      day: exchange.core.engine.bar(product.index),
      bids: depth.bids.map(fmt),
      asks: depth.asks.map(fmt),
    });
  });

  app.get("/v1/trades", (req, res) => {
    const product = req.query.product === undefined ? undefined : exchange.core.product(String(req.query.product));
    if (req.query.product !== undefined && !product)
      throw new DomainError("PRODUCT_UNKNOWN", `There is no product ${String(req.query.product)}.`, "not_found");
    const limit = limitQuery.parse(req.query.limit);
    res.json({ trades: exchange.core.trades.recent(limit, (t) => !product || t.product === product).map(tradeView) });
  });

  app.get("/v1/accounts/:address", (req, res) => {
    const trader = addressParam.parse(req.params.address);
    const positions = [...exchange.core.accounts.of(trader)].map(([asset, p]) => presentPosition(asset, p));
    res.json({
      trader,
      positions,
      openOrders: exchange.core.ordersOf(trader).filter((o) => o.status === "open").length,
      nextNonce: exchange.core.nextNonce(trader).toString(),
    });
  });

  app.post("/v1/withdrawals", perTrader, async (req, res) => {
    const body = withdrawalSchema.parse(req.body);
    await exchange.withdraw(body.withdrawal, body.signature);
    res.status(202).json({ accepted: true });
  });

  app.use((req, _res, next) =>
    next(new DomainError("ROUTE_NOT_FOUND", `There is no ${req.method} ${req.path}.`, "not_found")),
  );
  app.use(errorHandler(log));

  /** Attaches the WebSocket stream at /v1/stream: book and trade updates as they happen. */
  function attachStream(server: Server) {
    const wss = new WebSocketServer({ server, path: "/v1/stream" });
    const clients = new Set<WebSocket>();
    wss.on("connection", (ws) => {
      clients.add(ws);
      ws.on("close", () => clients.delete(ws));
      ws.send(JSON.stringify({ type: "hello", products: exchange.core.productList().map((p) => p.name) }));
    });
    const broadcast = (msg: unknown) => {
      if (clients.size === 0) return;
      const text = JSON.stringify(msg);
      for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
    };
    // Book updates are coalesced: at most one depth message per product every 100 ms.
    const dirty = new Set<number>();
    const timer = setInterval(() => {
      for (const index of dirty) {
        const product = exchange.core.productList()[index]!;
        const depth = exchange.core.engine.depth(index, 10);
        broadcast({ type: "book", product: product.name, bids: depth.bids, asks: depth.asks });
      }
      dirty.clear();
    }, 100);
    return {
      trade: (t: Trade) => broadcast({ type: "trade", trade: tradeView(t) }),
      order: (o: LiveOrder) => {
        if (clients.size > 0) dirty.add(o.product.index);
      },
      close: () =>
        new Promise<void>((r) => {
          clearInterval(timer);
          for (const ws of clients) ws.terminate();
          wss.close(() => r());
        }),
    };
  }

  return { app, attachStream };
}
