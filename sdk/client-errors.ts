import { CHAIN_ERRORS, DomainError, type ErrorKind } from "./errors";

interface ClientErrorSpec {
  kind: ErrorKind;
  /** Why it happens and how to fix it (the source of `docs/error-codes.md`). */
  help: string;
}

/**
 * Every error code that clients (the `ets` CLI, SDK helpers) raise without a contract having
 * reverted: input validation, wallets, configuration, connection. Codes a contract can also raise
 * with the same meaning are NOT repeated here: clients reuse the code of {@link CHAIN_ERRORS}
 * through {@link chainCoded}, so a check done early and the contract's own check give one code.
 * A test proves that no code here is also a chain code.
 */
export const CLIENT_ERRORS = {
  // ── usage and configuration ──────────────────────────────────────────────────────────────────
  INVALID_USAGE: {
    kind: "validation",
    help: "The command line does not match the command (unknown option, missing argument). Run it with --help.",
  },
  INVALID_CONFIG: {
    kind: "validation",
    help: "A setting from a flag or the environment is malformed (e.g. ETS_RPC_URL is not a URL). Fix the value named in the message.",
  },
  FILE_UNREADABLE: {
    kind: "not_found",
    help: "A file named on the command line (password file, private-key file) cannot be read. Check the path and its permissions.",
  },
  DEPLOYMENT_NOT_FOUND: {
    kind: "not_found",
    help: "There is no deployment manifest `<chainId>.json` for the connected chain. Run `npm start` once, or point --deployments / ETS_DEPLOYMENTS_DIR to the right folder.",
  },
  MANIFEST_INVALID: {
    kind: "internal",
    help: "The deployment manifest exists but cannot be parsed. Redeploy or restore the file.",
  },
  // ── connection and transactions (raised by `toDomainError` and `confirm`) ──────────────────
  NODE_UNREACHABLE: {
    kind: "retryable",
    help: "The chain node does not answer. Check that it runs (`npm start`) and that --rpc / ETS_RPC_URL points to it.",
  },
  INSUFFICIENT_GAS_FUNDS: {
    kind: "conflict",
    help: "The node asks for a gas fee. The scheme's network runs with gas price 0; check the node's configuration.",
  },
  NONCE_CONFLICT: {
    kind: "retryable",
    help: "Another transaction of the same wallet was sent at the same moment. Try again.",
  },
  TRANSACTION_REVERTED: {
    kind: "internal",
    help: "A mined transaction failed and its reason could not be recovered. Look the transaction hash up on the node.",
  },
  CONTRACT_REVERTED: {
    kind: "internal",
    help: "A contract failed with a plain revert or panic instead of a custom error. Report it with the command that caused it.",
  },
  CONTRACT_ERROR: {
    kind: "internal",
    help: "A contract failed with a custom error that this client does not know. Update the client.",
  },
  WALLET_REJECTED: {
    kind: "validation",
    help: "The signature or transaction was declined in the wallet. Nothing was sent; try again and approve it in the wallet.",
  },
  UNEXPECTED: {
    kind: "internal",
    help: "Something failed that no check anticipated. Report it with the command that caused it.",
  },
  // ── input values ─────────────────────────────────────────────────────────────────────────────
  INVALID_ADDRESS: {
    kind: "validation",
    help: "An address is not 0x followed by 40 hexadecimal digits (or has a wrong checksum).",
  },
  INVALID_AMOUNT: {
    kind: "validation",
    help: "An amount is not a number: give whole tonnes (e.g. 100) or CNY with at most two decimals (e.g. 25.30).",
  },
  NEGATIVE_AMOUNT: { kind: "validation", help: "An amount is negative. Amounts are always positive." },
  AMOUNT_NOT_WHOLE: {
    kind: "validation",
    help: "Allowances and CCER move in whole tonnes, cash in whole fen (at most two decimals of CNY).",
  },
  AMOUNT_TOO_LARGE: {
    kind: "validation",
    help: "An amount is above 9,007,199,254,740,991 units, the largest any part of the system accepts.",
  },
  INVALID_BATCH_ID: { kind: "validation", help: "A CCER batch id is not a positive number such as 3 or CCER-3." },
  INVALID_TRANSFER_ID: {
    kind: "validation",
    help: "A pending-transfer reference is not `<token>:<number>` (allowance:3, ccer:3, cash:3) or a plain number.",
  },
  TRANSFER_ID_AMBIGUOUS: {
    kind: "validation",
    help: "A plain pending-transfer number matches open transfers of several tokens. Say which, e.g. ccer:3.",
  },
  PRODUCT_REQUIRED: {
    kind: "validation",
    help: "A transfer needs exactly one of --vintage <year>, --ccer <batch> or --cash.",
  },
  TRANSFER_TO_SELF: { kind: "validation", help: "The receiver is the sending wallet itself." },
  INVALID_DATE: { kind: "validation", help: "A date is not YYYY-MM-DD (or a full ISO 8601 time)." },
  INVALID_NUMBER: {
    kind: "validation",
    help: "A number (entity id, serial number, delay) is not a whole number in the allowed range.",
  },
  INVALID_DURATION: {
    kind: "validation",
    help: "A duration is not a number of seconds or a number with a unit: 90s, 15m, 26h, 2d.",
  },
  INVALID_CREDIT_CODE: {
    kind: "validation",
    help: "A unified social credit code is not 18 characters of 0-9 and A-Y without I, O, S, V, Z.",
  },
  MISSING_VALUE: {
    kind: "validation",
    help: "A required text (reason, case reference, bank reference, name) is empty.",
  },
  INVALID_CHOICE: {
    kind: "validation",
    help: "A value is not one of the listed choices (category, sector, token).",
  },
  INVALID_SHARE: {
    kind: "validation",
    help: "A share (the reserve of a cap, the offset cap) is neither a percentage with at most two decimals (6%, 6.25%; a bare number is a percentage) nor basis points (600bps). 100% = 10000bps.",
  },
  // ── wallets ──────────────────────────────────────────────────────────────────────────────────
  FROM_REQUIRED: {
    kind: "validation",
    help: "The command signs a transaction: say with which wallet, --from <wallet name or address> (or ETS_FROM).",
  },
  INVALID_WALLET_NAME: {
    kind: "validation",
    help: "A wallet name is 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, and not an address.",
  },
  WALLET_NOT_FOUND: {
    kind: "not_found",
    help: "There is no keystore with this name or address in the wallet folder. `ets wallet list` shows them; --wallets / ETS_WALLET_DIR selects the folder.",
  },
  WALLET_EXISTS: {
    kind: "conflict",
    help: "A keystore with this name, or for this address, exists already. Keystores are never overwritten.",
  },
  WALLET_FILE_INVALID: {
    kind: "internal",
    help: "A keystore file is not an encrypted JSON keystore. Restore it from a backup.",
  },
  INVALID_PRIVATE_KEY: {
    kind: "validation",
    help: "A private key is not 64 hexadecimal digits (optionally prefixed with 0x).",
  },
  WALLET_BAD_PASSWORD: {
    kind: "unauthorised",
    help: "The password does not decrypt the keystore. Nothing was signed.",
  },
  PASSWORD_REQUIRED: {
    kind: "validation",
    help: "No password was given and there is no terminal to ask for one. Use --password-file or ETS_PASSWORD.",
  },
  PASSWORD_TOO_SHORT: { kind: "validation", help: "A new keystore password must have at least 8 characters." },
  PASSWORD_MISMATCH: { kind: "validation", help: "The two passwords typed for a new keystore differ." },
  CANCELLED: { kind: "conflict", help: "The user cancelled at a prompt (Ctrl-C). Nothing was sent." },
  // ── the indexer's explorer ──────────────────────────────────────────────────────────────────
  INDEXER_UNREACHABLE: {
    kind: "retryable",
    help: "The indexer (the regulator's explorer) does not answer (refused, reset or timed out). Check that it runs (`npm start`) and that --indexer / ETS_INDEXER_URL points to it.",
  },
  // ── the exchange (REST API and trading account) ─────────────────────────────────────────────
  EXCHANGE_UNREACHABLE: {
    kind: "retryable",
    help: "The exchange's REST API does not answer (refused, reset or timed out). Check that it runs (`npm start`) and that --exchange / ETS_EXCHANGE_URL points to it; nothing was sent.",
  },
  EXCHANGE_BAD_RESPONSE: {
    kind: "internal",
    help: "Something answered at the exchange URL, but not the exchange's API (no JSON, or an error without a code). Check --exchange / ETS_EXCHANGE_URL.",
  },
  EXCHANGE_NOT_DEPLOYED: {
    kind: "not_found",
    help: "The deployment manifest names no Clearing contract, so there are no trading accounts on this chain. Deploy the exchange (`npm start` does) or use the right --deployments folder.",
  },
  INVALID_PRODUCT: {
    kind: "validation",
    help: "A product is not an allowance vintage (TJEA14 or 2014) or a CCER batch (CCER-3).",
  },
  INVALID_EXPIRY: {
    kind: "validation",
    help: "--expires is neither a duration (90s, 15m, 26h, 2d) nor a date or time (2014-06-30, 2014-06-30T15:00:00+08:00) in the future.",
  },
  ORDER_NOT_FOUND: {
    kind: "not_found",
    help: "The exchange has no order of this trader with this nonce (the exchange's own code). `ets order list` shows your orders and their nonces.",
  },
  ORDER_NOT_OPEN: {
    kind: "conflict",
    help: "The order is already filled, cancelled, expired or unfilled, so there is nothing to cancel (the exchange's own code).",
  },
  // ── emissions reports (MRV) ──────────────────────────────────────────────────────────────────
  REPORT_INVALID: {
    kind: "validation",
    help: 'An emissions report is not JSON or breaks the `ets-report/1` format (docs/mrv.md); the message names every offending field by its path, e.g. sources[2].netCalorificValue. Quantities and factors are JSON strings holding plain decimals such as "20.908" (no JSON numbers, exponents, thousands separators or minus signs), the oxidation rate is above 0 and at most 1, and a report lists at least one source with ids unique within it. Fix the fields named and submit again.',
  },
  // ── allocation (sdk/allocation) ──────────────────────────────────────────────────────────────
  ALLOCATION_INPUT_INVALID: {
    kind: "validation",
    help: "An allocation input file is not JSON or breaks the `ets-allocation/1` format (docs/allocation.md), or an emissions history given for the scope check is malformed; the message and details.issues name every offending field by its path, e.g. entities[3].emissions.2011. Typical causes: a missing base year, a sector without a factor in sectorFactors, a benchmark the file does not define, a factor written as a number instead of a decimal string, an unknown field, or two entities with the same id. Fix the fields named and compute the plan again.",
  },
  // ── the participant's compliance year (sdk/compliance.ts) ────────────────────────────────────
  REPORT_ENTITY_MISMATCH: {
    kind: "validation",
    help: "The report's entity.entityId is not the entity of the --from wallet: an entity submits only its own report. Submit it from an account of the entity it describes, or correct entity.entityId (the content hash changes with it).",
  },
  REPORT_HASH_MISMATCH: {
    kind: "conflict",
    help: "The report file given to `ets verify --report` does not hash to the content hash of the latest version on chain: it is not the document the entity submitted (or the entity resubmitted since). `ets report show <entity> <year>` prints the hashes; get the submitted file from the entity.",
  },
  INVALID_HASH: {
    kind: "validation",
    help: "A hash (--statement-hash) is not 0x followed by 64 hexadecimal digits. Give the keccak256 of the document, or the document itself (--statement <file>).",
  },
  CERTIFICATE_NOT_FOUND: {
    kind: "not_found",
    help: "There is no voluntary cancellation certificate with this number. Certificates are numbered from 1 in the order they were issued; `ets cancel-units` prints the number of a new one.",
  },
  BID_SECRET_NOT_FOUND: {
    kind: "not_found",
    help: "No stored secret (price, quantity, salt) of this wallet's bids for the auction is in the `bids/` folder next to the keystores, so there is nothing to reveal. A bid can only be revealed from the machine and wallet folder where `ets auction bid` placed it; restore the folder from a backup. A bid that is not revealed in time forfeits its escrow to the treasury (a bid bond), so keep the folder backed up until every bid is revealed.",
  },
  // ── the auditor's independent verification (`ets audit`, exit code 2) ─────────────────────────
  AUDIT_RPC_UNREACHABLE: {
    kind: "retryable",
    help: "`ets audit` could not reach the chain node at its start (after a few seconds of retries), so nothing was audited (exit code 2). Check --rpc / ETS_RPC_URL and that the node runs.",
  },
  AUDIT_RPC_LOST: {
    kind: "retryable",
    help: "The chain node stopped answering during `ets audit` and did not come back within --max-wait seconds (default 300): the audit stops without a verdict (exit code 2) rather than pass on an incomplete walk. Run it again when the node is back, or raise --max-wait.",
  },
  AUDIT_RPC_ERROR: {
    kind: "internal",
    help: "The chain node answered a call `ets audit` needs with a JSON-RPC error (e.g. a method it does not serve, or a limit eth_getLogs cannot be split below): the audit stops without a verdict (exit code 2). The message names the method; check the node's API settings (Besu: --rpc-http-api ETH).",
  },
  AUDIT_NO_MANIFEST: {
    kind: "not_found",
    help: "`ets audit` found no deployment manifest `<chainId>.json` of the connected chain (or one of another chain), so it does not know the contracts nor the deployment block (exit code 2). Point --deployments / ETS_DEPLOYMENTS_DIR to the manifest published with the deployment.",
  },
  AUDIT_INDEXER_LOGIN_FAILED: {
    kind: "unauthorised",
    help: "`ets audit --indexer … --from <wallet>` could not log in to the indexer (exit code 2): the wallet holds neither REGULATOR nor AUDITOR, or the indexer refused the sign-in. Use a wallet with the AUDITOR role, or leave out --from to compare only the indexer's public fields.",
  },
} as const satisfies Record<string, ClientErrorSpec>;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

/** A DomainError with a client-side code of {@link CLIENT_ERRORS}. */
export function clientError(
  code: ClientErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  return new DomainError(code, message, CLIENT_ERRORS[code].kind, details);
}

/**
 * A DomainError with the code and kind the contract would give for `errorName`, and a message
 * written for the client's context (e.g. a balance shortfall checked before sending).
 */
export function chainCoded(
  errorName: keyof typeof CHAIN_ERRORS,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  const spec = CHAIN_ERRORS[errorName];
  if (!spec) throw new Error(`unknown chain error ${errorName}`);
  return new DomainError(spec.code, message, spec.kind, { error: errorName, ...details });
}

/** Every code of the system: chain codes (decoded reverts) and client codes. */
export function allErrorCodes(): Set<string> {
  return new Set([...Object.values(CHAIN_ERRORS).map((s) => s.code), ...Object.keys(CLIENT_ERRORS)]);
}
