import path from "node:path";
import type { Manifest } from "../sdk/manifest";
import type { DemoData } from "./demo/demo-data";

/** What the banner of `npm start` shows. */
export interface BannerInfo {
  rpcUrl: string;
  chainId: number;
  blockNumber: number;
  stateFile: string;
  manifest: Manifest;
  manifestFile: string;
  dataDir: string;
  walletDir: string;
  deploymentsDir: string;
  keystores: number;
  password: string;
  entityCount: number;
  demo: DemoData | undefined;
  /** "first start" or "restart", with what it did. */
  startKind: string;
  seconds: number;
  /** Lines of services started after the chain (exchange, indexer): name → where. */
  services: readonly { name: string; url: string }[];
}

/** The text printed once everything is ready (the one thing `npm start` prints that is not a log line). */
export function formatBanner(b: BannerInfo): string {
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r && !r.startsWith("..") && !path.isAbsolute(r) ? r : p;
  };
  const rule = "─".repeat(78);
  const lines: string[] = [
    rule,
    ` ETS Ledger is running  (${b.startKind}, ready in ${b.seconds.toFixed(1)} s)`,
    rule,
    ` JSON-RPC    ${b.rpcUrl}   chain id ${b.chainId}, block ${b.blockNumber}`,
    `             durable: a transaction is acknowledged once it is on disk (${rel(b.stateFile)})`,
    ` Contracts   ${rel(b.manifestFile)}`,
    ...Object.entries(b.manifest.contracts).map(([name, address]) => `             ${name.padEnd(20)} ${address}`),
  ];
  for (const s of b.services) lines.push(` ${s.name.padEnd(11)} ${s.url}`);
  const sample = b.demo?.coveredEntities[0];
  if (b.demo) {
    const covered = b.demo.coveredEntities.length;
    lines.push(
      ` Registry    ${b.entityCount} entities: ${covered} covered entities in 7 sectors (demo data), 2 verifiers,`,
      `             the exchange, the management centre and the clearing bank`,
    );
  } else {
    lines.push(` Registry    ${b.entityCount} entities (ETS_DEMO=false: no demo data)`);
  }
  lines.push(
    ` Data        ${b.dataDir}`,
    ` Wallets     ${b.walletDir}  (${b.keystores} keystores)`,
    `             password: ${b.password}   (demo only: never protect keys of value with it)`,
    "",
    " Try the CLI in another terminal:",
    `   export ETS_RPC_URL=${b.rpcUrl}`,
    `   export ETS_WALLET_DIR=${b.walletDir}`,
    `   export ETS_DEPLOYMENTS_DIR=${b.deploymentsDir}`,
    `   export ETS_PASSWORD=${b.password}`,
    "   npx ets wallet list",
    "   npx ets balance regulator",
  );
  if (sample) lines.push(`   npx ets balance ${sample.wallet.padEnd(18)} # ${sample.nameZh} (${sample.nameEn})`);
  lines.push(
    "   npx ets admin --help                 # register, freeze, recover, import-ccer, deposit-cash, …",
    "   npx ets transfer --help",
    "",
    " Ctrl-C stops; the next `npm start` continues the same ledger.",
    rule,
  );
  return lines.join("\n") + "\n";
}
