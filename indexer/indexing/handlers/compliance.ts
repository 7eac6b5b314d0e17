import type { Values } from "../../store/versioned";
import { big, bool, str, type HandlerContext, type Handlers } from "../context";
import { adjustSupply } from "../context";

const OPINIONS = ["none", "positive", "qualified", "adverse"] as const;
const RESULT = ["none", "open", "compliant", "shortfall"] as const;

type Position = Values<"compliance">;

/** The status `Compliance.positionOf` reports for a position. */
function statusOf(p: Position, closedStatus?: string): string {
  if (p.closed === 1n) return closedStatus ?? p.status;
  if (p.covered !== 1n) return "none";
  if (p.obligation !== null && p.allowances_surrendered + p.offsets_surrendered >= p.obligation) return "compliant";
  return "open";
}

/** Changes an entity's position for a year (created empty on first use). */
async function position(ctx: HandlerContext, entityId: bigint, year: bigint, change: (p: Position) => Position | void) {
  const { state, event } = ctx;
  const cur = await state.get("compliance", { entity_id: entityId, year });
  const base: Position = cur
    ? { ...cur }
    : {
        entity_id: entityId,
        year,
        status: "none",
        covered: 0n,
        closed: 0n,
        obligation: null,
        allowances_surrendered: 0n,
        offsets_surrendered: 0n,
        shortfall: 0n,
        fine: 0n,
        flagged_until: 0n,
      };
  const next = change(base) ?? base;
  next.status = statusOf(next, next.status);
  await state.put("compliance", next, event.blockNumber);
}

type Report = Values<"reports">;

async function report(ctx: HandlerContext, change: (r: Report) => void) {
  const { state, event } = ctx;
  const entityId = big(event.args, "entityId");
  const year = big(event.args, "year");
  const cur = await state.get("reports", { entity_id: entityId, year });
  const next: Report = cur
    ? { ...cur }
    : {
        entity_id: entityId,
        year,
        status: "none",
        version: 0n,
        reported_total: null,
        submitter: null,
        content_hash: null,
        submitted_late: 0n,
        verifier_entity_id: null,
        verified_total: null,
        opinion: null,
        statement_hash: null,
        verified_late: 0n,
        obligation: null,
        reason: null,
      };
  change(next);
  await state.put("reports", next, event.blockNumber);
}

async function fact<T extends "allocations" | "surrenders" | "cancellations" | "certificates">(
  { state, event }: HandlerContext,
  table: T,
  values: Record<string, unknown>,
) {
  state.insert(table, { block_number: event.blockNumber, log_index: event.logIndex, ...values });
}

/** Allocation: caps, allocations (plan, reserve, claw-back), coverage. */
export const allocationHandlers: Handlers = {
  "Allocation:CapSet": async ({ state, event }) => {
    const a = event.args;
    await state.put(
      "caps",
      { year: big(a, "year"), cap: big(a, "cap"), reserve_bps: big(a, "reserveBps"), reserve: big(a, "reserve") },
      event.blockNumber,
    );
  },
  "Allocation:Allocated": async (ctx) => {
    const a = ctx.event.args;
    await fact(ctx, "allocations", {
      kind: "plan",
      year: big(a, "year"),
      entity_id: big(a, "entityId"),
      wallet: str(a, "wallet"),
      gross: big(a, "gross"),
      deducted: big(a, "deducted"),
      amount: big(a, "minted"),
      new_entrant: 0n,
      reason: null,
    });
    await position(ctx, big(a, "entityId"), big(a, "year"), (p) => void (p.covered = 1n));
  },
  "Allocation:ReserveIssued": async (ctx) => {
    const a = ctx.event.args;
    await fact(ctx, "allocations", {
      kind: "reserve",
      year: big(a, "year"),
      entity_id: big(a, "entityId"),
      wallet: str(a, "wallet"),
      gross: big(a, "amount"),
      deducted: 0n,
      amount: big(a, "amount"),
      new_entrant: bool(a, "newEntrant") ? 1n : 0n,
      reason: str(a, "reason"),
    });
    await position(ctx, big(a, "entityId"), big(a, "year"), (p) => void (p.covered = 1n));
  },
  "Allocation:ClawedBack": async (ctx) => {
    const a = ctx.event.args;
    await fact(ctx, "allocations", {
      kind: "clawback",
      year: big(a, "vintage"),
      entity_id: big(a, "entityId"),
      wallet: str(a, "wallet"),
      gross: 0n,
      deducted: 0n,
      amount: big(a, "amount"),
      new_entrant: 0n,
      reason: str(a, "reason"),
    });
    await adjustSupply(ctx.state, ctx.event.blockNumber, "AllowanceToken", big(a, "vintage"), {
      clawed_back: big(a, "amount"),
    });
  },
};

/** EmissionsReporting: reports, verifications, approvals; the obligation of the position. */
export const reportingHandlers: Handlers = {
  "EmissionsReporting:VerifierAssigned": (ctx) =>
    report(ctx, (r) => void (r.verifier_entity_id = big(ctx.event.args, "verifierEntityId"))),
  "EmissionsReporting:ReportSubmitted": (ctx) =>
    report(ctx, (r) => {
      const a = ctx.event.args;
      Object.assign(r, {
        status: "submitted",
        version: big(a, "version"),
        reported_total: big(a, "reportedTotal"),
        submitter: str(a, "submitter"),
        content_hash: str(a, "contentHash"),
        submitted_late: bool(a, "late") ? 1n : 0n,
        verified_total: null,
        opinion: null,
        statement_hash: null,
        verified_late: 0n,
        reason: null,
      });
    }),
  "EmissionsReporting:ReportVerified": (ctx) =>
    report(ctx, (r) => {
      const a = ctx.event.args;
      Object.assign(r, {
        status: "verified",
        verifier_entity_id: big(a, "verifierEntityId"),
        verified_total: big(a, "verifiedTotal"),
        statement_hash: str(a, "statementHash"),
        opinion: OPINIONS[Number(big(a, "opinion"))] ?? "none",
        verified_late: bool(a, "late") ? 1n : 0n,
      });
    }),
  "EmissionsReporting:ReportApproved": async (ctx) => {
    const obligation = big(ctx.event.args, "obligation");
    await report(ctx, (r) => Object.assign(r, { status: "approved", obligation }));
    await position(
      ctx,
      big(ctx.event.args, "entityId"),
      big(ctx.event.args, "year"),
      (p) => void (p.obligation = obligation),
    );
  },
  "EmissionsReporting:ReportReturned": (ctx) =>
    report(ctx, (r) => Object.assign(r, { status: "returned", reason: str(ctx.event.args, "reason") })),
  "EmissionsReporting:ObligationEstimated": async (ctx) => {
    const obligation = big(ctx.event.args, "obligation");
    await report(ctx, (r) =>
      Object.assign(r, { status: "estimated", obligation, reason: str(ctx.event.args, "reason") }),
    );
    await position(
      ctx,
      big(ctx.event.args, "entityId"),
      big(ctx.event.args, "year"),
      (p) => void (p.obligation = obligation),
    );
  },
};

/** Compliance: surrenders, year results, voluntary cancellations and certificates. */
export const complianceHandlers: Handlers = {
  "Compliance:AllowancesSurrendered": async (ctx) => {
    const a = ctx.event.args;
    const amount = big(a, "amount");
    await fact(ctx, "surrenders", {
      entity_id: big(a, "entityId"),
      year: big(a, "year"),
      wallet: str(a, "wallet"),
      kind: "allowance",
      token_id: big(a, "vintage"),
      amount,
      tx_hash: ctx.event.txHash,
    });
    await adjustSupply(ctx.state, ctx.event.blockNumber, "AllowanceToken", big(a, "vintage"), { surrendered: amount });
    await position(ctx, big(a, "entityId"), big(a, "year"), (p) => void (p.allowances_surrendered += amount));
  },
  "Compliance:OffsetsSurrendered": async (ctx) => {
    const a = ctx.event.args;
    const amount = big(a, "amount");
    await fact(ctx, "surrenders", {
      entity_id: big(a, "entityId"),
      year: big(a, "year"),
      wallet: str(a, "wallet"),
      kind: "offset",
      token_id: big(a, "batchId"),
      amount,
      tx_hash: ctx.event.txHash,
    });
    await adjustSupply(ctx.state, ctx.event.blockNumber, "OffsetToken", big(a, "batchId"), { surrendered: amount });
    await position(ctx, big(a, "entityId"), big(a, "year"), (p) => void (p.offsets_surrendered += amount));
  },
  "Compliance:ComplianceResult": (ctx) => {
    const a = ctx.event.args;
    return position(ctx, big(a, "entityId"), big(a, "year"), (p) => {
      Object.assign(p, {
        closed: 1n,
        status: RESULT[Number(big(a, "status"))] ?? "none",
        obligation: big(a, "obligation"),
        shortfall: big(a, "shortfall"),
        fine: big(a, "fine"),
        flagged_until: big(a, "flaggedUntil"),
      });
    });
  },
  "Compliance:UnitsCancelled": async (ctx) => {
    const a = ctx.event.args;
    const offset = bool(a, "offset");
    await fact(ctx, "cancellations", {
      certificate_id: big(a, "certificateId"),
      holder: str(a, "holder"),
      kind: offset ? "offset" : "allowance",
      token_id: big(a, "id"),
      amount: big(a, "amount"),
    });
    await adjustSupply(ctx.state, ctx.event.blockNumber, offset ? "OffsetToken" : "AllowanceToken", big(a, "id"), {
      cancelled: big(a, "amount"),
    });
  },
  "Compliance:CancellationCertificate": (ctx) => {
    const a = ctx.event.args;
    return fact(ctx, "certificates", {
      certificate_id: big(a, "certificateId"),
      holder: str(a, "holder"),
      entity_id: big(a, "entityId"),
      allowances: big(a, "allowances"),
      offsets: big(a, "offsets"),
      beneficiary: str(a, "beneficiary"),
      purpose: str(a, "purpose"),
    });
  },
};
