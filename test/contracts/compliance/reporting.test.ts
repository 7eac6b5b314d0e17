import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { Category, DAY, ENTITY, Sector, creditCode, pinNextBlockTime } from "../fixtures";
import {
  ALLOCATION,
  CAP,
  NEXT_YEAR,
  Opinion,
  PREVIOUS_YEAR,
  RESERVE_BPS,
  ReportStatus,
  VERIFIER_A,
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

/** A covered entity (chemicals) registered by these tests but left out of every plan. */
const CHEM_CO = 108n;

const CONTENT = hashOf("report-v1");
const DOCUMENT = hashOf("signed-v1");
const STATEMENT = hashOf("statement");

/** One entry of an allocation plan, as `Allocation.issue` takes it. */
interface Grant {
  entityId: bigint;
  wallet: string;
  amount: bigint;
}

describe("EmissionsReporting", function () {
  let f: ComplianceFixture;

  beforeEach(async function () {
    f = await loadFixture(complianceFixture);
  });

  const reportingAs = (who: keyof ComplianceFixture["s"]) => f.c.reporting.connect(f.s[who]);
  const submitSteel = (total: bigint, label = "v1", uri = "ipfs://report") =>
    reportingAs("alice").submitReport(YEAR, total, hashOf(`report-${label}`), hashOf(`signed-${label}`), uri);
  const attestSteel = (total: bigint, opinion: number = Opinion.Positive) =>
    f.c.reporting.connect(f.verifierA).attest(ENTITY.steelCo, YEAR, total, STATEMENT, opinion);
  const reportOfSteel = () => f.c.reporting.reportOf(ENTITY.steelCo, YEAR);

  /** Cap, plan and issuance of `year` for the given (entity, wallet, amount) entries, in entity order. */
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
  const steelOnly = (): Grant[] => [{ entityId: ENTITY.steelCo, wallet: f.s.alice.address, amount: ALLOCATION.steel }];

  /** Allocates `year` to the steel company alone and opens it with a calendar starting now. */
  async function openSteelYear(year: number): Promise<void> {
    await allocate(year, steelOnly());
    await f.c.compliance.openYear(year, await scheduleFromNow(), tianjinRules());
  }

  /** Closes the fixture's year: the power company's obligation is estimated, then every entity is closed. */
  async function closeFixtureYear(): Promise<void> {
    await approveSteel(f, 100_000n);
    await pastSurrenderDeadline(f);
    await f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 1n, "no report");
    await f.c.compliance.closeYear(YEAR, 10);
  }

  /** A report version in plain values. */
  async function versionOf(entityId: bigint, version: number) {
    const v = await f.c.reporting.reportVersion(entityId, YEAR, version);
    return {
      reportedTotal: v.reportedTotal,
      contentHash: v.contentHash,
      documentHash: v.documentHash,
      uri: v.uri,
      submitter: v.submitter,
      submittedAt: v.submittedAt,
    };
  }

  describe("when a covered entity submits its report", function () {
    it("keeps the first version, readable with who submitted it and when, and marks the report submitted", async function () {
      const at = await pinNextBlockTime();
      await expect(submitSteel(100_000n))
        .to.emit(f.c.reporting, "ReportSubmitted")
        .withArgs(ENTITY.steelCo, YEAR, 1, f.s.alice.address, 100_000n, CONTENT, DOCUMENT, "ipfs://report", false);
      expect(await versionOf(ENTITY.steelCo, 1)).to.deep.equal({
        reportedTotal: 100_000n,
        contentHash: CONTENT,
        documentHash: DOCUMENT,
        uri: "ipfs://report",
        submitter: f.s.alice.address,
        submittedAt: at,
      });
      const r = await reportOfSteel();
      expect([r.status, r.versions, r.obligationSet]).to.deep.equal([ReportStatus.Submitted, 1n, false]);
    });

    it("keeps every version when it resubmits while submitted, from any account of the entity", async function () {
      await submitSteel(100_000n, "v1");
      await expect(
        reportingAs("alice2").submitReport(YEAR, 101_000n, hashOf("report-v2"), hashOf("signed-v2"), "ipfs://v2"),
      )
        .to.emit(f.c.reporting, "ReportSubmitted")
        .withArgs(
          ENTITY.steelCo,
          YEAR,
          2,
          f.s.alice2.address,
          101_000n,
          hashOf("report-v2"),
          hashOf("signed-v2"),
          "ipfs://v2",
          false,
        );
      expect((await versionOf(ENTITY.steelCo, 1)).reportedTotal).to.equal(100_000n);
      expect((await versionOf(ENTITY.steelCo, 1)).contentHash).to.equal(CONTENT);
      const v2 = await versionOf(ENTITY.steelCo, 2);
      expect([v2.reportedTotal, v2.contentHash, v2.submitter]).to.deep.equal([
        101_000n,
        hashOf("report-v2"),
        f.s.alice2.address,
      ]);
      expect((await reportOfSteel()).versions).to.equal(2n);
      // A version that does not exist reads empty.
      expect(await versionOf(ENTITY.steelCo, 3)).to.deep.equal({
        reportedTotal: 0n,
        contentHash: ethers.ZeroHash,
        documentHash: ethers.ZeroHash,
        uri: "",
        submitter: ethers.ZeroAddress,
        submittedAt: 0n,
      });
      expect((await versionOf(ENTITY.steelCo, 0)).submitter).to.equal(ethers.ZeroAddress);
    });

    it("accepts a resubmission after the regulator returned the report", async function () {
      await submitSteel(100_000n, "v1");
      await f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "missing fuel data");
      await expect(submitSteel(100_500n, "v2")).to.emit(f.c.reporting, "ReportSubmitted");
      const r = await reportOfSteel();
      expect([r.status, r.versions]).to.deep.equal([ReportStatus.Submitted, 2n]);
      expect((await versionOf(ENTITY.steelCo, 2)).reportedTotal).to.equal(100_500n);
    });

    it("is not late up to the reporting deadline, and late after it", async function () {
      await time.setNextBlockTimestamp(f.schedule.reportDeadline);
      await expect(submitSteel(100_000n, "v1"))
        .to.emit(f.c.reporting, "ReportSubmitted")
        .withArgs(ENTITY.steelCo, YEAR, 1, f.s.alice.address, 100_000n, anyValue, anyValue, anyValue, false);
      await expect(submitSteel(100_000n, "v2"))
        .to.emit(f.c.reporting, "ReportSubmitted")
        .withArgs(ENTITY.steelCo, YEAR, 2, f.s.alice.address, 100_000n, anyValue, anyValue, anyValue, true);
      expect((await reportOfSteel()).versions).to.equal(2n);
    });

    it("refuses a zero content or document hash and a URI over 512 bytes, and records nothing", async function () {
      const reporting = reportingAs("alice");
      await expect(reporting.submitReport(YEAR, 1n, ethers.ZeroHash, DOCUMENT, "ipfs://x"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
        .withArgs("contentHash");
      await expect(reporting.submitReport(YEAR, 1n, CONTENT, ethers.ZeroHash, "ipfs://x"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
        .withArgs("documentHash");
      await expect(reporting.submitReport(YEAR, 1n, CONTENT, DOCUMENT, "x".repeat(513)))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
        .withArgs("uri");
      const r = await reportOfSteel();
      expect([r.status, r.versions]).to.deep.equal([ReportStatus.None, 0n]);
      // 512 bytes and an empty URI are fine.
      await reporting.submitReport(YEAR, 1n, CONTENT, DOCUMENT, "x".repeat(512));
      await reporting.submitReport(YEAR, 1n, CONTENT, DOCUMENT, "");
      expect((await reportOfSteel()).versions).to.equal(2n);
    });

    it("refuses a change once the report is verified, approved or estimated", async function () {
      await submitSteel(100_000n);
      await attestSteel(100_000n);
      await expect(submitSteel(99_000n, "v2"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingReportLocked")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Verified);
      await f.c.reporting.approve(ENTITY.steelCo, YEAR);
      await expect(submitSteel(99_000n, "v2"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingReportLocked")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Approved);
      expect((await reportOfSteel()).versions).to.equal(1n);

      await time.increaseTo(BigInt(f.schedule.reportDeadline) + 1n);
      await f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 400_000n, "no report filed");
      await expect(reportingAs("bob").submitReport(YEAR, 300_000n, CONTENT, DOCUMENT, "ipfs://late"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingReportLocked")
        .withArgs(ENTITY.powerCo, YEAR, ReportStatus.Estimated);
    });
  });

  describe("when the report is for a year not open", function () {
    it("refuses a year never opened", async function () {
      await expect(submitSteelFor(NEXT_YEAR))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearNotOpen")
        .withArgs(NEXT_YEAR);
    });

    it("refuses a year before its reporting opens, and accepts it once it has", async function () {
      await allocate(NEXT_YEAR, steelOnly());
      const now = BigInt(await time.latest());
      const opens = now + 10n * BigInt(DAY);
      await f.c.compliance.openYear(
        NEXT_YEAR,
        {
          reportingOpens: opens,
          reportDeadline: opens + 30n * BigInt(DAY),
          surrenderDeadline: opens + 60n * BigInt(DAY),
        },
        tianjinRules(),
      );
      await time.setNextBlockTimestamp(opens - 1n);
      await expect(submitSteelFor(NEXT_YEAR))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearNotOpen")
        .withArgs(NEXT_YEAR);
      expect((await f.c.reporting.reportOf(ENTITY.steelCo, NEXT_YEAR)).versions).to.equal(0n);
      await time.setNextBlockTimestamp(opens);
      await expect(submitSteelFor(NEXT_YEAR)).to.emit(f.c.reporting, "ReportSubmitted");
    });

    it("refuses a closed year, as it refuses attestation and decisions on it", async function () {
      await reportingAs("bob").submitReport(YEAR, 300_000n, CONTENT, DOCUMENT, "ipfs://power");
      await closeFixtureYear();
      expect((await f.c.reporting.yearOf(YEAR)).state).to.equal(2n);
      await expect(submitSteel(100_000n, "after"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
        .withArgs(YEAR);
      await expect(
        f.c.reporting.connect(f.verifierB).attest(ENTITY.powerCo, YEAR, 300_000n, STATEMENT, Opinion.Positive),
      )
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
        .withArgs(YEAR);
      await expect(f.c.reporting.returnReport(ENTITY.powerCo, YEAR, "late"))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
        .withArgs(YEAR);
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearClosed")
        .withArgs(YEAR);
      expect((await reportOfSteel()).versions).to.equal(1n);
    });

    const submitSteelFor = (year: number) =>
      reportingAs("alice").submitReport(year, 100_000n, CONTENT, DOCUMENT, "ipfs://report");
  });

  describe("when the caller is not a covered entity of the year", function () {
    it("refuses an institution and an individual", async function () {
      await expect(reportingAs("carol").submitReport(YEAR, 1n, CONTENT, DOCUMENT, ""))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotCovered")
        .withArgs(ENTITY.institution, YEAR);
      await expect(reportingAs("dave").submitReport(YEAR, 1n, CONTENT, DOCUMENT, ""))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotCovered")
        .withArgs(ENTITY.individual, YEAR);
      expect((await f.c.reporting.reportOf(ENTITY.institution, YEAR)).versions).to.equal(0n);
    });

    it("refuses a covered entity that is not in the year's plan", async function () {
      await f.c.registry
        .connect(f.s.operator)
        .registerEntity(
          CHEM_CO,
          Category.CoveredEntity,
          Sector.Chemicals,
          "Dagu Chemicals",
          creditCode("chem"),
          f.s.spare.address,
        );
      await expect(f.c.reporting.connect(f.s.spare).submitReport(YEAR, 1n, CONTENT, DOCUMENT, ""))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotCovered")
        .withArgs(CHEM_CO, YEAR);
      // Covered in a year it is in the plan of.
      await allocate(NEXT_YEAR, [{ entityId: CHEM_CO, wallet: f.s.spare.address, amount: 1_000n }]);
      await f.c.compliance.openYear(NEXT_YEAR, await scheduleFromNow(), tianjinRules());
      await expect(f.c.reporting.connect(f.s.spare).submitReport(NEXT_YEAR, 1n, CONTENT, DOCUMENT, "")).to.emit(
        f.c.reporting,
        "ReportSubmitted",
      );
    });

    it("refuses an unregistered wallet and a frozen account", async function () {
      await expect(reportingAs("stranger").submitReport(YEAR, 1n, CONTENT, DOCUMENT, ""))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingAccountNotActive")
        .withArgs(f.s.stranger.address);
      await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
      await expect(submitSteel(1n))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingAccountNotActive")
        .withArgs(f.s.alice.address);
      expect((await reportOfSteel()).versions).to.equal(0n);
    });
  });

  describe("when the regulator assigns a verifier", function () {
    it("records the assignment, replacing the earlier one before attestation", async function () {
      expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_A);
      await submitSteel(100_000n);
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B))
        .to.emit(f.c.reporting, "VerifierAssigned")
        .withArgs(ENTITY.steelCo, YEAR, VERIFIER_B);
      expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_B);
      // The old verifier can no longer attest; the new one can.
      await expect(attestSteel(100_000n))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotAssignedVerifier")
        .withArgs(f.verifierA.address, ENTITY.steelCo, YEAR);
      await f.c.reporting.connect(f.verifierB).attest(ENTITY.steelCo, YEAR, 100_000n, STATEMENT, Opinion.Positive);
      expect((await reportOfSteel()).verifier).to.equal(VERIFIER_B);
    });

    it("refuses a reassignment once the report is attested or approved", async function () {
      await submitSteel(100_000n);
      await attestSteel(100_000n);
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingReportLocked")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Verified);
      await f.c.reporting.approve(ENTITY.steelCo, YEAR);
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingReportLocked")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Approved);
      expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_A);
    });

    it("refuses a verifier that is not accredited, and keeps the assignment", async function () {
      await f.c.reporting.setAccreditation(VERIFIER_B, false);
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierNotAccredited")
        .withArgs(VERIFIER_B);
      expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_A);
    });

    it("refuses an entity that is not a verification body, which cannot be accredited either", async function () {
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, ENTITY.institution))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierNotAccredited")
        .withArgs(ENTITY.institution);
      await expect(f.c.reporting.setAccreditation(ENTITY.institution, true))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotVerifier")
        .withArgs(ENTITY.institution);
      await expect(f.c.reporting.setAccreditation(999n, true))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotVerifier")
        .withArgs(999n);
      expect(await f.c.reporting.isAccredited(ENTITY.institution)).to.equal(false);
      expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_A);
    });

    it("refuses an entity not covered in the year, and a year not open", async function () {
      await expect(f.c.reporting.assignVerifier(ENTITY.institution, YEAR, VERIFIER_A))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotCovered")
        .withArgs(ENTITY.institution, YEAR);
      await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, NEXT_YEAR, VERIFIER_A))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingYearNotOpen")
        .withArgs(NEXT_YEAR);
    });

    it("may only be done by REGULATOR", async function () {
      for (const who of [f.s.alice, f.verifierA, f.s.operator]) {
        await expect(f.c.reporting.connect(who).assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B))
          .to.be.revertedWithCustomError(f.c.reporting, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_A);
    });

    describe("under the rotation rule (at most 3 consecutive years)", function () {
      beforeEach(async function () {
        expect(await f.c.reporting.maxConsecutiveYears()).to.equal(3n);
        // The fixture gave 2014 to verifier A: hand it to B while the report is not attested.
        await f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B);
        for (const year of [2011, 2012, PREVIOUS_YEAR]) await openSteelYear(year);
      });

      it("lets verifier A verify 2011–2013 and then refuses it for 2014, while verifier B is fine", async function () {
        for (const year of [2011, 2012, PREVIOUS_YEAR]) {
          await f.c.reporting.assignVerifier(ENTITY.steelCo, year, VERIFIER_A);
        }
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_A))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierRotationRequired")
          .withArgs(ENTITY.steelCo, VERIFIER_A, 3, 3);
        expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, YEAR)).to.equal(VERIFIER_B);
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B)).to.emit(
          f.c.reporting,
          "VerifierAssigned",
        );
      });

      it("counts only consecutive years: a year with another verifier restarts the count", async function () {
        await f.c.reporting.assignVerifier(ENTITY.steelCo, 2011, VERIFIER_A);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, 2012, VERIFIER_B);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_A);
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_A)).to.emit(
          f.c.reporting,
          "VerifierAssigned",
        );
      });

      it("follows a new maximum set by the regulator", async function () {
        for (const year of [2011, 2012, PREVIOUS_YEAR]) {
          await f.c.reporting.assignVerifier(ENTITY.steelCo, year, VERIFIER_A);
        }
        await expect(f.c.reporting.setMaxConsecutiveYears(4)).to.emit(f.c.reporting, "VerifierRotationSet").withArgs(4);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_A);
        await expect(f.c.reporting.setMaxConsecutiveYears(0)).to.be.revertedWithCustomError(
          f.c.reporting,
          "ReportingInvalidRotation",
        );
        expect(await f.c.reporting.maxConsecutiveYears()).to.equal(4n);
      });

      // The run counts the years before and after the one assigned: filling a gap between runs, or
      // assigning an earlier year last, must not make a longer run than the maximum.
      it("refuses an assignment that joins earlier and later years into a run over the maximum", async function () {
        // A for 2011, 2012 and 2014; B was given 2013 …
        await f.c.reporting.assignVerifier(ENTITY.steelCo, 2011, VERIFIER_A);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, 2012, VERIFIER_A);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_B);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_A);
        // … and reassigning 2013 to A would make A verify 2011–2014, four years in a row: the run
        // around 2013 already holds 3 years (2011 and 2012 before it, 2014 after it).
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_A))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierRotationRequired")
          .withArgs(ENTITY.steelCo, VERIFIER_A, 3, 3);
        expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, PREVIOUS_YEAR)).to.equal(VERIFIER_B);
        // Under a maximum of 4 the same assignment is allowed: 2011–2014 is then exactly the maximum.
        await f.c.reporting.setMaxConsecutiveYears(4);
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_A))
          .to.emit(f.c.reporting, "VerifierAssigned")
          .withArgs(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_A);
      });

      it("refuses an earlier year assigned last that would extend a later run over the maximum", async function () {
        // A verifies 2012–2014 (three years, the maximum) …
        for (const year of [2012, PREVIOUS_YEAR, YEAR]) {
          await f.c.reporting.assignVerifier(ENTITY.steelCo, year, VERIFIER_A);
        }
        // … so A may not take 2011 as well: only the years after it are in the run.
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, 2011, VERIFIER_A))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierRotationRequired")
          .withArgs(ENTITY.steelCo, VERIFIER_A, 3, 3);
        expect(await f.c.reporting.assignedVerifier(ENTITY.steelCo, 2011)).to.equal(0n);
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, 2011, VERIFIER_B))
          .to.emit(f.c.reporting, "VerifierAssigned")
          .withArgs(ENTITY.steelCo, 2011, VERIFIER_B);
      });

      it("allows a run of exactly the maximum, whichever year of it is assigned last", async function () {
        // The middle year last: 2011 and 2013, then 2012 joins them into three years.
        await f.c.reporting.assignVerifier(ENTITY.steelCo, 2011, VERIFIER_A);
        await f.c.reporting.assignVerifier(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_A);
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, 2012, VERIFIER_A))
          .to.emit(f.c.reporting, "VerifierAssigned")
          .withArgs(ENTITY.steelCo, 2012, VERIFIER_A);
        // Reassigning a year to the verifier it already has counts the run around it, not the year itself.
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, 2012, VERIFIER_A)).to.emit(
          f.c.reporting,
          "VerifierAssigned",
        );
        // The earliest year last: B, which has 2014, takes 2013 and then 2012.
        await f.c.reporting.assignVerifier(ENTITY.steelCo, PREVIOUS_YEAR, VERIFIER_B);
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, 2012, VERIFIER_B)).to.emit(
          f.c.reporting,
          "VerifierAssigned",
        );
        // 2011 (A) stands alone now, and B's run 2012–2014 is full.
        await expect(f.c.reporting.assignVerifier(ENTITY.steelCo, 2011, VERIFIER_B))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierRotationRequired")
          .withArgs(ENTITY.steelCo, VERIFIER_B, 3, 3);
      });
    });
  });

  describe("when a verifier attests", function () {
    beforeEach(async function () {
      await submitSteel(100_000n);
    });

    it("records the verified total, statement and opinion of the assigned verifier", async function () {
      const at = await pinNextBlockTime();
      await expect(attestSteel(101_500n, Opinion.Qualified))
        .to.emit(f.c.reporting, "ReportVerified")
        .withArgs(ENTITY.steelCo, YEAR, VERIFIER_A, 1, 101_500n, STATEMENT, Opinion.Qualified, false);
      const r = await reportOfSteel();
      expect([r.status, r.verifier, r.attestedAt, r.opinion, r.verifiedTotal, r.statementHash]).to.deep.equal([
        ReportStatus.Verified,
        VERIFIER_A,
        at,
        BigInt(Opinion.Qualified),
        101_500n,
        STATEMENT,
      ]);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([false, 0n]);
    });

    it("marks an attestation after the reporting deadline late", async function () {
      await time.increaseTo(BigInt(f.schedule.reportDeadline) + 1n);
      await expect(attestSteel(100_000n))
        .to.emit(f.c.reporting, "ReportVerified")
        .withArgs(ENTITY.steelCo, YEAR, VERIFIER_A, 1, 100_000n, STATEMENT, Opinion.Positive, true);
    });

    it("refuses another accredited verifier that is not assigned", async function () {
      await expect(f.c.reporting.connect(f.verifierB).attest(ENTITY.steelCo, YEAR, 1n, STATEMENT, Opinion.Positive))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotAssignedVerifier")
        .withArgs(f.verifierB.address, ENTITY.steelCo, YEAR);
      expect((await reportOfSteel()).status).to.equal(ReportStatus.Submitted);
    });

    it("refuses the assigned verifier once its accreditation is withdrawn", async function () {
      await expect(f.c.reporting.setAccreditation(VERIFIER_A, false))
        .to.emit(f.c.reporting, "VerifierAccreditationSet")
        .withArgs(VERIFIER_A, false);
      await expect(attestSteel(100_000n))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingVerifierNotAccredited")
        .withArgs(VERIFIER_A);
      expect((await reportOfSteel()).status).to.equal(ReportStatus.Submitted);
      await f.c.reporting.setAccreditation(VERIFIER_A, true);
      await expect(attestSteel(100_000n)).to.emit(f.c.reporting, "ReportVerified");
    });

    it("refuses the regulator, the entity itself and an unregistered wallet", async function () {
      for (const who of [f.s.regulator, f.s.alice]) {
        await expect(f.c.reporting.connect(who).attest(ENTITY.steelCo, YEAR, 1n, STATEMENT, Opinion.Positive))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotAssignedVerifier")
          .withArgs(who.address, ENTITY.steelCo, YEAR);
      }
      await expect(f.c.reporting.connect(f.s.stranger).attest(ENTITY.steelCo, YEAR, 1n, STATEMENT, Opinion.Positive))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingAccountNotActive")
        .withArgs(f.s.stranger.address);
      expect((await reportOfSteel()).status).to.equal(ReportStatus.Submitted);
    });

    it("refuses a missing opinion or statement, and a report not waiting for attestation", async function () {
      await expect(
        f.c.reporting.connect(f.verifierA).attest(ENTITY.steelCo, YEAR, 1n, STATEMENT, Opinion.None),
      ).to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidOpinion");
      await expect(
        f.c.reporting.connect(f.verifierA).attest(ENTITY.steelCo, YEAR, 1n, ethers.ZeroHash, Opinion.Positive),
      )
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
        .withArgs("statementHash");
      await attestSteel(100_000n);
      await expect(attestSteel(99_000n))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNothingToAttest")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Verified);
      expect((await reportOfSteel()).verifiedTotal).to.equal(100_000n);
      // The power company has not submitted anything yet.
      await expect(f.c.reporting.connect(f.verifierB).attest(ENTITY.powerCo, YEAR, 1n, STATEMENT, Opinion.Positive))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNothingToAttest")
        .withArgs(ENTITY.powerCo, YEAR, ReportStatus.None);
    });
  });

  describe("when the regulator decides", function () {
    it("approves a verified report: the verified total, not the reported one, becomes the obligation", async function () {
      await submitSteel(100_000n);
      await attestSteel(101_500n, Opinion.Qualified);
      const at = await pinNextBlockTime();
      await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
        .to.emit(f.c.reporting, "ReportApproved")
        .withArgs(ENTITY.steelCo, YEAR, 1, 101_500n);
      const r = await reportOfSteel();
      expect([r.status, r.obligation, r.obligationSet, r.decidedAt]).to.deep.equal([
        ReportStatus.Approved,
        101_500n,
        true,
        at,
      ]);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([true, 101_500n]);
    });

    it("refuses to approve twice", async function () {
      await approveSteel(f, 100_000n);
      await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingAlreadyDecided")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Approved);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([true, 100_000n]);
    });

    it("approves only a verified report", async function () {
      await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotVerified")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.None);
      await submitSteel(100_000n);
      await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotVerified")
        .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Submitted);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([false, 0n]);
    });

    it("refuses to approve an adverse opinion, which must be returned", async function () {
      await submitSteel(100_000n);
      await attestSteel(100_000n, Opinion.Adverse);
      await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
        .to.be.revertedWithCustomError(f.c.reporting, "ReportingAdverseOpinion")
        .withArgs(ENTITY.steelCo, YEAR);
      expect((await reportOfSteel()).status).to.equal(ReportStatus.Verified);
      await expect(f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "adverse opinion"))
        .to.emit(f.c.reporting, "ReportReturned")
        .withArgs(ENTITY.steelCo, YEAR, 1, "adverse opinion");
    });

    it("lets only REGULATOR approve, return and estimate", async function () {
      await submitSteel(100_000n);
      await attestSteel(100_000n);
      await time.increaseTo(BigInt(f.schedule.reportDeadline) + 1n);
      for (const who of [f.s.alice, f.verifierA, f.s.operator]) {
        const reporting = f.c.reporting.connect(who);
        for (const call of [
          () => reporting.approve(ENTITY.steelCo, YEAR),
          () => reporting.returnReport(ENTITY.steelCo, YEAR, "no"),
          () => reporting.setEstimate(ENTITY.powerCo, YEAR, 1n, "no"),
        ]) {
          await expect(call())
            .to.be.revertedWithCustomError(f.c.reporting, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
      }
      expect((await reportOfSteel()).status).to.equal(ReportStatus.Verified);
      expect(await f.c.reporting.obligationOf(ENTITY.powerCo, YEAR)).to.deep.equal([false, 0n]);
    });

    describe("and returns a report", function () {
      it("clears the attestation and lets the entity resubmit, for the same verifier to attest again", async function () {
        await submitSteel(100_000n);
        await attestSteel(100_000n, Opinion.Qualified);
        await f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "boundary unclear");
        const r = await reportOfSteel();
        expect([r.status, r.verifier, r.attestedAt, r.opinion, r.verifiedTotal, r.statementHash]).to.deep.equal([
          ReportStatus.Returned,
          0n,
          0n,
          BigInt(Opinion.None),
          0n,
          ethers.ZeroHash,
        ]);
        await expect(f.c.reporting.approve(ENTITY.steelCo, YEAR))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotVerified")
          .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Returned);
        await expect(attestSteel(100_000n))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingNothingToAttest")
          .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Returned);

        await submitSteel(102_000n, "v2");
        await expect(attestSteel(102_000n))
          .to.emit(f.c.reporting, "ReportVerified")
          .withArgs(ENTITY.steelCo, YEAR, VERIFIER_A, 2, 102_000n, STATEMENT, Opinion.Positive, false);
        await f.c.reporting.approve(ENTITY.steelCo, YEAR);
        expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([true, 102_000n]);
      });

      it("returns a submitted report before attestation", async function () {
        await submitSteel(100_000n);
        await f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "wrong template");
        expect((await reportOfSteel()).status).to.equal(ReportStatus.Returned);
      });

      it("requires a reason, and something to return", async function () {
        await expect(f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "x"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingNothingToReturn")
          .withArgs(ENTITY.steelCo, YEAR, ReportStatus.None);
        await submitSteel(100_000n);
        await expect(f.c.reporting.returnReport(ENTITY.steelCo, YEAR, ""))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
          .withArgs("reason");
        await expect(f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "r".repeat(513)))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
          .withArgs("reason");
        expect((await reportOfSteel()).status).to.equal(ReportStatus.Submitted);
        await attestSteel(100_000n);
        await f.c.reporting.approve(ENTITY.steelCo, YEAR);
        await expect(f.c.reporting.returnReport(ENTITY.steelCo, YEAR, "too late"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingNothingToReturn")
          .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Approved);
        expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([true, 100_000n]);
      });
    });

    describe("and estimates an obligation", function () {
      it("refuses before the reporting deadline has passed", async function () {
        await time.setNextBlockTimestamp(f.schedule.reportDeadline);
        await expect(f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 350_000n, "no report"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingDeadlineNotPassed")
          .withArgs(YEAR, f.schedule.reportDeadline);
        expect(await f.c.reporting.obligationOf(ENTITY.powerCo, YEAR)).to.deep.equal([false, 0n]);
      });

      it("sets the estimate as the obligation after the deadline", async function () {
        await time.increaseTo(BigInt(f.schedule.reportDeadline) + 1n);
        await expect(f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 350_000n, "no report by 30 April"))
          .to.emit(f.c.reporting, "ObligationEstimated")
          .withArgs(ENTITY.powerCo, YEAR, 350_000n, "no report by 30 April");
        const r = await f.c.reporting.reportOf(ENTITY.powerCo, YEAR);
        expect([r.status, r.obligation, r.obligationSet]).to.deep.equal([ReportStatus.Estimated, 350_000n, true]);
        expect(await f.c.reporting.obligationOf(ENTITY.powerCo, YEAR)).to.deep.equal([true, 350_000n]);
        await expect(f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 360_000n, "again"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingAlreadyDecided")
          .withArgs(ENTITY.powerCo, YEAR, ReportStatus.Estimated);
        await expect(f.c.reporting.approve(ENTITY.powerCo, YEAR))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingAlreadyDecided")
          .withArgs(ENTITY.powerCo, YEAR, ReportStatus.Estimated);
      });

      it("refuses after approval", async function () {
        await approveSteel(f, 100_000n);
        await time.increaseTo(BigInt(f.schedule.reportDeadline) + 1n);
        await expect(f.c.reporting.setEstimate(ENTITY.steelCo, YEAR, 150_000n, "conservative"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingAlreadyDecided")
          .withArgs(ENTITY.steelCo, YEAR, ReportStatus.Approved);
        expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([true, 100_000n]);
      });

      it("requires a reason and a covered entity", async function () {
        await time.increaseTo(BigInt(f.schedule.reportDeadline) + 1n);
        await expect(f.c.reporting.setEstimate(ENTITY.powerCo, YEAR, 1n, ""))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingInvalidField")
          .withArgs("reason");
        await expect(f.c.reporting.setEstimate(ENTITY.institution, YEAR, 1n, "no report"))
          .to.be.revertedWithCustomError(f.c.reporting, "ReportingNotCovered")
          .withArgs(ENTITY.institution, YEAR);
        expect(await f.c.reporting.obligationOf(ENTITY.powerCo, YEAR)).to.deep.equal([false, 0n]);
      });
    });
  });

  describe("obligationOf", function () {
    it("is unset until the regulator decides, and follows each entity and year apart", async function () {
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([false, 0n]);
      await submitSteel(100_000n);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([false, 0n]);
      await attestSteel(100_000n);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([false, 0n]);
      await f.c.reporting.approve(ENTITY.steelCo, YEAR);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, YEAR)).to.deep.equal([true, 100_000n]);
      expect(await f.c.reporting.obligationOf(ENTITY.powerCo, YEAR)).to.deep.equal([false, 0n]);
      expect(await f.c.reporting.obligationOf(ENTITY.steelCo, NEXT_YEAR)).to.deep.equal([false, 0n]);
    });
  });
});
