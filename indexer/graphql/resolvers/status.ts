import { indexedBlock } from "../args";
import type { GraphQLContext } from "./context";

export const statusResolvers = {
  Query: {
    indexerStatus: async (_: unknown, __: unknown, ctx: GraphQLContext) => {
      const indexed = Number(await indexedBlock(ctx.store));
      const live = ctx.status();
      return {
        head: live.head,
        indexedBlock: indexed,
        behind: live.head === null ? null : Math.max(0, live.head - live.confirmations - indexed),
        nodeReachable: live.nodeReachable,
        reorgs: live.reorgs,
      };
    },
  },
};
