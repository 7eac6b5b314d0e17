/** One thing the audit found wrong. */
export interface Finding {
  /** Stable kind, e.g. `balance-mismatch`, `trade-bad-signature` (docs/audit.md lists them). */
  kind: string;
  block?: number;
  tx?: string;
  /** What the auditor's own recomputation says. */
  expected?: string;
  /** What the chain (or the indexer, or the file) says. */
  found?: string;
  /** One sentence. */
  message: string;
}

/** What the audit went through, for the report's figures. */
export interface AuditFigures {
  blocks: number;
  transactions: number;
  receipts: number;
  /** Blocks whose transactions root and receipts root the audit recomputed from the transactions and receipts. */
  rootsVerified: number;
  /** Blocks with a transaction the audit could not re-encode (an unknown type): their roots were not recomputed. */
  rootsNotVerifiable: number;
  events: number;
  accounts: number;
  holdings: number;
  trades: number;
  surrenders: number;
  reportsSubmitted: number;
  approvals: number;
  verifications: number;
  documentsChecked: number;
  stateFiguresCompared: number;
  indexerFiguresCompared: number;
}

export function emptyFigures(): AuditFigures {
  return {
    blocks: 0,
    transactions: 0,
    receipts: 0,
    rootsVerified: 0,
    rootsNotVerifiable: 0,
    events: 0,
    accounts: 0,
    holdings: 0,
    trades: 0,
    surrenders: 0,
    reportsSubmitted: 0,
    approvals: 0,
    verifications: 0,
    documentsChecked: 0,
    stateFiguresCompared: 0,
    indexerFiguresCompared: 0,
  };
}

export interface AuditReport {
  tool: "ets audit";
  version: 1;
  chainId: string;
  rpc: string;
  fromBlock: number;
  head: { number: number; hash: string; timestamp: number };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  figures: AuditFigures;
  indexer?: { url: string; login: string | null; compared: number; skipped?: string };
  documents?: { dir: string };
  rpcStats: { requests: number; calls: number; outages: number; retries: number };
  clean: boolean;
  findings: Finding[];
}

/** A log as JSON-RPC gives it. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

export interface RawTx {
  hash: string;
  from: string;
  to: string | null;
  input: string;
  blockHash: string;
  blockNumber: string;
  transactionIndex: string;
}

export interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  transactionsRoot: string;
  receiptsRoot: string;
  transactions: RawTx[];
}

export interface RawReceipt {
  transactionHash: string;
  transactionIndex: string;
  blockHash: string;
  blockNumber: string;
  status: string;
  type?: string;
  cumulativeGasUsed: string;
  logsBloom: string;
  logs: RawLog[];
}
