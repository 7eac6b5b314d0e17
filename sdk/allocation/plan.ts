import { AbiCoder, ZeroHash, keccak256 } from "ethers";
import { canonicalHash } from "../canonical-json";
import { chainCoded } from "../client-errors";
import { allocationInputInvalid, parseAllocationInput, type AllocationInput, type AllocationMethod } from "./input";
import { allocationBase } from "./methods";

/** One entity's line of the plan, whole tonnes. */
export interface AllocationEntry {
  entityId: number;
  method: AllocationMethod;
  /** The method's figure: {@link grandfatheringBase} or {@link benchmarkBase}. */
  base: bigint;
  adjustment: bigint;
  newFacility: bigint;
  /** `max(0, base + adjustment + newFacility)`: the allowances issued to the entity. */
  amount: bigint;
}

/** The allocation plan of a year: what the Allocation contract issues, and the hashes that bind it. */
export interface AllocationPlan {
  year: number;
  cap: bigint;
  reserveBps: number;
  /** `floor(cap × reserveBps / 10000)`: kept by the government. */
  reserve: bigint;
  /** `cap − reserve`: the most that free allocation may hand out. */
  freePool: bigint;
  /** Ascending by entity id. */
  entries: AllocationEntry[];
  /** Σ entries' amounts, ≤ freePool. */
  total: bigint;
  /** `canonicalHash(input)`: keccak256 of the input file's RFC 8785 canonical JSON. */
  inputsHash: string;
  /** {@link planHashOf} the entries: the rolling hash the Allocation contract recomputes while issuing. */
  planHash: string;
}

/** Whole tonnes with thousands separators: 160,000,000. */
const tonnes = (t: bigint): string => t.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** The reserve of a cap, rounded down: `floor(cap × reserveBps / 10000)`. */
export function reserveOf(cap: bigint, reserveBps: number): bigint {
  return (cap * BigInt(reserveBps)) / 10_000n;
}

/**
 * The rolling hash of a plan's entries, in ascending entity id order:
 * `h0 = bytes32(0)`, `h = keccak256(abi.encode(bytes32 h, uint64 entityId, uint256 amount))`.
 * The Allocation contract recomputes it entry by entry while issuing and compares it with the hash
 * recorded for the plan. Every entry counts, including one whose amount is 0. The entries are taken
 * in ascending id order whatever order they are given in; two with the same id are refused.
 */
export function planHashOf(entries: readonly { entityId: number | bigint; amount: bigint }[]): string {
  const id = (e: { entityId: number | bigint }) => BigInt(e.entityId);
  const sorted = [...entries].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  const coder = AbiCoder.defaultAbiCoder();
  let h = ZeroHash;
  sorted.forEach((entry, i) => {
    const previous = sorted[i - 1];
    if (previous !== undefined && id(previous) === id(entry)) {
      throw allocationInputInvalid("plan", [{ path: "entries", message: `duplicate entity id ${entry.entityId}` }]);
    }
    h = keccak256(coder.encode(["bytes32", "uint64", "uint256"], [h, entry.entityId, entry.amount]));
  });
  return h;
}

/**
 * Computes the allocation plan of an input file (`docs/allocation.md`): every entity's base by its
 * method, `amount = max(0, base + adjustment + newFacility)`, the reserve, the total and both hashes.
 * Pure: the same input gives the same plan, byte for byte.
 *
 * Throws ALLOCATION_INPUT_INVALID when the input does not follow the format (each offending field in
 * `details.issues`), ALLOCATION_OVER_CAP when the total exceeds the free pool (cap − reserve).
 */
export function computeAllocationPlan(input: AllocationInput): AllocationPlan {
  const checked = parseAllocationInput(input);
  const cap = BigInt(checked.cap);
  const reserve = reserveOf(cap, checked.reserveBps);
  const freePool = cap - reserve;

  const entries: AllocationEntry[] = checked.entities
    .map((entity) => {
      const base = allocationBase(checked, entity);
      const adjustment = BigInt(entity.adjustment);
      const newFacility = BigInt(entity.newFacility);
      const raw = base + adjustment + newFacility;
      return {
        entityId: entity.entityId,
        method: entity.method,
        base,
        adjustment,
        newFacility,
        amount: raw > 0n ? raw : 0n,
      };
    })
    .sort((a, b) => a.entityId - b.entityId);
  const total = entries.reduce((s, e) => s + e.amount, 0n);

  if (total > freePool) {
    // The Allocation contract's own check (AllocationOverCap) has the same meaning, so the same code.
    throw chainCoded(
      "AllocationOverCap",
      `The allocation plan for ${checked.year} hands out ${tonnes(total)} t, ${tonnes(total - freePool)} t more than the free pool of ${tonnes(freePool)} t (the cap of ${tonnes(cap)} t less the reserve of ${tonnes(reserve)} t).`,
      {
        year: checked.year,
        total: total.toString(),
        freePool: freePool.toString(),
        cap: cap.toString(),
        reserve: reserve.toString(),
      },
    );
  }

  return {
    year: checked.year,
    cap,
    reserveBps: checked.reserveBps,
    reserve,
    freePool,
    entries,
    total,
    inputsHash: canonicalHash(checked),
    planHash: planHashOf(entries),
  };
}
