import type { ContractRunner, ContractTransactionReceipt, ContractTransactionResponse, Interface } from "ethers";
import { Clearing__factory, type Clearing } from "../typechain-types";
import { clientError } from "./client-errors";
import { chainError, CHAIN_ERRORS, DomainError, findRevertData, type ErrorKind } from "./errors";
import type { Manifest } from "./manifest";
import { decodeError } from "./revert";
import { confirm } from "./send";
import { tokenId, type Product } from "./transfers";

export type { Clearing };

/**
 * The Clearing contract (trading accounts at the exchange) for clients: its address, its custom
 * errors with stable codes, and the asset a product is held as.
 *
 * The Clearing contract is not yet part of `ABIS` / `CHAIN_ERRORS` (`errors.ts`), so a revert of
 * it would decode as CONTRACT_ERROR there. {@link CLEARING_ERRORS} has the same shape as
 * `CHAIN_ERRORS` so that it can be merged into it as it stands; until then
 * {@link decodeClearingError} decodes Clearing reverts first and hands the rest to `decodeError`.
 */

type Args = readonly unknown[];
interface ClearingErrorSpec {
  code: string;
  kind: ErrorKind;
  message: (a: Args) => string;
}

const s = (v: unknown): string => String(v);
const when = (v: unknown): string => new Date(Number(v) * 1000).toISOString().replace(".000Z", "Z");

/**
 * Every custom error the Clearing contract declares, with its code. Codes shared with
 * `CHAIN_ERRORS` (ZERO_AMOUNT, ACCOUNT_NOT_ACTIVE) have the same meaning there;
 * INSUFFICIENT_TRADING_BALANCE is also the exchange's code for an order or withdrawal its trading
 * account cannot cover.
 */
export const CLEARING_ERRORS: Record<string, ClearingErrorSpec> = {
  ClearingUnsupportedToken: {
    code: "CLEARING_UNSUPPORTED_TOKEN",
    kind: "validation",
    message: (a) => `Token ${s(a[0])} is not traded at the exchange: only allowances, CCER and cash (id 0) are.`,
  },
  ClearingZeroAmount: {
    code: "ZERO_AMOUNT",
    kind: "validation",
    message: () => "The amount must be greater than zero.",
  },
  ClearingInsufficientBalance: {
    code: "INSUFFICIENT_TRADING_BALANCE",
    kind: "conflict",
    message: (a) =>
      `The trading account of ${s(a[0])} holds ${s(a[3])} of token ${s(a[1])} id ${s(a[2])}; ${s(a[4])} are needed.`,
  },
  ClearingAccountNotActive: {
    code: "ACCOUNT_NOT_ACTIVE",
    kind: "conflict",
    message: (a) => `${s(a[0])} has no active registry account (unregistered, frozen or closed).`,
  },
  ClearingUnexpectedTransfer: {
    code: "CLEARING_UNEXPECTED_TRANSFER",
    kind: "validation",
    message: (a) =>
      `Units reach a trading account only through the holder's own deposit; ${s(a[0])} sent units of ${s(a[1])}.`,
  },
  ClearingTradeIdGap: {
    code: "TRADE_ID_GAP",
    kind: "conflict",
    message: (a) => `The settlement batch skips trade ids: ${s(a[0])} was expected, ${s(a[1])} came.`,
  },
  ClearingInvalidWithdrawal: {
    code: "WITHDRAWAL_INVALID",
    kind: "validation",
    message: (a) =>
      `The signed withdrawal of ${s(a[0])} with nonce ${s(a[1])} is invalid: bad signature, expired, or its nonce was used.`,
  },
  ClearingUnknownWithdrawalRequest: {
    code: "WITHDRAWAL_REQUEST_NOT_FOUND",
    kind: "not_found",
    message: (a) => `There is no open withdrawal request ${s(a[0])}: it does not exist or was already executed.`,
  },
  ClearingNotRequester: {
    code: "NOT_WITHDRAWAL_REQUESTER",
    kind: "unauthorised",
    message: (a) => `Only the trader who asked for withdrawal request ${s(a[0])} can execute it; ${s(a[1])} did not.`,
  },
  ClearingWithdrawalNotDue: {
    code: "WITHDRAWAL_NOT_DUE",
    kind: "conflict",
    message: (a) => `Withdrawal request ${s(a[0])} can be executed by the trader from ${when(a[1])}.`,
  },
  ClearingNotOrderOwner: {
    code: "NOT_ORDER_OWNER",
    kind: "unauthorised",
    message: (a) => `The order belongs to ${s(a[0])}; ${s(a[1])} cannot cancel it.`,
  },
  ClearingNonceNotIncreasing: {
    code: "NONCE_NOT_INCREASING",
    kind: "conflict",
    message: (a) => `Orders below nonce ${s(a[0])} are already cancelled; the new minimum ${s(a[1])} must be above it.`,
  },
  ClearingParameterOutOfRange: {
    code: "PARAMETER_OUT_OF_RANGE",
    kind: "validation",
    message: (a) => `The value ${s(a[0])} is above the maximum of ${s(a[1])}.`,
  },
};

/** The address of the deployment's Clearing contract; EXCHANGE_NOT_DEPLOYED when it has none. */
export function clearingAddress(manifest: Manifest): string {
  const address = manifest.contracts.Clearing;
  if (!address) {
    throw clientError(
      "EXCHANGE_NOT_DEPLOYED",
      `The deployment of chain ${manifest.chainId} has no Clearing contract, so there are no trading accounts on it.`,
      { chainId: manifest.chainId },
    );
  }
  return address;
}

/** The Clearing contract of a deployment, bound to a runner (provider or signer). */
export function connectClearing(manifest: Manifest, runner: ContractRunner): Clearing {
  return Clearing__factory.connect(clearingAddress(manifest), runner);
}

/** A DomainError with the code a Clearing error has, and a message written for the client's context. */
export function clearingCoded(
  errorName: keyof typeof CLEARING_ERRORS,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  const spec = CLEARING_ERRORS[errorName];
  if (!spec) throw new Error(`unknown clearing error ${errorName}`);
  return new DomainError(spec.code, message, spec.kind, { error: errorName, ...details });
}

let clearingInterface: Interface | undefined;

/** Decodes a Clearing revert into its coded DomainError; anything else as `decodeError` does. */
export function decodeClearingError(err: unknown): DomainError {
  const data =
    err instanceof DomainError
      ? typeof err.details.data === "string"
        ? err.details.data
        : undefined
      : findRevertData(err);
  if (data) {
    clearingInterface ??= Clearing__factory.createInterface() as unknown as Interface;
    let parsed: ReturnType<Interface["parseError"]> = null;
    try {
      parsed = clearingInterface.parseError(data);
    } catch {
      parsed = null;
    }
    if (parsed) {
      const args = parsed.args.toArray();
      const spec = CLEARING_ERRORS[parsed.name];
      const cause = err instanceof DomainError ? (err.cause ?? err) : err;
      if (spec) {
        return new DomainError(
          spec.code,
          spec.message(args),
          spec.kind,
          { error: parsed.name, args: args.map((v) => (typeof v === "bigint" ? v.toString() : v)) },
          { cause },
        );
      }
      if (CHAIN_ERRORS[parsed.name]) return chainError(parsed.name, args, cause);
    }
  }
  return err instanceof DomainError ? err : decodeError(err);
}

/** `confirm` for a transaction that may revert in the Clearing contract (its own call, or a deposit into it). */
export async function confirmClearing(
  send: () => Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  try {
    return await confirm(send);
  } catch (err) {
    throw decodeClearingError(err);
  }
}

/** The token contract and token id a product is held as in a trading account. */
export function tradingAsset(manifest: Manifest, product: Product): { token: string; tokenId: bigint } {
  const c = manifest.contracts;
  switch (product.kind) {
    case "allowance":
      return { token: c.AllowanceToken, tokenId: tokenId(product) };
    case "ccer":
      return { token: c.OffsetToken, tokenId: tokenId(product) };
    case "cash":
      return { token: c.CashToken, tokenId: 0n };
  }
}

/** Cash a buy order reserves at the exchange: price × quantity plus the larger of the two fees (fen). */
export function cashForBuy(price: bigint, quantity: bigint, maxFeeBps: bigint): bigint {
  const notional = price * quantity;
  return notional + (notional * maxFeeBps) / 10_000n;
}
