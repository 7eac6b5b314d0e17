import { Interface } from "ethers";
import { DomainError } from "../../sdk/errors";
import type { Manifest } from "../../sdk/manifest";
import { checkDocuments } from "./documents";
import { compareIndexer } from "./indexer";
import { Ledger } from "./ledger";
import { AuditRpc, hex } from "./rpc";
import { compareState } from "./state";
import { emptyFigures, type AuditReport, type Finding, type RawBlock } from "./types";
import { walkChain } from "./walk";

export interface AuditOptions {
  rpcUrl: string;
  /** The deployment manifest of the chain, or a function that finds it for the chain id. */
  manifest: Manifest | ((chainId: bigint) => Manifest | undefined);
  indexer?: { url: string; headers?: Record<string, string>; login?: string; waitMs?: number };
  documentsDir?: string;
  /** Where progress lines go (stderr); none: silent. */
  progress?: (line: string) => void;
  /** How often a progress line is written, ms. Default 2,000. */
  progressEveryMs?: number;
  /** Blocks per window. Default 200. */
  window?: number;
  /** JSON-RPC calls per HTTP batch. Default 50. */
  batchSize?: number;
  /** How long an RPC outage is waited out, ms. Default 300,000. */
  maxWaitMs?: number;
  /** How long a node that does not answer at the start is waited for, ms. Default 10,000 (or `maxWaitMs` if shorter). */
  startWaitMs?: number;
  /** Audit up to this block instead of the head. */
  toBlock?: number;
}

const ERC1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);

/**
 * The independent audit: from the manifest's deployment block to the head, trusting only the chain's
 * JSON-RPC. Never imports from indexer/. Throws a DomainError (with `details.exitCode` 2) when it
 * cannot run; otherwise returns the report, clean or with its findings.
 */
export async function runAudit(o: AuditOptions): Promise<AuditReport> {
  const started = Date.now();
  const progress = o.progress;
  const rpc = new AuditRpc(o.rpcUrl, {
    batchSize: o.batchSize,
    maxWaitMs: o.maxWaitMs,
    onOutage: (e) =>
      progress?.(
        e.state === "down"
          ? `audit: the node stopped answering (${e.error}); waiting for it…`
          : `audit: the node answers again after ${(e.waitedMs / 1000).toFixed(1)} s; resuming.`,
      ),
  });
  let chainIdHex: string;
  try {
    // At the start, an unreachable node is waited for only briefly: there is nothing to resume.
    chainIdHex = await new AuditRpc(o.rpcUrl, {
      maxWaitMs: o.startWaitMs ?? Math.min(10_000, o.maxWaitMs ?? 10_000),
    }).call<string>("eth_chainId", []);
  } catch (err) {
    if (err instanceof DomainError) {
      throw new DomainError(
        "AUDIT_RPC_UNREACHABLE",
        `The chain node at ${o.rpcUrl} cannot be reached; nothing was audited. Check --rpc.`,
        "retryable",
        { url: o.rpcUrl, exitCode: 2 },
      );
    }
    throw err;
  }
  const chainId = BigInt(chainIdHex);
  const manifest = typeof o.manifest === "function" ? o.manifest(chainId) : o.manifest;
  if (!manifest) {
    throw new DomainError(
      "AUDIT_NO_MANIFEST",
      `There is no deployment manifest of chain ${chainId}; the audit needs it to know the contracts and the deployment block (--deployments).`,
      "not_found",
      { chainId: chainId.toString(), exitCode: 2 },
    );
  }
  if (BigInt(manifest.chainId) !== chainId) {
    throw new DomainError(
      "AUDIT_NO_MANIFEST",
      `The manifest is of chain ${manifest.chainId} but the node is chain ${chainId}.`,
      "not_found",
      { chainId: chainId.toString(), exitCode: 2 },
    );
  }
  const headNumber = o.toBlock ?? Number(BigInt(await rpc.call<string>("eth_blockNumber", [])));
  const headBlock = await rpc.call<RawBlock | null>("eth_getBlockByNumber", [hex(headNumber), false]);
  if (!headBlock) {
    throw new DomainError("AUDIT_RPC_UNREACHABLE", `The node has no block ${headNumber}.`, "retryable", {
      exitCode: 2,
    });
  }
  const figures = emptyFigures();
  const findings: Finding[] = [];
  const find = (f: Finding) => findings.push(f);

  const ledger = new Ledger(manifest, figures, async (wallet, digest, signature, block) => {
    const code = await rpc.call<string>("eth_getCode", [wallet, hex(block)]);
    if (!code || code === "0x") return false;
    try {
      const out = await rpc.call<string>("eth_call", [
        { to: wallet, data: ERC1271.encodeFunctionData("isValidSignature", [digest, signature]) },
        hex(block),
      ]);
      return out.slice(0, 10).toLowerCase() === "0x1626ba7e";
    } catch {
      return false;
    }
  });

  const from = manifest.deploymentBlock;
  const total = Math.max(1, headNumber - from + 1);
  let lastLine = 0;
  const every = o.progressEveryMs ?? 2_000;
  await walkChain(rpc, {
    from,
    head: headNumber,
    headHash: headBlock.hash,
    addresses: ledger.addresses(),
    window: o.window,
    figures,
    find,
    onLog: (log, tx, block) => ledger.apply(log, tx, block),
    onProgress: (block) => {
      const now = Date.now();
      if (!progress || (now - lastLine < every && block < headNumber)) return;
      lastLine = now;
      const done = block - from + 1;
      const rate = done / Math.max(0.001, (now - started) / 1000);
      const eta = (headNumber - block) / Math.max(rate, 0.001);
      progress(
        `audit: block ${block}/${headNumber} (${((100 * done) / total).toFixed(1)} %), ${rate.toFixed(0)} blocks/s, ETA ${eta.toFixed(0)} s`,
      );
    },
  });
  findings.push(...ledger.findings);
  ledger.findings.length = 0;

  progress?.(`audit: comparing the replayed state with the contracts at block ${headNumber}…`);
  figures.stateFiguresCompared = await compareState(rpc, ledger, headNumber, find);
  findings.push(...ledger.findings);

  if (o.documentsDir) {
    figures.documentsChecked = checkDocuments(o.documentsDir, ledger.reports, find);
  }

  let indexer: AuditReport["indexer"];
  if (o.indexer) {
    progress?.(`audit: comparing with the indexer at ${o.indexer.url}…`);
    try {
      const compared = await compareIndexer(ledger, {
        url: o.indexer.url,
        headers: o.indexer.headers,
        head: headNumber,
        waitMs: o.indexer.waitMs,
        find,
      });
      figures.indexerFiguresCompared = compared;
      indexer = { url: o.indexer.url, login: o.indexer.login ?? null, compared };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      find({
        kind: "indexer-unavailable",
        block: headNumber,
        message: `The indexer could not be compared: ${message}.`,
      });
      indexer = { url: o.indexer.url, login: o.indexer.login ?? null, compared: 0, skipped: message };
    }
  }

  const finished = Date.now();
  return {
    tool: "ets audit",
    version: 1,
    chainId: chainId.toString(),
    rpc: o.rpcUrl,
    fromBlock: from,
    head: { number: headNumber, hash: headBlock.hash, timestamp: Number(BigInt(headBlock.timestamp)) },
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - started,
    figures,
    ...(indexer ? { indexer } : {}),
    ...(o.documentsDir ? { documents: { dir: o.documentsDir } } : {}),
    rpcStats: { ...rpc.stats },
    clean: findings.length === 0,
    findings: findings.sort((a, b) => (a.block ?? 0) - (b.block ?? 0)),
  };
}
