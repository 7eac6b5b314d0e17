import fs from "node:fs";
import path from "node:path";
import type { Manifest } from "../../sdk/manifest";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import { keystoreFile, unlockKeystore } from "./keystore";
import type { Service, ServiceContext } from "./service";

export interface ExchangeServiceOptions {
  /** The durable JSON-RPC: settlement transactions are acknowledged only once they are on disk. */
  rpcUrl: string;
  manifest: Manifest;
  walletDir: string;
  password: string;
  dataDir: string;
}

/** The exchange (REST + WebSocket, journal, settlement) inside `npm start`. */
export class ExchangeService implements Service {
  readonly name = "exchange";
  private running: RunningExchange | undefined;
  private provider: ZeroFeeProvider | undefined;

  constructor(private readonly opts: ExchangeServiceOptions) {}

  get url(): string {
    if (!this.running) throw new Error("the exchange is not started");
    return this.running.url;
  }

  async start(ctx: ServiceContext): Promise<void> {
    const env = readExchangeEnv();
    this.provider = connectRpc(this.opts.rpcUrl);
    const operator = (await unlockKeystore(keystoreFile(this.opts.walletDir, "exchange"), this.opts.password)).connect(this.provider);
    const journalFile = env.ETS_EXCHANGE_JOURNAL ?? path.join(this.opts.dataDir, "exchange", "journal.log");
    fs.mkdirSync(path.dirname(journalFile), { recursive: true });
    this.running = await startExchangeServer({ env, manifest: this.opts.manifest, operator, journalFile, log: ctx.log });
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.provider?.destroy();
  }
}
