import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { enableReserveSales } from "../../../scripts/deploy";
import type { ICompliance, IEmissionsReporting } from "../../../typechain-types";
import { Category, DAY, ENTITY, Sector, ccerBatch, creditCode, deployFixture, type RegistryFixture } from "../fixtures";

/** The compliance year of the fixture, and its neighbours. */
export const YEAR = 2014;
export const PREVIOUS_YEAR = 2013;
export const NEXT_YEAR = 2015;

/** Entity ids added by the compliance fixture. */
export const CENTRE = 100n;
export const VERIFIER_A = 106n;
export const VERIFIER_B = 107n;

/** The fixture's caps and allocations. */
export const CAP = 1_000_000n;
export const RESERVE_BPS = 600;
export const RESERVE = (CAP * BigInt(RESERVE_BPS)) / 10_000n;
export const ALLOCATION = { steel: 200_000n, power: 300_000n } as const;

/** 2013-01-01T00:00:00Z: Tianjin's earliest reduction start for CCER from 2015. */
export const REDUCTIONS_FROM = 1_356_998_400n;

/** CCER batch ids of the fixture (all held by alice). */
export const BATCH = { wind: 1n, hydro: 2n, early: 3n, methane: 4n } as const;
export const BATCH_SIZE = 50_000n;

export const Status = { None: 0n, Open: 1n, Compliant: 2n, Shortfall: 3n } as const;
export const ReportStatus = {
  None: 0n,
  Submitted: 1n,
  Verified: 2n,
  Approved: 3n,
  Returned: 4n,
  Estimated: 5n,
} as const;
export const Opinion = { None: 0, Positive: 1, Qualified: 2, Adverse: 3 } as const;
export const Ineligibility = {
  None: 0n,
  UnknownBatch: 1n,
  Hydro: 2n,
  ReductionTooEarly: 3n,
  TypeNotAllowed: 4n,
  TypeExcluded: 5n,
} as const;

export interface ComplianceFixture extends RegistryFixture {
  /** An account of verifier A (accredited), and of verifier B (accredited). */
  verifierA: HardhatEthersSigner;
  verifierB: HardhatEthersSigner;
  schedule: IEmissionsReporting.ScheduleStruct;
}

/** Tianjin's rules from 2015: 10 % cap, reductions from 2013, no hydro. */
export function tianjinRules(overrides: Partial<ICompliance.OffsetRulesStruct> = {}): ICompliance.OffsetRulesStruct {
  return {
    capBps: 1_000,
    earliestReductionStart: REDUCTIONS_FROM,
    excludeHydro: true,
    allowedTypes: [],
    excludedTypes: [],
    ...overrides,
  };
}

/** A calendar starting now: reports due in 30 days, surrender in 60. */
export async function scheduleFromNow(): Promise<IEmissionsReporting.ScheduleStruct> {
  const now = BigInt(await time.latest());
  return { reportingOpens: now, reportDeadline: now + 30n * BigInt(DAY), surrenderDeadline: now + 60n * BigInt(DAY) };
}

export const hashOf = (label: string): string => ethers.id(label);

/** The rolling plan hash of (entityId, amount) entries, as the Allocation contract recomputes it. */
export function planHash(entries: readonly (readonly [bigint, bigint])[]): string {
  const coder = ethers.AbiCoder.defaultAbiCoder();
  return entries.reduce(
    (h, [entityId, amount]) => ethers.keccak256(coder.encode(["bytes32", "uint64", "uint256"], [h, entityId, amount])),
    ethers.ZeroHash,
  );
}

/**
 * The registry plus the compliance set-up of one year: the management centre (the regulator's own
 * entity, whose wallet receives reserve-sale proceeds), the reserve-sales account (under the
 * exchange), two accredited verification bodies, the
 * YEAR cap and a plan issuing ALLOCATION to the steel company (alice) and the power company (bob),
 * the year opened with Tianjin's offset rules, and four CCER batches held by alice: wind 2014
 * (eligible), hydro, wind from 2012 (too early), and methane recovery.
 */
export async function complianceFixture(): Promise<ComplianceFixture> {
  const f = await deployFixture();
  const { c, s } = f;
  const all = await ethers.getSigners();
  const verifierB = all[18];
  if (!verifierB) throw new Error("Hardhat signer #18 is missing");
  const verifierA = s.verifier;

  const registry = c.registry.connect(s.operator);
  await registry.registerEntity(
    CENTRE,
    Category.Institution,
    Sector.None,
    "Management Centre",
    creditCode("centre"),
    s.regulator.address,
  );
  await registry.registerEntity(
    VERIFIER_A,
    Category.Verifier,
    Sector.None,
    "Verifier A",
    creditCode("ver-a"),
    verifierA.address,
  );
  await registry.registerEntity(
    VERIFIER_B,
    Category.Verifier,
    Sector.None,
    "Verifier B",
    creditCode("ver-b"),
    verifierB.address,
  );
  await enableReserveSales(c, ENTITY.exchange);

  await c.allocation.setCap(YEAR, CAP, RESERVE_BPS);
  const entries = [
    [ENTITY.steelCo, ALLOCATION.steel],
    [ENTITY.powerCo, ALLOCATION.power],
  ] as const;
  await c.allocation.registerPlan(
    YEAR,
    hashOf("inputs-2014"),
    planHash(entries),
    2,
    ALLOCATION.steel + ALLOCATION.power,
    "https://example.org/plan-2014.json",
  );
  await c.allocation.issue(YEAR, [
    { entityId: ENTITY.steelCo, wallet: s.alice.address, amount: ALLOCATION.steel },
    { entityId: ENTITY.powerCo, wallet: s.bob.address, amount: ALLOCATION.power },
  ]);

  const schedule = await scheduleFromNow();
  await c.compliance.openYear(YEAR, schedule, tianjinRules());
  await c.reporting.setAccreditation(VERIFIER_A, true);
  await c.reporting.setAccreditation(VERIFIER_B, true);
  await c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_A);
  await c.reporting.assignVerifier(ENTITY.powerCo, YEAR, VERIFIER_B);

  const registrar = c.offsets.connect(s.offsetRegistrar);
  const batch = (n: number, overrides: Parameters<typeof ccerBatch>[0]) =>
    ccerBatch({
      serialFirst: BigInt(n) * 1_000_000n + 1n,
      serialLast: BigInt(n) * 1_000_000n + BATCH_SIZE,
      originRef: `NDRC-TEST-${n}`,
      ...overrides,
    });
  await registrar.importBatch(s.alice.address, batch(1, {}));
  await registrar.importBatch(s.alice.address, batch(2, { projectType: "hydro", hydro: true }));
  await registrar.importBatch(s.alice.address, batch(3, { reductionStart: 1_325_376_000n })); // 2012-01-01
  await registrar.importBatch(s.alice.address, batch(4, { projectType: "methane recovery" }));
  return { ...f, verifierA, verifierB, schedule };
}

/** Submits, attests (positive) and approves a report of `total` tonnes for the steel company (alice). */
export async function approveSteel(f: ComplianceFixture, total: bigint, year: number = YEAR): Promise<void> {
  await f.c.reporting.connect(f.s.alice).submitReport(year, total, hashOf("report"), hashOf("doc"), "ipfs://report");
  await f.c.reporting.connect(f.verifierA).attest(ENTITY.steelCo, year, total, hashOf("statement"), Opinion.Positive);
  await f.c.reporting.approve(ENTITY.steelCo, year);
}

/** Moves the chain past the year's surrender deadline. */
export async function pastSurrenderDeadline(f: ComplianceFixture): Promise<void> {
  await time.increaseTo(BigInt(f.schedule.surrenderDeadline) + 1n);
}
