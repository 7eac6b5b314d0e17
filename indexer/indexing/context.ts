import type { Kysely } from "kysely";
import type { Args, ChainEvent, ContractName } from "../sync/decode";
import type { Database } from "../store/schema";
import { current, put } from "../store/versioned";

/** What a handler gets: the open transaction, the event, and every event of its transaction. */
export interface HandlerContext {
  db: Kysely<Database>;
  event: ChainEvent;
  /** The events of the same transaction from the deployment's contracts, in log order. */
  tx: readonly ChainEvent[];
  /** The deployment's contracts, lower-case addresses by name, and names by address. */
  deployment: Deployment;
}

export interface Deployment {
  address(name: ContractName): string | undefined;
  nameOf(address: string): ContractName | undefined;
}

export type Handler = (ctx: HandlerContext) => Promise<void>;
/** Handlers keyed `"Contract:Event"`. */
export type Handlers = Record<string, Handler>;

// ── reading arguments ────────────────────────────────────────────────────────────────────────────

export function big(args: Args, name: string): bigint {
  const v = args[name];
  if (typeof v !== "string") throw new Error(`event argument ${name} is not an integer`);
  return BigInt(v);
}

export function str(args: Args, name: string): string {
  const v = args[name];
  if (typeof v !== "string") throw new Error(`event argument ${name} is not a string`);
  return v;
}

export function bool(args: Args, name: string): boolean {
  const v = args[name];
  if (typeof v !== "boolean") throw new Error(`event argument ${name} is not a boolean`);
  return v;
}

export function bigs(args: Args, name: string): bigint[] {
  const v = args[name];
  if (!Array.isArray(v)) throw new Error(`event argument ${name} is not a list`);
  return v.map((x) => BigInt(x as string));
}

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

// ── shared state changes ─────────────────────────────────────────────────────────────────────────

/** Adds to an account's balance and locked units of a token id. */
export async function adjustHolding(
  db: Kysely<Database>,
  block: bigint,
  account: string,
  token: string,
  tokenId: bigint,
  delta: { balance?: bigint; locked?: bigint },
): Promise<void> {
  const cur = await current(db, "holdings", { account, token, token_id: tokenId });
  const balance = (cur?.balance ?? 0n) + (delta.balance ?? 0n);
  const locked = (cur?.locked ?? 0n) + (delta.locked ?? 0n);
  if (balance < 0n || locked < 0n) {
    throw new Error(`holding of ${account} in ${token}:${tokenId} would go negative at block ${block}`);
  }
  await put(db, "holdings", { account, token, token_id: tokenId, balance, locked }, block, cur ?? null);
}

export type SupplyCounter =
  "minted" | "burned" | "surrendered" | "cancelled" | "clawed_back" | "in_trading" | "pending";

/** Adds to the supply counters of a token id. */
export async function adjustSupply(
  db: Kysely<Database>,
  block: bigint,
  token: string,
  tokenId: bigint,
  delta: Partial<Record<SupplyCounter, bigint>>,
): Promise<void> {
  const cur = await current(db, "supply", { token, token_id: tokenId });
  const next = {
    token,
    token_id: tokenId,
    minted: cur?.minted ?? 0n,
    burned: cur?.burned ?? 0n,
    surrendered: cur?.surrendered ?? 0n,
    cancelled: cur?.cancelled ?? 0n,
    clawed_back: cur?.clawed_back ?? 0n,
    in_trading: cur?.in_trading ?? 0n,
    pending: cur?.pending ?? 0n,
  };
  for (const [k, d] of Object.entries(delta) as [SupplyCounter, bigint][]) next[k] += d;
  await put(db, "supply", next, block, cur ?? null);
}

/** A versioned setting (the Clearing fee recipient). */
export async function setting(db: Kysely<Database>, key: string): Promise<string | undefined> {
  return (await current(db, "settings", { key }))?.value;
}
