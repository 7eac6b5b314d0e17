import type { ContractTransactionReceipt } from "ethers";
import type { AllocationPlan } from "./allocation";
import { chainCoded } from "./client-errors";
import type { Contracts } from "./contracts";
import { confirm, ZERO_FEE } from "./send";

/** Plan entries issued per transaction: well inside a block even with every entity's first mint. */
export const ISSUE_CHUNK = 40;

export interface IssuePlanOptions {
  /** Where the plan's input file is published (recorded on chain with the plan). */
  uri: string;
  /** Entries per transaction (default {@link ISSUE_CHUNK}). */
  chunk?: number;
  /** Called after each confirmed step. */
  onStep?: (step: "cap" | "plan" | "issue", receipt: ContractTransactionReceipt, issued: number) => void;
}

export interface IssuePlanResult {
  /** Whether this call set the cap, registered the plan; how many entries it issued. */
  capSet: boolean;
  planRegistered: boolean;
  issued: number;
  /** Entries issued on chain now, of the plan's entries. */
  entriesIssued: number;
  complete: boolean;
  receipts: ContractTransactionReceipt[];
}

/**
 * Brings a computed allocation plan onto the chain, and can be run again until it is all there:
 * sets the year's cap if none is set, registers the plan (its inputs hash and entry hash) if none is
 * registered, then issues the entries not issued yet, in ascending entity order, to each entity's
 * first active wallet. A cap or plan already on chain that differs from this one is an error, never
 * overwritten. `contracts` must be connected to a REGULATOR wallet.
 */
export async function issueAllocationPlan(
  contracts: Contracts,
  plan: AllocationPlan,
  opts: IssuePlanOptions,
): Promise<IssuePlanResult> {
  const year = plan.year;
  const result: IssuePlanResult = {
    capSet: false,
    planRegistered: false,
    issued: 0,
    entriesIssued: 0,
    complete: false,
    receipts: [],
  };
  const record = (step: "cap" | "plan" | "issue", receipt: ContractTransactionReceipt) => {
    result.receipts.push(receipt);
    opts.onStep?.(step, receipt, result.issued);
  };

  let info = await contracts.allocation.yearInfo(year);
  if (info.cap === 0n) {
    record("cap", await confirm(() => contracts.allocation.setCap(year, plan.cap, plan.reserveBps, ZERO_FEE)));
    result.capSet = true;
  } else if (info.cap !== plan.cap || Number(info.reserveBps) !== plan.reserveBps) {
    throw chainCoded(
      "AllocationCapBelowIssued",
      `The cap of ${year} on chain is ${info.cap} t with a ${info.reserveBps} bp reserve; the plan says ${plan.cap} t and ${plan.reserveBps} bp. Set the cap to the plan's first (ets admin cap).`,
      { year, cap: info.cap.toString(), planCap: plan.cap.toString() },
    );
  }

  if (info.planEntries === 0n) {
    record(
      "plan",
      await confirm(() =>
        contracts.allocation.registerPlan(
          year,
          plan.inputsHash,
          plan.planHash,
          plan.entries.length,
          plan.total,
          opts.uri,
          ZERO_FEE,
        ),
      ),
    );
    result.planRegistered = true;
  } else if (info.planHash !== plan.planHash || info.inputsHash !== plan.inputsHash) {
    throw chainCoded(
      "AllocationPlanExists",
      `${year} already has a different plan on chain (plan hash ${info.planHash}, inputs hash ${info.inputsHash}); this one hashes to ${plan.planHash}.`,
      { year, onChain: info.planHash, local: plan.planHash },
    );
  }

  info = await contracts.allocation.yearInfo(year);
  const chunk = opts.chunk ?? ISSUE_CHUNK;
  let next = Number(info.entriesIssued);
  while (next < plan.entries.length) {
    const slice = plan.entries.slice(next, next + chunk);
    const grants = await Promise.all(
      slice.map(async (e) => ({
        entityId: BigInt(e.entityId),
        wallet: await firstActiveWallet(contracts, BigInt(e.entityId)),
        amount: e.amount,
      })),
    );
    const receipt = await confirm(() => contracts.allocation.issue(year, grants, ZERO_FEE));
    next += slice.length;
    result.issued += slice.length;
    record("issue", receipt);
  }
  result.entriesIssued = next;
  result.complete = next === plan.entries.length;
  return result;
}

/** The first active wallet of an entity: where its allocation goes. */
export async function firstActiveWallet(contracts: Contracts, entityId: bigint): Promise<string> {
  for (const wallet of await contracts.registry.walletsOf(entityId)) {
    if (await contracts.registry.isActive(wallet)) return wallet;
  }
  throw chainCoded(
    "AllocationWalletNotOfEntity",
    `Entity ${entityId} has no active account to receive its allocation; open or unfreeze one first.`,
    { entityId: entityId.toString() },
  );
}
