import { MapperKind, getDirective, mapSchema } from "@graphql-tools/utils";
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import type { DomainError } from "../../sdk/errors";
import { indexerError } from "../errors";
import type { Session } from "./access";

/** What the `@restricted` guard reads from the GraphQL context. */
export interface AuthContext {
  /** The request's session (a REGULATOR or AUDITOR wallet), or null. */
  session: Session | null;
  /** Why there is none: UNAUTHENTICATED (no valid token) or FORBIDDEN (role revoked). */
  authRefusal: DomainError | null;
}

function guard(ctx: AuthContext | undefined): void {
  if (ctx?.session) return;
  throw (
    ctx?.authRefusal ??
    indexerError("UNAUTHENTICATED", "this field needs a session of a REGULATOR or AUDITOR wallet: no bearer token")
  );
}

/**
 * Enforces `@restricted`: every annotated field (of any object type, `Query` and `Subscription`
 * included) gets its `resolve` and `subscribe` wrapped so that they run only for a request with a
 * session. Fields without the directive are untouched.
 */
export function enforceRestricted(schema: GraphQLSchema): GraphQLSchema {
  const subscriptionType = schema.getSubscriptionType()?.name;
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, _name, typeName) => {
      if (!getDirective(schema, field, "restricted")?.length) return field;
      const resolve: GraphQLFieldResolver<unknown, AuthContext> = field.resolve ?? defaultFieldResolver;
      const wrapped = { ...field };
      wrapped.resolve = (source, args, ctx, info) => {
        guard(ctx);
        return resolve(source, args, ctx, info);
      };
      if (field.subscribe || typeName === subscriptionType) {
        const subscribe: GraphQLFieldResolver<unknown, AuthContext> = field.subscribe ?? defaultFieldResolver;
        wrapped.subscribe = (source, args, ctx, info) => {
          guard(ctx);
          return subscribe(source, args, ctx, info);
        };
      }
      return wrapped;
    },
  });
}
