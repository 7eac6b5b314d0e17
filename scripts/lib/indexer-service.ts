import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Service, ServiceContext } from "./service";

export interface IndexerServiceOptions {
  /** The chain's JSON-RPC. */
  rpcUrl: string;
  deploymentsDir: string;
  /** The SQLite file (`data/indexer.sqlite`) unless DATABASE_URL is set. */
  sqliteFile: string;
}

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The indexer (sync + GraphQL, `indexer/main.ts`) as its own process: a backfill never slows the
 * exchange's event loop, and the indexer fails or restarts alone. Ready when it prints its GraphQL
 * address; stopped with SIGTERM. Tied to `npm start` by a pipe: if the orchestrator dies, the
 * indexer sees its standard input close and exits (its cursor makes the next start resume).
 */
export class IndexerService implements Service {
  readonly name = "indexer";
  private child: ChildProcess | undefined;
  private address: string | undefined;
  private stopping = false;

  constructor(private readonly opts: IndexerServiceOptions) {}

  /** GraphiQL and the GraphQL endpoint. */
  get url(): string {
    if (!this.address) throw new Error("the indexer is not started");
    return this.address;
  }

  async start(ctx: ServiceContext): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "indexer", "main.ts")], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        ETS_RPC_URL: this.opts.rpcUrl,
        ETS_DEPLOYMENTS_DIR: this.opts.deploymentsDir,
        ETS_INDEXER_SQLITE: process.env.ETS_INDEXER_SQLITE ?? this.opts.sqliteFile,
        ETS_EXIT_WITH_STDIN: "1",
      },
    });
    this.child = child;
    let output = "";
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        for (const line of d.toString("utf8").split("\n")) {
          const m = /^indexer ready at (\S+)/.exec(line);
          if (m) resolve(m[1]!);
          else if (line.trim()) process.stdout.write(`${line}\n`);
        }
      });
      child.stderr!.on("data", (d: Buffer) => {
        output += d.toString("utf8");
        process.stderr.write(d);
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`the indexer exited (code ${code}, signal ${signal}) before it was ready: ${output.trim()}`)),
      );
    });
    this.address = await ready;
    child.once("exit", (code, signal) => {
      if (!this.stopping) ctx.fail(new Error(`the indexer exited (code ${code}, signal ${signal})`));
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
