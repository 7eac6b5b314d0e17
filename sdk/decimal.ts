/**
 * Exact decimal arithmetic for the scheme's formulas. Factors such as a net calorific value
 * (20.908 GJ/t) or a sector factor (0.98) are written as decimal strings and multiplied as exact
 * fractions of bigints; only the final figure is rounded to whole tonnes, by a rule that is named
 * where it is used. No float ever touches a quantity.
 */

/** An exact rational number `num / den` with `den > 0`, kept in lowest terms. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

/** A plain decimal: optional minus sign, digits, optional fraction part. No exponent, no grouping. */
export const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** The fraction `num / den` in lowest terms; `den` must not be zero. */
export function fraction(num: bigint, den: bigint = 1n): Fraction {
  if (den === 0n) throw new RangeError("division by zero");
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** Parses a decimal string exactly ("20.908" → 20908/1000). Throws a RangeError on anything else. */
export function parseDecimal(text: string): Fraction {
  if (!DECIMAL_PATTERN.test(text)) throw new RangeError(`not a plain decimal number: ${JSON.stringify(text)}`);
  const negative = text.startsWith("-");
  const [whole = "0", part = ""] = (negative ? text.slice(1) : text).split(".");
  const num = BigInt(whole + part);
  return fraction(negative ? -num : num, 10n ** BigInt(part.length));
}

export function add(a: Fraction, b: Fraction): Fraction {
  return fraction(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function sub(a: Fraction, b: Fraction): Fraction {
  return fraction(a.num * b.den - b.num * a.den, a.den * b.den);
}

export function mul(...factors: Fraction[]): Fraction {
  return factors.reduce((acc, f) => fraction(acc.num * f.num, acc.den * f.den), fraction(1n));
}

export function div(a: Fraction, b: Fraction): Fraction {
  if (b.num === 0n) throw new RangeError("division by zero");
  return fraction(a.num * b.den, a.den * b.num);
}

export function sum(values: readonly Fraction[]): Fraction {
  return values.reduce(add, fraction(0n));
}

/** The largest integer ≤ the value. */
export function floor(f: Fraction): bigint {
  const q = f.num / f.den;
  return f.num < 0n && q * f.den !== f.num ? q - 1n : q;
}

/** The nearest integer, halves rounded away from zero (the usual commercial rounding). */
export function roundHalfUp(f: Fraction): bigint {
  const abs = fraction(f.num < 0n ? -f.num : f.num, f.den);
  const rounded = floor(add(abs, fraction(1n, 2n)));
  return f.num < 0n ? -rounded : rounded;
}

/** The value written with exactly `places` decimals, rounded half up. */
export function formatDecimal(f: Fraction, places = 3): string {
  const scale = 10n ** BigInt(places);
  const scaled = roundHalfUp(mul(f, fraction(scale)));
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, "0");
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return negative ? `-${text}` : text;
}
