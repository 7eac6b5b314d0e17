import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Service, ServiceContext } from "./service";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * A component of `npm start` that runs as its own Node process (`node --import tsx <entry>`): its
 * event loop serves its own work only, and it fails or restarts alone. Ready when it prints
 * `<name> ready at <address>`; its other output is passed through. Stopped with SIGTERM (SIGKILL
 * after 15 s). Tied to `npm start` by a pipe: if the orchestrator dies, the child sees its standard
 * input close and exits (`ETS_EXIT_WITH_STDIN`).
 */
export abstract class ChildService implements Service {
  private child: ChildProcess | undefined;
  private address: string | undefined;
  private stopping = false;

  constructor(
    readonly name: string,
    /** The entry file, relative to the repository root. */
    private readonly entry: string,
  ) {}

  /** The address the child printed when ready. */
  get url(): string {
    if (!this.address) throw new Error(`the ${this.name} is not started`);
    return this.address;
  }

  /** The child's own environment variables, added to this process's. */
  protected abstract environment(): Record<string, string>;

  /** Options for the child's Node (V8 flags), before its entry. */
  protected nodeFlags(): string[] {
    return [];
  }

  async start(ctx: ServiceContext): Promise<void> {
    const child = spawn(process.execPath, [...this.nodeFlags(), "--import", "tsx", path.join(ROOT, this.entry)], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...this.environment(), ETS_EXIT_WITH_STDIN: "1" },
    });
    this.child = child;
    const readyLine = new RegExp(`^${this.name} ready at (\\S+)`);
    let output = "";
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        for (const line of d.toString("utf8").split("\n")) {
          const m = readyLine.exec(line);
          if (m) resolve(m[1]!);
          else if (line.trim()) process.stdout.write(`${line}\n`);
        }
      });
      child.stderr!.on("data", (d: Buffer) => {
        output += d.toString("utf8");
        process.stderr.write(d);
      });
      child.once("exit", (code, signal) =>
        reject(
          new Error(`the ${this.name} exited (code ${code}, signal ${signal}) before it was ready: ${output.trim()}`),
        ),
      );
    });
    this.address = await ready;
    child.once("exit", (code, signal) => {
      if (!this.stopping) ctx.fail(new Error(`the ${this.name} exited (code ${code}, signal ${signal})`));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.stopping = true;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
