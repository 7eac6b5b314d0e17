import type { TransactionReceipt } from "ethers";
import type { Authority } from "./contracts";
import { confirm, ZERO_FEE } from "./send";

/**
 * Powers granted with an execution delay (forced transfer, key recovery) run in two steps on the
 * AccessManager: `schedule` now, `execute` once the delay has passed, so that everyone can see the
 * action before it happens and the regulator's guardians can cancel it.
 */

/** A call that `caller` schedules or executes on `target`. */
export interface DelayedCall {
  caller: string;
  target: string;
  data: string;
}

/** Where a delayed call stands. `readyAt` is 0 when it is not scheduled (or expired, or was executed). */
export interface ScheduleState {
  operationId: string;
  readyAt: bigint;
}

export async function scheduleState(authority: Authority, call: DelayedCall): Promise<ScheduleState> {
  const operationId = await authority.hashOperation(call.caller, call.target, call.data);
  const readyAt = await authority.getSchedule(operationId);
  return { operationId, readyAt };
}

/** Schedules a delayed call for the earliest time allowed; returns when it can be executed. */
export async function scheduleCall(
  authority: Authority,
  call: Pick<DelayedCall, "target" | "data">,
): Promise<{ receipt: TransactionReceipt; operationId: string; readyAt: bigint }> {
  const receipt = await confirm(() => authority.schedule(call.target, call.data, 0, ZERO_FEE));
  for (const log of receipt.logs) {
    const parsed = authority.interface.parseLog(log);
    if (parsed?.name === "OperationScheduled") {
      return { receipt, operationId: parsed.args[0] as string, readyAt: parsed.args[2] as bigint };
    }
  }
  throw new Error(`schedule transaction ${receipt.hash} emitted no OperationScheduled event`);
}

/** Executes a scheduled call whose delay has passed. */
export async function executeCall(
  authority: Authority,
  call: Pick<DelayedCall, "target" | "data">,
): Promise<TransactionReceipt> {
  return confirm(() => authority.execute(call.target, call.data, ZERO_FEE));
}
