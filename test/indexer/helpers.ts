import { expect } from "chai";
import type { Signer } from "ethers";
import type { Kysely } from "kysely";
import { loginToIndexer } from "../../sdk/indexer-login";
import { FACT_TABLES, VERSIONED_TABLES, type Database } from "../../indexer/store/schema";
import type { Store } from "../../indexer/store/open";
import type { World } from "./world";

/**
 * Logs `wallet` (a REGULATOR or AUDITOR, e.g. `world.regulator`) in to the indexer at `url` (its base
 * URL or its /graphql URL) and returns the headers that carry the session: spread them into fetch's.
 */
export async function regulatorSession(url: string, wallet: Signer): Promise<{ authorization: string }> {
  return (await loginToIndexer(url, wallet)).headers;
}

/** Every table but the bookkeeping ones, in a stable order. */
export const DATA_TABLES = ["blocks", "transactions", "events", ...Object.keys(VERSIONED_TABLES), ...FACT_TABLES];

/** Every row of every data table (and the cursor's block and hash), sorted: two equal dumps are two equal databases. */
export async function dump(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const db = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const table of DATA_TABLES) {
    const rows = await db.selectFrom(table).selectAll().execute();
    out[table] = rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).sort();
  }
  const cursor = await store.db.selectFrom("cursor").select(["block_number", "block_hash"]).execute();
  out.cursor = cursor.map((c) => `${c.block_number}:${c.block_hash}`);
  return out;
}

const TOKEN_ADDRESS = (w: World, token: string) =>
  ({
    AllowanceToken: w.manifest.contracts.AllowanceToken,
    OffsetToken: w.manifest.contracts.OffsetToken,
    CashToken: w.manifest.contracts.CashToken,
  })[token]!;

/**
 * Checks, at `block` (or the indexed block), every holding the store knows against the tokens'
 * `balanceOf` and `lockedBalanceOf`, every supply row against `issued`/`burned`, and every trading
 * balance against `Clearing.balanceOf`. Returns how many figures were compared.
 */
export async function expectStoreEqualsChain(store: Store, world: World, block: number): Promise<number> {
  const db: Kysely<Database> = store.db;
  const blockTag = block;
  const at = BigInt(block);
  const c = world.read;
  let compared = 0;
  const keys = await db.selectFrom("holdings").select(["account", "token", "token_id"]).distinct().execute();
  for (const k of keys) {
    const row = await db
      .selectFrom("holdings")
      .selectAll()
      .where("account", "=", k.account)
      .where("token", "=", k.token)
      .where("token_id", "=", k.token_id)
      .where("from_block", "<=", at)
      .where((eb) => eb.or([eb("to_block", "is", null), eb("to_block", ">", at)]))
      .executeTakeFirst();
    const token = k.token === "AllowanceToken" ? c.allowances : k.token === "OffsetToken" ? c.offsets : undefined;
    const onChain = token
      ? await token.balanceOf(k.account, k.token_id, { blockTag })
      : await c.cash.balanceOf(k.account, { blockTag });
    const locked = token
      ? await token.lockedBalanceOf(k.account, k.token_id, { blockTag })
      : await c.cash.lockedBalanceOf(k.account, 0n, { blockTag });
    expect(row?.balance ?? 0n, `${k.token}:${k.token_id} of ${k.account} at ${block}`).to.equal(onChain);
    expect(row?.locked ?? 0n, `locked ${k.token}:${k.token_id} of ${k.account} at ${block}`).to.equal(locked);
    compared += 2;
  }
  const supply = await db
    .selectFrom("supply")
    .selectAll()
    .where("token", "=", "AllowanceToken")
    .where("from_block", "<=", at)
    .where((eb) => eb.or([eb("to_block", "is", null), eb("to_block", ">", at)]))
    .execute();
  for (const s of supply) {
    expect(s.minted, `issued ${s.token_id}`).to.equal(await c.allowances.issued(s.token_id, { blockTag }));
    expect(s.burned, `burned ${s.token_id}`).to.equal(await c.allowances.burned(s.token_id, { blockTag }));
    const clearing = world.manifest.contracts.Clearing!;
    expect(s.in_trading, `in trading ${s.token_id}`).to.equal(
      await c.allowances.balanceOf(clearing, s.token_id, { blockTag }),
    );
    compared += 3;
  }
  const trading = await db
    .selectFrom("trading_balances")
    .selectAll()
    .where("from_block", "<=", at)
    .where((eb) => eb.or([eb("to_block", "is", null), eb("to_block", ">", at)]))
    .execute();
  for (const t of trading) {
    const onChain = await c.clearing!.balanceOf(t.trader, TOKEN_ADDRESS(world, t.token), t.token_id, { blockTag });
    expect(t.balance, `trading ${t.token}:${t.token_id} of ${t.trader} at ${block}`).to.equal(onChain);
    compared++;
  }
  return compared;
}
