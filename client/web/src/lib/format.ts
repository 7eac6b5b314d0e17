import i18n from "../i18n";
import { formatYuan, productName } from "../../../../sdk/units";

/** Whole tonnes with thousands separators (integers only, never floats). */
export function tonnes(n: bigint | number | string): string {
  return BigInt(n).toLocaleString("en-US");
}

/** Fen as yuan with thousands separators, "1,234.56" (integer arithmetic only). */
export function yuan(fen: bigint | number | string): string {
  const [whole, cents] = formatYuan(BigInt(fen)).split(".");
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents}`;
}

/** `TJEA14` for vintage 2014. */
export function product(vintage: bigint | number): string {
  return productName(BigInt(vintage));
}

export function shortAddress(a: string): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`;
}

/** Unix seconds as local date and time, in the page's language. */
export function when(seconds: bigint | number | string): string {
  const s = Number(seconds);
  if (!s) return "—";
  return new Date(s * 1000).toLocaleString(i18n.language, { dateStyle: "medium", timeStyle: "short" });
}
