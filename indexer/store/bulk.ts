import { CompiledQuery, PostgresAdapter, sql, type Kysely } from "kysely";

/* eslint-disable @typescript-eslint/no-explicit-any -- rows of any table, by name */
type Row = Record<string, unknown>;

/** Rows per multi-row INSERT on SQLite: within its 32,766 parameters for the widest table. */
const SQLITE_SLICE = 100;

/** The columns of rows: those of the first, and any other row's (each absent value inserted as null). */
function columnsOf(rows: readonly Row[]): string[] {
  const columns = Object.keys(rows[0]!);
  const known = new Set(columns);
  for (const r of rows) {
    for (const c in r) {
      if (known.has(c)) continue;
      known.add(c);
      columns.push(c);
    }
  }
  return columns;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const sqliteInserts = new Map<string, string>();

/** `insert into "table" ("a", "b") values (?, ?), (?, ?)…` for `count` rows (the text kept per shape). */
function sqliteInsert(table: string, columns: string[], count: number): string {
  const key = `${table}\u0001${count}\u0001${columns.join("\u0001")}`;
  let text = sqliteInserts.get(key);
  if (!text) {
    const row = `(${columns.map(() => "?").join(", ")})`;
    text = `insert into ${quote(table)} (${columns.map(quote).join(", ")}) values ${Array(count).fill(row).join(", ")}`;
    sqliteInserts.set(key, text);
  }
  return text;
}
/** Rows per `unnest` INSERT on PostgreSQL (one parameter per column, whatever the rows). */
const POSTGRES_SLICE = 10_000;

/** PostgreSQL column types by table, read once from the catalog. */
const pgTypes = new Map<string, Map<string, string>>();

async function columnTypes(db: Kysely<any>, table: string): Promise<Map<string, string>> {
  let types = pgTypes.get(table);
  if (!types) {
    const { rows } = await sql<{ column_name: string; udt_name: string }>`
      select column_name, udt_name from information_schema.columns
      where table_schema = current_schema() and table_name = ${table}`.execute(db);
    types = new Map(rows.map((r) => [r.column_name, r.udt_name]));
    pgTypes.set(table, types);
  }
  return types;
}

const SPECIAL = /["\\]/;

/**
 * The column `c` of `rows` as a PostgreSQL array literal (`{1,NULL,"a \"b\""}`), built in one
 * string: every value quoted but integers, `"` and `\` escaped; null and undefined are NULL. What
 * `pg` would send for a JS array of the values as text, at a fraction of the cost.
 */
function arrayLiteral(rows: readonly Row[], c: string): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![c];
    if (v === null || v === undefined) parts[i] = "NULL";
    else if (typeof v === "bigint") parts[i] = v.toString();
    else {
      const t = typeof v === "string" ? v : String(v);
      parts[i] = SPECIAL.test(t) ? `"${t.replace(/["\\]/g, "\\$&")}"` : `"${t}"`;
    }
  }
  return `{${parts.join(",")}}`;
}

/**
 * Inserts rows (each with the same columns) in as few statements as the database allows: multi-row
 * VALUES on SQLite; on PostgreSQL one `INSERT … SELECT * FROM unnest($1::int8[], $2::text[], …)` per
 * 10,000 rows, whose one array parameter per column is parsed and planned once, however many rows.
 */
export async function insertRows(db: Kysely<any>, table: string, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    const columns = columnsOf(rows);
    let params: unknown[] = [];
    const flush = async (count: number) => {
      await db.executeQuery(CompiledQuery.raw(sqliteInsert(table, columns, count), params));
      params = [];
    };
    // Full slices share one statement (prepared once, `open.ts`); the rest go one row at a time.
    const whole = rows.length - (rows.length % SQLITE_SLICE);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      for (const c of columns) params.push(r[c] ?? null);
      if (i < whole ? (i + 1) % SQLITE_SLICE === 0 : true) await flush(i < whole ? SQLITE_SLICE : 1);
    }
    return;
  }
  const types = await columnTypes(db, table);
  const columns = Object.keys(rows[0]!);
  for (const c of columns) if (!types.has(c)) throw new Error(`table ${table} has no column ${c}`);
  for (let i = 0; i < rows.length; i += POSTGRES_SLICE) {
    const slice = rows.slice(i, i + POSTGRES_SLICE);
    const arrays = columns.map((c) => sql`${arrayLiteral(slice, c)}::${sql.raw(types.get(c)!)}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      select * from unnest(${sql.join(arrays)})`.execute(db);
  }
}
