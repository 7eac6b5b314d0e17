import { indexerError } from "../errors";
import type { Store } from "../store/open";

/** Validated arguments shared by the resolvers. */

export function address(value: string, what = "account"): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw indexerError("INVALID_ARGUMENT", `${what} must be an address (0x and 40 hex digits), not "${value}"`, {
      what,
    });
  }
  return value.toLowerCase();
}

export function first(value: number | null | undefined, max = 1000): number {
  const n = value ?? 50;
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw indexerError("INVALID_ARGUMENT", `first must be a whole number from 0 to ${max}, not ${n}`, {
      first: n,
      max,
    });
  }
  return n;
}

export async function indexedBlock(store: Store): Promise<bigint> {
  const row = await store.db.selectFrom("cursor").select("block_number").where("id", "=", "main").executeTakeFirst();
  return row?.block_number ?? -1n;
}

/**
 * The block of a historical read: undefined for "now"; refused when it is negative or above the
 * indexed block (whose state is not known yet).
 */
export async function block(store: Store, input: { number: number } | null | undefined): Promise<bigint | undefined> {
  if (!input) return undefined;
  if (!Number.isInteger(input.number) || input.number < 0) {
    throw indexerError("INVALID_ARGUMENT", `block.number must be a whole number ≥ 0, not ${input.number}`);
  }
  const indexed = await indexedBlock(store);
  if (BigInt(input.number) > indexed) {
    throw indexerError("BLOCK_BEYOND_INDEXED", `block ${input.number} is beyond the last indexed block ${indexed}`, {
      block: input.number,
      indexedBlock: Number(indexed),
    });
  }
  return BigInt(input.number);
}

/** Opaque page cursors: base64url of a JSON tuple tagged with its list. */
export function encodeCursor(list: string, key: (string | number)[]): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString("base64url");
}

export function decodeCursor(list: string, cursor: string | null | undefined): (string | number)[] | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed[0] !== list || parsed.length < 2) {
    throw indexerError("INVALID_CURSOR", `"${cursor}" is not a cursor of ${list}`, { list });
  }
  return parsed.slice(1) as (string | number)[];
}

export function bigintArg(value: unknown, what: string): bigint {
  try {
    if (typeof value === "bigint") return value;
    if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
    if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  } catch {
    // fall through
  }
  throw indexerError("INVALID_ARGUMENT", `${what} must be a whole number`, { what });
}
