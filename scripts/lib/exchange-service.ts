import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ChildService } from "./child-service";

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

/**
 * The exchange (REST + WebSocket, journal, settlement) as its own process (`server/main.ts`): its
 * event loop serves orders only, and it fails or restarts alone. Ready when it prints its address;
 * stopped with SIGTERM (it writes a snapshot and exits). Tied to `npm start` by a pipe: if the
 * orchestrator dies, the exchange sees its standard input close and exits.
 */
export class ExchangeService extends ChildService {
  constructor(private readonly opts: ExchangeServiceOptions) {
    super("exchange", "server/main.ts");
  }

  protected environment(): Record<string, string> {
    const journal = process.env.ETS_EXCHANGE_JOURNAL ?? path.join(this.opts.dataDir, "exchange", "journal.log");
    fs.mkdirSync(path.dirname(journal), { recursive: true });
    return {
      ETS_RPC_URL: this.opts.rpcUrl,
      ETS_SETTLEMENT_RPC_URL: this.opts.settlementRpcUrl,
      ETS_DEPLOYMENTS_DIR: this.opts.deploymentsDir,
      ETS_WALLET_DIR: this.opts.walletDir,
      ETS_PASSWORD: this.opts.password,
      ETS_EXCHANGE_JOURNAL: journal,
      ...operatorTokenEnv(path.join(this.opts.dataDir, "exchange", "operator-token")),
    };
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
