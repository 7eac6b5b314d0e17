import { CompiledQuery, PostgresAdapter, type Kysely } from "kysely";

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
/** Rows per chunk of COPY data on PostgreSQL (all chunks go in one COPY). */
const COPY_CHUNK = 5_000;

/** Characters COPY's text format escapes in a value. */
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One value in COPY's text format: `\N` for null, `\`, newline, CR and tab escaped. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "bigint") return v.toString();
  const t = typeof v === "string" ? v : String(v);
  return COPY_SPECIAL.test(t) ? t.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : t;
}

/** The rows as COPY text-format data, a chunk per `COPY_CHUNK` rows (a line per row, tab-separated). */
function copyData(rows: readonly Row[], columns: readonly string[]): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < rows.length; i += COPY_CHUNK) {
    const end = Math.min(rows.length, i + COPY_CHUNK);
    const lines = new Array<string>(end - i);
    for (let j = i; j < end; j++) {
      const r = rows[j]!;
      let line = copyValue(r[columns[0]!]);
      for (let k = 1; k < columns.length; k++) line += "\t" + copyValue(r[columns[k]!]);
      lines[j - i] = line;
    }
    chunks.push(lines.join("\n") + "\n");
  }
  return chunks;
}

/**
 * Inserts rows in as few statements as the database allows: multi-row VALUES on SQLite; on
 * PostgreSQL one `COPY … FROM STDIN` (its data is the statement's one parameter: `open.ts` streams
 * it), the fastest way in, however many rows.
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
  const columns = columnsOf(rows);
  const text = `copy ${quote(table)} (${columns.map(quote).join(", ")}) from stdin`;
  await db.executeQuery(CompiledQuery.raw(text, [copyData(rows, columns)]));
}
