import { indexedBlock } from "../args";
import type { GraphQLContext } from "./context";

export const statusResolvers = {
  Query: {
    indexerStatus: async (_: unknown, __: unknown, ctx: GraphQLContext) => {
      const indexed = Number(await indexedBlock(ctx.store));
      const live = ctx.status();
      const cursor = await ctx.store.db
        .selectFrom("cursor")
        .select("updated_at")
        .where("id", "=", "main")
        .executeTakeFirst();
      return {
        head: live.head,
        indexedBlock: indexed,
        behind: live.head === null ? null : Math.max(0, live.head - live.confirmations - indexed),
        nodeReachable: live.nodeReachable,
        headSeenAt: live.headSeenAt,
        lastCommitAt: cursor ? Number(cursor.updated_at) : null,
        reorgs: live.reorgs,
      };
    },
  },
};
