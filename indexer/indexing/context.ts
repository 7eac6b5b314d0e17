import type { Args, ChainEvent, ContractName } from "../sync/decode";
import type { State } from "./state";
import type { RulesConfig } from "./supervision/rules";

/** What a handler gets: the batch's state, the event, and every event of its transaction. */
export interface HandlerContext {
  state: State;
  event: ChainEvent;
  /** The events of the same transaction from the deployment's contracts, in log order. */
  tx: readonly ChainEvent[];
  /** The deployment's contracts, lower-case addresses by name, and names by address. */
  deployment: Deployment;
  /** The supervision thresholds and the exchange's time zone (`indexer/config.ts`). */
  config: RulesConfig;
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
  state: State,
  block: bigint,
  account: string,
  token: string,
  tokenId: bigint,
  delta: { balance?: bigint; locked?: bigint },
): Promise<void> {
  const cur = await state.get("holdings", { account, token, token_id: tokenId });
  const balance = (cur?.balance ?? 0n) + (delta.balance ?? 0n);
  const locked = (cur?.locked ?? 0n) + (delta.locked ?? 0n);
  if (balance < 0n || locked < 0n) {
    throw new Error(`holding of ${account} in ${token}:${tokenId} would go negative at block ${block}`);
  }
  await state.put("holdings", { account, token, token_id: tokenId, balance, locked }, block);
}

export type SupplyCounter =
  "minted" | "burned" | "surrendered" | "cancelled" | "clawed_back" | "in_trading" | "pending";

/** Adds to the supply counters of a token id. */
export async function adjustSupply(
  state: State,
  block: bigint,
  token: string,
  tokenId: bigint,
  delta: Partial<Record<SupplyCounter, bigint>>,
): Promise<void> {
  const cur = await state.get("supply", { token, token_id: tokenId });
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
  await state.put("supply", next, block);
}

/** A versioned setting (the Clearing fee recipient). */
export async function setting(state: State, key: string): Promise<string | undefined> {
  return (await state.get("settings", { key }))?.value;
}
