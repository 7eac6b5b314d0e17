import type { Kysely } from "kysely";
import { FACT_TABLES, VERSIONED_TABLES, type Database, type VersionedTableName } from "./schema";

/* eslint-disable @typescript-eslint/no-explicit-any -- the helpers below work on any versioned table by name */
type AnyDb = Kysely<any>;

/** The value columns of a versioned table's row (without `from_block` / `to_block`). */
export type Values<T extends VersionedTableName> = Omit<
  { [C in keyof Database[T]]: Database[T][C] extends { __select__: infer S } ? S : Database[T][C] },
  "from_block" | "to_block"
>;

function whereKey(qb: any, key: Record<string, unknown>): any {
  for (const [column, value] of Object.entries(key)) qb = qb.where(column, "=", value);
  return qb;
}

/** The current row of `key` in a versioned table, if any. */
export async function current<T extends VersionedTableName>(
  db: Kysely<Database>,
  table: T,
  key: Partial<Values<T>>,
): Promise<(Values<T> & { from_block: bigint }) | undefined> {
  const qb = whereKey((db as AnyDb).selectFrom(table).selectAll(), key).where("to_block", "is", null);
  return (await qb.executeTakeFirst()) as (Values<T> & { from_block: bigint }) | undefined;
}

/**
 * Makes `values` the value of its key from `block` on: closes the current version at `block` and
 * inserts the new one, or rewrites the current version when it already starts at `block` (a key
 * changed twice in one block keeps one version per block).
 */
export async function put<T extends VersionedTableName>(
  db: Kysely<Database>,
  table: T,
  values: Values<T>,
  block: bigint,
  existing?: { from_block: bigint } | undefined | null,
): Promise<void> {
  const key: Record<string, unknown> = {};
  for (const column of VERSIONED_TABLES[table]) key[column] = (values as Record<string, unknown>)[column];
  const cur = existing === undefined ? await current(db, table, key as Partial<Values<T>>) : existing;
  const adb = db as AnyDb;
  if (cur && cur.from_block === block) {
    await whereKey(adb.updateTable(table).set(values as any), key)
      .where("from_block", "=", block)
      .execute();
    return;
  }
  if (cur) {
    await whereKey(adb.updateTable(table).set({ to_block: block } as any), key)
      .where("from_block", "=", cur.from_block)
      .execute();
  }
  await adb
    .insertInto(table)
    .values({ ...values, from_block: block, to_block: null })
    .execute();
}

/** Restricts a query on a versioned table to the rows in force at `block` (the current ones when undefined). */
export function atBlock<QB extends { where: (...args: any[]) => any }>(qb: QB, block?: bigint, alias = ""): QB {
  const c = (name: string) => (alias ? `${alias}.${name}` : name);
  if (block === undefined) return qb.where(c("to_block"), "is", null);
  return qb
    .where(c("from_block"), "<=", block)
    .where((eb: any) => eb.or([eb(c("to_block"), "is", null), eb(c("to_block"), ">", block)]));
}

/**
 * The versions in force at `block` of the keys of `table` whose current rows match `narrow` (e.g. an
 * account's holdings): for each such key, the version with the greatest `from_block` ≤ `block`,
 * found through the primary key — O(keys × log versions), however long the history. Keys created
 * after `block` have no row. Each key has a current row (a key is never deleted), so the current
 * rows list every key that ever existed.
 */
export async function versionsAt<T extends VersionedTableName>(
  db: Kysely<Database>,
  table: T,
  block: bigint,
  narrow: (current: any) => any,
): Promise<(Values<T> & { from_block: bigint; to_block: bigint | null })[]> {
  const key = VERSIONED_TABLES[table] as readonly string[];
  const adb = db as AnyDb;
  let q = (adb.selectFrom(`${table} as c`) as any).innerJoin(`${table} as v`, (join: any) => {
    for (const k of key) join = join.onRef(`v.${k}`, "=", `c.${k}`);
    return join;
  });
  q = narrow(q.where("c.to_block", "is", null)).where("v.from_block", "=", (eb: any) => {
    let m = eb.selectFrom(`${table} as m`).select(eb.fn.max("m.from_block").as("f"));
    for (const k of key) m = m.whereRef(`m.${k}`, "=", `c.${k}`);
    return m.where("m.from_block", "<=", block);
  });
  return q.selectAll("v").execute();
}

/**
 * Takes every table back to the end of block `ancestor`: facts, events, transactions and blocks
 * above it are deleted; versions that start above it are deleted and those that ended above it are
 * current again. Run inside the transaction that also moves the cursor.
 */
export async function rollbackTo(db: Kysely<Database>, ancestor: bigint): Promise<void> {
  const adb = db as AnyDb;
  for (const table of Object.keys(VERSIONED_TABLES)) {
    await adb.deleteFrom(table).where("from_block", ">", ancestor).execute();
    await adb.updateTable(table).set({ to_block: null }).where("to_block", ">", ancestor).execute();
  }
  for (const table of [...FACT_TABLES, "events", "transactions"]) {
    await adb.deleteFrom(table).where("block_number", ">", ancestor).execute();
  }
  await adb.deleteFrom("blocks").where("number", ">", ancestor).execute();
}

/** Empties every derived table (before a rebuild from the events table). */
export async function clearDerived(db: Kysely<Database>): Promise<void> {
  const adb = db as AnyDb;
  for (const table of [...Object.keys(VERSIONED_TABLES), ...FACT_TABLES]) await adb.deleteFrom(table).execute();
}
