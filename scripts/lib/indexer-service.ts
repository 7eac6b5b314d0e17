import { INDEXER_NODE_FLAGS } from "../../indexer/config";
import { ChildService } from "./child-service";

export interface IndexerServiceOptions {
  /** The chain's JSON-RPC. */
  rpcUrl: string;
  deploymentsDir: string;
  /** The SQLite file (`data/indexer.sqlite`) unless DATABASE_URL is set. */
  sqliteFile: string;
}

/**
 * The indexer (sync + GraphQL, `indexer/main.ts`) as its own process: a backfill never slows the
 * exchange's event loop, and the indexer fails or restarts alone. Ready when it prints its GraphQL
 * address; stopped with SIGTERM. Tied to `npm start` by a pipe: if the orchestrator dies, the
 * indexer sees its standard input close and exits (its cursor makes the next start resume).
 */
export class IndexerService extends ChildService {
  constructor(private readonly opts: IndexerServiceOptions) {
    super("indexer", "indexer/main.ts");
  }

  protected override nodeFlags(): string[] {
    return INDEXER_NODE_FLAGS;
  }

  protected environment(): Record<string, string> {
    return {
      ETS_RPC_URL: this.opts.rpcUrl,
      ETS_DEPLOYMENTS_DIR: this.opts.deploymentsDir,
      ETS_INDEXER_SQLITE: process.env.ETS_INDEXER_SQLITE ?? this.opts.sqliteFile,
    };
  }
}
