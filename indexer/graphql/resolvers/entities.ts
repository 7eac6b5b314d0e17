import { sql } from "kysely";
import { indexerError } from "../../errors";
import { versionsAt } from "../../store/versioned";
import { address, bigintArg, block as blockArg, decodeCursor, encodeCursor, first as firstArg } from "../args";
import * as map from "../mappers";
import type { GraphQLContext } from "./context";
import { countOf, toConnection } from "./lists";

interface EntityWhere {
  category?: string;
  category_in?: string[];
  sector?: string;
  sector_in?: string[];
  id_gt?: bigint;
  id_lt?: bigint;
  name_contains?: string | null;
  accountStatus?: string | null;
  compliance?: { year: number; status_in: string[] } | null;
}

type BlockInput = { number: number } | null | undefined;

async function holdingsOf(ctx: GraphQLContext, wallets: string[], block: BlockInput) {
  if (wallets.length === 0) return [];
  const at = await blockArg(ctx.store, block);
  const rows =
    at === undefined
      ? await ctx.store.db
          .selectFrom("holdings")
          .selectAll()
          .where("account", "in", wallets)
          .where("to_block", "is", null)
          .execute()
      : await versionsAt(ctx.store.db, "holdings", at, (q) => q.where("c.account", "in", wallets));
  rows.sort((a, b) =>
    a.account !== b.account
      ? a.account < b.account
        ? -1
        : 1
      : a.token !== b.token
        ? a.token < b.token
          ? -1
          : 1
        : Number(a.token_id - b.token_id),
  );
  return rows.filter((r) => r.balance > 0n || r.locked > 0n).map(map.holding);
}

export const entityResolvers = {
  Query: {
    entities: async (
      _: unknown,
      args: {
        where?: EntityWhere | null;
        first?: number | null;
        after?: string | null;
        orderDirection?: "asc" | "desc";
      },
      ctx: GraphQLContext,
    ) => {
      const n = firstArg(args.first);
      const dir = args.orderDirection ?? "asc";
      const w = args.where ?? {};
      let q = ctx.store.db.selectFrom("entities").where("to_block", "is", null);
      if (w.category) q = q.where("category", "=", map.lower(w.category));
      if (w.category_in) q = q.where("category", "in", w.category_in.length ? w.category_in.map(map.lower) : ["-"]);
      if (w.sector) q = q.where("sector", "=", map.lower(w.sector));
      if (w.sector_in) q = q.where("sector", "in", w.sector_in.length ? w.sector_in.map(map.lower) : ["-"]);
      if (w.id_gt !== undefined && w.id_gt !== null) q = q.where("entity_id", ">", w.id_gt);
      if (w.id_lt !== undefined && w.id_lt !== null) q = q.where("entity_id", "<", w.id_lt);
      if (w.name_contains !== undefined && w.name_contains !== null) {
        if (w.name_contains.length > 100)
          throw indexerError("INVALID_ARGUMENT", "where.name_contains must be at most 100 characters", {
            what: "where.name_contains",
          });
        const pattern = `%${w.name_contains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
      }
      if (w.accountStatus) {
        const status = map.lower(w.accountStatus);
        q = q.where(({ exists, selectFrom }) =>
          exists(
            selectFrom("accounts as a")
              .select("a.wallet")
              .whereRef("a.entity_id", "=", "entities.entity_id")
              .where("a.to_block", "is", null)
              .where("a.status", "=", status),
          ),
        );
      }
      if (w.compliance) {
        const { year, status_in } = w.compliance;
        const statuses = status_in.map(map.lower);
        const wantsNone = statuses.includes("none");
        q = q.where(({ exists, not, or, selectFrom }) => {
          const position = (s: string[]) =>
            selectFrom("compliance as c")
              .select("c.entity_id")
              .whereRef("c.entity_id", "=", "entities.entity_id")
              .where("c.year", "=", BigInt(year))
              .where("c.to_block", "is", null)
              .where("c.status", "in", s.length ? s : ["-"]);
          // NONE: no position for the year, or one that says none (not covered).
          return wantsNone
            ? or([exists(position(statuses)), not(exists(position(["open", "compliant", "shortfall"])))])
            : exists(position(statuses));
        });
      }
      const after = decodeCursor("entities", args.after);
      let page = q.selectAll();
      if (after) page = page.where("entity_id", dir === "asc" ? ">" : "<", bigintArg(after[0], "cursor"));
      const rows = await page
        .orderBy("entity_id", dir)
        .limit(n + 1)
        .execute();
      return toConnection(
        rows,
        n,
        (r) => encodeCursor("entities", [r.entity_id.toString()]),
        (page) => page.map(map.entity),
        countOf(q),
      );
    },
    entity: async (_: unknown, args: { id: bigint }, ctx: GraphQLContext) => {
      const row = await ctx.store.db
        .selectFrom("entities")
        .selectAll()
        .where("entity_id", "=", args.id)
        .where("to_block", "is", null)
        .executeTakeFirst();
      return row ? map.entity(row) : null;
    },
    account: async (_: unknown, args: { wallet: string }, ctx: GraphQLContext) => {
      const row = await ctx.store.db
        .selectFrom("accounts")
        .selectAll()
        .where("wallet", "=", address(args.wallet, "wallet"))
        .where("to_block", "is", null)
        .executeTakeFirst();
      return row ? map.account(row) : null;
    },
    holdings: async (_: unknown, args: { account: string; block?: BlockInput }, ctx: GraphQLContext) =>
      holdingsOf(ctx, [address(args.account)], args.block),
  },
  Entity: {
    accounts: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("accounts")
        .selectAll()
        .where("entity_id", "=", parent.id)
        .where("to_block", "is", null)
        .orderBy("opened_block")
        .orderBy("wallet")
        .execute();
      return rows.map(map.account);
    },
    holdings: async (parent: { id: bigint }, args: { block?: BlockInput }, ctx: GraphQLContext) => {
      const wallets = await ctx.store.db
        .selectFrom("accounts")
        .select("wallet")
        .where("entity_id", "=", parent.id)
        .where("to_block", "is", null)
        .execute();
      return holdingsOf(
        ctx,
        wallets.map((w) => w.wallet),
        args.block,
      );
    },
    compliance: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("compliance")
        .selectAll()
        .where("entity_id", "=", parent.id)
        .where("to_block", "is", null)
        .orderBy("year")
        .execute();
      return rows.map(map.position);
    },
  },
  Account: {
    statusHistory: async (parent: { wallet: string }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("accounts")
        .select(["status", "from_block", "to_block"])
        .where("wallet", "=", parent.wallet)
        .orderBy("from_block")
        .execute();
      return rows.map((r) => ({
        status: map.upper(r.status),
        fromBlock: Number(r.from_block),
        toBlock: r.to_block === null ? null : Number(r.to_block),
      }));
    },
    holdings: async (parent: { wallet: string }, args: { block?: BlockInput }, ctx: GraphQLContext) =>
      holdingsOf(ctx, [parent.wallet], args.block),
  },
};
