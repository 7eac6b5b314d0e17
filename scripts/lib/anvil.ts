import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export interface AnvilOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  chainId?: number;
  /** Seconds between blocks; omitted = a block per transaction. */
  blockTime?: number;
  /** Extra command-line arguments. */
  args?: string[];
  /** Where Anvil's output goes; ignored by default. */
  logFile?: string;
  /**
   * Run Anvil in its own process group, tied to this process by a pipe (see `LIFELINE`): a terminal's
   * Ctrl-C then reaches only this process, which can finish its work with Anvil before stopping it,
   * and Anvil still ends when this process dies, even by SIGKILL. `stop()` closes the pipe.
   */
  lifeline?: boolean;
}

/**
 * The lifeline wrapper (POSIX sh): starts Anvil (`"$@"`) in the background, waits on standard input
 * (a pipe whose only writer is the parent) in a watcher, and stops Anvil with SIGTERM when the pipe
 * closes, i.e. when the parent closes it or dies. Exits with Anvil's status.
 */
const LIFELINE = [
  "exec 3<&0",
  '"$@" </dev/null 3<&- &',
  "pid=$!",
  '( read -r _ <&3; kill -TERM "$pid" 2>/dev/null ) </dev/null &',
  "watcher=$!",
  "exec 3<&-",
  'wait "$pid"',
  "code=$?",
  'kill "$watcher" 2>/dev/null',
  'exit "$code"',
].join("\n");

export interface AnvilNode {
  url: string;
  port: number;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The Anvil binary shipped in the npm package `@foundry-rs/anvil` (its platform package). */
export function anvilBinary(): string {
  const platformPkg = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  try {
    const dir = path.dirname(require.resolve(`${platformPkg}/package.json`));
    const bin = path.join(dir, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
    if (fs.existsSync(bin)) return bin;
  } catch {
    // fall through to the wrapper
  }
  return path.join(__dirname, "..", "..", "node_modules", ".bin", "anvil");
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts Anvil with zero gas price and base fee, and waits until it answers JSON-RPC. */
export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilNode> {
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port || (await freePort(host));
  // prettier-ignore
  const args = [
    "--host", host,
    "--port", String(port),
    "--chain-id", String(opts.chainId ?? 31337),
    "--gas-price", "0",
    "--base-fee", "0",
    "--hardfork", "cancun",
    "--accounts", "1",
    // A permissioned network sets its own block gas limit; 100 M gas holds a settlement batch of
    // about 2,000 trades.
    "--gas-limit", "100000000",
    ...(opts.blockTime ? ["--block-time", String(opts.blockTime)] : []),
    ...(opts.args ?? []),
  ];
  const out = opts.logFile ? fs.openSync(opts.logFile, "a") : "ignore";
  const child = opts.lifeline
    ? spawn("/bin/sh", ["-c", LIFELINE, "anvil-lifeline", anvilBinary(), ...args], {
        stdio: ["pipe", out, out],
        detached: true,
      })
    : spawn(anvilBinary(), args, { stdio: ["ignore", out, out] });
  if (typeof out === "number") fs.closeSync(out);
  const url = `http://${host}:${port}`;
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`anvil exited with code ${exited} before it was ready`);
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      if (opts.lifeline && child.pid) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${url} within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    process: child,
    stop: (signal: NodeJS.Signals = "SIGTERM") =>
      new Promise<void>((resolve) => {
        if (exited !== undefined) return resolve();
        child.once("exit", () => resolve());
        if (!opts.lifeline) {
          child.kill(signal);
          return;
        }
        child.stdin?.end();
        // Should Anvil not stop within 10 s, end its whole group.
        const timer = setTimeout(() => {
          try {
            if (child.pid) process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }, 10_000);
        child.once("exit", () => clearTimeout(timer));
      }),
  };
}

export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
