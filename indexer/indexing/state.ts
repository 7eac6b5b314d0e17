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
  private readonly entries = new Map<string, Entry>();
  private readonly facts = new Map<FactTableName, Row[]>();
  /** (token, pending id) → transfer key, for pending transfers created or looked up in this batch. */
  private readonly pending = new Map<string, string>();
  /** Keys of the watched tables put since the last `takeTouched` (the concentration rule's holdings). */
  private touched = new Map<string, { table: VersionedTableName; key: Row }>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The current value of a key (a copy), or undefined. */
  async get<T extends VersionedTableName>(table: T, key: Partial<Values<T>>): Promise<Values<T> | undefined> {
    const id = idOf(table, key as Row);
    const e = this.entries.get(id) ?? (await this.load(table, key as Row, id));
    const last = e.versions[e.versions.length - 1];
    if (last) return { ...last.values } as Values<T>;
    if (!e.original) return undefined;
    const { from_block: _f, to_block: _t, ...values } = e.original;
    return values as Values<T>;
  }

  /** Makes `values` the value of its key from `block` on. */
  async put<T extends VersionedTableName>(table: T, values: Values<T>, block: bigint): Promise<void> {
    const id = idOf(table, values as Row);
    const e = this.entries.get(id) ?? (await this.load(table, values as Row, id));
    if (table === "holdings" || table === "trading_balances") this.touched.set(id, e);
    const last = e.versions[e.versions.length - 1];
    if (last && last.from_block === block) last.values = { ...(values as Row) };
    else e.versions.push({ from_block: block, values: { ...(values as Row) } });
  }

  /**
   * Makes `values` the first value of a key that is new by construction (named after the log that
   * creates it, like a transfer): nothing is read from the database. A key created twice is an error.
   */
  create<T extends VersionedTableName>(table: T, values: Values<T>, block: bigint): void {
    const key = keyOf(table, values as Row);
    const id = idOf(table, key);
    if (this.entries.has(id)) throw new Error(`${id} is created twice`);
    this.entries.set(id, {
      table,
      key,
      original: null,
      versions: [{ from_block: block, values: { ...(values as Row) } }],
    });
  }

  /** Appends a fact row. */
  insert(table: FactTableName, row: Row): void {
    const rows = this.facts.get(table) ?? [];
    rows.push(row);
    this.facts.set(table, rows);
  }

  /** The holdings and trading balances put since the last call, by key (and forgets them). */
  takeTouched(): { table: VersionedTableName; key: Row }[] {
    const out = [...this.touched.values()];
    this.touched = new Map();
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
    const out = new Map<string, Values<T>>();
    for (const r of rows) {
      const key = keyOf(table, r);
      const v = await this.get(table, key as Partial<Values<T>>);
      if (v) out.set(idOf(table, key), v);
    }
    const matches = (v: Row) => Object.entries(where).every(([c, x]) => v[c] === x);
    for (const [id, e] of this.entries) {
      if (e.table !== table || out.has(id)) continue;
      const last = e.versions[e.versions.length - 1];
      if (last && matches(last.values)) out.set(id, { ...last.values } as Values<T>);
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
    for (const e of this.entries.values()) {
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
    this.touched = new Map();
  }

  /** The entry `id` of the key of `source` (a key or a row), read from the database on first use. */
  private async load(table: VersionedTableName, source: Row, id: string): Promise<Entry> {
    const key = keyOf(table, source);
    let q = (this.db as Kysely<any>).selectFrom(table).selectAll();
    for (const [c, v] of Object.entries(key)) q = q.where(c, "=", v);
    const original = ((await q.where("to_block", "is", null).executeTakeFirst()) ?? null) as Entry["original"];
    // Another read of the same key may have finished first.
    let e = this.entries.get(id);
    if (!e) {
      e = { table, key, original, versions: [] };
      this.entries.set(id, e);
    }
    return e;
  }
}

/** The map key of a table's key (its columns in `VERSIONED_TABLES` order, as `keyOf` builds it). */
function idOf(table: VersionedTableName, key: Row): string {
  let id: string = table;
  for (const c of VERSIONED_TABLES[table]) id += `\u0001${String(key[c])}`;
  return id;
}

function keyOf(table: VersionedTableName, values: Row): Row {
  const key: Row = {};
  for (const c of VERSIONED_TABLES[table]) key[c] = values[c];
  return key;
}
