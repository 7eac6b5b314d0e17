import { DomainError, toDomainError } from "../../../../sdk/errors";
import type { WebErrorCode } from "./error-catalogue";

/** A failure as the portal shows it: a stable code and a sentence. */
export interface Problem {
  code: string;
  message: string;
}

/**
 * Whatever was thrown, as a code and a sentence: contract errors decoded by name, wallet refusals
 * named as such, HTTP errors of the services with their own code.
 */
export function describeError(err: unknown): Problem {
  if (err instanceof ServiceError) return { code: err.code, message: err.message };
  // EIP-1193 4001 / ethers ACTION_REJECTED: the person declined in their wallet (also when the
  // SDK's `confirm` wrapped the refusal of a transaction as an unexpected error).
  if (
    rejectedInWallet(err) ||
    (err instanceof DomainError && err.code === "UNEXPECTED" && rejectedInWallet(err.cause))
  ) {
    return problem("WALLET_REJECTED", "The signature was declined in the wallet; nothing was sent.");
  }
  if (err instanceof DomainError) return { code: err.code, message: err.message };
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) {
    return problem("PORTAL_UNREACHABLE", "The portal's server cannot be reached; check the connection.");
  }
  const d = toDomainError(err);
  return { code: d.code, message: d.message };
}

function rejectedInWallet(err: unknown): boolean {
  const e = err as { code?: unknown; info?: { error?: { code?: unknown } } } | undefined;
  return e?.code === "ACTION_REJECTED" || e?.code === 4001 || e?.info?.error?.code === 4001;
}

function problem(code: WebErrorCode, message: string): Problem {
  return { code, message };
}

/** An error with a code: answered by the portal's services (`{ error: { code, message } }`), or the portal's own. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One of the portal's own errors (WEB_ERRORS). */
export function webError(code: WebErrorCode, message: string): ServiceError {
  return new ServiceError(code, message);
}
