import { DomainError, type ErrorKind } from "../sdk/errors";

/**
 * Every error code the indexer raises (sync and GraphQL `extensions.code`): its kind, and why it
 * happens and how to fix it (the source of `docs/error-codes.md`). A test proves that every code
 * raised in `indexer/` is listed here.
 */
export const INDEXER_ERRORS = {
  INDEXER_DATABASE_MISMATCH: {
    kind: "conflict",
    help: "The indexer's database was built for another chain or another deployment than the manifest names. Point DATABASE_URL / ETS_INDEXER_SQLITE to the right database, or delete it to index this deployment from its first block.",
  },
  INDEXER_REORG_TOO_DEEP: {
    kind: "internal",
    help: "The chain replaced more blocks than ETS_INDEXER_MAX_REORG_DEPTH allows (blocks thought final changed). Stop the indexer, delete its database and let it index again from the deployment block; check the node's consensus.",
  },
  BLOCK_BEYOND_INDEXED: {
    kind: "validation",
    help: "A `block: { number }` argument names a block above the last one indexed. Ask `indexerStatus { indexedBlock }` for the highest block that can be read.",
  },
  INVALID_CURSOR: {
    kind: "validation",
    help: "An `after` cursor was not one this API returned (malformed or from another list). Start again from the first page.",
  },
  INVALID_ARGUMENT: {
    kind: "validation",
    help: "An argument is out of range or malformed (a negative `first`, an address that is not 20 bytes of hex, a number that is not a whole number). The message names it.",
  },
  GRAPHQL_VALIDATION_FAILED: {
    kind: "validation",
    help: "The query does not match the schema (an unknown field or argument, a wrong type). GraphiQL at /graphql shows the schema.",
  },
  GRAPHQL_PARSE_FAILED: { kind: "validation", help: "The query is not valid GraphQL syntax." },
  EXPORT_BAD_REQUEST: {
    kind: "validation",
    help: "A CSV export request (`/export.csv`) is malformed: no `query`, `variables` that are not a JSON object, a body that is not JSON, a mutation, or a method other than GET and POST. The message names it.",
  },
  EXPORT_NO_CONNECTION: {
    kind: "validation",
    help: "The query of a CSV export selects no list to export: select one connection (e.g. `surrenders`, `transfers`) with `edges { node { … } }`, reached through single objects (not inside a list).",
  },
  EXPORT_AMBIGUOUS_CONNECTION: {
    kind: "validation",
    help: "The query of a CSV export selects more than one list: a CSV holds one. Export each list with its own query.",
  },
  EXPORT_TOO_MANY_ROWS: {
    kind: "validation",
    help: "The list has more rows than one CSV export may hold (ETS_INDEXER_EXPORT_MAX_ROWS, 1,000,000 by default). Narrow it with `where` (e.g. a block range) and export it in parts.",
  },
  EXPORT_QUERY_FAILED: {
    kind: "validation",
    help: "The GraphQL query of a CSV export failed without an error code of its own. The message is GraphQL's; run the query at /graphql to see the whole answer.",
  },
  INTERNAL_ERROR: {
    kind: "internal",
    help: "An unexpected error in the indexer; the details are in its log. Report it with the query.",
  },
} as const satisfies Record<string, { kind: ErrorKind; help: string }>;

export type IndexerErrorCode = keyof typeof INDEXER_ERRORS;

export function indexerError(
  code: IndexerErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  return new DomainError(code, message, INDEXER_ERRORS[code].kind, details);
}
