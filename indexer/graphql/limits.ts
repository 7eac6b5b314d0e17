import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import {
  GraphQLError,
  type ArgumentNode,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  valueFromAST,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";
import type { Plugin } from "graphql-yoga";

/** The query limits (environment: `limitOptions` of `config.ts`). */
export interface QueryLimits {
  /** Deepest selection. Default 10. */
  maxDepth?: number;
  /** GraphQL Armor's cost (objects 2, scalars 1, ×1.5 per level, × a literal `first`). Default 100,000. */
  maxCost?: number;
  /** Rows a query may ask for: each list's `first` (its default, or a variable's value) times its parents'. Default 100,000. */
  maxRows?: number;
  /** Rows assumed for a list field without `first`. Default 20. */
  listSize?: number;
  /** Default 15. */
  maxAliases?: number;
  /** Tokens of the document. Default 5,000. */
  maxTokens?: number;
  /** Default 50. */
  maxDirectives?: number;
}

export const DEFAULT_LIMITS: Required<QueryLimits> = {
  maxDepth: 10,
  maxCost: 100_000,
  maxRows: 100_000,
  listSize: 20,
  maxAliases: 15,
  maxTokens: 5_000,
  maxDirectives: 50,
};

type LimitCode = "QUERY_TOO_DEEP" | "QUERY_TOO_COSTLY" | "TOO_MANY_ALIASES" | "QUERY_TOO_LARGE" | "TOO_MANY_DIRECTIVES";

const MAX_FIRST = 1000;

/** Whether the document has a literal `first` outside 0…MAX_FIRST (refused as INVALID_ARGUMENT). */
function firstOutOfRange(doc: DocumentNode): boolean {
  let found = false;
  visit(doc, {
    Argument(node) {
      if (node.name.value === "first" && node.value.kind === Kind.INT) {
        const n = Number(node.value.value);
        if (n < 0 || n > MAX_FIRST) found = true;
      }
    },
  });
  return found;
}

/** GraphQL Armor's refusal, reported as a validation error with its stable code (and without "Syntax Error:"). */
function report({ code, limit }: { code: LimitCode; limit: number }) {
  return {
    propagateOnRejection: false,
    onReject: [
      (ctx: ValidationContext | null, err: GraphQLError) => {
        if (!ctx) return;
        // An oversized literal page is an argument error: said once, as INVALID_ARGUMENT.
        if (code === "QUERY_TOO_COSTLY" && firstOutOfRange(ctx.getDocument())) return;
        const message = err.message.replace(/^Syntax Error: /, "");
        ctx.reportError(new GraphQLError(message, { extensions: { code, limit } }));
      },
    ],
  };
}

/**
 * Rows a query may ask for. A field with a `first` argument multiplies what is below it by
 * `first` (a literal, a variable's value, or the argument's default), and its connection's `edges` /
 * `nodes` are those rows; any other list field multiplies by `listSize`. A thousand entities with their
 * accounts and each account's holdings are 1000 × (1 + 1 + 1 + 20 × (1 + 20)) rows.
 */
export function estimateRows(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
  listSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!op) return 0;
  const root =
    op.operation === "query"
      ? schema.getQueryType()
      : op.operation === "mutation"
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return 0;

  const rowsOf = (
    set: SelectionSetNode,
    type: GraphQLCompositeType,
    pagedParent: boolean,
    seen: Set<string>,
  ): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) as GraphQLCompositeType) : type;
        if (t) total += rowsOf(sel.selectionSet, t, pagedParent, seen);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments.get(sel.name.value);
        if (!frag || seen.has(frag.name.value)) continue;
        const t = schema.getType(frag.typeCondition.name.value) as GraphQLCompositeType;
        if (t) total += rowsOf(frag.selectionSet, t, pagedParent, new Set([...seen, frag.name.value]));
        continue;
      }
      if (sel.name.value.startsWith("__") || !sel.selectionSet) continue;
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      const field = type.getFields()[sel.name.value];
      if (!field) continue;
      let multiplier = 1;
      let paged = false;
      const firstArg = field.args.find((a) => a.name === "first");
      if (firstArg) {
        const node = sel.arguments?.find((a) => a.name.value === "first");
        // An omitted variable leaves the argument to its default, as graphql-js does.
        const given = node ? valueFromAST(node.value, firstArg.type, variables ?? undefined) : undefined;
        const value = given ?? firstArg.defaultValue;
        multiplier = typeof value === "number" && value > 0 ? value : 1;
        paged = true;
      } else if (isListType(getNullableType(field.type))) {
        multiplier = pagedParent && (sel.name.value === "edges" || sel.name.value === "nodes") ? 1 : listSize;
      }
      const child = getNamedType(field.type) as GraphQLCompositeType;
      total += multiplier * (1 + rowsOf(sel.selectionSet, child, paged, seen));
    }
    return total;
  };
  return rowsOf(op.selectionSet, root, false, new Set());
}

/**
 * A literal `first` outside 0…1000 (the page size of every connection) is refused as
 * INVALID_ARGUMENT before the cost limit sees it, which would only say QUERY_TOO_COSTLY.
 */
function firstInRange(max: number): Plugin {
  const rule = (ctx: ValidationContext) => ({
    Argument(node: ArgumentNode) {
      if (node.name.value !== "first" || node.value.kind !== Kind.INT) return;
      const n = Number(node.value.value);
      if (n < 0 || n > max) {
        ctx.reportError(
          new GraphQLError(`first must be a whole number from 0 to ${max}, not ${n}`, {
            nodes: [node],
            extensions: { code: "INVALID_ARGUMENT", first: n, max },
          }),
        );
      }
    },
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}

/** GraphQL Armor's limits and the rows estimate, as yoga plugins; each refusal carries its code. */
export function limitPlugins(limits: QueryLimits = {}): Plugin[] {
  const l = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
  const rowsCheck = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    variableValues?: Record<string, unknown> | null;
    operationName?: string | null;
  }) => {
    const rows = estimateRows(args.schema, args.document, args.variableValues, args.operationName, l.listSize);
    if (rows <= l.maxRows) return undefined;
    return new GraphQLError(
      `the query may return ${rows} rows (each list's first times its parents'), more than ${l.maxRows}: ask for smaller pages`,
      { extensions: { code: "QUERY_TOO_COSTLY", rows, limit: l.maxRows } },
    );
  };
  return [
    firstInRange(MAX_FIRST),
    maxTokensPlugin({
      n: l.maxTokens,
      onReject: [
        (_ctx, err) => {
          Object.assign(err.extensions as Record<string, unknown>, { code: "QUERY_TOO_LARGE", limit: l.maxTokens });
        },
      ],
    }) as Plugin,
    maxDepthPlugin({
      n: l.maxDepth,
      ignoreIntrospection: true,
      ...report({ code: "QUERY_TOO_DEEP", limit: l.maxDepth }),
    }) as Plugin,
    costLimitPlugin({
      maxCost: l.maxCost,
      ignoreIntrospection: true,
      ...report({ code: "QUERY_TOO_COSTLY", limit: l.maxCost }),
    }) as Plugin,
    maxAliasesPlugin({ n: l.maxAliases, ...report({ code: "TOO_MANY_ALIASES", limit: l.maxAliases }) }) as Plugin,
    maxDirectivesPlugin({
      n: l.maxDirectives,
      ...report({ code: "TOO_MANY_DIRECTIVES", limit: l.maxDirectives }),
    }) as Plugin,
    {
      onExecute({ args, setResultAndStopExecution }) {
        const err = rowsCheck(args);
        if (err) setResultAndStopExecution({ errors: [err] });
      },
      onSubscribe({ args, setResultAndStopExecution }) {
        const err = rowsCheck(args);
        if (err) setResultAndStopExecution({ errors: [err] });
      },
    },
  ];
}
