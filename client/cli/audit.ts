import path from "node:path";
import type { Command } from "commander";
import { RpcCallError } from "../audit/rpc";
import { runAudit } from "../audit/run";
import { writeReport } from "../audit/report";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { loginToIndexer } from "../../sdk/indexer-login";
import { unlockKeystore } from "../../sdk/keystore";
import { readManifest } from "../../sdk/manifest";
import type { Action } from "./program";

/** Every failure of `ets audit` that stops it before a report means "could not run": exit 2. */
function cannotRun(err: unknown): never {
  if (err instanceof DomainError) {
    if (typeof err.details.exitCode === "number") throw err;
    throw new DomainError(err.code, err.message, err.kind, { ...err.details, exitCode: 2 }, { cause: err });
  }
  if (err instanceof RpcCallError) {
    throw new DomainError(
      "AUDIT_RPC_ERROR",
      `The chain node refused a call the audit needs (${err.message}); nothing was concluded.`,
      "internal",
      { method: err.method, exitCode: 2 },
      { cause: err },
    );
  }
  throw new DomainError(
    "UNEXPECTED",
    `The audit failed unexpectedly: ${err instanceof Error ? err.message : String(err)}; nothing was concluded.`,
    "internal",
    { exitCode: 2 },
    { cause: err },
  );
}

function wholeNumber(text: unknown, flag: string, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(String(text)) || !Number.isSafeInteger(n) || n < min) {
    throw clientError("INVALID_USAGE", `${flag} takes a whole number of at least ${min}; got "${String(text)}".`);
  }
  return n;
}

export function registerAuditCommand(program: Command, action: Action): void {
  program
    .command("audit")
    .summary(
      "independent verification of the whole ledger from the chain alone (exit 0 clean, 1 findings, 2 could not run)",
    )
    .description(
      "independent verification of the ledger from the chain alone: block linkage, receipts and logs, every balance and supply replayed, every trade's signed orders, surrenders, approvals, documents; optionally the indexer's answers (docs/audit.md). Exit 0 clean, 1 findings, 2 could not run",
    )
    .option("--indexer <url>", "also compare the indexer's GraphQL answers (log in with --from: REGULATOR or AUDITOR)")
    .option("--documents <dir>", "check report documents against their hashes (<entityId>-<year>-v<version>.<ext>)")
    .option("--out <dir>", "folder of the report (default data/audit/<timestamp>/)")
    .option("--max-wait <seconds>", "how long a node that stops answering is waited for (default 300)")
    .option("--to-block <n>", "audit up to this block instead of the head")
    .option("--batch <n>", "JSON-RPC calls per HTTP batch (default 50)")
    .action(
      action(async (session, _args, o) => {
        const opts = o as {
          indexer?: string;
          documents?: string;
          out?: string;
          maxWait?: string;
          toBlock?: string;
          batch?: string;
        };
        const { config, deps } = session;
        try {
          const maxWait = wholeNumber(opts.maxWait, "--max-wait");
          const toBlock = wholeNumber(opts.toBlock, "--to-block");
          const batch = wholeNumber(opts.batch, "--batch", 1);
          if (opts.indexer !== undefined && !/^https?:\/\//i.test(opts.indexer)) {
            throw clientError("INVALID_USAGE", `--indexer takes an http:// or https:// URL; got "${opts.indexer}".`);
          }
          let indexer: { url: string; headers?: Record<string, string>; login?: string } | undefined;
          if (opts.indexer) {
            indexer = { url: opts.indexer };
            if (config.from) {
              const entry = session.sender();
              const wallet = await unlockKeystore(
                entry,
                await session.password(`Password of wallet "${entry.name}": `),
              );
              try {
                const chainId = await fetchChainId(config.rpcUrl);
                const s = await loginToIndexer(opts.indexer, wallet, { chainId });
                indexer = { url: opts.indexer, headers: s.headers, login: `${entry.name} (${s.address}, ${s.role})` };
              } catch (err) {
                const e = err instanceof DomainError ? err : undefined;
                throw new DomainError(
                  "AUDIT_INDEXER_LOGIN_FAILED",
                  `Cannot log in to the indexer at ${opts.indexer} with wallet "${entry.name}"${e ? ` (${e.code}: ${e.message})` : ""}; it must hold REGULATOR or AUDITOR.`,
                  "unauthorised",
                  { exitCode: 2 },
                );
              }
            }
          }
          const report = await runAudit({
            rpcUrl: config.rpcUrl,
            manifest: (chainId) => {
              try {
                return readManifest(config.deploymentsDir, chainId);
              } catch {
                return undefined;
              }
            },
            indexer,
            documentsDir: opts.documents ? path.resolve(deps.cwd, opts.documents) : undefined,
            progress: (line) => void deps.stderr.write(`${line}\n`),
            maxWaitMs: maxWait === undefined ? undefined : maxWait * 1000,
            toBlock,
            batchSize: batch,
          });
          const stamp = report.startedAt.replace(/[:.]/g, "-");
          const out = path.resolve(deps.cwd, opts.out ?? path.join("data", "audit", stamp));
          const files = writeReport(out, report);
          const kinds = new Map<string, number>();
          for (const f of report.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
          const f = report.figures;
          return {
            exitCode: report.clean ? 0 : 1,
            data: {
              clean: report.clean,
              chainId: report.chainId,
              head: report.head,
              fromBlock: report.fromBlock,
              durationMs: report.durationMs,
              figures: report.figures,
              findings: report.findings,
              ...(report.indexer ? { indexer: report.indexer } : {}),
              report: files,
            },
            text: [
              `Audit of chain ${report.chainId}, blocks ${report.fromBlock}…${report.head.number} (head ${report.head.hash}), in ${(report.durationMs / 1000).toFixed(1)} s:`,
              `  ${f.blocks} blocks, ${f.transactions} transactions, ${f.events} events, ${f.accounts} accounts, ${f.holdings} holdings`,
              `  ${f.trades} trades, ${f.surrenders} surrenders, ${f.verifications} verifications, ${f.approvals} approvals, ${f.documentsChecked} documents checked`,
              `  ${f.stateFiguresCompared} figures compared with the contracts${report.indexer ? `, ${f.indexerFiguresCompared} with the indexer` : ""}`,
              report.clean
                ? "CLEAN: no finding."
                : `${report.findings.length} FINDING(S): ${[...kinds].map(([k, n]) => `${k} ×${n}`).join(", ")}`,
              ...report.findings
                .slice(0, 20)
                .map((x) => `  - [${x.kind}]${x.block !== undefined ? ` block ${x.block}` : ""}: ${x.message}`),
              ...(report.findings.length > 20 ? [`  … and ${report.findings.length - 20} more in the report`] : []),
              `Report: ${files.html} and ${files.json}`,
            ],
          };
        } catch (err) {
          cannotRun(err);
        }
      }),
    );
}

async function fetchChainId(url: string): Promise<bigint> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  }).catch(() => undefined);
  const json = (await res?.json().catch(() => undefined)) as { result?: string } | undefined;
  if (!json?.result) {
    throw new DomainError("AUDIT_RPC_UNREACHABLE", `The chain node at ${url} cannot be reached.`, "retryable", {
      exitCode: 2,
    });
  }
  return BigInt(json.result);
}
