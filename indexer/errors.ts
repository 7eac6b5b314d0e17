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
  UNAUTHENTICATED: {
    kind: "unauthorised",
    help: "Entity-level data (`@restricted` fields) needs a session: log in with a REGULATOR or AUDITOR wallet (`POST /auth/nonce`, then `POST /auth/login` with the signed Sign-In with Ethereum message) and send `Authorization: Bearer <token>`. The token was missing, unknown, logged out or expired.",
  },
  FORBIDDEN: {
    kind: "unauthorised",
    help: "The session's wallet no longer holds REGULATOR or AUDITOR on chain (the role was revoked; the indexer asks again every ETS_INDEXER_ROLE_RECHECK_S seconds). Log in with a wallet that holds one.",
  },
  NOT_REGULATOR: {
    kind: "unauthorised",
    help: "The wallet that signed the login message holds neither REGULATOR nor AUDITOR on the deployment's AccessManager, so no session was opened. The admin grants AUDITOR (see docs/operator-guide.md).",
  },
  AUTH_ROLE_CHECK_FAILED: {
    kind: "retryable",
    help: "The indexer could not ask the chain whether the wallet holds its role (the node did not answer). Try again when the node is reachable (`indexerStatus { nodeReachable }`).",
  },
  AUTH_INVALID_MESSAGE: {
    kind: "validation",
    help: "The body of `POST /auth/login` is not `{ message, signature }` with an EIP-4361 (Sign-In with Ethereum) message the indexer can parse. Build it with the `siwe` package or `sdk/indexer-login.ts`.",
  },
  AUTH_INVALID_SIGNATURE: {
    kind: "unauthorised",
    help: "The signature is not the personal_sign of the message by the address the message names. Sign the exact message text with that wallet.",
  },
  AUTH_WRONG_DOMAIN: {
    kind: "unauthorised",
    help: "The message's domain is not this indexer's (its Host, or ETS_INDEXER_AUTH_DOMAIN): a message signed for another site is refused. Build the message with the host the request goes to.",
  },
  AUTH_WRONG_CHAIN: {
    kind: "unauthorised",
    help: "The message's chain id is not the chain id of the deployment the indexer serves. Use the deployment's chain id (`sdk/indexer-login.ts` reads it from the signer's provider).",
  },
  AUTH_NONCE_INVALID: {
    kind: "unauthorised",
    help: "The message's nonce was not issued by this indexer, or it expired before the login (ETS_INDEXER_NONCE_TTL_S). Ask `POST /auth/nonce` for a fresh one and sign again.",
  },
  AUTH_NONCE_USED: {
    kind: "unauthorised",
    help: "The message's nonce was already used by a login: a signed message opens one session only, a replay is refused. Ask `POST /auth/nonce` for a fresh one.",
  },
  AUTH_MESSAGE_EXPIRED: {
    kind: "unauthorised",
    help: "The message's expirationTime has passed, or its notBefore has not come yet. Sign a new message.",
  },
  QUERY_TOO_DEEP: {
    kind: "validation",
    help: "The query nests selections deeper than ETS_GRAPHQL_MAX_DEPTH. Ask for less at once, or follow the ids in a second query.",
  },
  QUERY_TOO_COSTLY: {
    kind: "validation",
    help: "The query's estimated cost is above ETS_GRAPHQL_MAX_COST, or the rows it may return (each list's `first` times its parents') above ETS_GRAPHQL_MAX_ROWS. Ask for smaller pages (`first`) or fewer nested lists, and page with `after`.",
  },
  TOO_MANY_ALIASES: {
    kind: "validation",
    help: "The query uses more aliases than ETS_GRAPHQL_MAX_ALIASES. Split it into several queries.",
  },
  QUERY_TOO_LARGE: {
    kind: "validation",
    help: "The query document has more tokens than ETS_GRAPHQL_MAX_TOKENS. Split it into several queries.",
  },
  TOO_MANY_DIRECTIVES: {
    kind: "validation",
    help: "The query uses more directives than ETS_GRAPHQL_MAX_DIRECTIVES. Split it into several queries.",
  },
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
