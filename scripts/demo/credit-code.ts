/**
 * Unified social credit codes (统一社会信用代码, GB 32100-2015) and the organisation codes inside them
 * (组织机构代码, GB 11714-1997). Used to make the fictional demo entities' codes valid in form and
 * check characters, and by the tests that check them.
 *
 * Layout of the 18 characters:
 *   1      registration authority (9 = market regulation / industry and commerce, 1 = public bodies)
 *   2      kind of organisation (for authority 9: 1 = enterprise; for authority 1: 2 = public institution)
 *   3–8    administrative division code (e.g. 120116 = Binhai New Area, Tianjin)
 *   9–17   organisation code: 8 body characters + its GB 11714 check character
 *   18     check character over the first 17
 */

/** The 31 characters a credit code may use: digits and A–Y without I, O, S, V, Z. */
export const CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/** GB 32100-2015 weights: 3^(i−1) mod 31 for positions 1..17. */
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/** GB 11714 weights of the 8 body characters of an organisation code. */
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

/** The GB 32100-2015 check character (18th) of the first 17 characters of a credit code. */
export function creditCodeCheckChar(first17: string): string {
  if (first17.length !== 17) throw new Error(`expected 17 characters, got ${first17.length}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_CHARS.indexOf(first17.charAt(i));
    if (value < 0) throw new Error(`"${first17.charAt(i)}" is not a credit code character`);
    sum += value * (CREDIT_CODE_WEIGHTS[i] ?? 0);
  }
  return CREDIT_CODE_CHARS.charAt((31 - (sum % 31)) % 31);
}

/** Whether an 18-character code has the right characters and a correct check character. */
export function isValidCreditCode(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  return creditCodeCheckChar(code.slice(0, 17)) === code.charAt(17);
}

/** The GB 11714 check character (9th) of an 8-character organisation code body ("0"–"9" or "X"). */
export function orgCodeCheckChar(body8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(body8)) throw new Error(`"${body8}" is not an organisation code body`);
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = body8.charCodeAt(i);
    const value = c <= 57 ? c - 48 : c - 55; // 0–9 → 0–9, A–Z → 10–35
    sum += value * (ORG_CODE_WEIGHTS[i] ?? 0);
  }
  const check = 11 - (sum % 11);
  return check === 10 ? "X" : check === 11 ? "0" : String(check);
}

/**
 * Builds a credit code from its parts: authority and kind characters, a 6-digit division code and
 * an 8-character organisation code body (the organisation code check and the final check are computed).
 */
export function makeCreditCode(authority: string, kind: string, division: string, orgBody8: string): string {
  if (!/^\d{6}$/.test(division)) throw new Error(`"${division}" is not a division code`);
  const first17 = `${authority}${kind}${division}${orgBody8}${orgCodeCheckChar(orgBody8)}`;
  return first17 + creditCodeCheckChar(first17);
}
