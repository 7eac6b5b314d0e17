import type { TransactionReceipt } from "ethers";

/** What a command produces: one JSON object for `--json`, lines of text otherwise. */
export interface CommandResult {
  data: Record<string, unknown>;
  text: string[];
  /** The process's exit code when the command ran to its end (default 0; `ets audit`: 1 on findings). */
  exitCode?: number;
}

/** A unix time in the local time zone with its offset: "2024-05-02 10:00:00 +08:00". */
export function localTime(unix: bigint | number): string {
  const d = new Date(Number(unix) * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** A unix time in ISO 8601 UTC without milliseconds: "2024-05-02T02:00:00Z". */
export function isoTime(unix: bigint | number): string {
  return new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z");
}

/** Both: "2024-05-02 10:00:00 +08:00 (2024-05-02T02:00:00Z)". */
export function when(unix: bigint | number): string {
  return `${localTime(unix)} (${isoTime(unix)})`;
}

/** A time for JSON: unix seconds and ISO. */
export function timeJson(unix: bigint | number): { unix: number; iso: string } {
  return { unix: Number(unix), iso: isoTime(unix) };
}

/** A duration in words: "26 h", "1 h 30 min", "45 s". */
export function duration(seconds: bigint): string {
  let s = seconds < 0n ? 0n : seconds;
  const parts: string[] = [];
  const d = s / 86400n;
  s %= 86400n;
  const h = s / 3600n;
  s %= 3600n;
  const m = s / 60n;
  s %= 60n;
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s || parts.length === 0) parts.push(`${s} s`);
  return parts.join(" ");
}

/** The transaction facts every sending command reports. */
export function txData(receipt: TransactionReceipt): { tx: string; block: number } {
  return { tx: receipt.hash, block: receipt.blockNumber };
}

export function txLine(receipt: TransactionReceipt): string {
  return `Transaction ${receipt.hash} (block ${receipt.blockNumber}).`;
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** An address with the wallet name it has in the folder, if any: "0xAb…(alice)". */
export function named(address: string, name?: string): string {
  return name ? `${address} (${name})` : address;
}
