import fs from "node:fs";
import type { CoreSnapshot } from "./core";

const reviver = (_k: string, v: unknown) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v);
const replacer = (_k: string, v: unknown) => (typeof v === "bigint" ? `${v}n` : v);

export function encodeSnapshot(s: CoreSnapshot): string {
  return JSON.stringify(s, replacer);
}

/** The snapshot in `file`, or undefined when there is none. */
export function readSnapshot(file: string): CoreSnapshot | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8"), reviver) as CoreSnapshot;
}
