import type { ErrorRequestHandler } from "express";
import type { Logger } from "pino";
import { ZodError } from "zod";
import { DomainError, toDomainError, type ErrorKind } from "../../sdk/errors";

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthorised: 403,
  not_found: 404,
  conflict: 409,
  retryable: 503,
  internal: 500,
};

/** Names each offending field of a zod error. */
export function fromZod(err: ZodError): DomainError {
  const fields = err.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
  return new DomainError("REQUEST_INVALID", `The request is not valid — ${fields.join("; ")}.`, "validation", {
    fields,
  });
}

/** One error middleware: `{ "error": { "code", "message" } }` with a 4xx (or 5xx) status. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let e: DomainError;
    if (err instanceof ZodError) e = fromZod(err);
    else if ((err as { type?: string }).type === "entity.parse.failed") {
      e = new DomainError("REQUEST_MALFORMED_JSON", "The request body is not valid JSON.", "validation");
    } else if ((err as { type?: string }).type === "entity.too.large") {
      e = new DomainError("REQUEST_TOO_LARGE", "The request body is too large.", "validation");
    } else e = toDomainError(err);
    const status = STATUS[e.kind];
    if (status >= 500) log.error({ err, code: e.code }, "request failed");
    res.status(status).json({ error: { code: e.code, message: e.message } });
  };
}
