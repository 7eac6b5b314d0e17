/**
 * Builds the web portal with Vite when its build is missing or older than its sources. A digest
 * of every source the bundle is made from (the app, the SDK it imports, the contract types, the
 * lock file) is kept beside the build, so an unchanged tree is never rebuilt.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const WEB_DIR = path.join(ROOT, "client", "web");
export const DIST_DIR = path.join(WEB_DIR, "dist");
const STAMP = path.join(DIST_DIR, ".source-digest");
const SOURCES = ["client/web/src", "client/web/index.html", "client/web/vite.config.ts", "sdk", "typechain-types"];

function walk(file: string, out: string[]): void {
  if (!fs.existsSync(file)) return;
  const stat = fs.statSync(file);
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(file).sort()) walk(path.join(file, name), out);
  } else out.push(file);
}

/** sha256 over the paths and contents of every source of the bundle. */
export function sourceDigest(): string {
  const files: string[] = [];
  for (const s of SOURCES) walk(path.join(ROOT, s), files);
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(path.relative(ROOT, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  }
  const lock = path.join(ROOT, "package-lock.json");
  if (fs.existsSync(lock)) hash.update(fs.readFileSync(lock));
  return hash.digest("hex");
}

export function isBuildCurrent(): boolean {
  return (
    fs.existsSync(path.join(DIST_DIR, "index.html")) &&
    fs.existsSync(STAMP) &&
    fs.readFileSync(STAMP, "utf8").trim() === sourceDigest()
  );
}

/** Builds unless the build is current; returns whether it built. */
export async function ensureWebBuilt(opts: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (!opts.force && isBuildCurrent()) return false;
  const digest = sourceDigest();
  // Vite's types need module resolution for packages with `exports`; its build API is this call.
  const { build } = (await import("vite" as string)) as {
    build(config: { configFile: string; logLevel: "info" | "warn" }): Promise<unknown>;
  };
  await build({
    configFile: path.join(WEB_DIR, "vite.config.ts"),
    logLevel: opts.quiet ? "warn" : "info",
  });
  fs.writeFileSync(STAMP, `${digest}\n`);
  return true;
}
