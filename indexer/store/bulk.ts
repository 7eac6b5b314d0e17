import { PostgresAdapter, sql, type Kysely } from "kysely";

/* eslint-disable @typescript-eslint/no-explicit-any -- rows of any table, by name */
type Row = Record<string, unknown>;

/** Rows per multi-row INSERT on SQLite: within its 32,766 parameters for the widest table. */
const SQLITE_SLICE = 500;
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

const text = (v: unknown) => (v === null || v === undefined ? null : typeof v === "string" ? v : String(v));

/**
 * Inserts rows (each with the same columns) in as few statements as the database allows: multi-row
 * VALUES on SQLite; on PostgreSQL one `INSERT … SELECT * FROM unnest($1::int8[], $2::text[], …)` per
 * 10,000 rows, whose one array parameter per column is parsed and planned once, however many rows.
 */
export async function insertRows(db: Kysely<any>, table: string, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    for (let i = 0; i < rows.length; i += SQLITE_SLICE) {
      await db
        .insertInto(table)
        .values(rows.slice(i, i + SQLITE_SLICE) as Row[])
        .execute();
    }
    return;
  }
  const types = await columnTypes(db, table);
  const columns = Object.keys(rows[0]!);
  for (const c of columns) if (!types.has(c)) throw new Error(`table ${table} has no column ${c}`);
  for (let i = 0; i < rows.length; i += POSTGRES_SLICE) {
    const slice = rows.slice(i, i + POSTGRES_SLICE);
    const arrays = columns.map((c) => sql`${slice.map((r) => text(r[c]))}::${sql.raw(types.get(c)!)}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
      select * from unnest(${sql.join(arrays)})`.execute(db);
  }
}
