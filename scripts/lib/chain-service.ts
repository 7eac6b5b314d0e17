import fs from "node:fs";
import path from "node:path";
import { startAnvil, type AnvilNode } from "./anvil";
import { removeStaleTemps, writeFileDurable } from "../../sdk/durable-file";
import { DurableRpcProxy, type DurableRpcStats } from "./durable-rpc";
import type { Service, ServiceContext } from "./service";

export interface ChainServiceOptions {
  /** The chain's folder: `state.json` (the snapshot), `chain.json` (its identity), `anvil.log`. */
  chainDir: string;
  /** Where the durable JSON-RPC listens. */
  host: string;
  port: number;
  chainId: number;
}

/** What `chain.json` records, so that a data folder is never resumed as another chain. */
interface ChainIdentity {
  chainId: number;
  createdAt: string;
}

/**
 * The local chain: Anvil on an internal port, loading the last snapshot if there is one, behind the
 * durable JSON-RPC proxy on the public address. Anvil runs tied to this process (it ends when this
 * process dies, even by SIGKILL), and is stopped only after the proxy's final snapshot.
 */
export class ChainService implements Service {
  readonly name = "chain";
  private anvil: AnvilNode | undefined;
  private proxy: DurableRpcProxy | undefined;
  private stopping = false;
  /** Whether the chain continued from a snapshot (false on the very first start). */
  resumed = false;

  constructor(private readonly opts: ChainServiceOptions) {}

  get stateFile(): string {
    return path.join(this.opts.chainDir, "state.json");
  }

  get logFile(): string {
    return path.join(this.opts.chainDir, "anvil.log");
  }

  /** The public (durable) JSON-RPC URL. */
  get rpcUrl(): string {
    if (!this.proxy) throw new Error("the chain is not started");
    return this.proxy.url;
  }

  /**
   * Anvil's own URL: internal and not durable by itself. For bulk work whose durability is ensured
   * by a `checkpoint()` afterwards (the first start's setup), and for diagnostics.
   */
  get internalUrl(): string {
    if (!this.anvil) throw new Error("the chain is not started");
    return this.anvil.url;
  }

  /**
   * Switches Anvil to a block every `seconds` (interval mining), or back to a block per
   * transaction with 0. Set after the first start's setup, which is fastest with a block per
   * transaction; Anvil does not keep the setting across restarts, so every start sets it.
   */
  async setBlockTime(seconds: number): Promise<void> {
    const url = this.internalUrl;
    const call = async (method: string, params: unknown[]) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      const body = (await res.json()) as { error?: { message: string } };
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
    };
    if (seconds > 0) await call("evm_setIntervalMining", [seconds]);
    else await call("evm_setAutomine", [true]);
  }

  /** Writes the chain's current state durably now (e.g. after work sent to `internalUrl`). */
  async checkpoint(): Promise<void> {
    if (!this.proxy) throw new Error("the chain is not started");
    await this.proxy.checkpoint();
  }

  stats(): DurableRpcStats | undefined {
    return this.proxy?.stats();
  }

  async start(ctx: ServiceContext): Promise<void> {
    const { chainDir, chainId } = this.opts;
    fs.mkdirSync(chainDir, { recursive: true });
    const stale = removeStaleTemps(chainDir);
    if (stale.length > 0) ctx.log.warn({ files: stale }, "removed temporary files of an interrupted snapshot");
    this.checkIdentity();

    // Anvil logs every request: keep one previous log beyond 16 MiB.
    if (fs.existsSync(this.logFile) && fs.statSync(this.logFile).size > 16 * 1024 * 1024) {
      fs.renameSync(this.logFile, `${this.logFile}.1`);
    }
    this.resumed = fs.existsSync(this.stateFile);
    const t0 = performance.now();
    try {
      this.anvil = await startAnvil({
        host: "127.0.0.1",
        port: 0,
        chainId,
        logFile: this.logFile,
        lifeline: true,
        args: this.resumed ? ["--load-state", this.stateFile] : [],
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}; see ${this.logFile}`, { cause: err });
    }
    ctx.log.info(
      { internalUrl: this.anvil.url, resumed: this.resumed, ms: Math.round(performance.now() - t0) },
      this.resumed ? "anvil started from the last snapshot" : "anvil started on a new chain",
    );
    this.anvil.process.once("exit", (code, signal) => {
      if (!this.stopping)
        ctx.fail(new Error(`Anvil exited unexpectedly (code ${code}, signal ${signal}); see ${this.logFile}`));
    });

    this.proxy = new DurableRpcProxy({
      upstream: this.anvil.url,
      host: this.opts.host,
      port: this.opts.port,
      stateFile: this.stateFile,
      log: ctx.log.child({ part: "durable-rpc" }),
    });
    try {
      await this.proxy.start();
    } catch (err) {
      this.stopping = true;
      await this.anvil.stop();
      throw err;
    }
    if (!this.resumed) {
      // The snapshot exists from the first moment: a restart never meets a chain without one.
      await this.proxy.checkpoint();
      await writeFileDurable(
        path.join(chainDir, "chain.json"),
        JSON.stringify({ chainId, createdAt: new Date().toISOString() } satisfies ChainIdentity, null, 2) + "\n",
      );
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    try {
      await this.proxy?.stop();
    } finally {
      await this.anvil?.stop();
    }
  }

  private checkIdentity(): void {
    const file = path.join(this.opts.chainDir, "chain.json");
    if (!fs.existsSync(file)) return;
    const identity = JSON.parse(fs.readFileSync(file, "utf8")) as ChainIdentity;
    if (identity.chainId !== this.opts.chainId) {
      throw new Error(
        `${this.opts.chainDir} holds chain ${identity.chainId}, but ETS_CHAIN_ID is ${this.opts.chainId}: ` +
          `use the chain id it was created with, or another ETS_DATA_DIR.`,
      );
    }
  }
}
