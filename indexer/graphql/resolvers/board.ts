import { sql, type Kysely } from "kysely";
import { SECTORS } from "../../indexing/handlers/registry";
import type { Database } from "../../store/schema";
import { bigintArg, block as blockArg, decodeCursor, encodeCursor, first as firstArg, indexedBlock } from "../args";
import { upper } from "../mappers";
import type { GraphQLContext } from "./context";
import { toConnection } from "./lists";

/* eslint-disable @typescript-eslint/no-explicit-any -- joins of three versioned tables read at a block */
type Q = any;
type BlockInput = { number: number } | null | undefined;

/** `alias`'s versioned rows in force at `block` (the current ones when undefined), as a join condition. */
function at(alias: string, block: bigint | undefined) {
  return block === undefined
    ? sql<boolean>`${sql.ref(`${alias}.to_block`)} is null`
    : sql<boolean>`${sql.ref(`${alias}.from_block`)} <= ${block} and (${sql.ref(`${alias}.to_block`)} is null or ${sql.ref(`${alias}.to_block`)} > ${block})`;
}

/**
 * The covered positions of `year` at `block`, each joined to its entity and its report as they were
 * then: one indexed probe per position (compliance by year, entities and reports by primary key).
 */
function positions(db: Kysely<Database>, year: number, block: bigint | undefined): Q {
  return (db as Kysely<any>)
    .selectFrom("compliance as c")
    .innerJoin("entities as e", (j: Q) => j.onRef("e.entity_id", "=", "c.entity_id").on(at("e", block)))
    .leftJoin("reports as r", (j: Q) =>
      j.onRef("r.entity_id", "=", "c.entity_id").onRef("r.year", "=", "c.year").on(at("r", block)),
    )
    .where("c.year", "=", BigInt(year))
    .where("c.covered", "=", 1n)
    .where(at("c", block));
}

const surrendered = sql`(c.allowances_surrendered + c.offsets_surrendered)`;
const outstanding = sql`(case when c.obligation is not null and c.obligation > ${surrendered} then c.obligation - ${surrendered} else 0 end)`;
const count = (condition: ReturnType<typeof sql>) => sql`sum(case when ${condition} then 1 else 0 end)`;
const total = (expr: ReturnType<typeof sql>) => sql`cast(coalesce(sum(${expr}), 0) as bigint)`;

interface Row {
  sector: string | null;
  covered: unknown;
  compliant: unknown;
  in_shortfall: unknown;
  open: unknown;
  not_reported: unknown;
  reported: unknown;
  verified: unknown;
  approved: unknown;
  estimated: unknown;
  obligation: unknown;
  allowances_surrendered: unknown;
  offsets_surrendered: unknown;
  outstanding: unknown;
  shortfall: unknown;
  fines: unknown;
}

const COUNTS = [
  "covered",
  "compliant",
  "in_shortfall",
  "open",
  "not_reported",
  "reported",
  "verified",
  "approved",
  "estimated",
] as const;
const SUMS = [
  "obligation",
  "allowances_surrendered",
  "offsets_surrendered",
  "outstanding",
  "shortfall",
  "fines",
] as const;

interface Scope {
  year: number;
  block: bigint | undefined;
  sector: string | null;
}

function rowOf(r: Row, scope: Scope) {
  const n = (v: unknown) => Number(v ?? 0);
  const b = (v: unknown) => BigInt((v as bigint | number | string | null) ?? 0);
  return {
    sector: r.sector === null ? null : upper(r.sector),
    covered: n(r.covered),
    compliant: n(r.compliant),
    inShortfall: n(r.in_shortfall),
    open: n(r.open),
    notReported: n(r.not_reported),
    reported: n(r.reported),
    verified: n(r.verified),
    approved: n(r.approved),
    estimated: n(r.estimated),
    obligation: b(r.obligation),
    allowancesSurrendered: b(r.allowances_surrendered),
    offsetsSurrendered: b(r.offsets_surrendered),
    outstanding: b(r.outstanding),
    shortfall: b(r.shortfall),
    fines: b(r.fines),
    scope,
  };
}

export const boardResolvers = {
  Query: {
    complianceBoard: async (_: unknown, args: { year: number; block?: BlockInput }, ctx: GraphQLContext) => {
      const block = await blockArg(ctx.store, args.block);
      const rows: Row[] = await positions(ctx.store.db, args.year, block)
        .select([
          "e.sector as sector",
          sql`count(*)`.as("covered"),
          count(sql`c.status = 'compliant'`).as("compliant"),
          count(sql`c.status = 'shortfall'`).as("in_shortfall"),
          count(sql`c.status = 'open'`).as("open"),
          count(sql`r.status is null or r.status = 'none'`).as("not_reported"),
          count(sql`r.status in ('submitted', 'returned')`).as("reported"),
          count(sql`r.status = 'verified'`).as("verified"),
          count(sql`r.status = 'approved'`).as("approved"),
          count(sql`r.status = 'estimated'`).as("estimated"),
          total(sql`coalesce(c.obligation, 0)`).as("obligation"),
          total(sql`c.allowances_surrendered`).as("allowances_surrendered"),
          total(sql`c.offsets_surrendered`).as("offsets_surrendered"),
          total(outstanding).as("outstanding"),
          total(sql`c.shortfall`).as("shortfall"),
          total(sql`c.fine`).as("fines"),
        ])
        .groupBy("e.sector")
        .execute();
      const order = (s: string | null) => SECTORS.indexOf((s ?? "") as (typeof SECTORS)[number]);
      rows.sort((a, b) => order(a.sector) - order(b.sector));
      // The total row adds up the sector rows (at most one per sector).
      const sum: Row = { sector: null } as Row;
      for (const k of COUNTS) (sum as any)[k] = rows.reduce((s, r) => s + Number(r[k] ?? 0), 0);
      for (const k of SUMS) (sum as any)[k] = rows.reduce((s, r) => s + BigInt((r[k] as bigint) ?? 0), 0n);
      const scope = (sector: string | null): Scope => ({ year: args.year, block, sector });
      return {
        year: args.year,
        block: Number(block ?? (await indexedBlock(ctx.store))),
        sectors: rows.map((r) => rowOf(r, scope(r.sector))),
        total: rowOf(sum, scope(null)),
      };
    },
  },
  ComplianceBoardRow: {
    entities: async (
      parent: { scope: Scope },
      args: { first?: number | null; after?: string | null },
      ctx: GraphQLContext,
    ) => {
      const { year, block, sector } = parent.scope;
      const n = firstArg(args.first);
      const after = decodeCursor("complianceBoardEntities", args.after);
      let q = positions(ctx.store.db, year, block);
      if (sector !== null) q = q.where("e.sector", "=", sector);
      const counted = q;
      if (after) q = q.where("c.entity_id", ">", bigintArg(after[0], "cursor"));
      const rows = await q
        .select([
          "c.entity_id",
          "e.name",
          "e.sector",
          "c.status",
          "r.status as report_status",
          "c.obligation",
          "c.allowances_surrendered",
          "c.offsets_surrendered",
          "c.shortfall",
          "c.fine",
        ])
        .orderBy("c.entity_id")
        .limit(n + 1)
        .execute();
      return toConnection(
        rows,
        n,
        (r: any) => encodeCursor("complianceBoardEntities", [r.entity_id.toString()]),
        (page) =>
          page.map((r: any) => {
            const done = r.allowances_surrendered + r.offsets_surrendered;
            return {
              entityId: r.entity_id,
              name: r.name,
              sector: upper(r.sector),
              status: upper(r.status),
              reportStatus: upper(r.report_status ?? "none"),
              obligation: r.obligation,
              allowancesSurrendered: r.allowances_surrendered,
              offsetsSurrendered: r.offsets_surrendered,
              surrendered: done,
              outstanding: r.obligation !== null && r.obligation > done ? r.obligation - done : 0n,
              shortfall: r.shortfall,
              fine: r.fine,
            };
          }),
        async () => Number((await counted.select(sql`count(*)`.as("n")).executeTakeFirstOrThrow()).n),
      );
    },
  },
};
