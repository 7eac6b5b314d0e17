import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { DomainError } from "../../sdk/errors";
import { indexerError } from "../errors";
import { bearer, type Access } from "./access";

const MAX_BODY = 16 * 1024;

/** HTTP status of an access error. */
function statusOf(err: DomainError): number {
  if (err.code === "NOT_REGULATOR" || err.code === "FORBIDDEN") return 403;
  switch (err.kind) {
    case "validation":
      return 400;
    case "unauthorised":
      return 401;
    case "retryable":
      return 503;
    default:
      return 500;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    // Bearer tokens, no cookies: any origin (the web UI) may call.
    "access-control-allow-origin": "*",
  });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw indexerError("AUTH_INVALID_MESSAGE", `the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw indexerError("AUTH_INVALID_MESSAGE", "the body is not a JSON object");
}

/**
 * The login routes, before GraphQL: `POST /auth/nonce` → `{ nonce, expiresAt }`; `POST /auth/login`
 * `{ message, signature }` → `{ token, expiresAt, address, role }`; `POST /auth/logout` with the
 * bearer token → `{ ended: true }`. Times are ISO 8601. Errors: `{ error: { code, message } }` with a
 * 4xx/5xx status. Returns false for any other path (GraphQL answers it).
 */
export function authRoutes(access: Access, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? "").split("?")[0];
    if (!path?.startsWith("/auth/")) return false;
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type, authorization",
        "access-control-max-age": "600",
      });
      res.end();
      return true;
    }
    try {
      if (req.method !== "POST") {
        send(res, 405, { error: { code: "INVALID_ARGUMENT", message: "use POST" } });
        return true;
      }
      if (path === "/auth/nonce") {
        const { nonce, expiresAt } = await access.newNonce();
        send(res, 200, { nonce, expiresAt: new Date(expiresAt).toISOString() });
      } else if (path === "/auth/login") {
        const body = await readJson(req);
        if (typeof body.message !== "string" || typeof body.signature !== "string") {
          throw indexerError("AUTH_INVALID_MESSAGE", "the body must be { message, signature } (two strings)");
        }
        const s = await access.login(body.message, body.signature, req.headers.host);
        send(res, 200, { ...s, expiresAt: new Date(s.expiresAt).toISOString() });
      } else if (path === "/auth/logout") {
        const token = bearer(req.headers.authorization);
        if (!token || !(await access.logout(token))) {
          throw indexerError("UNAUTHENTICATED", "no open session for this bearer token");
        }
        send(res, 200, { ended: true });
      } else {
        send(res, 404, { error: { code: "INVALID_ARGUMENT", message: `no route ${path}` } });
      }
    } catch (err) {
      if (err instanceof DomainError) {
        send(res, statusOf(err), { error: { code: err.code, message: err.message } });
      } else {
        log.error({ err, path }, "auth route failed");
        send(res, 500, { error: { code: "INTERNAL_ERROR", message: "Unexpected error." } });
      }
    }
    return true;
  };
}
