import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BigNumberish } from "ethers";
import { DAY, DEFAULT_DELAY, ENTITY, PendingStatus, pinNextBlockTime } from "../fixtures";
import {
  ALLOCATION,
  BATCH,
  BATCH_SIZE,
  CAP,
  Ineligibility,
  NEXT_YEAR,
  Opinion,
  PREVIOUS_YEAR,
  RESERVE_BPS,
  Status,
  VERIFIER_B,
  YEAR,
  approveSteel,
  complianceFixture,
  hashOf,
  pastSurrenderDeadline,
  planHash,
  scheduleFromNow,
  tianjinRules,
  type ComplianceFixture,
} from "./fixtures";

/** ¥20 a tonne, in fen. */
const FINE_PER_TONNE = 2_000n;

/** One entry of an allocation plan, as `Allocation.issue` takes it. */
interface Grant {
  entityId: bigint;
  wallet: string;
  amount: bigint;
}

describe("Compliance", function () {
  let f: ComplianceFixture;

  beforeEach(async function () {
    f = await loadFixture(complianceFixture);
  });

  /** Surrenders for `year` from `who`'s wallet: vintages with their amounts, batches with theirs. */
  const surrender = (
    who: HardhatEthersSigner,
    vintages: [BigNumberish, bigint][],
    batches: [BigNumberish, bigint][] = [],
    year: number = YEAR,
  ) =>
    f.c.compliance.connect(who).surrender(
      year,
      vintages.map(([v]) => v),
      vintages.map(([, a]) => a),
      batches.map(([b]) => b),
      batches.map(([, a]) => a),
    );
  const steelSurrenders = (vintages: [BigNumberish, bigint][], batches: [BigNumberish, bigint][] = []) =>
    surrender(f.s.alice, vintages, batches);

  const balance = (who: HardhatEthersSigner, vintage: BigNumberish) => f.c.allowances.balanceOf(who.address, vintage);
  const ccer = (who: HardhatEthersSigner, batchId: bigint) => f.c.offsets.balanceOf(who.address, batchId);

  /** The position as plain values: [status, obligation, allowances, offsets, cap, shortfall, fine]. */
  async function position(entityId: bigint = ENTITY.steelCo, year: number = YEAR) {
    const p = await f.c.compliance.positionOf(entityId, year);
    return {
      status: p.status,
      obligationSet: p.obligationSet,
      obligation: p.obligation,
      allowances: p.allowancesSurrendered,
      offsets: p.offsetsSurrendered,
      offsetCap: p.offsetCap,
      shortfall: p.shortfall,
      fine: p.fine,
    };
  }

  /** What the steel company holds and has surrendered, to prove that a rejection changed nothing. */
  async function steelSnapshot() {
    return {
      position: await position(),
      allowances: await Promise.all([PREVIOUS_YEAR, YEAR, NEXT_YEAR].map((v) => balance(f.s.alice, v))),
      ccer: await Promise.all(Object.values(BATCH).map((b) => ccer(f.s.alice, b))),
      burned: await f.c.allowances.burned(YEAR),
    };
  }

  /** Cap, plan and issuance of `year`. */
  async function allocate(year: number, grants: Grant[]): Promise<void> {
    const entries = grants.map((g) => [g.entityId, g.amount] as const);
    const total = grants.reduce((sum, g) => sum + g.amount, 0n);
    await f.c.allocation.setCap(year, CAP, RESERVE_BPS);
    await f.c.allocation.registerPlan(
      year,
      hashOf(`inputs-${year}`),
      planHash(entries),
      grants.length,
      total,
      `https://example.org/plan-${year}.json`,
    );
    await f.c.allocation.issue(year, grants);
  }
  const usualPlan = (): Grant[] => [
    { entityId: ENTITY.steelCo, wallet: f.s.alice.address, amount: ALLOCATION.steel },
    { entityId: ENTITY.powerCo, wallet: f.s.bob.address, amount: ALLOCATION.power },
  ];

  /** Submits, attests and approves the power company's report (verifier B). */
  async function approvePower(total: bigint): Promise<void> {
    await f.c.reporting.connect(f.s.bob).submitReport(YEAR, total, hashOf("p"), hashOf("pd"), "ipfs://power");
    await f.c.reporting.connect(f.verifierB).attest(ENTITY.powerCo, YEAR, total, hashOf("ps"), Opinion.Positive);
    await f.c.reporting.approve(ENTITY.powerCo, YEAR);
  }

  describe("when an entity surrenders for its verified emissions", function () {
    beforeEach(async function () {
      await approveSteel(f, 100_000n);
    });

    it("is compliant with 90,000 allowances and 10,000 eligible CCER for 100,000 t verified", async function () {
      const tx = steelSurrenders([[YEAR, 90_000n]], [[BATCH.wind, 10_000n]]);
      await expect(tx)
        .to.emit(f.c.compliance, "AllowancesSurrendered")
        .withArgs(ENTITY.steelCo, YEAR, f.s.alice.address, YEAR, 90_000n);
      await expect(tx)
        .to.emit(f.c.compliance, "OffsetsSurrendered")
        .withArgs(ENTITY.steelCo, YEAR, f.s.alice.address, BATCH.wind, 10_000n);
      await expect(tx).to.emit(f.c.compliance, "ObligationMet").withArgs(ENTITY.steelCo, YEAR, 100_000n);

      expect(await position()).to.deep.equal({
        status: Status.Compliant,
        obligationSet: true,
        obligation: 100_000n,
        allowances: 90_000n,
        offsets: 10_000n,
        offsetCap: 10_000n,
        shortfall: 0n,
        fine: 0n,
      });
      expect(await balance(f.s.alice, YEAR)).to.equal(ALLOCATION.steel - 90_000n);
      expect(await ccer(f.s.alice, BATCH.wind)).to.equal(BATCH_SIZE - 10_000n);
      // Surrendered units are burned, and counted as surrendered.
      expect(await f.c.allowances.burned(YEAR)).to.equal(90_000n);
      expect(await f.c.offsets.burned(BATCH.wind)).to.equal(10_000n);
      expect(await f.c.compliance.allowanceRetirements(YEAR)).to.deep.equal([90_000n, 0n]);
      expect(await f.c.compliance.offsetRetirements(BATCH.wind)).to.deep.equal([10_000n, 0n]);
    });

    it("may reach the obligation over several calls and from any account of the entity", async function () {
      await expect(steelSurrenders([[YEAR, 50_000n]])).not.to.emit(f.c.compliance, "ObligationMet");
      expect((await position()).status).to.equal(Status.Open);
      // alice2 holds nothing: move some units to it first (same entity, immediate).
      await f.c.allowances
        .connect(f.s.alice)
        .safeTransferFrom(f.s.alice.address, f.s.alice2.address, YEAR, 50_000n, "0x");
      await expect(surrender(f.s.alice2, [[YEAR, 50_000n]]))
        .to.emit(f.c.compliance, "ObligationMet")
        .withArgs(ENTITY.steelCo, YEAR, 100_000n);
      expect((await position()).allowances).to.equal(100_000n);
    });

    describe("and uses CCER", function () {
      it("refuses one tonne over ⌊10 % × obligation⌋, naming the cap, and changes nothing", async function () {
        await steelSurrenders([[YEAR, 80_000n]], [[BATCH.wind, 10_000n]]);
        const before = await steelSnapshot();
        await expect(steelSurrenders([], [[BATCH.wind, 1n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetCapExceeded")
          .withArgs(ENTITY.steelCo, YEAR, 10_000n, 10_000n, 1n);
        expect(await steelSnapshot()).to.deep.equal(before);
        // The rest may still be met with allowances.
        await steelSurrenders([[YEAR, 10_000n]]);
        expect((await position()).status).to.equal(Status.Compliant);
      });

      it("holds the cap across calls: 4,000 then 6,000, then not one more", async function () {
        await steelSurrenders([], [[BATCH.wind, 4_000n]]);
        await steelSurrenders([], [[BATCH.methane, 6_000n]]);
        expect((await position()).offsets).to.equal(10_000n);
        const before = await steelSnapshot();
        await expect(steelSurrenders([[YEAR, 1_000n]], [[BATCH.wind, 1n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetCapExceeded")
          .withArgs(ENTITY.steelCo, YEAR, 10_000n, 10_000n, 1n);
        expect(await steelSnapshot()).to.deep.equal(before);
      });

      it("refuses 10,001 in one call, counting every batch of the call", async function () {
        const before = await steelSnapshot();
        await expect(steelSurrenders([], [[BATCH.wind, 10_001n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetCapExceeded")
          .withArgs(ENTITY.steelCo, YEAR, 10_000n, 0n, 10_001n);
        await expect(
          steelSurrenders(
            [],
            [
              [BATCH.wind, 5_000n],
              [BATCH.methane, 5_001n],
            ],
          ),
        )
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetCapExceeded")
          .withArgs(ENTITY.steelCo, YEAR, 10_000n, 0n, 10_001n);
        expect(await steelSnapshot()).to.deep.equal(before);
      });

      it("follows the cap share the regulator sets (the national 5 %)", async function () {
        await f.c.compliance.setOffsetRules(YEAR, tianjinRules({ capBps: 500 }));
        expect((await position()).offsetCap).to.equal(5_000n);
        await expect(steelSurrenders([], [[BATCH.wind, 5_001n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetCapExceeded")
          .withArgs(ENTITY.steelCo, YEAR, 5_000n, 0n, 5_001n);
        await steelSurrenders([], [[BATCH.wind, 5_000n]]);
        await expect(f.c.compliance.setOffsetRules(YEAR, tianjinRules({ capBps: 10_001 })))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceInvalidOffsetCap")
          .withArgs(10_001);
      });
    });

    it("refuses to go beyond the obligation, and changes nothing", async function () {
      const before = await steelSnapshot();
      await expect(steelSurrenders([[YEAR, 100_001n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceSurrenderExceedsObligation")
        .withArgs(ENTITY.steelCo, YEAR, 100_000n, 0n, 100_001n);
      expect(await steelSnapshot()).to.deep.equal(before);
      await steelSurrenders([[YEAR, 60_000n]]);
      await expect(steelSurrenders([[YEAR, 35_000n]], [[BATCH.wind, 5_001n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceSurrenderExceedsObligation")
        .withArgs(ENTITY.steelCo, YEAR, 100_000n, 60_000n, 40_001n);
      expect((await position()).allowances).to.equal(60_000n);
    });

    it("refuses zero amounts and mismatched or empty lists", async function () {
      const before = await steelSnapshot();
      const compliance = f.c.compliance.connect(f.s.alice);
      await expect(compliance.surrender(YEAR, [YEAR], [0n], [], [])).to.be.revertedWithCustomError(
        f.c.compliance,
        "ComplianceZeroAmount",
      );
      await expect(compliance.surrender(YEAR, [YEAR], [1n], [BATCH.wind], [0n])).to.be.revertedWithCustomError(
        f.c.compliance,
        "ComplianceZeroAmount",
      );
      for (const [vintages, vAmounts, batches, bAmounts] of [
        [[YEAR], [], [], []],
        [[YEAR], [1n, 2n], [], []],
        [[], [], [BATCH.wind], []],
        [[], [], [], [1n]],
        [[], [], [], []],
      ] as const) {
        await expect(
          compliance.surrender(YEAR, [...vintages], [...vAmounts], [...batches], [...bAmounts]),
        ).to.be.revertedWithCustomError(f.c.compliance, "ComplianceInvalidItems");
      }
      expect(await steelSnapshot()).to.deep.equal(before);
    });

    it("refuses units not held, and units locked by a pending transfer", async function () {
      // Bob holds no CCER.
      await approvePower(300_000n);
      await expect(surrender(f.s.bob, [], [[BATCH.wind, 10n]]))
        .to.be.revertedWithCustomError(f.c.offsets, "TokenInsufficientBalance")
        .withArgs(f.s.bob.address, BATCH.wind, 0n, 10n);
      // Alice holds 200,000 of 2014; 150,000 wait to go to an untrusted account (carol).
      await f.c.allowances
        .connect(f.s.alice)
        .safeTransferFrom(f.s.alice.address, f.s.carol.address, YEAR, 150_000n, "0x");
      expect((await f.c.allowances.pendingTransfer(1n)).status).to.equal(BigInt(PendingStatus.Pending));
      const before = await steelSnapshot();
      await expect(steelSurrenders([[YEAR, 60_000n]]))
        .to.be.revertedWithCustomError(f.c.allowances, "TokenBalanceLocked")
        .withArgs(f.s.alice.address, YEAR, 50_000n, 150_000n, 60_000n);
      expect(await steelSnapshot()).to.deep.equal(before);
      await steelSurrenders([[YEAR, 50_000n]]);
      expect(await balance(f.s.alice, YEAR)).to.equal(150_000n);
      // Once the transfer is cancelled the units are free again.
      await f.c.allowances.connect(f.s.alice).cancelPending(1n);
      await steelSurrenders([[YEAR, 50_000n]]);
      expect((await position()).allowances).to.equal(100_000n);
    });

    it("refuses more than the wallet holds", async function () {
      await f.c.allowances
        .connect(f.s.alice)
        .safeTransferFrom(f.s.alice.address, f.s.alice2.address, YEAR, 150_000n, "0x");
      await expect(steelSurrenders([[YEAR, 50_001n]]))
        .to.be.revertedWithCustomError(f.c.allowances, "TokenInsufficientBalance")
        .withArgs(f.s.alice.address, YEAR, 50_000n, 50_001n);
      expect((await position()).allowances).to.equal(0n);
    });

    it("goes on during an emergency suspension, which stops transfers", async function () {
      await f.c.rules.suspend("phishing wave");
      await expect(
        f.c.allowances.connect(f.s.alice).safeTransferFrom(f.s.alice.address, f.s.alice2.address, YEAR, 1n, "0x"),
      ).to.be.revertedWithCustomError(f.c.allowances, "TokenTransfersSuspended");
      await expect(steelSurrenders([[YEAR, 90_000n]], [[BATCH.wind, 10_000n]]))
        .to.emit(f.c.compliance, "ObligationMet")
        .withArgs(ENTITY.steelCo, YEAR, 100_000n);
      expect((await position()).status).to.equal(Status.Compliant);
    });

    it("goes on from a frozen account (a frozen entity must still comply)", async function () {
      await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
      await steelSurrenders([[YEAR, 100_000n]]);
      expect((await position()).status).to.equal(Status.Compliant);
    });
  });

  describe("when the obligation is not fixed or the entity not covered", function () {
    it("refuses a surrender before approval, and changes nothing", async function () {
      await f.c.reporting.connect(f.s.alice).submitReport(YEAR, 100_000n, hashOf("r"), hashOf("d"), "");
      await f.c.reporting.connect(f.verifierA).attest(ENTITY.steelCo, YEAR, 100_000n, hashOf("s"), Opinion.Positive);
      const before = await steelSnapshot();
      await expect(steelSurrenders([[YEAR, 1n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceObligationNotSet")
        .withArgs(ENTITY.steelCo, YEAR);
      expect(await steelSnapshot()).to.deep.equal(before);
    });

    it("refuses an entity not covered in the year, an unregistered wallet, and a year never opened", async function () {
      await expect(surrender(f.s.carol, [[YEAR, 1n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceNotCovered")
        .withArgs(ENTITY.institution, YEAR);
      await expect(surrender(f.s.stranger, [[YEAR, 1n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceAccountNotRegistered")
        .withArgs(f.s.stranger.address);
      await expect(surrender(f.s.alice, [[YEAR, 1n]], [], NEXT_YEAR))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearNotOpen")
        .withArgs(NEXT_YEAR);
    });
  });

  describe("banking and borrowing", function () {
    beforeEach(async function () {
      await approveSteel(f, 100_000n);
    });

    it("accepts vintage 2013 for year 2014 (banking)", async function () {
      await allocate(PREVIOUS_YEAR, usualPlan());
      const tx = steelSurrenders([
        [PREVIOUS_YEAR, 60_000n],
        [YEAR, 40_000n],
      ]);
      await expect(tx)
        .to.emit(f.c.compliance, "AllowancesSurrendered")
        .withArgs(ENTITY.steelCo, YEAR, f.s.alice.address, PREVIOUS_YEAR, 60_000n);
      await expect(tx)
        .to.emit(f.c.compliance, "AllowancesSurrendered")
        .withArgs(ENTITY.steelCo, YEAR, f.s.alice.address, YEAR, 40_000n);
      expect(await balance(f.s.alice, PREVIOUS_YEAR)).to.equal(ALLOCATION.steel - 60_000n);
      expect(await f.c.compliance.allowanceRetirements(PREVIOUS_YEAR)).to.deep.equal([60_000n, 0n]);
      expect((await position()).status).to.equal(Status.Compliant);
    });

    it("refuses vintage 2015 for year 2014 (no borrowing), even beside an earlier vintage", async function () {
      await allocate(NEXT_YEAR, usualPlan());
      expect(await balance(f.s.alice, NEXT_YEAR)).to.equal(ALLOCATION.steel);
      const before = await steelSnapshot();
      await expect(steelSurrenders([[NEXT_YEAR, 1n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceBorrowingNotAllowed")
        .withArgs(NEXT_YEAR, YEAR);
      await expect(
        steelSurrenders([
          [YEAR, 50_000n],
          [NEXT_YEAR, 50_000n],
        ]),
      )
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceBorrowingNotAllowed")
        .withArgs(NEXT_YEAR, YEAR);
      expect(await steelSnapshot()).to.deep.equal(before);
    });
  });

  describe("CCER eligibility", function () {
    beforeEach(async function () {
      await approveSteel(f, 100_000n);
    });

    it("refuses a hydro batch and one whose reductions start before 2013 while the filter is on", async function () {
      expect(await f.c.compliance.offsetEligibility(YEAR, BATCH.hydro)).to.equal(Ineligibility.Hydro);
      expect(await f.c.compliance.offsetEligibility(YEAR, BATCH.early)).to.equal(Ineligibility.ReductionTooEarly);
      const before = await steelSnapshot();
      await expect(steelSurrenders([], [[BATCH.hydro, 1_000n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetNotEligible")
        .withArgs(BATCH.hydro, Ineligibility.Hydro);
      await expect(
        steelSurrenders(
          [[YEAR, 1_000n]],
          [
            [BATCH.wind, 1_000n],
            [BATCH.early, 1_000n],
          ],
        ),
      )
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetNotEligible")
        .withArgs(BATCH.early, Ineligibility.ReductionTooEarly);
      expect(await steelSnapshot()).to.deep.equal(before);
    });

    it("accepts them once setOffsetRules turns the filter off", async function () {
      const rules = tianjinRules({ excludeHydro: false, earliestReductionStart: 0n });
      await expect(f.c.compliance.setOffsetRules(YEAR, rules))
        .to.emit(f.c.compliance, "OffsetRulesSet")
        .withArgs(YEAR, 1_000, 0n, false, [], []);
      expect(await f.c.compliance.offsetEligibility(YEAR, BATCH.hydro)).to.equal(Ineligibility.None);
      await steelSurrenders(
        [],
        [
          [BATCH.hydro, 4_000n],
          [BATCH.early, 6_000n],
        ],
      );
      expect((await position()).offsets).to.equal(10_000n);
      expect(await f.c.compliance.offsetRetirements(BATCH.hydro)).to.deep.equal([4_000n, 0n]);
    });

    it("accepts only the allowed project types when a list is set", async function () {
      await f.c.compliance.setOffsetRules(YEAR, tianjinRules({ allowedTypes: [ethers.id("wind")] }));
      expect(await f.c.compliance.offsetEligibility(YEAR, BATCH.methane)).to.equal(Ineligibility.TypeNotAllowed);
      await expect(steelSurrenders([], [[BATCH.methane, 1n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetNotEligible")
        .withArgs(BATCH.methane, Ineligibility.TypeNotAllowed);
      await steelSurrenders([], [[BATCH.wind, 1n]]);
      expect((await position()).offsets).to.equal(1n);
    });

    it("refuses the excluded project types", async function () {
      await f.c.compliance.setOffsetRules(YEAR, tianjinRules({ excludedTypes: [ethers.id("methane recovery")] }));
      expect(await f.c.compliance.offsetEligibility(YEAR, BATCH.methane)).to.equal(Ineligibility.TypeExcluded);
      await expect(steelSurrenders([], [[BATCH.methane, 1n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetNotEligible")
        .withArgs(BATCH.methane, Ineligibility.TypeExcluded);
      expect(await f.c.compliance.offsetEligibility(YEAR, BATCH.wind)).to.equal(Ineligibility.None);
    });

    it("refuses a batch that does not exist", async function () {
      for (const batchId of [0n, 99n]) {
        expect(await f.c.compliance.offsetEligibility(YEAR, batchId)).to.equal(Ineligibility.UnknownBatch);
        await expect(steelSurrenders([], [[batchId, 1n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceOffsetNotEligible")
          .withArgs(batchId, Ineligibility.UnknownBatch);
      }
    });

    it("lets only REGULATOR change the rules, of an open year", async function () {
      await expect(f.c.compliance.connect(f.s.alice).setOffsetRules(YEAR, tianjinRules({ excludeHydro: false })))
        .to.be.revertedWithCustomError(f.c.compliance, "AccessManagedUnauthorized")
        .withArgs(f.s.alice.address);
      await expect(f.c.compliance.setOffsetRules(NEXT_YEAR, tianjinRules()))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearNotOpen")
        .withArgs(NEXT_YEAR);
      expect((await f.c.compliance.offsetRules(YEAR)).excludeHydro).to.equal(true);
    });
  });

  describe("when the regulator closes the year", function () {
    it("refuses before the surrender deadline", async function () {
      await approveSteel(f, 100_000n);
      await approvePower(1n);
      await time.setNextBlockTimestamp(BigInt(f.schedule.surrenderDeadline) - 1n);
      await expect(f.c.compliance.closeYear(YEAR, 10))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceDeadlineNotPassed")
        .withArgs(YEAR, f.schedule.surrenderDeadline);
      expect((await f.c.compliance.yearClose(YEAR)).processed).to.equal(0n);
      await expect(f.c.compliance.closeYear(YEAR, 10)).to.emit(f.c.compliance, "ComplianceClosed");
    });

    it("refuses while an entity has no obligation, until the regulator estimates it", async function () {
      await approveSteel(f, 100_000n);
      await steelSurrenders([[YEAR, 100_000n]]);
      await pastSurrenderDeadline(f);
      await expect(f.c.compliance.closeYear(YEAR, 10))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceObligationNotSet")
        .withArgs(ENTITY.powerCo, YEAR);
      expect(await f.c.compliance.yearClose(YEAR)).to.deep.equal([true, false, 0n, 0n, 0n, 0n]);
      await f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 320_000n, "no report: conservative estimate");
      await expect(f.c.compliance.closeYear(YEAR, 10))
        .to.emit(f.c.compliance, "ComplianceResult")
        .withArgs(ENTITY.powerCo, YEAR, Status.Shortfall, 320_000n, 0n, 320_000n, 0n, YEAR + 3);
    });

    it("refuses a surrender from an entity not yet closed once the close has begun", async function () {
      await approveSteel(f, 100_000n);
      await approvePower(250_000n);
      await surrender(f.s.bob, [[YEAR, 200_000n]]);
      await pastSurrenderDeadline(f);
      // The first chunk closes the steel company only.
      await f.c.compliance.closeYear(YEAR, 1);
      expect((await position(ENTITY.powerCo)).status).to.equal(Status.Open);
      const units = await balance(f.s.bob, YEAR);
      await expect(surrender(f.s.bob, [[YEAR, 50_000n]]))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearClosed")
        .withArgs(YEAR);
      expect(await balance(f.s.bob, YEAR)).to.equal(units);
      expect((await position(ENTITY.powerCo)).allowances).to.equal(200_000n);
      // The rest of the close takes the power company's result as it stood when the close began.
      await expect(f.c.compliance.closeYear(YEAR, 1))
        .to.emit(f.c.compliance, "ComplianceResult")
        .withArgs(ENTITY.powerCo, YEAR, Status.Shortfall, 250_000n, 200_000n, 50_000n, 0n, YEAR + 3);
      expect(await f.c.allocation.carriedShortfall(ENTITY.powerCo)).to.equal(50_000n);
    });

    it("may only be done by REGULATOR, in batches of at least one entity", async function () {
      await pastSurrenderDeadline(f);
      await expect(f.c.compliance.connect(f.s.operator).closeYear(YEAR, 10))
        .to.be.revertedWithCustomError(f.c.compliance, "AccessManagedUnauthorized")
        .withArgs(f.s.operator.address);
      await expect(f.c.compliance.closeYear(YEAR, 0)).to.be.revertedWithCustomError(
        f.c.compliance,
        "ComplianceInvalidBatchSize",
      );
      await expect(f.c.compliance.closeYear(NEXT_YEAR, 1))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearNotOpen")
        .withArgs(NEXT_YEAR);
    });

    describe("with a 3,000 t shortfall", function () {
      beforeEach(async function () {
        await expect(f.c.compliance.setPenalties(3, FINE_PER_TONNE))
          .to.emit(f.c.compliance, "PenaltiesSet")
          .withArgs(3, FINE_PER_TONNE);
        await approveSteel(f, 100_000n);
        await steelSurrenders([[YEAR, 87_000n]], [[BATCH.wind, 10_000n]]);
        await approvePower(250_000n);
        await surrender(f.s.bob, [[YEAR, 250_000n]]);
        await pastSurrenderDeadline(f);
      });

      it("records the shortfall, the fine and the flag, and carries the shortfall to Allocation", async function () {
        const tx = f.c.compliance.closeYear(YEAR, 10);
        await expect(tx)
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(
            ENTITY.steelCo,
            YEAR,
            Status.Shortfall,
            100_000n,
            97_000n,
            3_000n,
            3_000n * FINE_PER_TONNE,
            YEAR + 3,
          );
        await expect(tx)
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.powerCo, YEAR, Status.Compliant, 250_000n, 250_000n, 0n, 0n, 0);
        await expect(tx).to.emit(f.c.allocation, "ShortfallCarried").withArgs(ENTITY.steelCo, YEAR, 3_000n, 3_000n);
        await expect(tx).to.emit(f.c.compliance, "ComplianceClosed").withArgs(YEAR, 1, 1, 3_000n);
        await expect(tx).to.emit(f.c.reporting, "YearClosed").withArgs(YEAR);

        expect(await position()).to.deep.equal({
          status: Status.Shortfall,
          obligationSet: true,
          obligation: 100_000n,
          allowances: 87_000n,
          offsets: 10_000n,
          offsetCap: 10_000n,
          shortfall: 3_000n,
          fine: 3_000n * FINE_PER_TONNE,
        });
        expect((await position(ENTITY.powerCo)).status).to.equal(Status.Compliant);
        expect(await f.c.compliance.flaggedUntil(ENTITY.steelCo)).to.equal(YEAR + 3);
        expect(await f.c.compliance.flaggedUntil(ENTITY.powerCo)).to.equal(0n);
        expect(await f.c.compliance.finesOwed(ENTITY.steelCo)).to.equal(6_000_000n);
        expect(await f.c.compliance.finesOwed(ENTITY.powerCo)).to.equal(0n);
        expect(await f.c.allocation.carriedShortfall(ENTITY.steelCo)).to.equal(3_000n);
        expect(await f.c.compliance.yearClose(YEAR)).to.deep.equal([true, true, 2n, 1n, 1n, 3_000n]);
      });

      it("issues next year's allocation 3,000 t lower", async function () {
        await f.c.compliance.closeYear(YEAR, 10);
        const grants = usualPlan();
        await f.c.allocation.setCap(NEXT_YEAR, CAP, RESERVE_BPS);
        await f.c.allocation.registerPlan(
          NEXT_YEAR,
          hashOf("inputs-2015"),
          planHash(grants.map((g) => [g.entityId, g.amount] as const)),
          2,
          ALLOCATION.steel + ALLOCATION.power,
          "https://example.org/plan-2015.json",
        );
        const tx = f.c.allocation.issue(NEXT_YEAR, grants);
        await expect(tx)
          .to.emit(f.c.allocation, "Allocated")
          .withArgs(NEXT_YEAR, ENTITY.steelCo, f.s.alice.address, ALLOCATION.steel, 3_000n, ALLOCATION.steel - 3_000n);
        await expect(tx)
          .to.emit(f.c.allocation, "Allocated")
          .withArgs(NEXT_YEAR, ENTITY.powerCo, f.s.bob.address, ALLOCATION.power, 0n, ALLOCATION.power);
        await expect(tx).to.emit(f.c.allocation, "ShortfallDeducted").withArgs(ENTITY.steelCo, NEXT_YEAR, 3_000n, 0n);
        expect(await balance(f.s.alice, NEXT_YEAR)).to.equal(ALLOCATION.steel - 3_000n);
        expect(await f.c.allocation.carriedShortfall(ENTITY.steelCo)).to.equal(0n);
        const info = await f.c.allocation.yearInfo(NEXT_YEAR);
        expect([info.freeIssued, info.deducted]).to.deep.equal([ALLOCATION.steel + ALLOCATION.power - 3_000n, 3_000n]);
      });

      it("extends the flag, never shortens it", async function () {
        await f.c.compliance.closeYear(YEAR, 10);
        await f.c.compliance.setPenalties(1, 0n);
        // A shortfall for 2015 flagged for 1 year would end in 2016, before 2017.
        await allocate(NEXT_YEAR, usualPlan());
        await f.c.compliance.openYear(NEXT_YEAR, await scheduleFromNow(), tianjinRules());
        await f.c.reporting.assignVerifier(ENTITY.steelCo, NEXT_YEAR, VERIFIER_B);
        await time.increase(61 * DAY);
        await f.c.reporting.setEstimate(ENTITY.steelCo, NEXT_YEAR, 1_000n, "no report");
        await f.c.reporting.setEstimate(ENTITY.powerCo, NEXT_YEAR, 0n, "closed plant");
        await expect(f.c.compliance.closeYear(NEXT_YEAR, 10))
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.steelCo, NEXT_YEAR, Status.Shortfall, 1_000n, 0n, 1_000n, 0n, YEAR + 3);
        expect(await f.c.compliance.flaggedUntil(ENTITY.steelCo)).to.equal(YEAR + 3);
        expect(await f.c.compliance.finesOwed(ENTITY.steelCo)).to.equal(6_000_000n);
        expect(await f.c.allocation.carriedShortfall(ENTITY.steelCo)).to.equal(1_000n);
      });

      it("closes in chunks (maxEntities 1), the year staying open until the last entity", async function () {
        await expect(f.c.compliance.closeYear(YEAR, 1))
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.steelCo, YEAR, Status.Shortfall, 100_000n, 97_000n, 3_000n, 6_000_000n, YEAR + 3)
          .and.not.to.emit(f.c.compliance, "ComplianceClosed");
        expect(await f.c.compliance.yearClose(YEAR)).to.deep.equal([true, false, 1n, 0n, 1n, 3_000n]);
        expect((await f.c.reporting.yearOf(YEAR)).state).to.equal(1n);
        expect((await position(ENTITY.powerCo)).status).to.equal(Status.Compliant);

        const tx = f.c.compliance.closeYear(YEAR, 1);
        await expect(tx)
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.powerCo, YEAR, Status.Compliant, 250_000n, 250_000n, 0n, 0n, 0);
        await expect(tx).to.emit(f.c.compliance, "ComplianceClosed").withArgs(YEAR, 1, 1, 3_000n);
        expect(await f.c.compliance.yearClose(YEAR)).to.deep.equal([true, true, 2n, 1n, 1n, 3_000n]);
        expect((await f.c.reporting.yearOf(YEAR)).state).to.equal(2n);
        await expect(f.c.compliance.closeYear(YEAR, 1))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearClosed")
          .withArgs(YEAR);
      });

      // `c.processed + maxEntities` must not overflow once a first chunk is done: what is left is
      // closed, however large maxEntities is.
      it("closes whatever is left when maxEntities is larger than that, however large", async function () {
        await f.c.compliance.closeYear(YEAR, 1);
        await expect(f.c.compliance.closeYear(YEAR, ethers.MaxUint256))
          .to.emit(f.c.compliance, "ComplianceClosed")
          .withArgs(YEAR, 1, 1, 3_000n);
        expect(await f.c.compliance.yearClose(YEAR)).to.deep.equal([true, true, 2n, 1n, 1n, 3_000n]);
      });

      it("closes everything in one call when maxEntities is the largest uint256 from the start", async function () {
        await expect(f.c.compliance.closeYear(YEAR, ethers.MaxUint256))
          .to.emit(f.c.compliance, "ComplianceClosed")
          .withArgs(YEAR, 1, 1, 3_000n);
        expect(await f.c.compliance.yearClose(YEAR)).to.deep.equal([true, true, 2n, 1n, 1n, 3_000n]);
      });

      // Once the close has begun no surrender is taken: an entity whose result (shortfall carried,
      // fine recorded) is already fixed would otherwise burn units for the year, and have the
      // shortfall deducted again from its next allocation.
      it("refuses a surrender from an entity already closed while the close is in progress", async function () {
        await f.c.compliance.closeYear(YEAR, 1);
        const before = await steelSnapshot();
        await expect(steelSurrenders([[YEAR, 3_000n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearClosed")
          .withArgs(YEAR);
        expect(await steelSnapshot()).to.deep.equal(before);
        expect(await f.c.allocation.carriedShortfall(ENTITY.steelCo)).to.equal(3_000n);
      });

      it("flags nothing when the penalties flag 0 years, and still records the fine and carries the shortfall", async function () {
        await expect(f.c.compliance.setPenalties(0, FINE_PER_TONNE))
          .to.emit(f.c.compliance, "PenaltiesSet")
          .withArgs(0, FINE_PER_TONNE);
        const tx = f.c.compliance.closeYear(YEAR, 10);
        await expect(tx)
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.steelCo, YEAR, Status.Shortfall, 100_000n, 97_000n, 3_000n, 6_000_000n, 0);
        await expect(tx).to.emit(f.c.allocation, "ShortfallCarried").withArgs(ENTITY.steelCo, YEAR, 3_000n, 3_000n);
        expect(await f.c.compliance.flaggedUntil(ENTITY.steelCo)).to.equal(0n);
        expect(await f.c.compliance.finesOwed(ENTITY.steelCo)).to.equal(6_000_000n);
        expect(await f.c.allocation.carriedShortfall(ENTITY.steelCo)).to.equal(3_000n);
        expect((await position()).status).to.equal(Status.Shortfall);
      });

      it("leaves an earlier flag unchanged when a later shortfall comes under penalties of 0 years", async function () {
        await f.c.compliance.closeYear(YEAR, 10);
        expect(await f.c.compliance.flaggedUntil(ENTITY.steelCo)).to.equal(YEAR + 3);
        await f.c.compliance.setPenalties(0, 0n);
        await allocate(NEXT_YEAR, usualPlan());
        await f.c.compliance.openYear(NEXT_YEAR, await scheduleFromNow(), tianjinRules());
        await time.increase(61 * DAY);
        await f.c.reporting.setEstimate(ENTITY.steelCo, NEXT_YEAR, 1_000n, "no report");
        await f.c.reporting.setEstimate(ENTITY.powerCo, NEXT_YEAR, 2_000n, "no report");
        const tx = f.c.compliance.closeYear(NEXT_YEAR, 10);
        await expect(tx)
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.steelCo, NEXT_YEAR, Status.Shortfall, 1_000n, 0n, 1_000n, 0n, YEAR + 3);
        // The power company had no flag, and gets none.
        await expect(tx)
          .to.emit(f.c.compliance, "ComplianceResult")
          .withArgs(ENTITY.powerCo, NEXT_YEAR, Status.Shortfall, 2_000n, 0n, 2_000n, 0n, 0);
        expect(await f.c.compliance.flaggedUntil(ENTITY.steelCo)).to.equal(YEAR + 3);
        expect(await f.c.compliance.flaggedUntil(ENTITY.powerCo)).to.equal(0n);
        expect(await f.c.allocation.carriedShortfall(ENTITY.powerCo)).to.equal(2_000n);
      });

      it("refuses surrender, reports and decisions for the closed year", async function () {
        await f.c.compliance.closeYear(YEAR, 10);
        const before = await steelSnapshot();
        await expect(steelSurrenders([[YEAR, 1n]]))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearClosed")
          .withArgs(YEAR);
        await expect(f.c.reporting.connect(f.s.alice).submitReport(YEAR, 1n, hashOf("r"), hashOf("d"), ""))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
          .withArgs(YEAR);
        await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
          .withArgs(YEAR);
        await expect(f.c.reporting.setEstimate(ENTITY.steelCo, YEAR, 1n, "late"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
          .withArgs(YEAR);
        await expect(f.c.compliance.setOffsetRules(YEAR, tianjinRules()))
          .to.be.revertedWithCustomError(f.c.compliance, "ComplianceYearClosed")
          .withArgs(YEAR);
        expect(await steelSnapshot()).to.deep.equal(before);
      });
    });

    it("refuses more than 100 flagged years", async function () {
      await expect(f.c.compliance.setPenalties(101, 0n))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceInvalidPenalties")
        .withArgs(101);
      await expect(f.c.compliance.connect(f.s.alice).setPenalties(1, 0n))
        .to.be.revertedWithCustomError(f.c.compliance, "AccessManagedUnauthorized")
        .withArgs(f.s.alice.address);
      expect(await f.c.compliance.penalties()).to.deep.equal([3n, 0n]);
    });
  });

  describe("voluntary cancellation", function () {
    /** Moves units from alice to carol through the 26 h hold of an untrusted transfer. */
    async function fundCarol(allowances: bigint, offsets: bigint): Promise<void> {
      await f.c.allowances
        .connect(f.s.alice)
        .safeTransferFrom(f.s.alice.address, f.s.carol.address, YEAR, allowances, "0x");
      await f.c.offsets
        .connect(f.s.alice)
        .safeTransferFrom(f.s.alice.address, f.s.carol.address, BATCH.wind, offsets, "0x");
      await time.increase(DEFAULT_DELAY);
      await f.c.allowances.executePending(await f.c.allowances.pendingTransferCount());
      await f.c.offsets.executePending(await f.c.offsets.pendingTransferCount());
    }

    it("burns the units and issues certificate 1 with its beneficiary, purpose and amounts", async function () {
      const at = await pinNextBlockTime();
      const tx = f.c.compliance
        .connect(f.s.alice)
        .cancelUnits([YEAR], [100n], [BATCH.wind], [50n], "Tianjin Marathon 2014", "carbon-neutral event");
      await expect(tx).to.emit(f.c.compliance, "UnitsCancelled").withArgs(1n, f.s.alice.address, false, YEAR, 100n);
      await expect(tx).to.emit(f.c.compliance, "UnitsCancelled").withArgs(1n, f.s.alice.address, true, BATCH.wind, 50n);
      await expect(tx)
        .to.emit(f.c.compliance, "CancellationCertificate")
        .withArgs(1n, f.s.alice.address, ENTITY.steelCo, 100n, 50n, "Tianjin Marathon 2014", "carbon-neutral event");
      const cert = await f.c.compliance.certificate(1n);
      expect([
        cert.holder,
        cert.entityId,
        cert.issuedAt,
        cert.allowances,
        cert.offsets,
        cert.beneficiary,
        cert.purpose,
      ]).to.deep.equal([
        f.s.alice.address,
        ENTITY.steelCo,
        at,
        100n,
        50n,
        "Tianjin Marathon 2014",
        "carbon-neutral event",
      ]);
      expect(await f.c.compliance.certificateCount()).to.equal(1n);
      expect(await balance(f.s.alice, YEAR)).to.equal(ALLOCATION.steel - 100n);
      expect(await ccer(f.s.alice, BATCH.wind)).to.equal(BATCH_SIZE - 50n);
      expect(await f.c.allowances.burned(YEAR)).to.equal(100n);
    });

    it("numbers certificates 1, 2, … across holders, an institution included", async function () {
      await fundCarol(1_000n, 200n);
      await f.c.compliance.connect(f.s.alice).cancelUnits([YEAR], [10n], [], [], "Alice Steel", "annual report");
      await expect(
        f.c.compliance
          .connect(f.s.carol)
          .cancelUnits([YEAR], [300n], [BATCH.wind], [200n], "Fund investors", "net zero"),
      )
        .to.emit(f.c.compliance, "CancellationCertificate")
        .withArgs(2n, f.s.carol.address, ENTITY.institution, 300n, 200n, "Fund investors", "net zero");
      // A rejected cancellation takes no number.
      await expect(
        f.c.compliance.connect(f.s.carol).cancelUnits([YEAR], [701n], [], [], "Fund investors", "net zero"),
      ).to.be.revertedWithCustomError(f.c.allowances, "TokenInsufficientBalance");
      expect(await f.c.compliance.certificateCount()).to.equal(2n);
      const cert = await f.c.compliance.certificate(2n);
      expect([cert.holder, cert.entityId, cert.allowances, cert.offsets]).to.deep.equal([
        f.s.carol.address,
        ENTITY.institution,
        300n,
        200n,
      ]);
      expect(await balance(f.s.carol, YEAR)).to.equal(700n);
      expect(await ccer(f.s.carol, BATCH.wind)).to.equal(0n);
      await expect(f.c.compliance.connect(f.s.carol).cancelUnits([YEAR], [700n], [], [], "Fund investors", "net zero"))
        .to.emit(f.c.compliance, "CancellationCertificate")
        .withArgs(3n, f.s.carol.address, ENTITY.institution, 700n, 0n, "Fund investors", "net zero");
    });

    it("is counted apart from surrender, and does not count towards the obligation", async function () {
      await approveSteel(f, 100_000n);
      await f.c.compliance.connect(f.s.alice).cancelUnits([YEAR], [500n], [BATCH.wind], [70n], "Bohai Bay", "offset");
      expect((await position()).allowances).to.equal(0n);
      expect((await position()).offsets).to.equal(0n);
      await steelSurrenders([[YEAR, 90_000n]], [[BATCH.wind, 10_000n]]);
      expect(await f.c.compliance.allowanceRetirements(YEAR)).to.deep.equal([90_000n, 500n]);
      expect(await f.c.compliance.offsetRetirements(BATCH.wind)).to.deep.equal([10_000n, 70n]);
      expect(await f.c.allowances.burned(YEAR)).to.equal(90_500n);
      expect(await f.c.offsets.burned(BATCH.wind)).to.equal(10_070n);
      // The whole 10,000 t CCER cap was still there after the cancellation.
      expect((await position()).status).to.equal(Status.Compliant);
    });

    // DOMAIN.md's emergency suspension stops "everything but allocation and surrender": a
    // voluntary cancellation included, although it burns through the token's burn path.
    it("is stopped by an emergency suspension, unlike surrender, and goes on once it is lifted", async function () {
      await fundCarol(100n, 10n);
      await f.c.rules.suspend("phishing wave");
      for (const who of [f.s.alice, f.s.carol]) {
        await expect(
          f.c.compliance.connect(who).cancelUnits([YEAR], [100n], [], [], "b", "p"),
        ).to.be.revertedWithCustomError(f.c.compliance, "ComplianceCancellationSuspended");
      }
      await expect(
        f.c.compliance.connect(f.s.alice).cancelUnits([], [], [BATCH.wind], [1n], "b", "p"),
      ).to.be.revertedWithCustomError(f.c.compliance, "ComplianceCancellationSuspended");
      expect(await f.c.compliance.certificateCount()).to.equal(0n);
      expect(await f.c.compliance.allowanceRetirements(YEAR)).to.deep.equal([0n, 0n]);
      expect(await balance(f.s.alice, YEAR)).to.equal(ALLOCATION.steel - 100n);
      expect(await balance(f.s.carol, YEAR)).to.equal(100n);
      expect(await ccer(f.s.alice, BATCH.wind)).to.equal(BATCH_SIZE - 10n);
      expect(await ccer(f.s.carol, BATCH.wind)).to.equal(10n);

      await f.c.rules.resume();
      await expect(f.c.compliance.connect(f.s.alice).cancelUnits([YEAR], [100n], [], [], "b", "p"))
        .to.emit(f.c.compliance, "CancellationCertificate")
        .withArgs(1n, f.s.alice.address, ENTITY.steelCo, 100n, 0n, "b", "p");
    });

    it("refuses a frozen account, unlike surrender, and a closed one, with ComplianceAccountNotActive", async function () {
      await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
      await expect(f.c.compliance.connect(f.s.alice).cancelUnits([YEAR], [100n], [BATCH.wind], [10n], "b", "p"))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceAccountNotActive")
        .withArgs(f.s.alice.address);
      expect(await f.c.compliance.certificateCount()).to.equal(0n);
      expect(await balance(f.s.alice, YEAR)).to.equal(ALLOCATION.steel);
      expect(await ccer(f.s.alice, BATCH.wind)).to.equal(BATCH_SIZE);
      // Under a suspension the suspension is named first.
      await f.c.rules.suspend("phishing wave");
      await expect(
        f.c.compliance.connect(f.s.alice).cancelUnits([YEAR], [100n], [], [], "b", "p"),
      ).to.be.revertedWithCustomError(f.c.compliance, "ComplianceCancellationSuspended");
      await f.c.rules.resume();

      // alice2 (same entity, nothing held) is closed.
      await f.c.registry.connect(f.s.operator).close(f.s.alice2.address);
      await expect(f.c.compliance.connect(f.s.alice2).cancelUnits([YEAR], [1n], [], [], "b", "p"))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceAccountNotActive")
        .withArgs(f.s.alice2.address);

      // Unfrozen, alice may cancel again.
      await f.c.registry.connect(f.s.operator).unfreeze(f.s.alice.address);
      await expect(f.c.compliance.connect(f.s.alice).cancelUnits([YEAR], [100n], [BATCH.wind], [10n], "b", "p"))
        .to.emit(f.c.compliance, "CancellationCertificate")
        .withArgs(1n, f.s.alice.address, ENTITY.steelCo, 100n, 10n, "b", "p");
    });

    it("refuses a missing or long beneficiary or purpose, an unregistered wallet, and units not held", async function () {
      const compliance = f.c.compliance.connect(f.s.alice);
      await expect(compliance.cancelUnits([YEAR], [1n], [], [], "", "p"))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceInvalidText")
        .withArgs("beneficiary");
      await expect(compliance.cancelUnits([YEAR], [1n], [], [], "b", "p".repeat(257)))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceInvalidText")
        .withArgs("purpose");
      // An unregistered wallet is not an active account either.
      await expect(f.c.compliance.connect(f.s.stranger).cancelUnits([YEAR], [1n], [], [], "b", "p"))
        .to.be.revertedWithCustomError(f.c.compliance, "ComplianceAccountNotActive")
        .withArgs(f.s.stranger.address);
      await expect(compliance.cancelUnits([YEAR], [ALLOCATION.steel + 1n], [], [], "b", "p"))
        .to.be.revertedWithCustomError(f.c.allowances, "TokenInsufficientBalance")
        .withArgs(f.s.alice.address, YEAR, ALLOCATION.steel, ALLOCATION.steel + 1n);
      await expect(compliance.cancelUnits([YEAR], [], [], [], "b", "p")).to.be.revertedWithCustomError(
        f.c.compliance,
        "ComplianceInvalidItems",
      );
      await expect(compliance.cancelUnits([YEAR], [0n], [], [], "b", "p")).to.be.revertedWithCustomError(
        f.c.compliance,
        "ComplianceZeroAmount",
      );
      expect(await f.c.compliance.certificateCount()).to.equal(0n);
      expect(await f.c.compliance.allowanceRetirements(YEAR)).to.deep.equal([0n, 0n]);
      expect(await balance(f.s.alice, YEAR)).to.equal(ALLOCATION.steel);
    });
  });

  describe("positionOf through the life of a year", function () {
    it("goes Open → Compliant for an entity that surrenders, Open → Shortfall for one that does not", async function () {
      const steel = () => position(ENTITY.steelCo);
      const power = () => position(ENTITY.powerCo);
      const empty = {
        status: Status.Open,
        obligationSet: false,
        obligation: 0n,
        allowances: 0n,
        offsets: 0n,
        offsetCap: 0n,
        shortfall: 0n,
        fine: 0n,
      };
      expect(await steel()).to.deep.equal(empty);
      expect(await power()).to.deep.equal(empty);
      // Not covered: None, in an open year or a year never opened.
      expect((await position(ENTITY.institution)).status).to.equal(Status.None);
      expect((await position(ENTITY.steelCo, NEXT_YEAR)).status).to.equal(Status.None);

      await approveSteel(f, 100_000n);
      expect(await steel()).to.deep.equal({ ...empty, obligationSet: true, obligation: 100_000n, offsetCap: 10_000n });
      await steelSurrenders([[YEAR, 50_000n]], [[BATCH.wind, 5_000n]]);
      expect(await steel()).to.deep.equal({
        ...empty,
        obligationSet: true,
        obligation: 100_000n,
        offsetCap: 10_000n,
        allowances: 50_000n,
        offsets: 5_000n,
      });
      await steelSurrenders([[YEAR, 45_000n]]);
      const met = {
        status: Status.Compliant,
        obligationSet: true,
        obligation: 100_000n,
        offsetCap: 10_000n,
        allowances: 95_000n,
        offsets: 5_000n,
        shortfall: 0n,
        fine: 0n,
      };
      expect(await steel()).to.deep.equal(met);

      await approvePower(200_000n);
      await surrender(f.s.bob, [[YEAR, 150_000n]]);
      expect((await power()).status).to.equal(Status.Open);
      await pastSurrenderDeadline(f);
      expect((await power()).status).to.equal(Status.Open);
      await f.c.compliance.closeYear(YEAR, 10);
      expect(await steel()).to.deep.equal(met);
      expect(await power()).to.deep.equal({
        status: Status.Shortfall,
        obligationSet: true,
        obligation: 200_000n,
        offsetCap: 20_000n,
        allowances: 150_000n,
        offsets: 0n,
        shortfall: 50_000n,
        fine: 0n,
      });
    });
  });
});
