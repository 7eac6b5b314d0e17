import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Service, ServiceContext } from "./service";

export interface ExchangeServiceOptions {
  /** The durable JSON-RPC, for everything the exchange reads. */
  rpcUrl: string;
  /**
   * Anvil's own URL, for settlement transactions: they need no acknowledgement on disk (after a
   * crash the exchange settles again whatever the chain lost, from its journal, exactly once), and
   * waiting for one per batch would cap settlement at one batch per snapshot.
   */
  settlementRpcUrl: string;
  deploymentsDir: string;
  walletDir: string;
  password: string;
  dataDir: string;
}

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * The exchange (REST + WebSocket, journal, settlement) as its own process (`server/main.ts`): its
 * event loop serves orders only, and it fails or restarts alone. Ready when it prints its address;
 * stopped with SIGTERM (it writes a snapshot and exits). Tied to `npm start` by a pipe: if the
 * orchestrator dies, the exchange sees its standard input close and exits.
 */
export class ExchangeService implements Service {
  readonly name = "exchange";
  private child: ChildProcess | undefined;
  private address: string | undefined;
  private stopping = false;

  constructor(private readonly opts: ExchangeServiceOptions) {}

  get url(): string {
    if (!this.address) throw new Error("the exchange is not started");
    return this.address;
  }

  async start(ctx: ServiceContext): Promise<void> {
    const journal = process.env.ETS_EXCHANGE_JOURNAL ?? path.join(this.opts.dataDir, "exchange", "journal.log");
    fs.mkdirSync(path.dirname(journal), { recursive: true });
    const operatorToken = operatorTokenEnv(path.join(this.opts.dataDir, "exchange", "operator-token"));
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server", "main.ts")], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        ETS_RPC_URL: this.opts.rpcUrl,
        ETS_SETTLEMENT_RPC_URL: this.opts.settlementRpcUrl,
        ETS_DEPLOYMENTS_DIR: this.opts.deploymentsDir,
        ETS_WALLET_DIR: this.opts.walletDir,
        ETS_PASSWORD: this.opts.password,
        ETS_EXCHANGE_JOURNAL: journal,
        ETS_EXIT_WITH_STDIN: "1",
        ...operatorToken,
      },
    });
    this.child = child;
    let output = "";
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        const text = d.toString("utf8");
        for (const line of text.split("\n")) {
          const m = /^exchange ready at (\S+)/.exec(line);
          if (m) resolve(m[1]!);
          else if (line.trim()) process.stdout.write(`${line}\n`);
        }
      });
      child.stderr!.on("data", (d: Buffer) => {
        output += d.toString("utf8");
        process.stderr.write(d);
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`the exchange exited (code ${code}, signal ${signal}) before it was ready: ${output.trim()}`)),
      );
    });
    this.address = await ready;
    child.once("exit", (code, signal) => {
      if (!this.stopping) ctx.fail(new Error(`the exchange exited (code ${code}, signal ${signal})`));
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

/**
 * The operator token of the exchange's `/v1/admin/…` endpoints: the operator's own
 * ETS_OPERATOR_TOKEN or ETS_OPERATOR_TOKEN_FILE when set; otherwise a random token created once in
 * `file` (mode 0600, kept across restarts) and handed to the exchange by its path.
 */
function operatorTokenEnv(file: string): Record<string, string> {
  if (process.env.ETS_OPERATOR_TOKEN || process.env.ETS_OPERATOR_TOKEN_FILE) return {};
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return { ETS_OPERATOR_TOKEN_FILE: file };
}
