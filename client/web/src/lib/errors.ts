import { DomainError, toDomainError } from "../../../../sdk/errors";
import type { WebErrorCode } from "./error-catalogue";

/** A failure as the portal shows it: a stable code and a sentence. */
export interface Problem {
  code: string;
  message: string;
}

/**
 * Whatever was thrown, as a code and a sentence: contract errors decoded by name, wallet refusals
 * named as such (WALLET_REJECTED), HTTP errors of the services with their own code.
 */
export function describeError(err: unknown): Problem {
  if (err instanceof ServiceError) return { code: err.code, message: err.message };
  if (err instanceof DomainError) return { code: err.code, message: err.message };
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) {
    return problem("PORTAL_UNREACHABLE", "The portal's server cannot be reached; check the connection.");
  }
  // Contract errors by name; a refusal in the wallet is WALLET_REJECTED (the SDK's decoding).
  const d = toDomainError(err);
  return { code: d.code, message: d.message };
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
