/**
 * Runs `npm start` (`tsx scripts/start.ts`) as a child process in its own process group and
 * follows its log: for the tests and the start benchmark.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The fields of the "ready" log line. */
export interface ReadyLine {
  rpcUrl: string;
  /** The web portal's address, when it runs. */
  webUrl?: string;
  chainId: number;
  firstStart: boolean;
  block: number;
  entities: number;
  ms: number;
}

export interface StartProcess {
  child: ChildProcess;
  /** Every log line so far (parsed JSON lines; banner lines are kept as `{ text }`). */
  lines: Record<string, unknown>[];
  /** Milliseconds from spawn to the "ready" line. */
  ready: Promise<ReadyLine & { elapsedMs: number }>;
  /** Resolves with the exit code (or the signal) when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the whole process group (like a terminal's Ctrl-C, or `kill -9 -pgid`). */
  signalGroup(signal: NodeJS.Signals): void;
  /** Anvil's internal URL, once logged. */
  internalUrl(): string | undefined;
  /** Standard output and error so far, for failure messages. */
  output(): string;
}

export function launchStart(env: Record<string, string>, timeoutMs = 90_000): StartProcess {
  const started = performance.now();
  const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["scripts/start.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, as `npm start` in a terminal
  });
  const lines: Record<string, unknown>[] = [];
  let text = "";
  let pendingLine = "";
  let onReady: ((r: ReadyLine & { elapsedMs: number }) => void) | undefined;
  let onFail: ((e: Error) => void) | undefined;
  const ready = new Promise<ReadyLine & { elapsedMs: number }>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  ready.catch(() => undefined);

  child.stdout?.on("data", (chunk: Buffer) => {
    const s = chunk.toString("utf8");
    text += s;
    pendingLine += s;
    const parts = pendingLine.split("\n");
    pendingLine = parts.pop() ?? "";
    for (const line of parts) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { text: line };
      }
      lines.push(entry);
      if (entry.msg === "ready")
        onReady?.({ ...(entry as unknown as ReadyLine), elapsedMs: performance.now() - started });
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      onFail?.(new Error(`npm start exited (code ${code}, signal ${signal}) before it was ready:\n${text}`));
      resolve({ code, signal });
    }),
  );
  const timer = setTimeout(
    () => onFail?.(new Error(`npm start not ready within ${timeoutMs} ms:\n${text}`)),
    timeoutMs,
  );
  void ready.finally(() => clearTimeout(timer)).catch(() => undefined);

  return {
    child,
    lines,
    ready,
    exited,
    signalGroup(signal) {
      if (!child.pid) return;
      try {
        process.kill(-child.pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // the group is gone already
      }
    },
    internalUrl() {
      const line = lines.find((l) => typeof l.internalUrl === "string");
      return line?.internalUrl as string | undefined;
    },
    output: () => text,
  };
}
