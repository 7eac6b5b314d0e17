import type { Kysely } from "kysely";
import { VERSIONED_TABLES, type Database, type FactTableName, type VersionedTableName } from "../store/schema";
import { insertRows } from "../store/bulk";
import type { Values } from "../store/versioned";

/* eslint-disable @typescript-eslint/no-explicit-any -- rows of any table, by name */
type Row = Record<string, unknown>;

interface Entry {
  table: VersionedTableName;
  key: Row;
  /** The current row in the database when first asked for (null: none). */
  original: (Row & { from_block: bigint }) | null;
  /** Versions made in this batch, oldest first, at most one per block. */
  versions: { from_block: bigint; values: Row }[];
}

/**
 * The derived state of one batch of events (one sync step or one rebuild page), in memory: each key
 * is read from the database once, its versions are kept here, and `flush` writes them with one
 * UPDATE per key that had a current row and multi-row INSERTs for the rest. Handlers read their own
 * writes. The result is the same rows as writing each change at once.
 */
export class State {
  private readonly entries = new Entries();
  private readonly facts = new Map<FactTableName, Row[]>();
  /** (token, pending id) → transfer key, for pending transfers created or looked up in this batch. */
  private readonly pending = new Map<string, string>();
  /** Keys of the watched tables put since the last `takeTouched` (the concentration rule's holdings). */
  private touched = new Set<Entry>();

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The current value of a key (a copy), or undefined: at once when the batch knows the key already,
   * else once it is read from the database.
   */
  get<T extends VersionedTableName>(
    table: T,
    key: Partial<Values<T>>,
  ): Values<T> | undefined | Promise<Values<T> | undefined> {
    const e = this.entries.find(table, key as Row);
    if (e) return valueOf(e) as Values<T> | undefined;
    return this.load(table, key as Row).then((loaded) => valueOf(loaded) as Values<T> | undefined);
  }

  /**
   * The value a key was given in this batch (a copy), without reading the database: for keys named
   * after a log of the batch (like a transfer), which no earlier batch can have made.
   */
  made<T extends VersionedTableName>(table: T, key: Partial<Values<T>>): Values<T> | undefined {
    const last = this.entries.find(table, key as Row)?.versions.at(-1);
    return last ? ({ ...last.values } as Values<T>) : undefined;
  }

  /** Makes `values` the value of its key from `block` on. */
  put<T extends VersionedTableName>(table: T, values: Values<T>, block: bigint): void | Promise<void> {
    const e = this.entries.find(table, values as Row);
    if (e) return this.record(e, values as Row, block);
    return this.load(table, values as Row).then((loaded) => this.record(loaded, values as Row, block));
  }

  /** A new version of an entry (a copy of `values`), replacing one made in the same block. */
  private record(e: Entry, values: Row, block: bigint): void {
    if (e.table === "holdings" || e.table === "trading_balances") this.touched.add(e);
    const last = e.versions[e.versions.length - 1];
    if (last && last.from_block === block) last.values = { ...values };
    else e.versions.push({ from_block: block, values: { ...values } });
  }

  /**
   * Makes `values` the first value of a key that is new by construction (named after the log that
   * creates it, like a transfer): nothing is read from the database. A key created twice is an error.
   */
  create<T extends VersionedTableName>(table: T, values: Values<T>, block: bigint): void {
    const key = keyOf(table, values as Row);
    if (this.entries.find(table, key)) throw new Error(`${table} ${Object.values(key).join(":")} is created twice`);
    this.entries.add({ table, key, original: null, versions: [{ from_block: block, values: { ...(values as Row) } }] });
  }

  /** Appends a fact row. */
  insert(table: FactTableName, row: Row): void {
    const rows = this.facts.get(table) ?? [];
    rows.push(row);
    this.facts.set(table, rows);
  }

  /** The holdings and trading balances put since the last call, by key (and forgets them). */
  takeTouched(): { table: VersionedTableName; key: Row }[] {
    const out = [...this.touched].map((e) => ({ table: e.table, key: e.key }));
    this.touched = new Set();
    return out;
  }

  /** The fact rows of `table` inserted in this batch so far (before `flush`). */
  factsOf(table: FactTableName): readonly Row[] {
    return this.facts.get(table) ?? [];
  }

  /**
   * The current values of every key of `table` whose columns equal `where`, as this batch sees them
   * (the database's current rows overlaid with the batch's own writes), in key order of discovery.
   */
  async scan<T extends VersionedTableName>(table: T, where: Partial<Values<T>>): Promise<Values<T>[]> {
    let q = (this.db as Kysely<any>).selectFrom(table).selectAll();
    for (const [c, v] of Object.entries(where)) q = q.where(c, "=", v);
    const rows = (await q.where("to_block", "is", null).execute()) as Row[];
    const out = new Map<Entry, Values<T>>();
    for (const r of rows) {
      const e = this.entries.find(table, r) ?? (await this.load(table, r));
      const v = valueOf(e);
      if (v) out.set(e, v as Values<T>);
    }
    const matches = (v: Row) => Object.entries(where).every(([c, x]) => v[c] === x);
    for (const e of this.entries.all) {
      if (e.table !== table || out.has(e)) continue;
      const last = e.versions[e.versions.length - 1];
      if (last && matches(last.values)) out.set(e, { ...last.values } as Values<T>);
    }
    return [...out.values()].filter((v) => matches(v as Row));
  }

  /** The key of the pending transfer `id` of `token`, if it exists. */
  async pendingTransferKey(token: string, id: bigint): Promise<string | undefined> {
    const k = `${token}:${id}`;
    const known = this.pending.get(k);
    if (known) return known;
    const row = await this.db
      .selectFrom("transfers")
      .select("transfer_key")
      .where("token", "=", token)
      .where("pending_id", "=", id)
      .where("to_block", "is", null)
      .executeTakeFirst();
    if (row) this.pending.set(k, row.transfer_key);
    return row?.transfer_key;
  }

  rememberPending(token: string, id: bigint, transferKey: string): void {
    this.pending.set(`${token}:${id}`, transferKey);
  }

  /** Writes every version and fact of the batch; the State is empty afterwards. */
  async flush(): Promise<void> {
    const db = this.db as Kysely<any>;
    const inserts = new Map<string, Row[]>();
    const add = (table: string, row: Row) => {
      const rows = inserts.get(table) ?? [];
      rows.push(row);
      inserts.set(table, rows);
    };
    for (const e of this.entries.all) {
      if (e.versions.length === 0) continue;
      let versions = e.versions;
      const first = versions[0]!;
      if (e.original) {
        const sameBlock = e.original.from_block === first.from_block;
        const next = sameBlock ? versions[1] : first;
        let q = db
          .updateTable(e.table)
          .set(sameBlock ? { ...first.values, to_block: next?.from_block ?? null } : { to_block: first.from_block });
        for (const [c, v] of Object.entries(e.key)) q = q.where(c, "=", v);
        await q.where("from_block", "=", e.original.from_block).execute();
        if (sameBlock) versions = versions.slice(1);
      }
      versions.forEach((v, i) =>
        add(e.table, { ...v.values, from_block: v.from_block, to_block: versions[i + 1]?.from_block ?? null }),
      );
    }
    for (const [table, rows] of this.facts) for (const r of rows) add(table, r);
    for (const [table, rows] of inserts) await insertRows(db, table, rows);
    this.entries.clear();
    this.facts.clear();
    this.pending.clear();
    this.touched = new Set();
  }

  /** The entry of the key of `source` (a key or a row), read from the database. */
  private async load(table: VersionedTableName, source: Row): Promise<Entry> {
    const key = keyOf(table, source);
    let q = (this.db as Kysely<any>).selectFrom(table).selectAll();
    for (const [c, v] of Object.entries(key)) q = q.where(c, "=", v);
    const original = ((await q.where("to_block", "is", null).executeTakeFirst()) ?? null) as Entry["original"];
    // Another read of the same key may have finished first.
    let e = this.entries.find(table, key);
    if (!e) {
      e = { table, key, original, versions: [] };
      this.entries.add(e);
    }
    return e;
  }
}

/** An entry's current value (a copy), or undefined. */
function valueOf(e: Entry): Row | undefined {
  const last = e.versions[e.versions.length - 1];
  if (last) return { ...last.values };
  if (!e.original) return undefined;
  const { from_block: _f, to_block: _t, ...values } = e.original;
  return values;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- nested maps, a level per key column */
/**
 * The batch's entries by key: a map per table, nested a level per key column (in `VERSIONED_TABLES`
 * order), so a lookup hashes the key's values as they are and builds no string. Integers are
 * bigints and texts strings, in keys as in rows.
 */
class Entries {
  private readonly roots = new Map<VersionedTableName, Map<unknown, any>>();
  /** Every entry, in order of first use. */
  readonly all: Entry[] = [];

  find(table: VersionedTableName, key: Row): Entry | undefined {
    const columns = VERSIONED_TABLES[table];
    let level = this.roots.get(table);
    for (let i = 0; level !== undefined && i < columns.length; i++) level = level.get(key[columns[i]!]);
    return level as Entry | undefined;
  }

  add(e: Entry): void {
    const columns = VERSIONED_TABLES[e.table];
    let level: Map<unknown, any> | undefined = this.roots.get(e.table);
    if (!level) this.roots.set(e.table, (level = new Map()));
    for (let i = 0; i < columns.length - 1; i++) {
      const v = e.key[columns[i]!];
      let next: Map<unknown, any> | undefined = level.get(v);
      if (!next) level.set(v, (next = new Map()));
      level = next;
    }
    level.set(e.key[columns[columns.length - 1]!], e);
    this.all.push(e);
  }

  clear(): void {
    this.roots.clear();
    this.all.length = 0;
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function keyOf(table: VersionedTableName, values: Row): Row {
  const key: Row = {};
  for (const c of VERSIONED_TABLES[table]) key[c] = values[c];
  return key;
}
