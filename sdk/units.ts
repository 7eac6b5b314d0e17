import { getAddress, isAddress } from "ethers";
import { DomainError } from "./errors";

/** Largest amount accepted anywhere (fits the engine's safe integers and any uint256). */
export const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

/** Parses a whole, positive number of tonnes (allowances, CCER) from user input. */
export function parseTonnes(input: string | number | bigint, what = "amount"): bigint {
  return parseWhole(input, what, "tonnes");
}

/** Parses a whole, positive number of fen. */
export function parseFen(input: string | number | bigint, what = "amount"): bigint {
  return parseWhole(input, what, "fen");
}

/** Parses a CNY amount with at most two decimals ("1234.5" → 123450 fen). */
export function parseYuan(input: string, what = "amount"): bigint {
  const text = input.trim();
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) {
    if (/^-/.test(text)) throw invalid(what, `${what} must be positive; got "${input}".`);
    throw invalid(what, `${what} must be a CNY amount with at most two decimals, e.g. 25.30; got "${input}".`);
  }
  const fen = BigInt(m[1] ?? "0") * 100n + BigInt((m[2] ?? "").padEnd(2, "0"));
  if (fen === 0n) throw invalid(what, `${what} must be greater than zero.`);
  if (fen > MAX_AMOUNT) throw invalid(what, `${what} is too large.`);
  return fen;
}

/** Formats fen as CNY with two decimals. */
export function formatYuan(fen: bigint): string {
  const neg = fen < 0n;
  const abs = neg ? -fen : fen;
  return `${neg ? "-" : ""}${abs / 100n}.${(abs % 100n).toString().padStart(2, "0")}`;
}

function parseWhole(input: string | number | bigint, what: string, unit: string): bigint {
  const text = typeof input === "string" ? input.trim() : String(input);
  if (/^-/.test(text)) throw invalid(what, `${what} must be positive; got ${text}.`);
  if (/^\d+\.\d*$|^\d*\.\d+$|e/i.test(text))
    throw invalid(what, `${what} must be a whole number of ${unit}; got ${text}.`);
  if (!/^\d+$/.test(text)) throw invalid(what, `${what} must be a whole number of ${unit}; got "${text}".`);
  const value = BigInt(text);
  if (value === 0n) throw invalid(what, `${what} must be greater than zero.`);
  if (value > MAX_AMOUNT) throw invalid(what, `${what} is too large (at most ${MAX_AMOUNT} ${unit}).`);
  return value;
}

function invalid(what: string, message: string): DomainError {
  return new DomainError("INVALID_AMOUNT", message, "validation", { field: what });
}

/** The product name of an allowance vintage: 2014 → "TJEA14". */
export function productName(vintage: number | bigint): string {
  return `TJEA${String(Number(vintage) % 100).padStart(2, "0")}`;
}

/** Parses a vintage given as a year ("2014") or a product name ("TJEA14"). */
export function parseVintage(input: string): bigint {
  const text = input.trim().toUpperCase();
  let year: number | undefined;
  if (/^\d{4}$/.test(text)) year = Number(text);
  else if (/^TJEA\d{2}$/.test(text)) year = 2000 + Number(text.slice(4));
  if (year === undefined || year < 2000 || year > 2100) {
    throw new DomainError(
      "INVALID_VINTAGE",
      `"${input}" is not a vintage: give a year such as 2014 or a product such as TJEA14.`,
      "validation",
      { field: "vintage" },
    );
  }
  return BigInt(year);
}

/** Parses a CCER batch id ("3" or "CCER-3"). */
export function parseBatchId(input: string): bigint {
  const m = /^(?:CCER-)?(\d+)$/i.exec(input.trim());
  if (!m || BigInt(m[1] ?? "0") === 0n) {
    throw new DomainError(
      "INVALID_BATCH_ID",
      `"${input}" is not a CCER batch id: give a number such as 3 or CCER-3.`,
      "validation",
      { field: "batch" },
    );
  }
  return BigInt(m[1] ?? "0");
}

/** Parses and checksums an address. */
export function parseAddress(input: string, what = "address"): string {
  const text = input.trim();
  if (!isAddress(text)) {
    throw new DomainError(
      "INVALID_ADDRESS",
      `${what} "${input}" is not an address (0x followed by 40 hex digits).`,
      "validation",
      { field: what },
    );
  }
  return getAddress(text.toLowerCase());
}
