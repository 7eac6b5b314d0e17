import { createHash, randomBytes } from "node:crypto";
import { SiweErrorType, SiweMessage } from "siwe";
import type { Logger } from "pino";
import type { DomainError } from "../../sdk/errors";
import type { Manifest } from "../../sdk/manifest";
import { indexerError } from "../errors";
import type { Store } from "../store/open";
import { Rpc } from "../sync/rpc";
import { explorerRoleOf, type ExplorerRole } from "./roles";

/** Settings of the access control (environment: `accessOptions` of `config.ts`). */
export interface AccessOptions {
  /** The domain a login message must name. Default: the `Host` of the login request. */
  domain?: string;
  /** Session lifetime, seconds (fractions allowed). Default 8 h. */
  sessionTtlS?: number;
  /** Nonce lifetime, seconds. Default 300. */
  nonceTtlS?: number;
  /** A session's role is asked on chain again when its last check is older than this, seconds. Default 60. */
  roleRecheckS?: number;
}

/** Who is logged in: a wallet holding REGULATOR or AUDITOR (as last checked on chain). */
export interface Session {
  address: string;
  role: ExplorerRole;
  /** Unix milliseconds. */
  expiresAt: number;
}

/**
 * What a request's `Authorization` header is worth: a session, or none with the reason to give a
 * restricted field (UNAUTHENTICATED: no valid token; FORBIDDEN: the role was revoked).
 */
export interface AuthState {
  session: Session | null;
  refusal: DomainError | null;
}

export interface LoginResult {
  token: string;
  expiresAt: number;
  address: string;
  role: ExplorerRole;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The bearer token of an `Authorization: Bearer <token>` header, if any. */
export function bearer(header: string | null | undefined): string | undefined {
  const m = /^\s*Bearer\s+([A-Za-z0-9_-]+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

/**
 * Login (EIP-4361, Sign-In with Ethereum), sessions and the on-chain role check. Nonces and sessions
 * live in the store's non-derived tables `auth_nonces` and `sessions` (only a token's sha256), so
 * they survive a restart and are untouched by rollbacks and rebuilds.
 */
export class Access {
  private readonly rpc: Rpc;
  private readonly sessionTtlMs: number;
  private readonly nonceTtlMs: number;
  private readonly recheckMs: number;

  constructor(
    private readonly deps: { store: Store; rpcUrl: string; manifest: Manifest; log: Logger },
    private readonly options: AccessOptions = {},
  ) {
    // Its own client: a login or a re-check fails fast when the node is down (the sync's waits it out).
    this.rpc = new Rpc(deps.rpcUrl, { aborted: () => true, timeoutMs: 10_000 });
    this.sessionTtlMs = (options.sessionTtlS ?? 8 * 3600) * 1000;
    this.nonceTtlMs = (options.nonceTtlS ?? 300) * 1000;
    this.recheckMs = (options.roleRecheckS ?? 60) * 1000;
  }

  private get db() {
    return this.deps.store.db;
  }

  /** A fresh single-use nonce (32 hex digits: alphanumeric, as EIP-4361 wants). */
  async newNonce(): Promise<{ nonce: string; expiresAt: number }> {
    const now = Date.now();
    const nonce = randomBytes(16).toString("hex");
    const expiresAt = now + this.nonceTtlMs;
    // Forget nonces that can no longer be used, so the table holds at most a TTL's worth (a message
    // with an expired nonce is refused as AUTH_NONCE_INVALID, so a replay stays refused).
    await this.db.deleteFrom("auth_nonces").where("expires_at", "<", BigInt(now)).execute();
    await this.db.insertInto("auth_nonces").values({ nonce, created_at: now, expires_at: expiresAt }).execute();
    return { nonce, expiresAt };
  }

  /**
   * Checks a signed login message and opens a session: the message parses, names this indexer's
   * domain and the deployment's chain, is signed by its address, is within its validity; its nonce
   * was issued here, is unexpired and unused (it is used now: a replay is refused); and the wallet
   * holds REGULATOR or AUDITOR on chain.
   */
  async login(message: string, signature: string, requestHost: string | undefined): Promise<LoginResult> {
    let siwe: SiweMessage;
    try {
      siwe = new SiweMessage(message);
    } catch (err) {
      throw indexerError("AUTH_INVALID_MESSAGE", `not a Sign-In with Ethereum message: ${String(err)}`);
    }
    const domain = this.options.domain ?? requestHost;
    if (!domain || siwe.domain !== domain) {
      throw indexerError("AUTH_WRONG_DOMAIN", `the message is for ${siwe.domain}, not ${domain ?? "(no host)"}`, {
        expected: domain,
        received: siwe.domain,
      });
    }
    if (Number(siwe.chainId) !== this.deps.manifest.chainId) {
      throw indexerError(
        "AUTH_WRONG_CHAIN",
        `the message is for chain ${siwe.chainId}, not ${this.deps.manifest.chainId}`,
        { expected: this.deps.manifest.chainId, received: siwe.chainId },
      );
    }
    const verified = await siwe.verify({ signature, domain, nonce: siwe.nonce }, { suppressExceptions: true });
    if (!verified.success) {
      const type = verified.error?.type;
      if (type === SiweErrorType.EXPIRED_MESSAGE || type === SiweErrorType.NOT_YET_VALID_MESSAGE) {
        throw indexerError("AUTH_MESSAGE_EXPIRED", `the message is not valid now: ${type}`);
      }
      if (type === SiweErrorType.INVALID_SIGNATURE) {
        throw indexerError("AUTH_INVALID_SIGNATURE", "the signature is not the message's address's");
      }
      throw indexerError("AUTH_INVALID_MESSAGE", `the message was refused: ${type ?? "unknown reason"}`);
    }
    const now = Date.now();
    const known = await this.db
      .selectFrom("auth_nonces")
      .selectAll()
      .where("nonce", "=", siwe.nonce)
      .executeTakeFirst();
    if (!known || known.expires_at <= BigInt(now)) {
      throw indexerError("AUTH_NONCE_INVALID", "the message's nonce was not issued here, or it expired");
    }
    if (known.used_at !== null) throw indexerError("AUTH_NONCE_USED", "the message's nonce was already used");
    // Single use, even under concurrent logins: only one UPDATE finds it unused.
    const used = await this.db
      .updateTable("auth_nonces")
      .set({ used_at: now })
      .where("nonce", "=", siwe.nonce)
      .where("used_at", "is", null)
      .executeTakeFirst();
    if (used.numUpdatedRows !== 1n) throw indexerError("AUTH_NONCE_USED", "the message's nonce was already used");

    const address = siwe.address.toLowerCase();
    const role = await explorerRoleOf(this.rpc, this.deps.manifest.contracts.Authority, address);
    if (!role) {
      throw indexerError("NOT_REGULATOR", `${address} holds neither REGULATOR nor AUDITOR`, { address });
    }
    // Sessions that ended or expired a day ago are of no use any more.
    await this.db
      .deleteFrom("sessions")
      .where("expires_at", "<", BigInt(now - 86_400_000))
      .execute();
    const token = randomBytes(32).toString("base64url");
    const expiresAt = now + this.sessionTtlMs;
    await this.db
      .insertInto("sessions")
      .values({ token_hash: sha256(token), address, role, created_at: now, expires_at: expiresAt, checked_at: now })
      .execute();
    this.deps.log.info({ address, role }, "session opened");
    return { token, expiresAt, address, role };
  }

  /** Ends the session of `token`; false when there was none open. */
  async logout(token: string): Promise<boolean> {
    const r = await this.db
      .updateTable("sessions")
      .set({ ended_at: Date.now() })
      .where("token_hash", "=", sha256(token))
      .where("ended_at", "is", null)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  /**
   * The session of an `Authorization` header. Its role is asked on chain again when the last check
   * is older than `roleRecheckS`: a revoked role stops access (FORBIDDEN) within that time.
   */
  async authenticate(authorization: string | null | undefined): Promise<AuthState> {
    const token = bearer(authorization);
    const unauthenticated = (why: string): AuthState => ({
      session: null,
      refusal: indexerError("UNAUTHENTICATED", `this field needs a session of a REGULATOR or AUDITOR wallet: ${why}`),
    });
    if (!token) return unauthenticated("no bearer token");
    const row = await this.db
      .selectFrom("sessions")
      .selectAll()
      .where("token_hash", "=", sha256(token))
      .executeTakeFirst();
    const now = Date.now();
    if (!row || row.ended_at !== null) return unauthenticated("unknown or logged-out token");
    if (row.expires_at <= BigInt(now)) return unauthenticated("the session expired");
    let role = row.role as ExplorerRole | null;
    if (BigInt(now) - row.checked_at >= BigInt(this.recheckMs)) {
      try {
        role = await explorerRoleOf(this.rpc, this.deps.manifest.contracts.Authority, row.address);
      } catch (err) {
        return { session: null, refusal: err as DomainError };
      }
      await this.db
        .updateTable("sessions")
        .set({ role, checked_at: now })
        .where("token_hash", "=", row.token_hash)
        .execute();
      if (role !== row.role)
        this.deps.log.warn({ address: row.address, was: row.role, now: role }, "session role changed");
    }
    if (!role) {
      return {
        session: null,
        refusal: indexerError("FORBIDDEN", `${row.address} no longer holds REGULATOR or AUDITOR`, {
          address: row.address,
        }),
      };
    }
    return { session: { address: row.address, role, expiresAt: Number(row.expires_at) }, refusal: null };
  }
}
