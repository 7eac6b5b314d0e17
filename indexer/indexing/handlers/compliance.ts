import { adjustSupply, big, bool, str, type Handlers } from "../context";
import { RESULT, fact, position } from "./positions";

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
