/**
 * Every error code the exchange's API answers with (besides the contract codes of `sdk/errors.ts`
 * that a chain call may bring back): its HTTP status, and why it happens and how to fix it (the
 * source of `docs/error-codes.md`). A test proves that every code raised in `server/` is listed.
 */
export const EXCHANGE_ERRORS = {
  REQUEST_MALFORMED_JSON: { status: 400, help: "The request body is not valid JSON." },
  REQUEST_TOO_LARGE: { status: 400, help: "The request body is larger than 64 KiB." },
  REQUEST_INVALID: {
    status: 400,
    help: "A field is missing, of the wrong type, unknown, or out of range; the message names each offending field. Amounts are whole numbers as decimal strings.",
  },
  EXCHANGE_STOPPING: {
    status: 503,
    help: "The exchange is shutting down; nothing was accepted. Send the request again once it runs.",
  },
  ROUTE_NOT_FOUND: { status: 404, help: "There is no such method and path; see /v1/openapi.json." },
  RATE_LIMITED: {
    status: 429,
    help: "One trader sent more requests in a second than ETS_RATE_LIMIT_PER_SECOND allows; retry after a moment.",
  },
  ORDER_SIGNATURE_INVALID: {
    status: 403,
    help: "The order's EIP-712 signature was not made by its `trader` for this chain and this Clearing contract (wrong key, wrong domain, a field changed after signing, or a malleable signature).",
  },
  CANCEL_SIGNATURE_INVALID: {
    status: 403,
    help: "The cancellation is not signed by the order's trader (EIP-712 `Cancel`).",
  },
  CANCEL_EXPIRED: { status: 400, help: "The signed cancellation's expiry has passed; sign a new one." },
  WITHDRAWAL_SIGNATURE_INVALID: {
    status: 403,
    help: "The withdrawal is not signed by its trader (EIP-712 `Withdrawal`).",
  },
  WITHDRAWAL_NONCE_REUSED: {
    status: 409,
    help: "A withdrawal with this nonce was accepted before; sign it with a new nonce.",
  },
  WITHDRAWAL_TOKEN_UNKNOWN: {
    status: 400,
    help: "The token is not traded at this exchange (allowances, CCER and cash are).",
  },
  WITHDRAWAL_EXPIRED: { status: 400, help: "The signed withdrawal's expiry has passed." },
  INVALID_AMOUNT: { status: 400, help: "The amount must be a whole number greater than zero." },
  TRADER_NOT_ACTIVE: {
    status: 403,
    help: "The trader has no active registry account (never registered, frozen or closed); the registry operator can say why.",
  },
  INSUFFICIENT_TRADING_BALANCE: {
    status: 409,
    help: "The trading account cannot cover the order or withdrawal: available = balance − what open orders reserve (a buy reserves price × quantity + the larger fee). Deposit more, cancel orders, or wait for settlement.",
  },
  ORDER_NONCE_REUSED: {
    status: 409,
    help: "The trader already used this nonce for an order; use the account's `nextNonce`.",
  },
  ORDER_NOT_FOUND: { status: 404, help: "The trader has no order with this nonce." },
  ORDER_NOT_OPEN: { status: 409, help: "The order is already filled, cancelled, expired or unfilled." },
  PRODUCT_UNKNOWN: {
    status: 404,
    help: "Nothing of this token id is traded yet: a product (TJEA14, CCER-3) exists once its units were deposited at the exchange.",
  },
  PRODUCT_HALTED: { status: 400, help: "The exchange halted trading in the product; cancels still work." },
  ORDER_ID_INVALID: {
    status: 400,
    help: "An order id is not a safe whole number (internal ids; should not reach a client).",
  },
  ORDER_ID_DUPLICATE: {
    status: 400,
    help: "An order with this id rests already (internal ids; should not reach a client).",
  },
  ORDER_TRADER_INVALID: {
    status: 400,
    help: "The trader could not be numbered (internal; should not reach a client).",
  },
  ORDER_SIDE_INVALID: { status: 400, help: "The side is neither buy nor sell." },
  ORDER_TYPE_INVALID: { status: 400, help: "The order type is neither limit nor market." },
  ORDER_TIME_IN_FORCE_INVALID: {
    status: 400,
    help: "timeInForce must be 0 (GTC), 1 (IOC) or 2 (FOK); a market order cannot rest (GTC).",
  },
  ORDER_PRICE_INVALID: {
    status: 400,
    help: "The price must be a whole number of fen per tonne, greater than zero and below 2^31.",
  },
  ORDER_PRICE_OFF_TICK: { status: 400, help: "The price is not a multiple of the product's tick (¥0.01 by default)." },
  ORDER_PRICE_OUTSIDE_BAND: {
    status: 400,
    help: "The price is outside today's band around the previous close (±10 % by default); GET /v1/books/:product shows the band.",
  },
  ORDER_QUANTITY_INVALID: { status: 400, help: "The quantity must be a whole number of tonnes greater than zero." },
  ORDER_QUANTITY_OFF_LOT: { status: 400, help: "The quantity is not a multiple of the lot (1 t by default)." },
  ORDER_QUANTITY_TOO_LARGE: {
    status: 400,
    help: "The quantity is above the largest order the product accepts (10,000,000 t by default).",
  },
  ORDER_EXPIRED: { status: 400, help: "The order's expiry has passed (or is not a valid unix time)." },
  BLOCK_DEAL_TOO_SMALL: { status: 400, help: "A block deal must be at least 100,000 t (by default)." },
  BLOCK_DEAL_PRICE_OUTSIDE_BAND: {
    status: 400,
    help: "A block deal's price must be within ±30 % of the previous close (by default).",
  },
  BLOCK_DEAL_SAME_TRADER: { status: 400, help: "The two sides of a block deal must be different traders." },
  BLOCK_DEAL_ORDERS_MISMATCHED: {
    status: 400,
    help: "The two signed orders of a block deal (POST /v1/block-deals) do not name each other: `buy` must be a buy and `sell` a sell, of the same product (token and token id), at the same price and for the same quantity. The message names what differs; sign both orders with the agreed terms.",
  },
  OPERATOR_DISABLED: {
    status: 503,
    help: "The operator endpoints (/v1/admin/…) are off because the exchange was started without an operator token. Set ETS_OPERATOR_TOKEN (at least 16 characters) or ETS_OPERATOR_TOKEN_FILE and restart it; `npm start` writes one to `<data dir>/exchange/operator-token`.",
  },
  OPERATOR_TOKEN_MISSING: {
    status: 401,
    help: "An operator endpoint was called without `Authorization: Bearer <token>`. The CLI sends ETS_OPERATOR_TOKEN or the first line of --token-file.",
  },
  OPERATOR_TOKEN_INVALID: {
    status: 401,
    help: "The bearer token is not the exchange's operator token (each refusal is logged). Use the token the exchange was started with (ETS_OPERATOR_TOKEN or the file ETS_OPERATOR_TOKEN_FILE names).",
  },
  STREAM_MESSAGE_INVALID: {
    status: 400,
    help: 'A message sent on the WebSocket /v1/stream is not JSON or not a valid `{"type":"subscribe","products":[…],"channels":["trade","book"]}`. Answered as a `{"type":"error"}` message on that connection, which stays open with its previous subscription.',
  },
} as const satisfies Record<string, { status: number; help: string }>;

export type ExchangeErrorCode = keyof typeof EXCHANGE_ERRORS;
