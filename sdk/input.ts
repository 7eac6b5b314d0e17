import { keccak256, toUtf8Bytes } from "ethers";
import { chainCoded, clientError } from "./client-errors";
import { MAX_AMOUNT, parseTonnes, parseYuan } from "./units";

/**
 * Parsers for values people type, each failure with its own code: a client shows the sentence and
 * sends nothing. (The parsers of `units.ts` give one code, INVALID_AMOUNT, for every bad amount;
 * these tell zero, negative, fractional and too large apart and then delegate to them.)
 */

/** The unit an amount is typed in: whole tonnes (allowances, CCER) or CNY with fen (cash). */
export type AmountUnit = "tonnes" | "yuan";

/** Parses an amount typed by a person into tonnes or fen. */
export function parseAmount(input: string, unit: AmountUnit, what = "amount"): bigint {
  const text = input.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) {
    throw clientError(
      "INVALID_AMOUNT",
      unit === "tonnes"
        ? `The ${what} "${input}" is not a number of tonnes; give a whole number such as 100.`
        : `The ${what} "${input}" is not a CNY amount; give a number with at most two decimals such as 25.30.`,
      { field: what },
    );
  }
  const [, sign, whole = "", fraction] = m;
  const digits = `${whole}${fraction ?? ""}`;
  const isZero = /^0*$/.test(digits);
  if (sign === "-" && !isZero) {
    throw clientError("NEGATIVE_AMOUNT", `The ${what} must be positive; got ${text}.`, { field: what });
  }
  if (unit === "tonnes" && fraction !== undefined && !/^0*$/.test(fraction)) {
    throw clientError("AMOUNT_NOT_WHOLE", `The ${what} must be a whole number of tonnes; got ${text}.`, {
      field: what,
    });
  }
  if (unit === "yuan" && fraction !== undefined && fraction.replace(/0+$/, "").length > 2) {
    throw clientError(
      "AMOUNT_NOT_WHOLE",
      `The ${what} must be a whole number of fen (at most two decimals of CNY); got ${text}.`,
      { field: what },
    );
  }
  if (isZero) throw chainCoded("TokenZeroAmount", `The ${what} must be greater than zero.`, { field: what });
  const value =
    unit === "tonnes"
      ? BigInt(whole || "0")
      : BigInt(whole || "0") * 100n + BigInt((fraction ?? "").replace(/0+$/, "").padEnd(2, "0") || "0");
  if (value > MAX_AMOUNT) {
    throw clientError(
      "AMOUNT_TOO_LARGE",
      `The ${what} ${text} is too large: at most ${MAX_AMOUNT} ${unit === "tonnes" ? "tonnes" : "fen"}.`,
      { field: what },
    );
  }
  // The canonical parsers have the last word, so that every client agrees on the value.
  return unit === "tonnes"
    ? parseTonnes(value, what)
    : parseYuan(`${value / 100n}.${(value % 100n).toString().padStart(2, "0")}`, what);
}

/** Parses a whole number in [min, max] (entity ids, serial numbers). */
export function parseWholeNumber(input: string, what: string, min = 0n, max = 2n ** 64n - 1n): bigint {
  const text = input.trim();
  if (!/^\d+$/.test(text)) {
    throw clientError("INVALID_NUMBER", `The ${what} must be a whole number; got "${input}".`, { field: what });
  }
  const value = BigInt(text);
  if (value < min || value > max) {
    throw clientError("INVALID_NUMBER", `The ${what} must be between ${min} and ${max}; got ${text}.`, { field: what });
  }
  return value;
}

const DURATION_UNITS: Record<string, bigint> = { s: 1n, m: 60n, h: 3600n, d: 86400n };

/** Parses a duration: seconds ("90") or a number with a unit ("90s", "15m", "26h", "2d"). */
export function parseDuration(input: string, what = "duration"): bigint {
  const m = /^(\d+)\s*([smhd]?)$/i.exec(input.trim());
  if (!m) {
    throw clientError(
      "INVALID_DURATION",
      `The ${what} "${input}" is not a duration: give seconds or 90s, 15m, 26h, 2d.`,
      { field: what },
    );
  }
  return BigInt(m[1] ?? "0") * (DURATION_UNITS[(m[2] || "s").toLowerCase()] ?? 1n);
}

/** Parses a calendar date (YYYY-MM-DD, midnight UTC) or a full ISO 8601 time, into unix seconds. */
export function parseDate(input: string, what = "date"): bigint {
  const text = input.trim();
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  let ms: number;
  if (dateOnly) {
    const [y, mo, d] = [Number(dateOnly[1]), Number(dateOnly[2]), Number(dateOnly[3])];
    ms = Date.UTC(y, mo - 1, d);
    const back = new Date(ms);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) ms = Number.NaN;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    ms = Date.parse(text);
  } else {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw clientError("INVALID_DATE", `The ${what} "${input}" is not a date: give YYYY-MM-DD, e.g. 2014-01-01.`, {
      field: what,
    });
  }
  return BigInt(Math.floor(ms / 1000));
}

/** The characters of a unified social credit code (GB 32100-2015): digits and A-Y without I, O, S, V, Z. */
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

/** Normalises a unified social credit code (trimmed, upper case) and checks its form. */
export function parseCreditCode(input: string): string {
  const code = input.trim().toUpperCase();
  if (!CREDIT_CODE.test(code)) {
    throw clientError(
      "INVALID_CREDIT_CODE",
      `"${input}" is not a unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z.`,
      { field: "credit code" },
    );
  }
  return code;
}

/** The registry's hash of a unified social credit code: keccak256 of its normalised UTF-8 text. */
export function creditCodeHash(code: string): string {
  return keccak256(toUtf8Bytes(parseCreditCode(code)));
}

/** A required free text (reason, case reference, name), trimmed; empty is an error. */
export function requireText(input: string | undefined, what: string): string {
  const text = (input ?? "").trim();
  if (!text) throw clientError("MISSING_VALUE", `The ${what} must not be empty.`, { field: what });
  return text;
}

/** The bytes32 of an external reference (bank reference, payout reference): keccak256 of its trimmed UTF-8 text. */
export function referenceHash(input: string, what = "reference"): string {
  return keccak256(toUtf8Bytes(requireText(input, what)));
}
