import type { Selectable } from "kysely";
import { createPubSub, filter, pipe } from "graphql-yoga";
import { indexerError } from "../../errors";
import { productOf } from "../../indexing/supervision/handlers";
import type { AlertTable } from "../../store/schema";
import { address, bigintArg, decodeCursor, encodeCursor, first as firstArg } from "../args";
import type { GraphQLContext } from "./context";
import { productKey, type trade } from "./market";
import { countOf, toConnection } from "./lists";

const TOKEN_OF: Record<string, string> = { AllowanceToken: "ALLOWANCE", OffsetToken: "CCER", CashToken: "CASH" };

/** The rules that raise alerts (ingest rules, and reconciliation's). */
export const ALERT_RULES = [
  "wash_trade",
  "concentration",
  "price_spike",
  "large_trade",
  "recently_trusted",
  "late_report",
  "reconciliation_mismatch",
] as const;

export type TradeApi = ReturnType<typeof trade>;
export type AlertApi = ReturnType<typeof alert>;

/** An event target that counts the listeners of each topic. */
class CountingTarget extends EventTarget {
  private readonly counts = new Map<string, number>();

  listeners(topic: string): number {
    return this.counts.get(topic) ?? 0;
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    super.addEventListener(type, listener, options);
    if (listener) this.counts.set(type, this.listeners(type) + 1);
  }

  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: EventListenerOptions | boolean,
  ): void {
    super.removeEventListener(type, listener, options);
    if (listener) this.counts.set(type, Math.max(0, this.listeners(type) - 1));
  }
}

/** A rollback: the blocks above `toBlock` left the chain, with the trades and alerts they held. */
export interface ReorgApi {
  fromBlock: number;
  toBlock: number;
  depth: number;
}

/**
 * The live feeds: a committed sync step publishes its trades and alerts here, a rollback its reorg.
 * `listening(topic)` says whether a subscription hears the topic now (a backfill prepares nothing
 * for nobody).
 */
export type LivePubSub = ReturnType<typeof createLivePubSub>;
export function createLivePubSub() {
  const target = new CountingTarget();
  const pubsub = createPubSub<{ trade: [TradeApi]; alert: [AlertApi]; reorg: [ReorgApi] }>({
    eventTarget: target as never,
  });
  return Object.assign(pubsub, {
    listening: (topic: "trade" | "alert" | "reorg") => target.listeners(topic) > 0,
  });
}

export function alert(r: Selectable<AlertTable>) {
  return {
    id: `${r.block_number}:${r.log_index}:${r.rule}:${r.subject}`,
    rule: r.rule,
    subject: r.subject,
    severity: r.severity.toUpperCase(),
    entityId: r.entity_id,
    account: r.account,
    product: r.token === null || r.token_id === null ? null : productOf(r.token, r.token_id),
    token: r.token === null ? null : (TOKEN_OF[r.token] ?? r.token),
    tokenId: r.token_id,
    txHash: r.tx_hash,
    block: Number(r.block_number),
    logIndex: Number(r.log_index),
    timestamp: Number(r.timestamp),
    message: r.message,
    details: r.details,
  };
}

function rules(list: readonly string[]): string[] {
  for (const r of list) {
    if (!(ALERT_RULES as readonly string[]).includes(r)) {
      throw indexerError("UNKNOWN_ALERT_RULE", `"${r}" is not an alert rule (${ALERT_RULES.join(", ")})`, { rule: r });
    }
  }
  return [...list];
}

interface AlertWhere {
  rule?: string | null;
  rule_in?: string[] | null;
  severity?: string | null;
  entity?: unknown;
  account?: string | null;
  block_gt?: number | null;
  block_lt?: number | null;
}

const set = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** |verified − reported| × 10,000 ÷ reported, rounded half up (10,000 for a gap over a reported 0). */
export function gapBps(reported: bigint, verified: bigint): bigint {
  const gap = verified > reported ? verified - reported : reported - verified;
  if (reported === 0n) return gap === 0n ? 0n : 10_000n;
  return (2n * gap * 10_000n + reported) / (2n * reported);
}

const halfUp = (sum: bigint, n: bigint) => (n === 0n ? 0n : (2n * sum + n) / (2n * n));

export function createSupervisionResolvers(pubsub: LivePubSub) {
  return {
    Query: {
      alerts: async (
        _: unknown,
        args: {
          where?: AlertWhere | null;
          first?: number | null;
          after?: string | null;
          orderDirection?: "asc" | "desc";
        },
        ctx: GraphQLContext,
      ) => {
        const n = firstArg(args.first);
        const dir = args.orderDirection ?? "desc";
        const w = args.where ?? {};
        let q = ctx.store.db.selectFrom("alerts");
        if (w.rule) q = q.where("rule", "=", rules([w.rule])[0]!);
        if (w.rule_in) q = q.where("rule", "in", w.rule_in.length ? rules(w.rule_in) : ["-"]);
        if (w.severity) q = q.where("severity", "=", w.severity.toLowerCase());
        if (set(w.entity)) q = q.where("entity_id", "=", bigintArg(w.entity, "where.entity"));
        if (w.account) q = q.where("account", "=", address(w.account, "where.account"));
        if (set(w.block_gt)) q = q.where("block_number", ">", BigInt(w.block_gt));
        if (set(w.block_lt)) q = q.where("block_number", "<", BigInt(w.block_lt));
        const after = decodeCursor("alerts", args.after);
        let page = q.selectAll();
        if (after) {
          const block = bigintArg(after[0], "cursor");
          const log = bigintArg(after[1], "cursor");
          const rule = String(after[2]);
          const subject = String(after[3]);
          const op = dir === "asc" ? ">" : "<";
          page = page.where((eb) =>
            eb.or([
              eb("block_number", op, block),
              eb.and([eb("block_number", "=", block), eb("log_index", op, log)]),
              eb.and([eb("block_number", "=", block), eb("log_index", "=", log), eb("rule", op, rule)]),
              eb.and([
                eb("block_number", "=", block),
                eb("log_index", "=", log),
                eb("rule", "=", rule),
                eb("subject", op, subject),
              ]),
            ]),
          );
        }
        const rows = await page
          .orderBy("block_number", dir)
          .orderBy("log_index", dir)
          .orderBy("rule", dir)
          .orderBy("subject", dir)
          .limit(n + 1)
          .execute();
        return toConnection(
          rows,
          n,
          (r) => encodeCursor("alerts", [r.block_number.toString(), r.log_index.toString(), r.rule, r.subject]),
          (page) => page.map(alert),
          countOf(q),
        );
      },

      verifiers: async (_: unknown, args: { year: number }, ctx: GraphQLContext) => {
        const rows = await ctx.store.db
          .selectFrom("attestations")
          .selectAll()
          .where("year", "=", BigInt(args.year))
          .where("to_block", "is", null)
          .orderBy("verifier_entity_id")
          .execute();
        const by = new Map<bigint, typeof rows>();
        for (const r of rows) by.set(r.verifier_entity_id, [...(by.get(r.verifier_entity_id) ?? []), r]);
        const names = new Map<bigint, string>();
        if (by.size) {
          const entities = await ctx.store.db
            .selectFrom("entities")
            .select(["entity_id", "name"])
            .where("to_block", "is", null)
            .where("entity_id", "in", [...by.keys()])
            .execute();
          for (const e of entities) names.set(e.entity_id, e.name);
        }
        return [...by.entries()].map(([verifier, list]) => {
          const gaps = list.map((r) =>
            r.verified_total > r.reported_total
              ? r.verified_total - r.reported_total
              : r.reported_total - r.verified_total,
          );
          const bps = list.map((r) => gapBps(r.reported_total, r.verified_total));
          const n = BigInt(list.length);
          const max = (xs: bigint[]) => xs.reduce((a, b) => (b > a ? b : a), 0n);
          return {
            verifierEntityId: verifier,
            name: names.get(verifier) ?? null,
            reportsAttested: list.length,
            meanGap: halfUp(
              gaps.reduce((a, b) => a + b, 0n),
              n,
            ),
            meanGapBps: Number(
              halfUp(
                bps.reduce((a, b) => a + b, 0n),
                n,
              ),
            ),
            largestGap: max(gaps),
            largestGapBps: Number(max(bps)),
            returned: list.filter((r) => r.outcome === "returned").length,
            approved: list.filter((r) => r.outcome === "approved").length,
            late: list.filter((r) => r.late === 1n).length,
            adverse: list.filter((r) => r.opinion === "adverse").length,
            qualified: list.filter((r) => r.opinion === "qualified").length,
          };
        });
      },
    },

    Subscription: {
      trades: {
        subscribe: (_: unknown, args: { product?: string | null }) => {
          const key = args.product ? productKey(args.product, null, null) : undefined;
          const product = key && productOf(key.token, key.tokenId);
          return pipe(
            pubsub.subscribe("trade"),
            filter((t: TradeApi) => !product || t.product === product),
          );
        },
        resolve: (t: TradeApi) => t,
      },
      alerts: {
        subscribe: (_: unknown, args: { rule_in?: string[] | null }) => {
          const wanted = args.rule_in ? new Set(rules(args.rule_in)) : undefined;
          return pipe(
            pubsub.subscribe("alert"),
            filter((a: AlertApi) => !wanted || wanted.has(a.rule)),
          );
        },
        resolve: (a: AlertApi) => a,
      },
      reorgs: {
        subscribe: () => pubsub.subscribe("reorg"),
        resolve: (r: ReorgApi) => r,
      },
    },
  };
}
