import type { Values } from "../../store/versioned";
import type { HandlerContext } from "../context";

// State shared by the Allocation, EmissionsReporting and Compliance handlers: an entity's compliance
// position for a year (covered by allocation, obligation by reporting, surrenders and result by
// compliance), and fact rows.
export const RESULT = ["none", "open", "compliant", "shortfall"] as const;

type Position = Values<"compliance">;

/** The status `Compliance.positionOf` reports for a position. */
function statusOf(p: Position, closedStatus?: string): string {
  if (p.closed === 1n) return closedStatus ?? p.status;
  if (p.covered !== 1n) return "none";
  if (p.obligation !== null && p.allowances_surrendered + p.offsets_surrendered >= p.obligation) return "compliant";
  return "open";
}

/** Changes an entity's position for a year (created empty on first use). */
export async function position(
  ctx: HandlerContext,
  entityId: bigint,
  year: bigint,
  change: (p: Position) => Position | void,
) {
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

export async function fact<T extends "allocations" | "surrenders" | "cancellations" | "certificates">(
  { state, event }: HandlerContext,
  table: T,
  values: Record<string, unknown>,
) {
  state.insert(table, { block_number: event.blockNumber, log_index: event.logIndex, ...values });
}
