/**
 * `npm run indexer:reconcile -- [--block N] [--json]`: compares the indexer's database with the chain
 * at one block (default: the last indexed), records the run and raises an alert per difference.
 * Exit code 0 when every figure equals the chain's, 1 with a table of the differences, 2 when it
 * could not run. Reads the same environment as `indexer/main.ts` (`indexer/config.ts`).
 */
import { readManifest } from "../sdk/manifest";
import { readIndexerEnv } from "./config";
import { reconcile, type ReconcileResult } from "./reconcile";
import { openStore } from "./store/open";
import { Rpc } from "./sync/rpc";

function parseArgs(argv: string[]): { block?: number; json: boolean } {
  let block: number | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") json = true;
    else if (a === "--block" || a.startsWith("--block=")) {
      const v = a.includes("=") ? a.slice("--block=".length) : argv[++i];
      if (!v || !/^\d+$/.test(v)) throw new Error(`--block needs a block number, not "${v ?? ""}"`);
      block = Number(v);
    } else throw new Error(`unknown argument ${a} (usage: indexer:reconcile -- [--block N] [--json])`);
  }
  return { block, json };
}

/** The differences as an aligned text table. */
export function differenceTable(r: ReconcileResult): string {
  const rows = [
    ["kind", "subject", "field", "stored", "chain"],
    ...r.differences.map((d) => [d.kind, d.subject, d.field, d.stored, d.chain]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const env = readIndexerEnv();
  const rpc = new Rpc(env.ETS_RPC_URL, { aborted: () => true });
  const chainId = await rpc.chainId();
  const manifest = readManifest(env.ETS_DEPLOYMENTS_DIR, chainId);
  if (!manifest) throw new Error(`no deployment manifest for chain ${chainId} in ${env.ETS_DEPLOYMENTS_DIR}`);
  const store = await openStore(
    env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { sqliteFile: env.ETS_INDEXER_SQLITE },
  );
  try {
    const r = await reconcile(store, rpc, manifest, args.block);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ ...r, equal: r.differences.length === 0 }, null, 2)}\n`);
    } else {
      const c = r.checked;
      process.stdout.write(
        `reconciliation ${r.id} at block ${r.block}: ${c.holdings} holdings, ${c.supply} supply rows, ` +
          `${c.tradingBalances} trading balances, ${c.compliance} compliance positions checked\n`,
      );
      if (r.differences.length === 0) process.stdout.write("the store equals the chain\n");
      else process.stdout.write(`${r.differences.length} difference(s):\n${differenceTable(r)}\n`);
    }
    return r.differences.length === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as Error & { code?: string };
    process.stderr.write(`indexer:reconcile: ${e.code ? `${e.code}: ` : ""}${e.message}\n`);
    process.exit(2);
  },
);
