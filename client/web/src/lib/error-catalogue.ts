/**
 * Every error code the web portal raises itself (its server's proxies and the app in the
 * browser). Codes of the contracts, the SDK, the exchange and the indexer are shown as they come
 * and are not repeated here; a test checks both, and `docs/error-codes.md` lists them.
 */
export const WEB_ERRORS = {
  CHAIN_UNREACHABLE: {
    kind: "retryable",
    help: "The portal's server cannot reach the chain node behind `/rpc`. Check that `npm start` (or the node) runs; the page retries on the next action.",
  },
  PORTAL_UNREACHABLE: {
    kind: "retryable",
    help: "The browser cannot reach the portal's server at all (the page was loaded, then the server stopped or the network dropped). Check the connection and that `npm start` runs.",
  },
  WALLET_NOT_CONNECTED: {
    kind: "unauthorised",
    help: "The action needs a wallet. Connect one (a keystore file or a browser wallet) and try again.",
  },
  NO_INJECTED_WALLET: {
    kind: "not_found",
    help: "No browser wallet (EIP-1193, such as MetaMask) is installed in this browser. Install one, or connect with a keystore file.",
  },
  WRONG_CHAIN: {
    kind: "validation",
    help: "The browser wallet is on another chain than the scheme's. Use the switch button (it adds the portal's `/rpc` as the network) or switch in the wallet.",
  },
  KEYSTORE_INVALID: {
    kind: "validation",
    help: "The chosen file is not an encrypted keystore (JSON with a `crypto` section), or it is damaged. Choose the wallet's keystore file (`data/wallets/<name>.json`).",
  },
  WRONG_PASSWORD: {
    kind: "unauthorised",
    help: "The password does not unlock the keystore. Nothing was changed; type it again.",
  },
  MISSING_ROLE: {
    kind: "unauthorised",
    help: "The page needs a wallet that holds a role (REGULATOR or AUDITOR for the regulator's pages, VERIFIER for the verifier's). Connect such a wallet; roles are granted with `ets admin role grant`.",
  },
  INDEXER_BAD_RESPONSE: {
    kind: "internal",
    help: "Something other than the indexer answered at `/graphql`, or it answered without data. Check the portal's ETS_INDEXER_URL.",
  },
  GRAPHQL_ERROR: {
    kind: "internal",
    help: "The indexer reported an error without a code. The message says what; report it with the page that showed it.",
  },
  EXPORT_FAILED: {
    kind: "retryable",
    help: "A CSV export could not be downloaded and the indexer gave no code. Try again; sign in again if the session expired.",
  },
} as const satisfies Record<
  string,
  { kind: "validation" | "unauthorised" | "not_found" | "conflict" | "retryable" | "internal"; help: string }
>;

export type WebErrorCode = keyof typeof WEB_ERRORS;
