import type { Values } from "../../store/versioned";
import { big, bool, str, type HandlerContext, type Handlers } from "../context";
import { position } from "./positions";

const OPINIONS = ["none", "positive", "qualified", "adverse"] as const;

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
