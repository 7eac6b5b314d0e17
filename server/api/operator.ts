import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";

/** The realm named in `WWW-Authenticate` of the operator endpoints. */
const REALM = "ets-exchange-operator";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Authenticates the exchange operator on `/v1/admin/…`: `Authorization: Bearer <token>`, compared
 * with the configured token in constant time (both sides hashed first, so neither the content nor
 * the length of the token leaks through timing). No token configured: 503 OPERATOR_DISABLED;
 * no or a malformed header: 401 OPERATOR_TOKEN_MISSING; another token: 401 OPERATOR_TOKEN_INVALID.
 * Every refusal is logged (never the token); `res.locals.operator` is set for the handlers.
 */
export function operatorAuth(token: string | undefined, log: Logger) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    const who = { ip: req.ip, method: req.method, path: req.path };
    const refuse = (status: number, code: string, message: string, challenge?: string) => {
      log.warn({ ...who, outcome: "refused", code }, "operator request refused");
      if (challenge) res.set("WWW-Authenticate", challenge);
      res.status(status).json({ error: { code, message } });
    };
    if (!expected) {
      return refuse(
        503,
        "OPERATOR_DISABLED",
        "The operator endpoints are disabled: no operator token is configured (set ETS_OPERATOR_TOKEN or ETS_OPERATOR_TOKEN_FILE and restart the exchange).",
      );
    }
    const header = req.get("authorization");
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      return refuse(
        401,
        "OPERATOR_TOKEN_MISSING",
        "This is an operator endpoint: send the operator token as `Authorization: Bearer <token>`.",
        `Bearer realm="${REALM}"`,
      );
    }
    if (!timingSafeEqual(digest(m[1]!), expected)) {
      return refuse(
        401,
        "OPERATOR_TOKEN_INVALID",
        "The operator token is not the one the exchange was started with.",
        `Bearer realm="${REALM}", error="invalid_token"`,
      );
    }
    next();
  };
}
