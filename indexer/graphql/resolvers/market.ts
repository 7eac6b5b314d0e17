import type { Selectable } from "kysely";
import { indexerError } from "../../errors";
import { dayStart, tradingDay } from "../../indexing/market";
import { productOf } from "../../indexing/supervision/handlers";
import type { Store } from "../../store/open";
import type { MarketDayTable, TradeTable } from "../../store/schema";
import { address, bigintArg, decodeCursor, encodeCursor, first as firstArg } from "../args";
import * as map from "../mappers";
import type { GraphQLContext } from "./context";
import { countOf, toConnection } from "./lists";

const TOKEN_OF: Record<string, string> = { AllowanceToken: "ALLOWANCE", OffsetToken: "CCER", CashToken: "CASH" };

/** The longest `marketData` range, in days. */
export const MAX_MARKET_DAYS = 1_000;

export interface MarketOptions {
  /** The exchange's time zone, minutes east of UTC (trading days). */
  utcOffsetMinutes: number;
}

/** A product given by name (`TJEA14`, `CCER-1`, `CNY`) or by token and token id → (contract, id). */
export function productKey(
  product: string | null | undefined,
  token: string | null | undefined,
  tokenId: unknown,
): { token: string; tokenId: bigint } {
  if (product) {
    const p = product.trim().toUpperCase();
    let m = /^TJEA(\d{2})$/.exec(p);
    if (m) return { token: "AllowanceToken", tokenId: 2000n + BigInt(m[1]!) };
    m = /^CCER-(\d{1,18})$/.exec(p);
    if (m) return { token: "OffsetToken", tokenId: BigInt(m[1]!) };
    if (p === "CNY") return { token: "CashToken", tokenId: 0n };
    throw indexerError("UNKNOWN_PRODUCT", `"${product}" is not a product (TJEA14, CCER-1, CNY)`, { product });
  }
  if (token && tokenId !== undefined && tokenId !== null) {
    return { token: map.CONTRACT_OF_TOKEN[token] ?? token, tokenId: bigintArg(tokenId, "tokenId") };
  }
  throw indexerError("UNKNOWN_PRODUCT", 'name a product (product: "TJEA14"), or a token and a tokenId', {});
}

export function day(value: string, what: string, utcOffsetMinutes: number): bigint {
  const start = dayStart(value, utcOffsetMinutes);
  if (start === undefined) {
    throw indexerError("INVALID_DATE_RANGE", `${what} must be a day YYYY-MM-DD, not "${value}"`, { what, value });
  }
  return start;
}

export interface TradeWithEntities extends Selectable<TradeTable> {
  buyer_entity_id: bigint | null;
  seller_entity_id: bigint | null;
}

/** The trades with their parties' entities (one query for all their wallets). */
export async function withEntities(store: Store, rows: Selectable<TradeTable>[]): Promise<TradeWithEntities[]> {
  const wallets = [...new Set(rows.flatMap((r) => [r.buyer, r.seller]))];
  const entities = new Map<string, bigint>();
  if (wallets.length) {
    const accounts = await store.db
      .selectFrom("accounts")
      .select(["wallet", "entity_id"])
      .where("to_block", "is", null)
      .where("wallet", "in", wallets)
      .execute();
    for (const a of accounts) entities.set(a.wallet, a.entity_id);
  }
  return rows.map((r) => ({
    ...r,
    buyer_entity_id: entities.get(r.buyer) ?? null,
    seller_entity_id: entities.get(r.seller) ?? null,
  }));
}

export function trade(r: TradeWithEntities, utcOffsetMinutes: number) {
  return {
    id: r.trade_id,
    product: productOf(r.token, r.token_id),
    token: TOKEN_OF[r.token] ?? r.token,
    tokenId: r.token_id,
    buyer: r.buyer,
    seller: r.seller,
    buyerEntityId: r.buyer_entity_id,
    sellerEntityId: r.seller_entity_id,
    quantity: r.quantity,
    price: r.price,
    notional: r.quantity * r.price,
    buyOrderHash: r.buy_order_hash,
    sellOrderHash: r.sell_order_hash,
    buyerFee: r.buyer_fee,
    sellerFee: r.seller_fee,
    block: Number(r.block_number),
    logIndex: Number(r.log_index),
    txHash: r.tx_hash,
    timestamp: Number(r.timestamp),
    day: tradingDay(r.timestamp, utcOffsetMinutes),
  };
}

export function marketDay(r: Selectable<MarketDayTable>) {
  return {
    product: productOf(r.token, r.token_id),
    token: TOKEN_OF[r.token] ?? r.token,
    tokenId: r.token_id,
    day: r.day,
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    last: r.last,
    vwap: r.close,
    volume: r.volume,
    notional: r.notional,
    tradeCount: Number(r.trade_count),
    previousClose: r.prev_close,
    firstTradeId: r.first_trade_id,
    lastTradeId: r.last_trade_id,
  };
}

interface TradeWhere {
  product?: string | null;
  token?: string | null;
  tokenId?: unknown;
  trader?: string | null;
  buyer?: string | null;
  seller?: string | null;
  entity?: unknown;
  timestamp_gt?: number | null;
  timestamp_lt?: number | null;
  block_gt?: number | null;
  block_lt?: number | null;
  day?: string | null;
}

const set = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

export function createMarketResolvers(opts: MarketOptions) {
  const tz = opts.utcOffsetMinutes;
  return {
    Query: {
      trades: async (
        _: unknown,
        args: {
          where?: TradeWhere | null;
          first?: number | null;
          after?: string | null;
          orderDirection?: "asc" | "desc";
        },
        ctx: GraphQLContext,
      ) => {
        const n = firstArg(args.first);
        const dir = args.orderDirection ?? "desc";
        const w = args.where ?? {};
        let q = ctx.store.db.selectFrom("trades");
        if (w.product || w.token || set(w.tokenId)) {
          if (w.product || (w.token && set(w.tokenId))) {
            const p = productKey(w.product, w.token, w.tokenId);
            q = q.where("token", "=", p.token).where("token_id", "=", p.tokenId);
          } else if (w.token) q = q.where("token", "=", map.CONTRACT_OF_TOKEN[w.token] ?? w.token);
          else q = q.where("token_id", "=", bigintArg(w.tokenId, "where.tokenId"));
        }
        if (w.trader) {
          const a = address(w.trader, "where.trader");
          q = q.where((eb) => eb.or([eb("buyer", "=", a), eb("seller", "=", a)]));
        }
        if (w.buyer) q = q.where("buyer", "=", address(w.buyer, "where.buyer"));
        if (w.seller) q = q.where("seller", "=", address(w.seller, "where.seller"));
        if (set(w.entity)) {
          const entity = bigintArg(w.entity, "where.entity");
          const wallets = ctx.store.db
            .selectFrom("accounts")
            .select("wallet")
            .where("entity_id", "=", entity)
            .where("to_block", "is", null);
          q = q.where((eb) => eb.or([eb("buyer", "in", wallets), eb("seller", "in", wallets)]));
        }
        if (set(w.block_gt)) q = q.where("block_number", ">", BigInt(w.block_gt));
        if (set(w.block_lt)) q = q.where("block_number", "<", BigInt(w.block_lt));
        // Times become a block range (a block's time never goes back), so the list is read in the
        // primary key's order and counted over one range of it, however many trades a day holds.
        let from: bigint | undefined;
        let until: bigint | undefined;
        const later = (t: bigint) => (from = from === undefined || t > from ? t : from);
        const earlier = (t: bigint) => (until = until === undefined || t < until ? t : until);
        if (set(w.timestamp_gt)) later(BigInt(w.timestamp_gt) + 1n);
        if (set(w.timestamp_lt)) earlier(BigInt(w.timestamp_lt));
        if (w.day) {
          const start = day(w.day, "where.day", tz);
          later(start);
          earlier(start + 86_400n);
        }
        if (from !== undefined) {
          const first = await ctx.store.db
            .selectFrom("blocks")
            .select("number")
            .where("timestamp", ">=", from)
            .orderBy("timestamp")
            .orderBy("number")
            .limit(1)
            .executeTakeFirst();
          q = q.where("block_number", ">=", first ? first.number : 1n << 62n);
        }
        if (until !== undefined) {
          const last = await ctx.store.db
            .selectFrom("blocks")
            .select("number")
            .where("timestamp", "<", until)
            .orderBy("timestamp", "desc")
            .orderBy("number", "desc")
            .limit(1)
            .executeTakeFirst();
          q = q.where("block_number", "<=", last ? last.number : -1n);
        }
        const after = decodeCursor("trades", args.after);
        let page = q.selectAll();
        if (after) {
          const block = bigintArg(after[0], "cursor");
          const log = bigintArg(after[1], "cursor");
          const op = dir === "asc" ? ">" : "<";
          page = page.where((eb) =>
            eb.or([eb("block_number", op, block), eb.and([eb("block_number", "=", block), eb("log_index", op, log)])]),
          );
        }
        const rows = await page
          .orderBy("block_number", dir)
          .orderBy("log_index", dir)
          .limit(n + 1)
          .execute();
        return toConnection(
          rows,
          n,
          (r) => encodeCursor("trades", [r.block_number.toString(), r.log_index.toString()]),
          async (page) => (await withEntities(ctx.store, page)).map((r) => trade(r, tz)),
          countOf(q),
        );
      },

      trade: async (_: unknown, args: { id: unknown }, ctx: GraphQLContext) => {
        const row = await ctx.store.db
          .selectFrom("trades")
          .selectAll()
          .where("trade_id", "=", bigintArg(args.id, "id"))
          .executeTakeFirst();
        return row ? trade((await withEntities(ctx.store, [row]))[0]!, tz) : null;
      },

      marketData: async (
        _: unknown,
        args: { product?: string | null; token?: string | null; tokenId?: unknown; from: string; to: string },
        ctx: GraphQLContext,
      ) => {
        const p = productKey(args.product, args.token, args.tokenId);
        const from = day(args.from, "from", tz);
        const to = day(args.to, "to", tz);
        if (to < from) throw indexerError("INVALID_DATE_RANGE", `to (${args.to}) is before from (${args.from})`, {});
        if ((to - from) / 86_400n + 1n > BigInt(MAX_MARKET_DAYS)) {
          throw indexerError("INVALID_DATE_RANGE", `at most ${MAX_MARKET_DAYS} days per request`, {
            from: args.from,
            to: args.to,
          });
        }
        const rows = await ctx.store.db
          .selectFrom("market_days")
          .selectAll()
          .where("token", "=", p.token)
          .where("token_id", "=", p.tokenId)
          .where("to_block", "is", null)
          .where("day", ">=", args.from)
          .where("day", "<=", args.to)
          .orderBy("day")
          .execute();
        return rows.map(marketDay);
      },

      market: async (
        _: unknown,
        args: { product?: string | null; token?: string | null; tokenId?: unknown },
        ctx: GraphQLContext,
      ) => {
        const p = productKey(args.product, args.token, args.tokenId);
        const db = ctx.store.db;
        const product = await db
          .selectFrom("market_products")
          .selectAll()
          .where("token", "=", p.token)
          .where("token_id", "=", p.tokenId)
          .where("to_block", "is", null)
          .executeTakeFirst();
        if (!product) return null;
        const latest = await db
          .selectFrom("blocks")
          .select("timestamp")
          .orderBy("number", "desc")
          .limit(1)
          .executeTakeFirst();
        const today = tradingDay(latest?.timestamp ?? product.last_timestamp, tz);
        const bar = await db
          .selectFrom("market_days")
          .selectAll()
          .where("token", "=", p.token)
          .where("token_id", "=", p.tokenId)
          .where("day", "=", product.day)
          .where("to_block", "is", null)
          .executeTakeFirstOrThrow();
        const traded = product.day === today;
        return {
          product: productOf(p.token, p.tokenId),
          token: TOKEN_OF[p.token] ?? p.token,
          tokenId: p.tokenId,
          lastPrice: product.last_price,
          lastTradeId: product.last_trade_id,
          lastTradeAt: Number(product.last_timestamp),
          tradingDay: today,
          previousClose: traded ? product.prev_close : bar.close,
          today: traded ? marketDay(bar) : null,
        };
      },
    },
  };
}
