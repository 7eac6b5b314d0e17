import type { Signer } from "ethers";
import { getAddress } from "ethers";
import { SiweMessage } from "siwe";
import { DomainError, type ErrorKind } from "./errors";

/** A session of the indexer's explorer: send `Authorization: Bearer <token>` with each GraphQL request. */
export interface IndexerSession {
  token: string;
  /** ISO 8601. */
  expiresAt: string;
  /** The wallet, lower-case hex. */
  address: string;
  role: "REGULATOR" | "AUDITOR";
  /** The header to send: `{ authorization: "Bearer …" }`. */
  headers: { authorization: string };
}

export interface IndexerLoginOptions {
  /** The deployment's chain id. Default: the signer's provider's. */
  chainId?: number | bigint;
  /** The sentence shown by the wallet. */
  statement?: string;
  /** How long the signed message stays valid, seconds. Default 300. */
  validForS?: number;
}

/** The indexer's base URL (`http://host:port`), from it or from its `/graphql` URL. */
function baseOf(url: string): URL {
  const u = new URL(url);
  u.pathname = u.pathname.replace(/\/graphql\/?$/, "").replace(/\/$/, "");
  u.search = "";
  u.hash = "";
  return u;
}

async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body ?? {}),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) {
    const kind: ErrorKind =
      res.status === 400 ? "validation" : res.status === 401 || res.status === 403 ? "unauthorised" : "retryable";
    throw new DomainError(json.error?.code ?? `HTTP_${res.status}`, json.error?.message ?? `HTTP ${res.status}`, kind, {
      status: res.status,
    });
  }
  return json as T;
}

/**
 * Logs in to the indexer's explorer with a wallet (EIP-4361, Sign-In with Ethereum): asks a nonce,
 * signs the message (personal_sign) for the indexer's host and the deployment's chain, and opens a
 * session. The wallet must hold REGULATOR or AUDITOR on chain, else `NOT_REGULATOR`.
 */
export async function loginToIndexer(
  url: string,
  signer: Signer,
  opts: IndexerLoginOptions = {},
): Promise<IndexerSession> {
  const base = baseOf(url);
  const root = base.toString().replace(/\/$/, "");
  const { nonce } = await post<{ nonce: string }>(`${root}/auth/nonce`, {});
  let chainId = opts.chainId;
  if (chainId === undefined) {
    const network = await signer.provider?.getNetwork();
    if (!network) throw new Error("loginToIndexer: the signer has no provider; pass opts.chainId");
    chainId = network.chainId;
  }
  const now = new Date();
  const message = new SiweMessage({
    domain: base.host,
    address: getAddress(await signer.getAddress()),
    statement: opts.statement ?? "Sign in to the ETS Ledger explorer.",
    uri: root,
    version: "1",
    chainId: Number(chainId),
    nonce,
    issuedAt: now.toISOString(),
    expirationTime: new Date(now.getTime() + (opts.validForS ?? 300) * 1000).toISOString(),
  }).prepareMessage();
  const signature = await signer.signMessage(message);
  const s = await post<Omit<IndexerSession, "headers">>(`${root}/auth/login`, { message, signature });
  return { ...s, headers: { authorization: `Bearer ${s.token}` } };
}

/** Ends a session (`POST /auth/logout`). */
export async function logoutFromIndexer(url: string, token: string): Promise<void> {
  const root = baseOf(url).toString().replace(/\/$/, "");
  await post(`${root}/auth/logout`, {}, { authorization: `Bearer ${token}` });
}
