import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  batchEligibility,
  bidCommitment,
  bidOfSecret,
  bidsOf,
  checkAttestation,
  checkBid,
  checkBuy,
  checkCancellation,
  checkReportSubmission,
  checkReveal,
  checkSurrender,
  newSalt,
  parseUnitItem,
  parseYear,
  readAuction,
  readBidSecrets,
  readPosition,
  saveBidSecret,
  type BidSecret,
  type UnitItems,
} from "../../sdk/compliance";
import { allErrorCodes } from "../../sdk/client-errors";
import { DomainError, toDomainError } from "../../sdk/errors";
import { ENTITY, ref } from "../contracts/fixtures";
import {
  BATCH,
  Opinion,
  VERIFIER_B,
  YEAR,
  approveSteel,
  complianceFixture,
  hashOf,
  pastSurrenderDeadline,
  planHash,
  tianjinRules,
  type ComplianceFixture,
} from "../contracts/compliance/fixtures";

/** The DomainError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    return err instanceof DomainError ? err : toDomainError(err);
  }
  return expect.fail("expected a rejection");
}

/** The DomainError a function throws. */
function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DomainError);
    return err as DomainError;
  }
  return expect.fail("expected a DomainError");
}

const items = (vintages: [number, bigint][], batches: [bigint, bigint][] = []): UnitItems => ({
  vintages: vintages.map(([id, amount]) => ({ id: BigInt(id), amount })),
  batches: batches.map(([id, amount]) => ({ id, amount })),
});

describe("sdk/compliance", function () {
  let f: ComplianceFixture;

  beforeEach(async function () {
    f = await loadFixture(complianceFixture);
  });

  /**
   * A surrender refused before sending gives the code the contract's own revert decodes to (the
   * contract is asked with a static call, so nothing changes).
   */
  async function refusedLikeTheContract(who: HardhatEthersSigner, year: number, plan: UnitItems): Promise<DomainError> {
    const early = await rejection(checkSurrender(f.c, who.address, year, plan));
    const late = await rejection(
      f.c.compliance.connect(who).surrender.staticCall(
        year,
        plan.vintages.map((i) => i.id),
        plan.vintages.map((i) => i.amount),
        plan.batches.map((i) => i.id),
        plan.batches.map((i) => i.amount),
      ),
    );
    expect(early.code, `${early.message} / the contract: ${late.message}`).to.equal(late.code);
    expect(allErrorCodes().has(early.code)).to.equal(true);
    return early;
  }

  /** Issues vintage 2013 to the steel company (alice) through the allocation contract: units to bank. */
  async function issue2013(amount: bigint): Promise<void> {
    await f.c.allocation.setCap(2013, amount * 2n, 0);
    await f.c.allocation.registerPlan(2013, hashOf("inputs-2013"), planHash([[ENTITY.steelCo, amount]]), 1, amount, "");
    await f.c.allocation.issue(2013, [{ entityId: ENTITY.steelCo, wallet: f.s.alice.address, amount }]);
  }

  describe("input", function () {
    it("parses <vintage>:<tonnes> and <batch>:<tonnes>, with the contract's code for 0 t", function () {
      expect(parseUnitItem("vintage", "TJEA13:1000")).to.deep.equal({ id: 2013n, amount: 1000n });
      expect(parseUnitItem("ccer", "CCER-3:50")).to.deep.equal({ id: 3n, amount: 50n });
      expect(thrown(() => parseUnitItem("vintage", "2014")).code).to.equal("INVALID_VINTAGE");
      expect(thrown(() => parseUnitItem("ccer", "x:5")).code).to.equal("INVALID_BATCH_ID");
      expect(thrown(() => parseUnitItem("ccer", "3:0")).code).to.equal("ZERO_UNITS");
      expect(thrown(() => parseUnitItem("vintage", "2014:1.5")).code).to.equal("AMOUNT_NOT_WHOLE");
      expect(thrown(() => parseYear("14")).code).to.equal("INVALID_YEAR");
      expect(parseYear("2014")).to.equal(2014);
    });
  });

  describe("positions", function () {
    it("reads an entity-year before and after the obligation, with the CCER cap left", async function () {
      const before = await readPosition(f.c, ENTITY.steelCo, YEAR);
      expect(before).to.deep.include({
        covered: true,
        yearState: "open",
        status: "open",
        obligationSet: false,
        offsetCap: 0n,
        owed: 0n,
      });
      await approveSteel(f, 100_001n);
      await f.c.compliance.connect(f.s.alice).surrender(YEAR, [YEAR], [40_000n], [BATCH.wind], [4_000n]);
      const after = await readPosition(f.c, ENTITY.steelCo, YEAR);
      expect(after).to.deep.include({
        obligationSet: true,
        obligation: 100_001n,
        allowancesSurrendered: 40_000n,
        offsetsSurrendered: 4_000n,
        surrendered: 44_000n,
        offsetCapBps: 1_000,
        offsetCap: 10_000n, // floor of 10 % of 100,001 t
        offsetCapLeft: 6_000n,
        owed: 56_001n,
        status: "open",
      });
      const outsider = await readPosition(f.c, ENTITY.institution, YEAR);
      expect(outsider).to.deep.include({ covered: false, status: "none" });
    });
  });

  describe("eligibility of a batch under a year's rules", function () {
    it("gives the contract's answer and the reason in words", async function () {
      const wind = await batchEligibility(f.c, YEAR, BATCH.wind);
      expect(wind).to.deep.include({ eligible: true, reason: "eligible" });
      const hydro = await batchEligibility(f.c, YEAR, BATCH.hydro);
      expect(hydro).to.deep.include({ eligible: false, reason: "hydro" });
      expect(hydro.words).to.match(/CCER batch 2 .*hydropower project, which 2014's rules exclude/);
      const early = await batchEligibility(f.c, YEAR, BATCH.early);
      expect(early.reason).to.equal("reduction-too-early");
      expect(early.words).to.contain("reductions from 2012-01-01, before 2013-01-01");
      expect((await batchEligibility(f.c, YEAR, 99n)).words).to.equal("There is no CCER batch 99.");

      await f.c.compliance.setOffsetRules(YEAR, tianjinRules({ excludedTypes: [ethers.id("methane recovery")] }));
      const excluded = await batchEligibility(f.c, YEAR, BATCH.methane);
      expect(excluded).to.deep.include({ eligible: false, reason: "type-excluded" });
      expect(excluded.words).to.contain('project type "methane recovery", which 2014\'s rules exclude');
      await f.c.compliance.setOffsetRules(YEAR, tianjinRules({ allowedTypes: [ethers.id("wind")] }));
      expect((await batchEligibility(f.c, YEAR, BATCH.methane)).reason).to.equal("type-not-allowed");
    });
  });

  describe("surrender plan check", function () {
    describe("before the obligation is fixed", function () {
      it("refuses as the contract does: items, year, holder, coverage, obligation", async function () {
        const { alice, stranger, carol } = f.s;
        expect((await refusedLikeTheContract(alice, YEAR, items([]))).code).to.equal("INVALID_ITEMS");
        expect((await refusedLikeTheContract(alice, YEAR, items([[YEAR, 0n]]))).code).to.equal("ZERO_UNITS");
        expect((await refusedLikeTheContract(alice, 2015, items([[YEAR, 1n]]))).code).to.equal(
          "COMPLIANCE_YEAR_NOT_OPEN",
        );
        expect((await refusedLikeTheContract(stranger, YEAR, items([[YEAR, 1n]]))).code).to.equal(
          "HOLDER_NOT_REGISTERED",
        );
        expect((await refusedLikeTheContract(carol, YEAR, items([[YEAR, 1n]]))).code).to.equal("NOT_COVERED_FOR_YEAR");
        expect((await refusedLikeTheContract(alice, YEAR, items([[YEAR, 1n]]))).code).to.equal("OBLIGATION_NOT_SET");
      });
    });

    describe("once the obligation is fixed", function () {
      beforeEach(async function () {
        await approveSteel(f, 100_000n);
      });

      it("accepts banking (an earlier vintage) and eligible CCER within the cap", async function () {
        await issue2013(5_000n);
        const plan = items(
          [
            [2013, 5_000n],
            [YEAR, 80_000n],
          ],
          [[BATCH.wind, 10_000n]],
        );
        const check = await checkSurrender(f.c, f.s.alice.address, YEAR, plan);
        expect(check).to.deep.include({ entityId: ENTITY.steelCo, allowances: 85_000n, offsets: 10_000n });
        await f.c.compliance
          .connect(f.s.alice)
          .surrender(YEAR, [2013, YEAR], [5_000n, 80_000n], [BATCH.wind], [10_000n]);
        expect(await readPosition(f.c, ENTITY.steelCo, YEAR)).to.deep.include({ owed: 5_000n, offsetCapLeft: 0n });
      });

      it("refuses borrowing, ineligible batches, the cap and more than the obligation as the contract does", async function () {
        const { alice } = f.s;
        const borrow = await refusedLikeTheContract(alice, YEAR, items([[2015, 1n]]));
        expect(borrow.code).to.equal("BORROWING_NOT_ALLOWED");
        expect(borrow.message).to.contain("vintage 2015 (TJEA15) cannot be surrendered for 2014");
        const hydro = await refusedLikeTheContract(alice, YEAR, items([], [[BATCH.hydro, 1n]]));
        expect(hydro.code).to.equal("OFFSET_NOT_ELIGIBLE");
        expect(hydro.message).to.contain("hydropower");
        expect(hydro.details.reason).to.equal("hydro");
        expect((await refusedLikeTheContract(alice, YEAR, items([], [[BATCH.early, 1n]]))).code).to.equal(
          "OFFSET_NOT_ELIGIBLE",
        );
        expect((await refusedLikeTheContract(alice, YEAR, items([], [[99n, 1n]]))).code).to.equal(
          "OFFSET_NOT_ELIGIBLE",
        );
        const cap = await refusedLikeTheContract(
          alice,
          YEAR,
          items(
            [],
            [
              [BATCH.wind, 6_000n],
              [BATCH.methane, 4_001n],
            ],
          ),
        );
        expect(cap.code).to.equal("OFFSET_CAP_EXCEEDED");
        expect(cap.message).to.contain("at most 10,000 t").and.to.contain("10,001 t asked");
        const beyond = await refusedLikeTheContract(alice, YEAR, items([[YEAR, 100_001n]]));
        expect(beyond.code).to.equal("SURRENDER_EXCEEDS_OBLIGATION");
        expect(beyond.message).to.contain("100,000 t are still owed");
      });

      it("refuses units not issued, not held or locked by pending transfers as the burns do", async function () {
        const { alice, alice2, carol } = f.s;
        expect((await refusedLikeTheContract(alice, YEAR, items([[2013, 1n]]))).code).to.equal("VINTAGE_NOT_FOUND");
        // alice2 is an account of the same entity that holds nothing.
        expect((await refusedLikeTheContract(alice2, YEAR, items([[YEAR, 10n]]))).code).to.equal(
          "INSUFFICIENT_BALANCE",
        );
        // A vintage named twice counts twice: alice2 gets 5,000 t (same entity: immediate) and names 3,000 t twice.
        await f.c.allowances.connect(alice).safeTransferFrom(alice.address, alice2.address, YEAR, 5_000n, "0x");
        const twice = items([
          [YEAR, 3_000n],
          [YEAR, 3_000n],
        ]);
        expect((await refusedLikeTheContract(alice2, YEAR, twice)).code).to.equal("INSUFFICIENT_BALANCE");
        await f.c.allowances.connect(alice).safeTransferFrom(alice.address, carol.address, YEAR, 150_000n, "0x");
        const locked = await refusedLikeTheContract(alice, YEAR, items([[YEAR, 60_000n]]));
        expect(locked.code).to.equal("BALANCE_LOCKED_BY_PENDING");
      });

      it("refuses once the regulator has begun closing the year", async function () {
        await pastSurrenderDeadline(f);
        await f.c.compliance.closeYear(YEAR, 1); // the steel company's result only
        const closing = await refusedLikeTheContract(f.s.bob, YEAR, items([[YEAR, 1n]]));
        expect(closing.code).to.equal("COMPLIANCE_YEAR_CLOSED");
        expect(closing.message).to.contain("begun closing");
      });
    });
  });

  describe("cancellation check", function () {
    it("refuses as the contract does and accepts any vintage or batch held", async function () {
      const { alice, stranger } = f.s;
      const texts = { beneficiary: "Tianjin Marathon 2014", purpose: "carbon-neutral event" };
      const same = async (who: HardhatEthersSigner, plan: UnitItems, t = texts) => {
        const early = await rejection(checkCancellation(f.c, who.address, plan, t));
        const late = await rejection(
          f.c.compliance.connect(who).cancelUnits.staticCall(
            plan.vintages.map((i) => i.id),
            plan.vintages.map((i) => i.amount),
            plan.batches.map((i) => i.id),
            plan.batches.map((i) => i.amount),
            t.beneficiary,
            t.purpose,
          ),
        );
        expect(early.code).to.equal(late.code);
        return early.code;
      };
      expect(await same(alice, items([]))).to.equal("INVALID_ITEMS");
      expect(await same(alice, items([[YEAR, 1n]]), { ...texts, beneficiary: "" })).to.equal("INVALID_TEXT");
      expect(await same(alice, items([[YEAR, 1n]]), { ...texts, purpose: "税".repeat(86) })).to.equal("INVALID_TEXT");
      expect(await same(stranger, items([[YEAR, 1n]]))).to.equal("ACCOUNT_NOT_ACTIVE");
      await f.c.registry.connect(f.s.operator).freeze(f.s.dave.address);
      expect(await same(f.s.dave, items([[YEAR, 1n]]))).to.equal("ACCOUNT_NOT_ACTIVE");
      await f.c.rules.suspend("emergency drill");
      expect(await same(alice, items([[YEAR, 1n]]))).to.equal("CANCELLATION_SUSPENDED");
      await f.c.rules.resume();
      expect(await same(alice, items([], [[BATCH.hydro, BigInt(1e9)]]))).to.equal("INSUFFICIENT_BALANCE");
      // Hydro and early batches may be cancelled voluntarily: eligibility is for surrender only.
      const ok = await checkCancellation(f.c, alice.address, items([[YEAR, 10n]], [[BATCH.hydro, 5n]]), texts);
      expect(ok).to.deep.equal({ entityId: ENTITY.steelCo, allowances: 10n, offsets: 5n });
    });
  });

  describe("report checks", function () {
    const hashes = { contentHash: hashOf("report"), documentHash: hashOf("doc"), uri: "" };

    it("refuses a submission as the contract does, and a report of another entity with a client code", async function () {
      const { alice, stranger, carol } = f.s;
      const same = async (who: HardhatEthersSigner, year: number, entityId: bigint, h = hashes) => {
        const early = await rejection(
          checkReportSubmission(f.c, who.address, { year, reportEntityId: entityId, ...h }),
        );
        const late = await rejection(
          f.c.reporting.connect(who).submitReport.staticCall(year, 1n, h.contentHash, h.documentHash, h.uri),
        );
        expect(early.code).to.equal(late.code);
        return early.code;
      };
      expect(await same(stranger, YEAR, 1n)).to.equal("ACCOUNT_NOT_ACTIVE");
      expect(await same(alice, 2015, ENTITY.steelCo)).to.equal("YEAR_NOT_OPEN");
      expect(await same(carol, YEAR, ENTITY.institution)).to.equal("NOT_COVERED");
      expect(await same(alice, YEAR, ENTITY.steelCo, { ...hashes, uri: "x".repeat(513) })).to.equal("INVALID_FIELD");
      const mismatch = await rejection(
        checkReportSubmission(f.c, alice.address, { year: YEAR, reportEntityId: ENTITY.powerCo, ...hashes }),
      );
      expect(mismatch.code).to.equal("REPORT_ENTITY_MISMATCH");
      expect(mismatch.message).to.contain(`entity ${ENTITY.powerCo}'s`).and.to.contain(`entity ${ENTITY.steelCo}`);
      await approveSteel(f, 1_000n);
      expect(await same(alice, YEAR, ENTITY.steelCo)).to.equal("REPORT_LOCKED");
    });

    it("refuses an attestation as the contract does", async function () {
      const same = async (who: HardhatEthersSigner, statement: string) => {
        const early = await rejection(checkAttestation(f.c, who.address, ENTITY.steelCo, YEAR, statement));
        const late = await rejection(
          f.c.reporting.connect(who).attest.staticCall(ENTITY.steelCo, YEAR, 1n, statement, Opinion.Positive),
        );
        expect(early.code).to.equal(late.code);
        return early;
      };
      expect((await same(f.verifierA, hashOf("statement"))).code).to.equal("NOTHING_TO_ATTEST");
      await f.c.reporting.connect(f.s.alice).submitReport(YEAR, 1_000n, hashOf("r"), hashOf("d"), "");
      const other = await same(f.verifierB, hashOf("statement"));
      expect(other.code).to.equal("NOT_ASSIGNED_VERIFIER");
      expect(other.message).to.contain(`entity ${VERIFIER_B}`);
      expect((await same(f.verifierA, ethers.ZeroHash)).code).to.equal("INVALID_FIELD");
      const report = await checkAttestation(f.c, f.verifierA.address, ENTITY.steelCo, YEAR, hashOf("statement"));
      expect(report.versions.map((v) => v.reportedTotal)).to.deep.equal([1_000n]);
    });
  });

  describe("auctions and sales", function () {
    const PRICE = 2_500n; // ¥25.00 a tonne
    let auctionId: bigint;
    let biddingEnds: bigint;

    beforeEach(async function () {
      const now = BigInt(await time.latest());
      biddingEnds = now + 3_600n;
      await f.c.sales.createAuction(YEAR, 1_000n, 2_000n, biddingEnds, biddingEnds + 3_600n);
      auctionId = await f.c.sales.auctionCount();
      await f.c.cash.connect(f.s.bank).deposit(f.s.bob.address, 10_000_000n, ref("bank-sdk-1"));
    });

    it("computes the commitment as the contract does", async function () {
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt({ min: 1n, max: 2n ** 64n }),
          fc.bigInt({ min: 0n, max: 2n ** 64n }),
          fc.bigInt({ min: 0n, max: 2n ** 64n }),
          async (id, price, quantity) => {
            const salt = newSalt();
            expect(bidCommitment(id, f.s.bob.address, price, quantity, salt)).to.equal(
              await f.c.sales.commitmentOf(id, f.s.bob.address, price, quantity, salt),
            );
          },
        ),
        { numRuns: 20 },
      );
    });

    it("checks a bid before commit and a reveal as the contract does", async function () {
      const { bob, stranger, carol } = f.s;
      const now = BigInt(await time.latest()) + 1n;
      const bid = { auctionId, price: PRICE, quantity: 100n, escrow: PRICE * 100n };
      expect((await rejection(checkBid(f.c, bob.address, { ...bid, auctionId: 9n }, now))).code).to.equal(
        "UNKNOWN_AUCTION",
      );
      expect((await rejection(checkBid(f.c, stranger.address, bid, now))).code).to.equal("BIDDER_NOT_ACTIVE");
      expect((await rejection(checkBid(f.c, bob.address, { ...bid, price: 1_999n }, now))).code).to.equal(
        "BID_BELOW_RESERVE",
      );
      expect((await rejection(checkBid(f.c, bob.address, { ...bid, escrow: bid.escrow - 1n }, now))).code).to.equal(
        "ESCROW_INSUFFICIENT",
      );
      expect((await rejection(checkBid(f.c, carol.address, bid, now))).code).to.equal("INSUFFICIENT_BALANCE");
      expect((await rejection(checkBid(f.c, bob.address, bid, biddingEnds))).code).to.equal("AUCTION_WRONG_PHASE");
      await checkBid(f.c, bob.address, bid, now);

      const salt = newSalt();
      const commitment = bidCommitment(auctionId, bob.address, PRICE, 100n, salt);
      await f.c.cash.connect(bob).approve(await f.c.sales.getAddress(), bid.escrow);
      await f.c.sales.connect(bob).commitBid(auctionId, commitment, bid.escrow);
      const a = await readAuction(f.c, auctionId);
      const secret = { bidId: 1n, price: PRICE, quantity: 100n, salt };
      const sameAtReveal = async (who: HardhatEthersSigner, s: typeof secret, at: bigint) => {
        const early = await rejection(checkReveal(f.c, who.address, a, s, at));
        const late = await rejection(
          f.c.sales.connect(who).revealBid.staticCall(auctionId, s.bidId, s.price, s.quantity, s.salt),
        );
        return [early.code, late.code];
      };
      expect((await rejection(checkReveal(f.c, bob.address, a, secret, now))).code).to.equal("AUCTION_WRONG_PHASE");
      await time.increaseTo(biddingEnds);
      const at = biddingEnds + 1n;
      for (const [who, s, code] of [
        [carol, secret, "NOT_BIDDER"],
        [bob, { ...secret, bidId: 2n }, "UNKNOWN_BID"],
        [bob, { ...secret, price: PRICE + 1n }, "COMMITMENT_MISMATCH"],
      ] as const) {
        const [early, late] = await sameAtReveal(who, s, at);
        expect([early, late]).to.deep.equal([code, code]);
      }
      expect((await checkReveal(f.c, bob.address, a, secret, at)).bidId).to.equal(1n);
    });

    it("stores bid secrets readable by their owner only, and finds their bid without its id", async function () {
      const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ets-bids-")), "bids");
      const { bob } = f.s;
      const salt = newSalt();
      const secret: BidSecret = {
        schema: "ets-bid-secret/1",
        chainId: "31337",
        sales: await f.c.sales.getAddress(),
        auctionId,
        bidder: bob.address,
        price: PRICE,
        quantity: 10n,
        salt,
        commitment: bidCommitment(auctionId, bob.address, PRICE, 10n, salt),
        escrow: PRICE * 10n,
        createdAt: new Date().toISOString(),
      };
      const file = await saveBidSecret(dir, secret);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
      const filter = { chainId: "31337", sales: secret.sales, auctionId, bidder: bob.address };
      expect(readBidSecrets(dir, filter).map((s) => s.secret)).to.deep.equal([secret]);
      expect(readBidSecrets(dir, { ...filter, bidder: f.s.alice.address })).to.deep.equal([]);

      // Not on chain yet: no bid matches. Once committed, its bid is found by commitment.
      const a0 = await readAuction(f.c, auctionId);
      expect(await bidOfSecret(f.c, a0, secret)).to.equal(undefined);
      await f.c.cash.connect(bob).approve(secret.sales, secret.escrow);
      await f.c.sales.connect(bob).commitBid(auctionId, secret.commitment, secret.escrow);
      const a1 = await readAuction(f.c, auctionId);
      expect((await bidOfSecret(f.c, a1, secret))?.bidId).to.equal(1n);
      expect((await bidsOf(f.c, a1, bob.address)).map((b) => b.escrow)).to.deep.equal([secret.escrow]);
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    });

    it("checks a fixed-price purchase as the contract does", async function () {
      const { bob } = f.s;
      const now = BigInt(await time.latest());
      await f.c.sales.createFixedSale(YEAR, 500n, 3_000n, now, now + 3_600n, 300n);
      const same = async (saleId: bigint, quantity: bigint) => {
        const early = await rejection(checkBuy(f.c, bob.address, saleId, quantity, now + 1n));
        const late = await rejection(f.c.sales.connect(bob).buy.staticCall(saleId, quantity));
        expect(early.code).to.equal(late.code);
        return early;
      };
      expect((await same(7n, 1n)).code).to.equal("UNKNOWN_SALE");
      const over = await same(1n, 301n);
      expect(over.code).to.equal("SALE_QUANTITY_UNAVAILABLE");
      expect(over.message).to.contain("300 t left").and.to.contain("at most 300 t per buyer");
      expect(await checkBuy(f.c, bob.address, 1n, 300n, now + 1n)).to.deep.include({ cost: 900_000n });
    });
  });
});
