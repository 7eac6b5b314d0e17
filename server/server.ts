import http from "node:http";
import type { AddressInfo } from "node:net";
import type { HDNodeWallet, JsonRpcProvider, Wallet } from "ethers";
import type { Logger } from "pino";
import { Clearing__factory, ParticipantRegistry__factory } from "../typechain-types";
import type { Manifest } from "../sdk/manifest";
import { clearingDomain } from "../sdk/orders";
import { createMetrics } from "./api/metrics";
import { createApp } from "./app";
import { SelfTradePrevention } from "./engine/types";
import type { CoreEvents, LiveOrder, ProductInfo, Trade } from "./exchange/core";
import { Exchange } from "./exchange/exchange";
import { RpcSender } from "./settlement/sender";
import { readOperatorToken, type ExchangeEnv } from "./config";

export interface ExchangeServerOptions {
  env: ExchangeEnv;
  manifest: Manifest & { contracts: { Clearing?: string } };
  /** The exchange operator's wallet (holds EXCHANGE), connected to the chain through a JSON-RPC provider. */
  operator: Wallet | HDNodeWallet;
  journalFile: string;
  /**
   * Where settlement transactions go, when not through the operator's provider: `npm start` sends
   * them straight to the node rather than through its durable JSON-RPC, because the exchange's own
   * journal and the chain's last trade id already make settlement exactly once after any crash.
   */
  settlementRpcUrl?: string;
  log: Logger;
  clock?: () => number;
}

export interface RunningExchange {
  url: string;
  port: number;
  exchange: Exchange;
  close(): Promise<void>;
}

const STP = {
  none: SelfTradePrevention.None,
  "cancel-taker": SelfTradePrevention.CancelTaker,
  "cancel-maker": SelfTradePrevention.CancelMaker,
} as const;

/** Starts the exchange: rebuilds its state from the journal, resumes settlement, listens. */
export async function startExchangeServer(opts: ExchangeServerOptions): Promise<RunningExchange> {
  const { env, manifest, operator, log } = opts;
  const operatorToken = readOperatorToken(env);
  const clearingAddress = manifest.contracts.Clearing;
  if (!clearingAddress) throw new Error("the deployment has no Clearing contract");
  const provider = operator.provider as JsonRpcProvider;
  const clearing = Clearing__factory.connect(clearingAddress, operator);
  const registry = ParticipantRegistry__factory.connect(manifest.contracts.ParticipantRegistry, provider);
  const [makerFeeBps, takerFeeBps, feeRecipient] = await clearing.fees();
  const latest = await provider.getBlock("latest");
  const relay: CoreEvents & { durable?: (seq: number) => void } = {};
  const metrics = createMetrics();
  const events = {
    trade: (t: Trade) => {
      metrics.trades.inc();
      relay.trade?.(t);
    },
    order: (o: LiveOrder, seq: number) => relay.order?.(o, seq),
    product: (p: ProductInfo, seq: number) => relay.product?.(p, seq),
    durable: (seq: number) => relay.durable?.(seq),
    confirmed: (b: { trades: Trade[]; rejected: Map<bigint, number> }) => {
      metrics.settled.inc({ result: "settled" }, b.trades.length - b.rejected.size);
      if (b.rejected.size > 0) metrics.settled.inc({ result: "rejected" }, b.rejected.size);
    },
  };
  const sender = new RpcSender(
    opts.settlementRpcUrl ?? provider._getConnection().url,
    operator.privateKey,
    clearingAddress,
    BigInt(manifest.chainId),
  );
  const exchange = await Exchange.open({
    sender,
    operator: operator.address,
    core: {
      allowanceToken: manifest.contracts.AllowanceToken,
      offsetToken: manifest.contracts.OffsetToken,
      cashToken: manifest.contracts.CashToken,
      makerFeeBps: Number(makerFeeBps),
      takerFeeBps: Number(takerFeeBps),
      feeRecipient,
      defaultReferencePrice: env.ETS_REFERENCE_PRICE,
      rules: { bandBps: env.ETS_PRICE_BAND_BPS },
      selfTradePrevention: STP[env.ETS_SELF_TRADE_PREVENTION],
    },
    pipeline: {
      batchSize: env.ETS_SETTLEMENT_BATCH_SIZE,
      batchLatencyMs: env.ETS_SETTLEMENT_LATENCY_MS,
      maxInFlight: env.ETS_SETTLEMENT_IN_FLIGHT,
      retryMs: 1_000,
      blockGasLimit: latest?.gasLimit ?? 30_000_000n,
    },
    journalFile: opts.journalFile,
    clearing,
    registry,
    domain: clearingDomain(manifest.chainId, clearingAddress),
    fromBlock: manifest.deploymentBlock,
    log: log.child({ component: "exchange" }),
    clock: opts.clock ?? (() => Math.floor(Date.now() / 1000)),
    events,
    snapshotEvery: env.ETS_SNAPSHOT_EVERY,
  });
  const { app, attachStream } = createApp({
    exchange,
    log,
    metrics,
    rateLimitPerSecond: env.ETS_RATE_LIMIT_PER_SECOND,
    operatorToken,
  });
  const server = http.createServer(app);
  const stream = attachStream(server);
  relay.trade = stream.trade;
  relay.order = stream.order;
  relay.product = stream.product;
  relay.durable = stream.durable;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.ETS_EXCHANGE_PORT, env.ETS_EXCHANGE_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${env.ETS_EXCHANGE_HOST}:${port}`;
  log.info({ url, operatorEndpoints: operatorToken ? "enabled" : "disabled" }, "exchange listening");
  return {
    url,
    port,
    exchange,
    close: async () => {
      await stream.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await exchange.close();
    },
  };
}
