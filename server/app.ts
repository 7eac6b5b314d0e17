import express, { type Request, type Response, type NextFunction } from "express";
import { rateLimit, ipKeyGenerator } from "express-rate-limit";
import type { Server } from "node:http";
import type { Logger } from "pino";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { z } from "zod";
import { DomainError, toDomainError } from "../sdk/errors";
import { errorHandler, fromZod } from "./api/errors";
import type { Metrics } from "./api/metrics";
import { openApiDocument } from "./api/openapi";
import { operatorAuth } from "./api/operator";
import { presentBar, presentLevel, presentOrder, presentPosition, presentProduct, presentTrade } from "./api/present";
import {
  addressParam,
  blockDealSchema,
  cancelSchema,
  limitQuery,
  operatorBodySchema,
  signedOrderSchema,
  streamMessageSchema,
  withdrawalSchema,
  type StreamChannel,
} from "./api/schemas";
import type { LiveOrder, ProductInfo, Trade } from "./exchange/core";
import type { Exchange } from "./exchange/exchange";

export interface AppDeps {
  exchange: Exchange;
  log: Logger;
  metrics: Metrics;
  /** Requests per second one trader may send (orders, cancels, withdrawals). */
  rateLimitPerSecond: number;
  /** Bearer token of the operator endpoints (`/v1/admin/…`); undefined disables them (503). */
  operatorToken?: string;
}

/** A WebSocket whose sender has this much unsent is too slow to follow the market: it is closed. */
const STREAM_MAX_BUFFERED = 8 * 1024 * 1024;
const CHANNELS: readonly StreamChannel[] = ["trade", "book"];

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
        | {
            order?: { trader?: string };
            cancel?: { trader?: string };
            withdrawal?: { trader?: string };
            buy?: { order?: { trader?: string } };
          }
        | undefined;
      const trader = b?.order?.trader ?? b?.cancel?.trader ?? b?.withdrawal?.trader ?? b?.buy?.order?.trader;
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
    res.json({
      product: product.name,
      halted: exchange.core.engine.isHalted(product.index),
      band: exchange.core.engine.band(product.index),
      day: exchange.core.engine.bar(product.index),
      bids: depth.bids.map(presentLevel),
      asks: depth.asks.map(presentLevel),
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

  app.post("/v1/block-deals", perTrader, async (req, res) => {
    const body = blockDealSchema.parse(req.body);
    try {
      const { buy, sell, trade } = await exchange.submitBlockDeal(body.buy, body.sell);
      metrics.blockDeals.inc({ outcome: "accepted" });
      res.status(201).json({ trade: tradeView(trade), buy: presentOrder(buy), sell: presentOrder(sell) });
    } catch (err) {
      metrics.blockDeals.inc({ outcome: "rejected" });
      throw err;
    }
  });

  // ─────────────────────────────── operator endpoints (bearer token) ───────────────────────────────

  const operatorLog = log.child({ component: "operator" });
  /** Runs one operator action and logs it, whatever its outcome: one structured line per action. */
  const operatorAction =
    (action: string, run: (req: Request) => Promise<Record<string, unknown>>) =>
    async (req: Request, res: Response) => {
      const product = typeof req.params.product === "string" ? req.params.product.toUpperCase() : undefined;
      const entry = { action, ...(product ? { product } : {}), ip: req.ip };
      try {
        const { reason } = operatorBodySchema.parse(req.body ?? {});
        const result = await run(req);
        operatorLog.info({ ...entry, reason, outcome: "done", ...result }, `operator ${action}`);
        res.json(result);
      } catch (err) {
        const e = err instanceof z.ZodError ? fromZod(err) : toDomainError(err);
        operatorLog.warn({ ...entry, outcome: "rejected", code: e.code }, `operator ${action} rejected`);
        throw e;
      }
    };
  const productOf = (req: Request) => {
    const name = String(req.params.product);
    const product = exchange.core.product(name);
    if (!product) throw new DomainError("PRODUCT_UNKNOWN", `There is no product ${name}.`, "not_found");
    return product;
  };
  app.use("/v1/admin", perTrader, operatorAuth(deps.operatorToken, operatorLog));
  app.post(
    "/v1/admin/products/:product/halt",
    operatorAction("halt", async (req) => {
      const product = productOf(req);
      await exchange.operate({ type: "halt", at: exchange.now(), product: product.name });
      return { product: product.name, halted: exchange.core.engine.isHalted(product.index) };
    }),
  );
  app.post(
    "/v1/admin/products/:product/resume",
    operatorAction("resume", async (req) => {
      const product = productOf(req);
      await exchange.operate({ type: "resume", at: exchange.now(), product: product.name });
      return { product: product.name, halted: exchange.core.engine.isHalted(product.index) };
    }),
  );
  app.post(
    "/v1/admin/close-day",
    operatorAction("close-day", async () => {
      const { day, bars } = await exchange.closeDay();
      return { day, bars: bars.map((b) => ({ product: b.product, ...presentBar(b.bar) })) };
    }),
  );

  app.use((req, _res, next) =>
    next(new DomainError("ROUTE_NOT_FOUND", `There is no ${req.method} ${req.path}.`, "not_found")),
  );
  app.use(errorHandler(log));

  /**
   * Attaches the WebSocket stream at /v1/stream. On connect a client gets `hello` and every trade
   * and book update; a `subscribe` message narrows that to some products and channels. A trade is
   * published once its command is durable (never one a restart could lose), and before the book
   * update it caused: book updates are coalesced to one per product every 100 ms.
   */
  function attachStream(server: Server) {
    const wss = new WebSocketServer({ server, path: "/v1/stream", maxPayload: 64 * 1024 });
    interface Subscriber {
      /** Products followed; undefined = all. */
      products?: Set<string>;
      channels: Set<StreamChannel>;
    }
    const clients = new Map<WebSocket, Subscriber>();
    const send = (ws: WebSocket, msg: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > STREAM_MAX_BUFFERED) {
        log.warn({ component: "stream" }, "closing a WebSocket client that does not keep up");
        ws.close(1013, "too slow: reconnect and resubscribe");
        return;
      }
      ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
    };
    const bookMessage = (index: number) => {
      const product = exchange.core.productList()[index]!;
      const depth = exchange.core.engine.depth(index, 10);
      return {
        type: "book",
        product: product.name,
        halted: exchange.core.engine.isHalted(index),
        bids: depth.bids.map(presentLevel),
        asks: depth.asks.map(presentLevel),
      };
    };
    const streamError = (ws: WebSocket, message: string) =>
      send(ws, { type: "error", error: { code: "STREAM_MESSAGE_INVALID", message } });
    const onMessage = (ws: WebSocket, sub: Subscriber, data: RawData, isBinary: boolean) => {
      if (isBinary) return streamError(ws, "Messages are JSON text, not binary.");
      let json: unknown;
      try {
        json = JSON.parse(data.toString());
      } catch {
        return streamError(ws, 'The message is not JSON; send e.g. {"type":"subscribe","products":["TJEA14"]}.');
      }
      const parsed = streamMessageSchema.safeParse(json);
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => `${i.path.join(".") || "message"}: ${i.message}`);
        return streamError(
          ws,
          `The message is not a valid subscription — ${fields.join("; ")}. Send e.g. {"type":"subscribe","products":["TJEA14"],"channels":["trade","book"]}; your previous subscription is kept.`,
        );
      }
      const msg = parsed.data;
      sub.products = msg.products ? new Set(msg.products.map((p) => p.toUpperCase())) : undefined;
      sub.channels = new Set(msg.channels ?? CHANNELS);
      send(ws, {
        type: "subscribed",
        products: sub.products ? [...sub.products] : "all",
        channels: [...sub.channels],
      });
      // The current book of each product followed, so that updates apply to a known state.
      if (sub.channels.has("book")) {
        for (const p of exchange.core.productList())
          if (!sub.products || sub.products.has(p.name)) send(ws, bookMessage(p.index));
      }
    };
    wss.on("connection", (ws) => {
      const sub: Subscriber = { channels: new Set(CHANNELS) };
      clients.set(ws, sub);
      ws.on("close", () => clients.delete(ws));
      ws.on("error", () => clients.delete(ws));
      ws.on("message", (data, isBinary) => onMessage(ws, sub, data, isBinary));
      send(ws, {
        type: "hello",
        products: exchange.core.productList().map((p) => p.name),
        channels: CHANNELS,
      });
    });
    const publish = (channel: StreamChannel, product: string, msg: unknown) => {
      let text: string | undefined;
      for (const [ws, sub] of clients) {
        if (!sub.channels.has(channel) || (sub.products && !sub.products.has(product))) continue;
        text ??= JSON.stringify(msg);
        send(ws, text);
      }
    };
    // What commands did, held until the journal says they are durable (in journal order).
    const pending: ({ seq: number; trade: Trade } | { seq: number; product: number })[] = [];
    const dirty = new Set<number>();
    const timer = setInterval(() => {
      for (const index of dirty) publish("book", exchange.core.productList()[index]!.name, bookMessage(index));
      dirty.clear();
    }, 100);
    return {
      trade: (t: Trade) => {
        if (clients.size > 0) pending.push({ seq: t.seq, trade: t });
      },
      order: (o: LiveOrder, seq: number) => {
        if (clients.size > 0) pending.push({ seq, product: o.product.index });
      },
      product: (p: ProductInfo, seq: number) => {
        if (clients.size > 0) pending.push({ seq, product: p.index });
      },
      durable: (seq: number) => {
        let n = 0;
        for (; n < pending.length && pending[n]!.seq <= seq; n++) {
          const e = pending[n]!;
          if ("trade" in e) publish("trade", e.trade.product.name, { type: "trade", trade: tradeView(e.trade) });
          else dirty.add(e.product);
        }
        if (n > 0) pending.splice(0, n);
      },
      close: () =>
        new Promise<void>((r) => {
          clearInterval(timer);
          for (const ws of clients.keys()) ws.terminate();
          wss.close(() => r());
        }),
    };
  }

  return { app, attachStream };
}
