import { adjustSupply, big, bool, str, type Handlers } from "../context";
import { fact, position } from "./positions";

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
