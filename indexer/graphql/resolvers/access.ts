import { block } from "../args";
import type { GraphQLContext } from "./context";

/** `session` (public: who am I) and `reconciliation` (@restricted). */
export const accessResolvers = {
  Query: {
    session: (_: unknown, __: unknown, ctx: GraphQLContext) =>
      ctx.session
        ? {
            address: ctx.session.address,
            role: ctx.session.role,
            expiresAt: new Date(ctx.session.expiresAt).toISOString(),
          }
        : null,
    reconciliation: async (_: unknown, args: { block?: { number: number } | null }, ctx: GraphQLContext) => {
      const at = await block(ctx.store, args.block);
      const r = await ctx.reconcile(at);
      return { ...r, equal: r.differences.length === 0 };
    },
  },
};
