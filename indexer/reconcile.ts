/**
 * Reconciliation: the store against the chain at one block. Every holding (balance and locked) at
 * that block against the tokens' `balanceOf` / `lockedBalanceOf`, every supply figure against the
 * tokens' counters, every trading balance against `Clearing.balanceOf`, every compliance position
 * against `Compliance.positionOf` — eth_calls at that block, in JSON-RPC batches. A run is recorded
 * in `reconciliations`; each difference raises a `reconciliation_mismatch` alert.
 */
import { randomUUID } from "node:crypto";
import { Interface } from "ethers";
import { ABIS } from "../sdk/contracts";
import type { Manifest } from "../sdk/manifest";
import { indexedBlock } from "./graphql/args";
import { indexerError } from "./errors";
import type { Store } from "./store/open";
import { atBlock } from "./store/versioned";
import { hex, type Rpc } from "./sync/rpc";

export interface ReconcileDifference {
  /** `holding`, `supply`, `trading_balance` or `compliance`. */
  kind: string;
  /** What differed, e.g. `holding:AllowanceToken:2014:0xabc…` (the alert's subject). */
  subject: string;
  /** The column: `balance`, `locked`, `minted`, `status`, … */
  field: string;
  stored: string;
  chain: string;
  account?: string;
  token?: string;
  tokenId?: string;
  entityId?: string;
}

export interface ReconcileChecked {
  holdings: number;
  supply: number;
  tradingBalances: number;
  compliance: number;
}

export interface ReconcileResult {
  id: string;
  block: number;
  /** How many stored rows of each kind were compared (each with one or more figures). */
  checked: ReconcileChecked;
  differences: ReconcileDifference[];
  startedAt: number;
  finishedAt: number;
}

export interface ReconcileOptions {
  /** eth_calls per JSON-RPC batch. Default 200. */
  batchSize?: number;
  /** Record the run and raise alerts (default true). */
  record?: boolean;
}

const IFACE = {
  AllowanceToken: new Interface(ABIS.AllowanceToken),
  OffsetToken: new Interface(ABIS.OffsetToken),
  CashToken: new Interface(ABIS.CashToken),
  Clearing: new Interface(ABIS.Clearing),
  Compliance: new Interface(ABIS.Compliance),
};
type TokenName = "AllowanceToken" | "OffsetToken" | "CashToken";
const isToken = (t: string): t is TokenName => t === "AllowanceToken" || t === "OffsetToken" || t === "CashToken";

const STATUS = ["none", "open", "compliant", "shortfall"];

/** One figure to compare: an eth_call and what the store says its answer is. */
interface Check {
  to: string;
  iface: Interface;
  fn: string;
  args: unknown[];
  /** The chain's answer as a string, from the decoded result. */
  read: (decoded: ReturnType<Interface["decodeFunctionResult"]>) => string[];
  /** The stored values, in the order of `read`. */
  stored: string[];
  fields: string[];
  base: Omit<ReconcileDifference, "field" | "stored" | "chain">;
}

/** Compares the store with the chain at `block` (default: the last indexed block). */
export async function reconcile(
  store: Store,
  rpc: Rpc,
  manifest: Manifest,
  block?: number | bigint,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const startedAt = Date.now();
  const indexed = await indexedBlock(store);
  if (indexed < 0n) throw indexerError("BLOCK_BEYOND_INDEXED", "nothing is indexed yet", { indexedBlock: -1 });
  const at = block === undefined ? indexed : BigInt(block);
  if (at < 0n) throw indexerError("INVALID_ARGUMENT", `block must be ≥ 0, not ${at}`);
  if (at > indexed) {
    throw indexerError("BLOCK_BEYOND_INDEXED", `block ${at} is beyond the last indexed block ${indexed}`, {
      block: Number(at),
      indexedBlock: Number(indexed),
    });
  }
  const db = store.db;
  const c = manifest.contracts;
  const checks: Check[] = [];
  const checked: ReconcileChecked = { holdings: 0, supply: 0, tradingBalances: 0, compliance: 0 };

  // Holdings: balance and locked of each (account, token, token id) at the block.
  const holdings = await atBlock(db.selectFrom("holdings").selectAll(), at).execute();
  for (const h of holdings) {
    if (!isToken(h.token)) continue;
    const base = {
      kind: "holding",
      subject: `holding:${h.token}:${h.token_id}:${h.account}`,
      account: h.account,
      token: h.token,
      tokenId: String(h.token_id),
    };
    const iface = IFACE[h.token];
    const cash = h.token === "CashToken";
    checks.push({
      to: c[h.token],
      iface,
      fn: "balanceOf",
      args: cash ? [h.account] : [h.account, h.token_id],
      read: (d) => [String(d[0])],
      stored: [String(h.balance)],
      fields: ["balance"],
      base,
    });
    checks.push({
      to: c[h.token],
      iface,
      fn: "lockedBalanceOf",
      args: [h.account, h.token_id],
      read: (d) => [String(d[0])],
      stored: [String(h.locked)],
      fields: ["locked"],
      base,
    });
    checked.holdings++;
  }

  // Supply: the tokens' counters, and what the Clearing contract holds.
  const supply = await atBlock(db.selectFrom("supply").selectAll(), at).execute();
  for (const s of supply) {
    if (!isToken(s.token)) continue;
    const base = {
      kind: "supply",
      subject: `supply:${s.token}:${s.token_id}`,
      token: s.token,
      tokenId: String(s.token_id),
    };
    const iface = IFACE[s.token];
    const one = (fn: string, args: unknown[], field: string, stored: bigint) =>
      checks.push({
        to: c[s.token as TokenName],
        iface,
        fn,
        args,
        read: (d) => [String(d[0])],
        stored: [String(stored)],
        fields: [field],
        base,
      });
    if (s.token === "AllowanceToken") {
      one("issued", [s.token_id], "minted", s.minted);
      one("burned", [s.token_id], "burned", s.burned);
    } else if (s.token === "OffsetToken") {
      checks.push({
        to: c.OffsetToken,
        iface,
        fn: "batch",
        args: [s.token_id],
        read: (d) => [String(BigInt(d[0].serialLast) - BigInt(d[0].serialFirst) + 1n)],
        stored: [String(s.minted)],
        fields: ["minted"],
        base,
      });
      one("burned", [s.token_id], "burned", s.burned);
    } else {
      one("totalSupply", [], "minted - burned", s.minted - s.burned);
    }
    if (c.Clearing) {
      one("balanceOf", s.token === "CashToken" ? [c.Clearing] : [c.Clearing, s.token_id], "in_trading", s.in_trading);
    }
    checked.supply++;
  }

  // Trading balances at the Clearing contract.
  if (c.Clearing) {
    const trading = await atBlock(db.selectFrom("trading_balances").selectAll(), at).execute();
    for (const t of trading) {
      if (!isToken(t.token)) continue;
      checks.push({
        to: c.Clearing,
        iface: IFACE.Clearing,
        fn: "balanceOf",
        args: [t.trader, c[t.token], t.token_id],
        read: (d) => [String(d[0])],
        stored: [String(t.balance)],
        fields: ["balance"],
        base: {
          kind: "trading_balance",
          subject: `trading_balance:${t.token}:${t.token_id}:${t.trader}`,
          account: t.trader,
          token: t.token,
          tokenId: String(t.token_id),
        },
      });
      checked.tradingBalances++;
    }
  }

  // Compliance positions: one positionOf per (entity, year), five figures each.
  const positions = await atBlock(db.selectFrom("compliance").selectAll(), at).execute();
  for (const p of positions) {
    checks.push({
      to: c.Compliance,
      iface: IFACE.Compliance,
      fn: "positionOf",
      args: [p.entity_id, p.year],
      read: (d) => {
        const pos = d[0];
        return [
          STATUS[Number(pos.status)] ?? String(pos.status),
          String(pos.obligation),
          String(pos.allowancesSurrendered),
          String(pos.offsetsSurrendered),
          String(pos.shortfall),
        ];
      },
      stored: [
        p.status,
        String(p.obligation ?? 0n),
        String(p.allowances_surrendered),
        String(p.offsets_surrendered),
        String(p.shortfall),
      ],
      fields: ["status", "obligation", "allowances_surrendered", "offsets_surrendered", "shortfall"],
      base: { kind: "compliance", subject: `compliance:${p.entity_id}:${p.year}`, entityId: String(p.entity_id) },
    });
    checked.compliance++;
  }

  // The calls, at the block, in batches.
  const differences: ReconcileDifference[] = [];
  const per = options.batchSize ?? 200;
  const tag = hex(at);
  for (let i = 0; i < checks.length; i += per) {
    const slice = checks.slice(i, i + per);
    const answers = await rpc.batch<string>(
      slice.map((k) => ({
        method: "eth_call",
        params: [{ to: k.to, data: k.iface.encodeFunctionData(k.fn, k.args) }, tag],
      })),
    );
    slice.forEach((k, j) => {
      const onChain = k.read(k.iface.decodeFunctionResult(k.fn, answers[j]!));
      k.fields.forEach((field, f) => {
        if (onChain[f] !== k.stored[f]) {
          differences.push({ ...k.base, field, stored: k.stored[f]!, chain: onChain[f]! });
        }
      });
    });
  }

  const result: ReconcileResult = {
    id: randomUUID(),
    block: Number(at),
    checked,
    differences,
    startedAt,
    finishedAt: Date.now(),
  };
  if (options.record !== false) await record(store, rpc, result);
  return result;
}

/** Records the run and raises one `reconciliation_mismatch` alert per difference (again: updated). */
async function record(store: Store, rpc: Rpc, r: ReconcileResult): Promise<void> {
  const block = await rpc.call<{ timestamp: string } | null>("eth_getBlockByNumber", [hex(r.block), false]);
  const timestamp = block ? BigInt(block.timestamp) : BigInt(Math.floor(r.finishedAt / 1000));
  await store.db.transaction().execute(async (tx) => {
    await tx
      .insertInto("reconciliations")
      .values({
        id: r.id,
        block_number: r.block,
        started_at: r.startedAt,
        finished_at: r.finishedAt,
        checked: JSON.stringify(r.checked),
        differences: r.differences.length,
        report: JSON.stringify(r.differences),
      })
      .execute();
    for (const d of r.differences) {
      const values = {
        block_number: r.block,
        log_index: -1,
        rule: "reconciliation_mismatch",
        subject: `${d.subject}:${d.field}`,
        severity: "critical",
        entity_id: d.entityId === undefined ? null : BigInt(d.entityId),
        account: d.account ?? null,
        token: d.token ?? null,
        token_id: d.tokenId === undefined ? null : BigInt(d.tokenId),
        tx_hash: null,
        timestamp,
        message: `The indexer's ${d.field} of ${d.subject} at block ${r.block} is ${d.stored}; the chain says ${d.chain}.`,
        details: JSON.stringify({
          reconciliation: r.id,
          kind: d.kind,
          field: d.field,
          stored: d.stored,
          chain: d.chain,
        }),
      };
      await tx
        .insertInto("alerts")
        .values(values)
        .onConflict((oc) =>
          oc
            .columns(["block_number", "log_index", "rule", "subject"])
            .doUpdateSet({ message: values.message, details: values.details, timestamp }),
        )
        .execute();
    }
  });
}
