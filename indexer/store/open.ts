import fs from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteDatabase as SqliteDialectDatabase } from "kysely";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { migrateToLatest } from "./migrations";
import type { Database } from "./schema";

export type Dialect = "sqlite" | "postgres";

/** The indexer's database: one Kysely instance over SQLite or PostgreSQL, migrated to the latest schema. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where it is, without a password (logs, status). */
  readonly location: string;
  /**
   * Checks that the database is still there: a SQLite file that was deleted (or replaced) is opened
   * anew, a PostgreSQL schema whose tables were dropped is migrated anew, and true is returned (the
   * indexer then rebuilds it from the chain).
   */
  reopenIfDeleted(): Promise<boolean>;
  /**
   * Refreshes the planner's statistics (and, on PostgreSQL, the visibility map that lets counts read
   * indexes alone): run after a large backfill, as autovacuum would later.
   */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…`: PostgreSQL. Otherwise SQLite at `sqliteFile`. */
  databaseUrl?: string;
  /** The SQLite file (created with its folder); `:memory:` for a throwaway store. */
  sqliteFile?: string;
  /** PostgreSQL pool size (default 4). */
  poolSize?: number;
}

const INT8_OID = 20;

/** Opens (creating if needed) and migrates the store. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize ?? 4);
  return openSqlite(opts.sqliteFile ?? path.join("data", "indexer.sqlite"));
}

async function openSqlite(file: string): Promise<Store> {
  const open = async () => {
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new SqliteDatabase(file);
    // Every integer comes back as a bigint: amounts may exceed 2^53.
    sqlite.defaultSafeIntegers(true);
    sqlite.pragma("journal_mode = WAL");
    // WAL + NORMAL: a committed transaction survives the death of the process (kill -9); only a power
    // loss may take back the last ones, which the indexer then fetches again from its cursor.
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("foreign_keys = ON");
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    await migrate(db);
    return { db, inode: file === ":memory:" ? 0 : fs.statSync(file).ino };
  };
  let current = await open();
  return {
    get db() {
      return current.db;
    },
    dialect: "sqlite",
    location: file,
    async reopenIfDeleted() {
      if (file === ":memory:") return false;
      let inode: number | undefined;
      try {
        inode = fs.statSync(file).ino;
      } catch {
        inode = undefined;
      }
      if (inode === current.inode) return false;
      await current.db.destroy();
      current = await open();
      return true;
    },
    async maintain() {
      await sql`analyze`.execute(current.db);
    },
    close: () => current.db.destroy(),
  };
}

/** Prepared statements kept per SQL text: a sync step runs the same few hundred statements many times. */
const STATEMENT_CACHE = 500;

/**
 * The database as Kysely's SQLite dialect sees it, with `prepare` answered from a cache of prepared
 * statements (least recently used first out): Kysely prepares every query it runs, and preparing
 * costs as much as running a small one. A statement still being iterated is never handed out again.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt && !stmt.busy) {
        cache.delete(text);
        cache.set(text, stmt);
        return stmt;
      }
      stmt = sqlite.prepare(text);
      cache.set(text, stmt);
      if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

async function openPostgres(url: string, max: number): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID
          ? (v: string) => BigInt(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolWithCopy(pool) }) });
  await migrate(db);
  const u = new URL(url);
  if (u.password) u.password = "***";
  return {
    db,
    dialect: "postgres",
    location: u.toString(),
    // A dropped schema (its tables gone) is migrated anew; a dropped database makes this fail, and
    // the step with it, until the database is there again.
    async reopenIfDeleted() {
      const { rows } = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db);
      if (rows[0]?.t) return false;
      await migrateToLatest(db as unknown as Kysely<unknown>);
      return true;
    },
    async maintain() {
      await sql`vacuum (analyze)`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** `copy <table> (<columns>) from stdin`: a bulk load whose data is the query's one parameter. */
const COPY_FROM_STDIN = /^copy [^;]+ from stdin$/i;

/**
 * The pool as Kysely sees it: its clients run a `copy … from stdin` whose one parameter is its data
 * (text-format chunks) with pg-copy-streams, inside whatever transaction the client is in; every
 * other query goes to pg unchanged.
 */
function poolWithCopy(pool: pg.Pool): pg.Pool {
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    let w = wrapped.get(client);
    if (!w) {
      const query = (...args: unknown[]) =>
        typeof args[0] === "string" && COPY_FROM_STDIN.test(args[0])
          ? copyIn(client, args[0], (args[1] as unknown[])[0] as string[])
          : (client.query as (...a: unknown[]) => unknown)(...args);
      w = new Proxy(client, {
        get: (target, prop) => {
          if (prop === "query") return query;
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      wrapped.set(client, w);
    }
    return w;
  };
  return new Proxy(pool, {
    get: (target, prop) => {
      if (prop === "connect") return async () => wrap(await target.connect());
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Streams `chunks` into `copy … from stdin`; answers as pg does for an INSERT (Kysely counts the rows). */
async function copyIn(client: pg.PoolClient, text: string, chunks: string[]) {
  const stream = client.query(copyFrom(text));
  await pipeline(Readable.from(chunks), stream);
  return { command: "COPY", rowCount: stream.rowCount, rows: [] };
}

async function migrate(db: Kysely<Database>): Promise<void> {
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
