import { ChildService } from "./child-service";

export interface WebServiceOptions {
  rpcUrl: string;
  chainId: number;
  deploymentsDir: string;
  exchangeUrl?: string;
  indexerUrl?: string;
  host: string;
  port: number;
}

/**
 * The web portal (`client/web/server/main.ts`) as its own process: it builds the app when its
 * build is missing or out of date, then serves it with the chain, the exchange and the indexer
 * behind one address. Ready when it prints its address.
 */
export class WebService extends ChildService {
  constructor(private readonly opts: WebServiceOptions) {
    super("web", "client/web/server/main.ts");
  }

  protected environment(): Record<string, string> {
    return {
      ETS_RPC_URL: this.opts.rpcUrl,
      ETS_CHAIN_ID: String(this.opts.chainId),
      ETS_DEPLOYMENTS_DIR: this.opts.deploymentsDir,
      ETS_WEB_HOST: this.opts.host,
      ETS_WEB_PORT: String(this.opts.port),
      ...(this.opts.exchangeUrl ? { ETS_EXCHANGE_URL: this.opts.exchangeUrl } : {}),
      ...(this.opts.indexerUrl ? { ETS_INDEXER_URL: this.opts.indexerUrl } : {}),
    };
  }
}
