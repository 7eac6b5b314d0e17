import type { GraphQLContext } from "./context";
import { bigintArg } from "../args";
import * as map from "../mappers-reads";
import { currentPage, given, inList, type PageArgs } from "./lists";

interface AuctionWhere {
  vintage?: number | null;
  vintage_in?: number[] | null;
  state?: string | null;
  createdBlock_gt?: number | null;
  createdBlock_lt?: number | null;
}

interface FixedSaleWhere {
  vintage?: number | null;
  vintage_in?: number[] | null;
  closed?: boolean | null;
  createdBlock_gt?: number | null;
  createdBlock_lt?: number | null;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- query builders passed through the list helpers */
function common(q: any, w: AuctionWhere | FixedSaleWhere): any {
  if (given(w.vintage)) q = q.where("vintage", "=", BigInt(w.vintage));
  if (given(w.vintage_in)) q = inList(q, "vintage", w.vintage_in.map(BigInt));
  if (given(w.createdBlock_gt)) q = q.where("created_block", ">", BigInt(w.createdBlock_gt));
  if (given(w.createdBlock_lt)) q = q.where("created_block", "<", BigInt(w.createdBlock_lt));
  return q;
}

export const reserveResolvers = {
  Query: {
    auctions: (_: unknown, args: PageArgs & { where?: AuctionWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return currentPage(
        ctx.store.db,
        "auctions",
        "auction_id",
        "auctions",
        args,
        "desc",
        (q) => {
          q = common(q, w);
          return given(w.state) ? q.where("state", "=", w.state.toLowerCase()) : q;
        },
        map.auction,
      );
    },
    auction: async (_: unknown, args: { id: unknown }, ctx: GraphQLContext) => {
      const row = await ctx.store.db
        .selectFrom("auctions")
        .selectAll()
        .where("auction_id", "=", bigintArg(args.id, "id"))
        .where("to_block", "is", null)
        .executeTakeFirst();
      return row ? map.auction(row) : null;
    },
    fixedSales: (_: unknown, args: PageArgs & { where?: FixedSaleWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return currentPage(
        ctx.store.db,
        "fixed_sales",
        "sale_id",
        "fixedSales",
        args,
        "desc",
        (q) => {
          q = common(q, w);
          return given(w.closed) ? q.where("closed", "=", w.closed ? 1n : 0n) : q;
        },
        map.fixedSale,
      );
    },
    fixedSale: async (_: unknown, args: { id: unknown }, ctx: GraphQLContext) => {
      const row = await ctx.store.db
        .selectFrom("fixed_sales")
        .selectAll()
        .where("sale_id", "=", bigintArg(args.id, "id"))
        .where("to_block", "is", null)
        .executeTakeFirst();
      return row ? map.fixedSale(row) : null;
    },
  },
  Auction: {
    bids: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("auction_bids as b")
        .leftJoin("accounts as a", (j) => j.onRef("a.wallet", "=", "b.bidder").on("a.to_block", "is", null))
        .selectAll("b")
        .select("a.entity_id")
        .where("b.auction_id", "=", parent.id)
        .where("b.to_block", "is", null)
        .orderBy("b.bid_id")
        .execute();
      return rows.map(map.auctionBid);
    },
  },
  FixedSale: {
    purchases: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("fixed_sale_purchases as p")
        .leftJoin("accounts as a", (j) => j.onRef("a.wallet", "=", "p.buyer").on("a.to_block", "is", null))
        .selectAll("p")
        .select("a.entity_id")
        .where("p.sale_id", "=", parent.id)
        .orderBy("p.block_number")
        .orderBy("p.log_index")
        .execute();
      return rows.map(map.purchase);
    },
  },
  Entity: {
    auctionBids: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("auction_bids as b")
        .innerJoin("accounts as a", (j) => j.onRef("a.wallet", "=", "b.bidder").on("a.to_block", "is", null))
        .selectAll("b")
        .select("a.entity_id")
        .where("a.entity_id", "=", parent.id)
        .where("b.to_block", "is", null)
        .orderBy("b.auction_id")
        .orderBy("b.bid_id")
        .execute();
      return rows.map(map.auctionBid);
    },
    fixedSalePurchases: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("fixed_sale_purchases as p")
        .innerJoin("accounts as a", (j) => j.onRef("a.wallet", "=", "p.buyer").on("a.to_block", "is", null))
        .selectAll("p")
        .select("a.entity_id")
        .where("a.entity_id", "=", parent.id)
        .orderBy("p.block_number")
        .orderBy("p.log_index")
        .execute();
      return rows.map(map.purchase);
    },
  },
};
