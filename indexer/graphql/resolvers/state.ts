import type { SelectQueryBuilder } from "kysely";
import { indexerError } from "../../errors";
import type { Database } from "../../store/schema";
import { block as blockArg } from "../args";
import * as map from "../mappers";
import type { GraphQLContext } from "./context";

type BlockInput = { number: number } | null | undefined;

/**
 * The version of one key in force at `block` (the current one when undefined): the last version
 * starting at or before it, one probe of the primary key (key…, from_block).
 */
function latest<TB extends "supply" | "compliance", O>(
  qb: SelectQueryBuilder<Database, TB, O>,
  block: bigint | undefined,
) {
  const q = block === undefined ? qb.where("to_block", "is", null) : qb.where("from_block", "<=", block as never);
  return q.orderBy("from_block", "desc").limit(1).executeTakeFirst();
}

export const stateResolvers = {
  Query: {
    supply: async (
      _: unknown,
      args: { vintage?: number | null; token?: string | null; tokenId?: bigint | null; block?: BlockInput },
      ctx: GraphQLContext,
    ) => {
      const at = await blockArg(ctx.store, args.block);
      let token: string;
      let id: bigint;
      if (args.vintage !== undefined && args.vintage !== null) {
        if (args.token || (args.tokenId !== undefined && args.tokenId !== null)) {
          throw indexerError("INVALID_ARGUMENT", "give either vintage, or token and tokenId");
        }
        [token, id] = ["AllowanceToken", BigInt(args.vintage)];
      } else if (args.token) {
        token = map.CONTRACT_OF_TOKEN[args.token] ?? args.token;
        id = args.tokenId ?? 0n;
      } else {
        throw indexerError("INVALID_ARGUMENT", "give a vintage, or a token and its tokenId");
      }
      const row = await latest(
        ctx.store.db.selectFrom("supply").selectAll().where("token", "=", token).where("token_id", "=", id),
        at,
      );
      return row ? map.supply(row) : null;
    },
    complianceStatus: async (
      _: unknown,
      args: { entity: bigint; year: number; block?: BlockInput },
      ctx: GraphQLContext,
    ) => {
      const at = await blockArg(ctx.store, args.block);
      const row = await latest(
        ctx.store.db
          .selectFrom("compliance")
          .selectAll()
          .where("entity_id", "=", args.entity)
          .where("year", "=", BigInt(args.year)),
        at,
      );
      return row ? map.position(row) : null;
    },
  },
};
