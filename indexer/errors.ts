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
  UNKNOWN_PRODUCT: {
    kind: "validation",
    help: "A market or trades query names no product the exchange lists: give a product name (`TJEA14` for the 2014 allowance vintage, `CCER-1` for a CCER batch, `CNY`), or both `token` and `tokenId`.",
  },
  INVALID_DATE_RANGE: {
    kind: "validation",
    help: "A trading day is not a calendar day written YYYY-MM-DD, or `to` is before `from`, or the range of `marketData` is longer than 1,000 days. Ask for a shorter range, page by page.",
  },
  UNKNOWN_ALERT_RULE: {
    kind: "validation",
    help: "An alerts filter or subscription names a rule the indexer does not raise. The rules are wash_trade, concentration, price_spike, large_trade, recently_trusted, late_report and reconciliation_mismatch.",
  },
  GRAPHQL_VALIDATION_FAILED: {
    kind: "validation",
    help: "The query does not match the schema (an unknown field or argument, a wrong type). GraphiQL at /graphql shows the schema.",
  },
  GRAPHQL_PARSE_FAILED: { kind: "validation", help: "The query is not valid GraphQL syntax." },
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
