import fs from "node:fs";
import path from "node:path";
import { GraphQLError } from "graphql";
import { createSchema, createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { DomainError } from "../../sdk/errors";
import type { Access } from "../auth/access";
import { enforceRestricted } from "../auth/restricted";
import { indexerError } from "../errors";
import type { ReconcileResult } from "../reconcile";
import type { Store } from "../store/open";
import { limitPlugins, type QueryLimits } from "./limits";
import { accessResolvers } from "./resolvers/access";
import type { GraphQLContext, LiveStatus } from "./resolvers/context";
import { boardResolvers } from "./resolvers/board";
import { entityResolvers } from "./resolvers/entities";
import { createMarketResolvers } from "./resolvers/market";
import { createLivePubSub, createSupervisionResolvers, type LivePubSub } from "./resolvers/supervision";
import { readResolvers } from "./resolvers/reads";
import { reserveResolvers } from "./resolvers/reserve";
import { BigIntScalar } from "./resolvers/scalars";
import { stateResolvers } from "./resolvers/state";
import { statusResolvers } from "./resolvers/status";
import { transferResolvers } from "./resolvers/transfers";

/** The schema, one file per area (`extend type Query`), read in name order. */
export const SCHEMA_DIR = path.join(__dirname, "schema");

export function readSchema(): string {
  return fs
    .readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith(".graphql"))
    .sort()
    .map((f) => fs.readFileSync(path.join(SCHEMA_DIR, f), "utf8"))
    .join("\n");
}

export interface YogaDeps {
  store: Store;
  status: () => LiveStatus;
  log: Logger;
  /** Sessions (`Authorization: Bearer`); without it every `@restricted` field is refused. */
  access?: Access;
  /** Reconciliation against the chain (the `reconciliation` field). */
  reconcile?: (block?: bigint) => Promise<ReconcileResult>;
  /** Depth, cost, alias, token and directive limits (defaults in `limits.ts`). */
  limits?: QueryLimits;
  /** The live feeds of the subscriptions (default: a new one that nothing publishes to). */
  pubsub?: LivePubSub;
  /** The exchange's time zone, minutes east of UTC (trading days); default 480 (UTC+8). */
  utcOffsetMinutes?: number;
}

/**
 * Gives every error an `extensions.code`: parse and validation errors of graphql-js their own, an
 * error thrown by a resolver its DomainError code, anything else INTERNAL_ERROR (its message masked
 * and logged).
 */
function errorCodes(log: Logger): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== "object" || !("errors" in result) || !result.errors)
        return;
      setResult({
        ...result,
        errors: (result.errors as GraphQLError[]).map((e) => {
          if (e.extensions?.code && e.extensions.code !== "INTERNAL_SERVER_ERROR") return e;
          const original = e.originalError;
          let code = "GRAPHQL_VALIDATION_FAILED";
          let message = e.message;
          let details: Record<string, unknown> | undefined;
          if (original instanceof DomainError) {
            code = original.code;
            message = original.message;
            details = original.details;
          } else if (original) {
            log.error({ err: original, path: e.path }, "resolver failed");
            code = "INTERNAL_ERROR";
            message = "Unexpected error.";
          } else if (/^Syntax Error/.test(e.message)) {
            code = "GRAPHQL_PARSE_FAILED";
          }
          return new GraphQLError(message, {
            nodes: e.nodes,
            positions: e.positions,
            path: e.path,
            extensions: { ...(e.extensions ?? {}), code, ...(details ? { details: jsonSafe(details) } : {}) },
          });
        }),
      } as typeof result);
    },
  };
}

const jsonSafe = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

const noReconcile = async (): Promise<ReconcileResult> => {
  throw indexerError("INTERNAL_ERROR", "this server has no reconciliation");
};

/** The GraphQL server (GraphiQL at /graphql); `main.ts` or `npm start` listens. */
export function createIndexerYoga(deps: YogaDeps): YogaServerInstance<Record<string, unknown>, GraphQLContext> {
  const schema = createSchema<GraphQLContext>({
    typeDefs: readSchema(),
    resolvers: [
      { BigInt: BigIntScalar },
      statusResolvers,
      entityResolvers,
      transferResolvers,
      stateResolvers,
      accessResolvers,
      createMarketResolvers({ utcOffsetMinutes: deps.utcOffsetMinutes ?? 480 }),
      createSupervisionResolvers(deps.pubsub ?? createLivePubSub()),
      reserveResolvers,
      readResolvers,
      boardResolvers,
    ],
  });
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: enforceRestricted(schema) as never,
    graphqlEndpoint: "/graphql",
    graphiql: { title: "ETS Ledger — regulator's explorer" },
    // Errors keep their own messages; the plugin masks the unexpected ones.
    maskedErrors: false,
    logging: false,
    context: async ({ request }) => {
      const auth = deps.access
        ? await deps.access.authenticate(request.headers.get("authorization"))
        : { session: null, refusal: null };
      return {
        store: deps.store,
        status: deps.status,
        session: auth.session,
        authRefusal: auth.refusal,
        reconcile: deps.reconcile ?? noReconcile,
      };
    },
    plugins: [...limitPlugins(deps.limits), errorCodes(deps.log)],
  });
}
