import { sql, type Kysely } from "kysely";
import type { Database, FactTableName, VersionedTableName } from "../../store/schema";
import { bigintArg, decodeCursor, encodeCursor, first as firstArg } from "../args";

/* eslint-disable @typescript-eslint/no-explicit-any -- the helpers below page any fact or versioned table by name */
type AnyDb = Kysely<any>;
type Query = any;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  orderDirection?: "asc" | "desc" | null;
}

export interface Connection<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Counted only when selected (graphql-js calls a function-valued field): a page costs no count. */
  totalCount: () => Promise<number>;
}

/** A filter value that was given (not undefined, not null). */
export const given = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** `x in list`, with an empty list matching nothing. */
export function inList(q: Query, column: string, list: readonly unknown[]): Query {
  return list.length ? q.where(column, "in", list) : q.where(sql<boolean>`1 = 0`);
}

/** The count of `q`'s rows, run only when called (a `totalCount` that is not selected costs nothing). */
export function countOf(q: Query): () => Promise<number> {
  return async () => Number((await q.select((eb: any) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
}

/**
 * A Relay connection from `rows` fetched with `limit(n + 1)`: the extra row only says that there is
 * a next page. `nodes` maps the page's rows (at once, so it may batch lookups); `count` is
 * `totalCount`, run only when selected.
 */
export async function toConnection<R, N>(
  rows: R[],
  n: number,
  cursorOf: (r: R) => string,
  nodes: (page: R[]) => N[] | Promise<N[]>,
  count: () => Promise<number>,
): Promise<Connection<N>> {
  const page = rows.slice(0, n);
  const mapped = await nodes(page);
  const edges = page.map((r, i) => ({ cursor: cursorOf(r), node: mapped[i]! }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > n, endCursor: edges[edges.length - 1]?.cursor ?? null },
    totalCount: count,
  };
}

/**
 * A page of a fact table (alias `f`) in chain order (`block_number`, `log_index`), with the block's
 * time as `block_timestamp`: `narrow` adds the filters, the count is of the filtered rows, and the
 * opaque cursor of list `list` is the last row's place.
 */
export async function factPage<N>(
  db: Kysely<Database>,
  table: FactTableName,
  list: string,
  args: PageArgs,
  defaultDir: "asc" | "desc",
  narrow: (q: Query) => Query,
  map: (row: any) => N,
): Promise<Connection<N>> {
  const n = firstArg(args.first);
  const dir = args.orderDirection ?? defaultDir;
  const after = decodeCursor(list, args.after);
  const base = narrow((db as AnyDb).selectFrom(`${table} as f`));
  let page = base
    .leftJoin("blocks as b", "b.number", "f.block_number")
    .selectAll("f")
    .select("b.timestamp as block_timestamp");
  if (after) {
    const block = bigintArg(after[0], "cursor");
    const log = bigintArg(after[1], "cursor");
    const op = dir === "asc" ? ">" : "<";
    page = page.where((eb: any) =>
      eb.or([eb("f.block_number", op, block), eb.and([eb("f.block_number", "=", block), eb("f.log_index", op, log)])]),
    );
  }
  const rows = await page
    .orderBy("f.block_number", dir)
    .orderBy("f.log_index", dir)
    .limit(n + 1)
    .execute();
  return toConnection(
    rows,
    n,
    (r: any) => encodeCursor(list, [r.block_number.toString(), r.log_index.toString()]),
    (page) => page.map(map),
    countOf(base),
  );
}

/** A page of the current rows of a versioned table with a one-column integer key, by that key. */
export async function currentPage<N>(
  db: Kysely<Database>,
  table: VersionedTableName,
  key: string,
  list: string,
  args: PageArgs,
  defaultDir: "asc" | "desc",
  narrow: (q: Query) => Query,
  map: (row: any) => N,
): Promise<Connection<N>> {
  const n = firstArg(args.first);
  const dir = args.orderDirection ?? defaultDir;
  const after = decodeCursor(list, args.after);
  const base = narrow((db as AnyDb).selectFrom(table).where("to_block", "is", null));
  let page = base.selectAll();
  if (after) page = page.where(key, dir === "asc" ? ">" : "<", bigintArg(after[0], "cursor"));
  const rows = await page
    .orderBy(key, dir)
    .limit(n + 1)
    .execute();
  return toConnection(
    rows,
    n,
    (r: any) => encodeCursor(list, [r[key].toString()]),
    (page) => page.map(map),
    countOf(base),
  );
}
