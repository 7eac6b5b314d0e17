import type { Kysely } from "kysely";
import type { Database } from "../../store/schema";
import { versionsAt } from "../../store/versioned";
import { address, bigintArg, block as blockArg } from "../args";
import * as base from "../mappers";
import * as map from "../mappers-reads";
import type { GraphQLContext } from "./context";
import { factPage, given, inList, type PageArgs } from "./lists";

/* eslint-disable @typescript-eslint/no-explicit-any -- query builders passed through the list helpers */
type Q = any;
type BlockInput = { number: number } | null | undefined;

const UNIT_KIND: Record<string, string> = { ALLOWANCE: "allowance", CCER: "offset" };

function blockRange(q: Q, w: { block_gt?: number | null; block_lt?: number | null }): Q {
  if (given(w.block_gt)) q = q.where("f.block_number", ">", BigInt(w.block_gt));
  if (given(w.block_lt)) q = q.where("f.block_number", "<", BigInt(w.block_lt));
  return q;
}

interface SurrenderWhere {
  entity?: bigint | null;
  entity_in?: bigint[] | null;
  year?: number | null;
  year_in?: number[] | null;
  wallet?: string | null;
  kind?: string | null;
  tokenId?: bigint | null;
  block_gt?: number | null;
  block_lt?: number | null;
}

interface CancellationWhere {
  holder?: string | null;
  certificate?: bigint | null;
  kind?: string | null;
  tokenId?: bigint | null;
  block_gt?: number | null;
  block_lt?: number | null;
}

interface CertificateWhere {
  entity?: bigint | null;
  holder?: string | null;
  id_gt?: bigint | null;
  id_lt?: bigint | null;
  block_gt?: number | null;
  block_lt?: number | null;
}

interface AllocationWhere {
  entity?: bigint | null;
  entity_in?: bigint[] | null;
  year?: number | null;
  year_in?: number[] | null;
  kind?: string | null;
  kind_in?: string[] | null;
  wallet?: string | null;
  block_gt?: number | null;
  block_lt?: number | null;
}

interface CcerBatchWhere {
  projectId?: string | null;
  projectType?: string | null;
  projectType_in?: string[] | null;
  hydro?: boolean | null;
  id_gt?: bigint | null;
  id_lt?: bigint | null;
}

/** Facts of one table with the block's time, in chain order (an entity page's lists). */
function timed(db: Kysely<Database>, table: "surrenders" | "allocations" | "cancellations" | "certificates"): Q {
  return (db as Kysely<any>)
    .selectFrom(`${table} as f`)
    .leftJoin("blocks as b", "b.number", "f.block_number")
    .selectAll("f")
    .select("b.timestamp as block_timestamp")
    .orderBy("f.block_number")
    .orderBy("f.log_index");
}

/** Current reports with their verifier's name. */
function reports(db: Kysely<Database>): Q {
  return db
    .selectFrom("reports as r")
    .leftJoin("entities as v", (j) => j.onRef("v.entity_id", "=", "r.verifier_entity_id").on("v.to_block", "is", null))
    .selectAll("r")
    .select("v.name as verifier_name")
    .where("r.to_block", "is", null);
}

export const readResolvers = {
  Query: {
    surrenders: (_: unknown, args: PageArgs & { where?: SurrenderWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return factPage(
        ctx.store.db,
        "surrenders",
        "surrenders",
        args,
        "desc",
        (q) => {
          if (given(w.entity)) q = q.where("f.entity_id", "=", w.entity);
          if (given(w.entity_in)) q = inList(q, "f.entity_id", w.entity_in);
          if (given(w.year)) q = q.where("f.year", "=", BigInt(w.year));
          if (given(w.year_in)) q = inList(q, "f.year", w.year_in.map(BigInt));
          if (given(w.wallet)) q = q.where("f.wallet", "=", address(w.wallet, "where.wallet"));
          if (given(w.kind)) q = q.where("f.kind", "=", UNIT_KIND[w.kind] ?? w.kind);
          if (given(w.tokenId)) q = q.where("f.token_id", "=", w.tokenId);
          return blockRange(q, w);
        },
        map.surrender,
      );
    },
    cancellations: (_: unknown, args: PageArgs & { where?: CancellationWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return factPage(
        ctx.store.db,
        "cancellations",
        "cancellations",
        args,
        "desc",
        (q) => {
          if (given(w.holder)) q = q.where("f.holder", "=", address(w.holder, "where.holder"));
          if (given(w.certificate)) q = q.where("f.certificate_id", "=", w.certificate);
          if (given(w.kind)) q = q.where("f.kind", "=", UNIT_KIND[w.kind] ?? w.kind);
          if (given(w.tokenId)) q = q.where("f.token_id", "=", w.tokenId);
          return blockRange(q, w);
        },
        map.cancellation,
      );
    },
    certificates: (_: unknown, args: PageArgs & { where?: CertificateWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return factPage(
        ctx.store.db,
        "certificates",
        "certificates",
        args,
        "desc",
        (q) => {
          if (given(w.entity)) q = q.where("f.entity_id", "=", w.entity);
          if (given(w.holder)) q = q.where("f.holder", "=", address(w.holder, "where.holder"));
          if (given(w.id_gt)) q = q.where("f.certificate_id", ">", w.id_gt);
          if (given(w.id_lt)) q = q.where("f.certificate_id", "<", w.id_lt);
          return blockRange(q, w);
        },
        map.certificate,
      );
    },
    certificate: async (_: unknown, args: { id: unknown }, ctx: GraphQLContext) => {
      const row = await timed(ctx.store.db, "certificates")
        .where("f.certificate_id", "=", bigintArg(args.id, "id"))
        .executeTakeFirst();
      return row ? map.certificate(row) : null;
    },
    allocations: (_: unknown, args: PageArgs & { where?: AllocationWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return factPage(
        ctx.store.db,
        "allocations",
        "allocations",
        args,
        "desc",
        (q) => {
          if (given(w.entity)) q = q.where("f.entity_id", "=", w.entity);
          if (given(w.entity_in)) q = inList(q, "f.entity_id", w.entity_in);
          if (given(w.year)) q = q.where("f.year", "=", BigInt(w.year));
          if (given(w.year_in)) q = inList(q, "f.year", w.year_in.map(BigInt));
          if (given(w.kind)) q = q.where("f.kind", "=", base.lower(w.kind));
          if (given(w.kind_in)) q = inList(q, "f.kind", w.kind_in.map(base.lower));
          if (given(w.wallet)) q = q.where("f.wallet", "=", address(w.wallet, "where.wallet"));
          return blockRange(q, w);
        },
        map.allocation,
      );
    },
    ccerBatches: (_: unknown, args: PageArgs & { where?: CcerBatchWhere | null }, ctx: GraphQLContext) => {
      const w = args.where ?? {};
      return factPage(
        ctx.store.db,
        "ccer_batches",
        "ccerBatches",
        args,
        "asc",
        (q) => {
          if (given(w.projectId)) q = q.where("f.project_id", "=", w.projectId);
          if (given(w.projectType)) q = q.where("f.project_type", "=", w.projectType);
          if (given(w.projectType_in)) q = inList(q, "f.project_type", w.projectType_in);
          if (given(w.hydro)) q = q.where("f.hydro", "=", w.hydro ? 1n : 0n);
          if (given(w.id_gt)) q = q.where("f.batch_id", ">", w.id_gt);
          if (given(w.id_lt)) q = q.where("f.batch_id", "<", w.id_lt);
          return q;
        },
        map.ccerBatch,
      );
    },
    supplies: async (_: unknown, args: { token?: string | null; block?: BlockInput }, ctx: GraphQLContext) => {
      const at = await blockArg(ctx.store, args.block);
      const token = base.CONTRACT_OF_TOKEN[args.token ?? "ALLOWANCE"] ?? "AllowanceToken";
      const rows =
        at === undefined
          ? await ctx.store.db
              .selectFrom("supply")
              .selectAll()
              .where("token", "=", token)
              .where("to_block", "is", null)
              .execute()
          : await versionsAt(ctx.store.db, "supply", at, (q) => q.where("c.token", "=", token));
      return rows.sort((a, b) => (a.token_id < b.token_id ? -1 : a.token_id > b.token_id ? 1 : 0)).map(base.supply);
    },
  },
  Certificate: {
    units: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) =>
      (await timed(ctx.store.db, "cancellations").where("f.certificate_id", "=", parent.id).execute()).map(
        map.cancellation,
      ),
  },
  CcerBatch: {
    supply: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) => {
      const row = await ctx.store.db
        .selectFrom("supply")
        .selectAll()
        .where("token", "=", "OffsetToken")
        .where("token_id", "=", parent.id)
        .where("to_block", "is", null)
        .executeTakeFirst();
      return row ? base.supply(row) : null;
    },
  },
  EmissionsReport: {
    history: async (parent: { entityId: bigint; year: number }, _: unknown, ctx: GraphQLContext) => {
      const rows = await ctx.store.db
        .selectFrom("reports")
        .selectAll()
        .where("entity_id", "=", parent.entityId)
        .where("year", "=", BigInt(parent.year))
        .orderBy("from_block")
        .execute();
      return rows.map(map.reportVersion);
    },
  },
  Entity: {
    reports: async (parent: { id: bigint }, args: { year?: number | null }, ctx: GraphQLContext) => {
      let q = reports(ctx.store.db).where("r.entity_id", "=", parent.id);
      if (given(args.year)) q = q.where("r.year", "=", BigInt(args.year));
      return (await q.orderBy("r.year").execute()).map(map.report);
    },
    verifications: async (parent: { id: bigint }, args: { year?: number | null }, ctx: GraphQLContext) => {
      let q = reports(ctx.store.db).where("r.verifier_entity_id", "=", parent.id);
      if (given(args.year)) q = q.where("r.year", "=", BigInt(args.year));
      return (await q.orderBy("r.year").orderBy("r.entity_id").execute()).map(map.report);
    },
    allocations: async (parent: { id: bigint }, args: { year?: number | null }, ctx: GraphQLContext) => {
      let q = timed(ctx.store.db, "allocations").where("f.entity_id", "=", parent.id);
      if (given(args.year)) q = q.where("f.year", "=", BigInt(args.year));
      return (await q.execute()).map(map.allocation);
    },
    reserveIssues: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) =>
      (
        await timed(ctx.store.db, "allocations")
          .where("f.entity_id", "=", parent.id)
          .where("f.kind", "=", "reserve")
          .execute()
      ).map(map.allocation),
    surrenders: async (parent: { id: bigint }, args: { year?: number | null }, ctx: GraphQLContext) => {
      let q = timed(ctx.store.db, "surrenders").where("f.entity_id", "=", parent.id);
      if (given(args.year)) q = q.where("f.year", "=", BigInt(args.year));
      return (await q.execute()).map(map.surrender);
    },
    certificates: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) =>
      (await timed(ctx.store.db, "certificates").where("f.entity_id", "=", parent.id).execute()).map(map.certificate),
    cancellations: async (parent: { id: bigint }, _: unknown, ctx: GraphQLContext) =>
      (
        await timed(ctx.store.db, "cancellations")
          .where("f.certificate_id", "in", (eb: Q) =>
            eb.selectFrom("certificates").select("certificate_id").where("entity_id", "=", parent.id),
          )
          .execute()
      ).map(map.cancellation),
  },
};
