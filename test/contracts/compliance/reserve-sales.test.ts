import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Result } from "ethers";
import { AccountStatus, DAY, HOUR, ref, scheduleAndExecute } from "../fixtures";
import { ALLOCATION, RESERVE, YEAR, complianceFixture, type ComplianceFixture } from "./fixtures";

/** A struct returned by a view as a plain object (deep-comparable, fields by name). */
const plain = <T extends object>(r: T): T => (r as unknown as Result).toObject() as T;

/** Cash given to each bidder: ¥1,000,000.00 in fen. */
const FUNDS = 100_000_000n;
/** The auction of these tests: 10,000 t of the YEAR reserve, reserve price ¥20.00. */
const QUANTITY = 10_000n;
const RESERVE_PRICE = 2_000n;

const AuctionState = { None: 0n, Bidding: 1n, Finalised: 2n } as const;
const Phase = { Bidding: 1, Reveal: 2, Finalised: 3 } as const;

/** The compliance fixture plus cash for alice, bob, carol (approved to the sales contract) and dave (not approved). */
async function salesFixture(): Promise<ComplianceFixture> {
  const f = await complianceFixture();
  const sales = f.manifest.contracts.ReserveSales;
  for (const [i, who] of [f.s.alice, f.s.bob, f.s.carol, f.s.dave].entries()) {
    await f.c.cash.connect(f.s.bank).deposit(who.address, FUNDS, ref(`bank-sales-${i}`));
    if (who !== f.s.dave) await f.c.cash.connect(who).approve(sales, FUNDS);
  }
  return f;
}

interface SealedBid {
  bidder: HardhatEthersSigner;
  price: bigint;
  quantity: bigint;
  escrow: bigint;
  salt: string;
}

const sealed = (
  bidder: HardhatEthersSigner,
  price: bigint,
  quantity: bigint,
  escrow: bigint,
  salt: string,
): SealedBid => ({
  bidder,
  price,
  quantity,
  escrow,
  salt: ethers.id(salt),
});

describe("ReserveSales", function () {
  let f: ComplianceFixture;
  let auctionId: bigint;
  let biddingEnds: bigint;
  let revealEnds: bigint;

  beforeEach(async function () {
    f = await loadFixture(salesFixture);
  });

  const treasury = () => f.s.regulator.address;
  const salesAddr = () => f.manifest.contracts.ReserveSales;
  const cashOf = (who: string) => f.c.cash.balanceOf(who);
  /** Cash of every party: the bidders, the treasury and the sales contract. */
  const cashState = async () => ({
    alice: await cashOf(f.s.alice.address),
    bob: await cashOf(f.s.bob.address),
    carol: await cashOf(f.s.carol.address),
    dave: await cashOf(f.s.dave.address),
    treasury: await cashOf(treasury()),
    sales: await cashOf(salesAddr()),
  });
  const total = (state: Record<string, bigint>) => Object.values(state).reduce((a, b) => a + b, 0n);
  const allowanceOf = (who: HardhatEthersSigner) => f.c.allowances.balanceOf(who.address, YEAR);

  /** Creates an auction of QUANTITY: bidding for a day, reveal for the next. */
  const createAuction = async (quantity = QUANTITY, reservePrice = RESERVE_PRICE) => {
    const now = BigInt(await time.latest());
    biddingEnds = now + BigInt(DAY);
    revealEnds = now + 2n * BigInt(DAY);
    await f.c.sales.createAuction(YEAR, quantity, reservePrice, biddingEnds, revealEnds);
    auctionId = await f.c.sales.auctionCount();
  };
  const commitmentOf = (b: SealedBid) =>
    f.c.sales.commitmentOf(auctionId, b.bidder.address, b.price, b.quantity, b.salt);
  /** Commits `b` with its escrow and returns its bid id. */
  const commit = async (b: SealedBid): Promise<bigint> => {
    await f.c.sales.connect(b.bidder).commitBid(auctionId, await commitmentOf(b), b.escrow);
    return (await f.c.sales.auction(auctionId)).bids;
  };
  const reveal = (b: SealedBid, bidId: bigint) =>
    f.c.sales.connect(b.bidder).revealBid(auctionId, bidId, b.price, b.quantity, b.salt);
  /** Everything a rejected call could have changed. */
  const auctionState = async () => ({
    cash: await cashState(),
    auction: plain(await f.c.sales.auction(auctionId)),
    bids: await Promise.all([1n, 2n, 3n].map(async (id) => plain(await f.c.sales.bid(auctionId, id)))),
    reserveRemaining: await f.c.allocation.reserveRemaining(YEAR),
    issued: await f.c.allowances.issued(YEAR),
  });

  describe("commitmentOf", function () {
    it("is keccak256(abi.encode(auctionId, bidder, price, quantity, salt))", async function () {
      const salt = ethers.id("alice's salt");
      const expected = ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["uint256", "address", "uint256", "uint256", "bytes32"],
          [7n, f.s.alice.address, 2_345n, 1_000n, salt],
        ),
      );
      expect(await f.c.sales.commitmentOf(7n, f.s.alice.address, 2_345n, 1_000n, salt)).to.equal(expected);
      // Every field is bound.
      expect(await f.c.sales.commitmentOf(8n, f.s.alice.address, 2_345n, 1_000n, salt)).to.not.equal(expected);
      expect(await f.c.sales.commitmentOf(7n, f.s.bob.address, 2_345n, 1_000n, salt)).to.not.equal(expected);
      expect(await f.c.sales.commitmentOf(7n, f.s.alice.address, 2_345n, 1_001n, salt)).to.not.equal(expected);
    });
  });

  describe("createAuction", function () {
    it("draws the quantity from the reserve and opens bidding, with AuctionCreated", async function () {
      const now = BigInt(await time.latest());
      await expect(f.c.sales.createAuction(YEAR, QUANTITY, RESERVE_PRICE, now + 100n, now + 200n))
        .to.emit(f.c.sales, "AuctionCreated")
        .withArgs(1n, YEAR, QUANTITY, RESERVE_PRICE, now + 100n, now + 200n);
      expect(await f.c.sales.auctionCount()).to.equal(1n);
      const a = await f.c.sales.auction(1n);
      expect([a.vintage, a.state, a.quantity, a.reservePrice, a.biddingEnds, a.revealEnds, a.bids]).to.deep.equal([
        BigInt(YEAR),
        AuctionState.Bidding,
        QUANTITY,
        RESERVE_PRICE,
        now + 100n,
        now + 200n,
        0n,
      ]);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - QUANTITY);
      // Nothing is minted before settlement.
      expect(await f.c.allowances.issued(YEAR)).to.equal(ALLOCATION.steel + ALLOCATION.power);
    });

    it("refuses invalid parameters and more than the reserve holds, and changes nothing", async function () {
      const now = BigInt(await time.latest());
      const create = (quantity: bigint, price: bigint, ends: bigint, reveals: bigint) =>
        f.c.sales.createAuction(YEAR, quantity, price, ends, reveals);
      for (const [q, p, e, r] of [
        [0n, RESERVE_PRICE, now + 100n, now + 200n],
        [QUANTITY, 0n, now + 100n, now + 200n],
        [QUANTITY, RESERVE_PRICE, now, now + 200n],
        [QUANTITY, RESERVE_PRICE, now + 100n, now + 100n],
      ] as const) {
        await expect(create(q, p, e, r)).to.be.revertedWithCustomError(f.c.sales, "SalesInvalidParameters");
      }
      await expect(create(RESERVE + 1n, RESERVE_PRICE, now + 100n, now + 200n))
        .to.be.revertedWithCustomError(f.c.allocation, "AllocationReserveExhausted")
        .withArgs(YEAR, RESERVE + 1n, RESERVE);
      expect(await f.c.sales.auctionCount()).to.equal(0n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE);
    });

    it("is refused to anyone but the regulator", async function () {
      const now = BigInt(await time.latest());
      await expect(f.c.sales.connect(f.s.exchange).createAuction(YEAR, QUANTITY, RESERVE_PRICE, now + 100n, now + 200n))
        .to.be.revertedWithCustomError(f.c.sales, "AccessManagedUnauthorized")
        .withArgs(f.s.exchange.address);
    });
  });

  describe("when bidding is open", function () {
    beforeEach(async function () {
      await createAuction();
    });

    it("takes a sealed bid and escrows its cash, with BidCommitted", async function () {
      const b = sealed(f.s.alice, 2_500n, 1_000n, 3_000_000n, "a");
      const before = await cashState();
      await expect(f.c.sales.connect(f.s.alice).commitBid(auctionId, await commitmentOf(b), b.escrow))
        .to.emit(f.c.sales, "BidCommitted")
        .withArgs(auctionId, 1n, f.s.alice.address, 3_000_000n);
      expect(await cashState()).to.deep.equal({
        ...before,
        alice: before.alice - 3_000_000n,
        sales: before.sales + 3_000_000n,
      });
      const bid = await f.c.sales.bid(auctionId, 1n);
      expect([
        bid.bidder,
        bid.commitment,
        bid.escrow,
        bid.price,
        bid.quantity,
        bid.revealed,
        bid.settled,
      ]).to.deep.equal([f.s.alice.address, await commitmentOf(b), 3_000_000n, 0n, 0n, false, false]);
      expect((await f.c.sales.auction(auctionId)).bids).to.equal(1n);
    });

    it("refuses a bid without escrow, and changes nothing", async function () {
      const before = await auctionState();
      const commitment = await commitmentOf(sealed(f.s.alice, 2_500n, 1_000n, 0n, "a"));
      await expect(f.c.sales.connect(f.s.alice).commitBid(auctionId, commitment, 0n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesEscrowMissing")
        .withArgs(f.s.alice.address, 0n, 0n);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses a bid whose bidder did not approve the sales contract, and changes nothing", async function () {
      const before = await auctionState();
      const commitment = await commitmentOf(sealed(f.s.dave, 2_500n, 1_000n, 2_500_000n, "d"));
      await expect(f.c.sales.connect(f.s.dave).commitBid(auctionId, commitment, 2_500_000n))
        .to.be.revertedWithCustomError(f.c.cash, "ERC20InsufficientAllowance")
        .withArgs(salesAddr(), 0n, 2_500_000n);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses a bid whose cash would not arrive at once (the contract no longer a clearing house)", async function () {
      await f.c.registry.setClearingHouse(salesAddr(), false);
      const before = await auctionState();
      const pending = await f.c.cash.pendingTransferCount();
      const commitment = await commitmentOf(sealed(f.s.alice, 2_500n, 1_000n, 2_500_000n, "a"));
      await expect(f.c.sales.connect(f.s.alice).commitBid(auctionId, commitment, 2_500_000n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesEscrowMissing")
        .withArgs(f.s.alice.address, 2_500_000n, 0n);
      expect(await auctionState()).to.deep.equal(before);
      expect(await f.c.cash.pendingTransferCount()).to.equal(pending);
    });

    it("refuses a bidder without an active account", async function () {
      const commitment = ethers.id("anything");
      await expect(f.c.sales.connect(f.s.stranger).commitBid(auctionId, commitment, 1n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesAccountNotActive")
        .withArgs(f.s.stranger.address);
      await f.c.registry.connect(f.s.operator).freeze(f.s.carol.address);
      const before = await auctionState();
      await expect(f.c.sales.connect(f.s.carol).commitBid(auctionId, commitment, 1n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesAccountNotActive")
        .withArgs(f.s.carol.address);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses an unknown auction", async function () {
      await expect(f.c.sales.connect(f.s.alice).commitBid(99n, ethers.id("x"), 1n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesUnknownAuction")
        .withArgs(99n);
    });

    it("refuses reveal, finalisation and settlement until their phases", async function () {
      const b = sealed(f.s.alice, 2_500n, 1_000n, 2_500_000n, "a");
      const bidId = await commit(b);
      const before = await auctionState();
      await expect(reveal(b, bidId))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Reveal);
      await expect(f.c.sales.finalise(auctionId))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Finalised);
      await expect(f.c.sales.settleBid(auctionId, bidId))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Finalised);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("closes bidding at biddingEnds", async function () {
      await time.increaseTo(biddingEnds - 2n);
      await commit(sealed(f.s.alice, 2_500n, 1_000n, 2_500_000n, "a")); // mined at biddingEnds − 1
      const before = await auctionState();
      await expect(f.c.sales.connect(f.s.bob).commitBid(auctionId, ethers.id("late"), 1_000n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Bidding);
      expect(await auctionState()).to.deep.equal(before);
    });
  });

  describe("when bids are revealed", function () {
    const bids = () => ({
      alice: sealed(f.s.alice, 2_500n, 1_000n, 2_600_000n, "alice"),
      low: sealed(f.s.bob, 1_999n, 1_000n, 2_000_000n, "bob"),
      thin: sealed(f.s.carol, 2_500n, 1_000n, 2_499_999n, "carol"),
    });
    let ids: bigint[];

    beforeEach(async function () {
      await createAuction();
      const { alice, low, thin } = bids();
      ids = [await commit(alice), await commit(low), await commit(thin)];
      await time.increaseTo(biddingEnds);
    });

    it("records a bid that matches its commitment, with BidRevealed", async function () {
      await expect(reveal(bids().alice, ids[0]!))
        .to.emit(f.c.sales, "BidRevealed")
        .withArgs(auctionId, 1n, f.s.alice.address, 2_500n, 1_000n);
      const bid = await f.c.sales.bid(auctionId, 1n);
      expect([bid.price, bid.quantity, bid.revealed, bid.escrow]).to.deep.equal([2_500n, 1_000n, true, 2_600_000n]);
      expect((await f.c.sales.auction(auctionId)).revealed).to.equal(1n);
    });

    it("refuses a price below the reserve price with SalesBidBelowReserve, and changes nothing", async function () {
      const before = await auctionState();
      await expect(reveal(bids().low, ids[1]!))
        .to.be.revertedWithCustomError(f.c.sales, "SalesBidBelowReserve")
        .withArgs(1_999n, RESERVE_PRICE);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses a reveal that does not match the commitment, and changes nothing", async function () {
      const before = await auctionState();
      const b = bids().alice;
      for (const wrong of [
        { ...b, salt: ethers.id("other salt") },
        { ...b, quantity: 999n },
        { ...b, price: 2_501n },
      ]) {
        await expect(reveal(wrong, ids[0]!))
          .to.be.revertedWithCustomError(f.c.sales, "SalesCommitmentMismatch")
          .withArgs(auctionId, ids[0]!);
      }
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses a bid its escrow does not cover with SalesEscrowInsufficient, and changes nothing", async function () {
      const before = await auctionState();
      await expect(reveal(bids().thin, ids[2]!))
        .to.be.revertedWithCustomError(f.c.sales, "SalesEscrowInsufficient")
        .withArgs(2_500_000n, 2_499_999n);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses a reveal by someone other than the bidder, a second reveal and an unknown bid", async function () {
      const b = bids().alice;
      await expect(f.c.sales.connect(f.s.bob).revealBid(auctionId, ids[0]!, b.price, b.quantity, b.salt))
        .to.be.revertedWithCustomError(f.c.sales, "SalesNotBidder")
        .withArgs(auctionId, ids[0]!, f.s.bob.address);
      await reveal(b, ids[0]!);
      const before = await auctionState();
      await expect(reveal(b, ids[0]!))
        .to.be.revertedWithCustomError(f.c.sales, "SalesBidAlreadyRevealed")
        .withArgs(auctionId, ids[0]!);
      await expect(reveal(b, 9n)).to.be.revertedWithCustomError(f.c.sales, "SalesUnknownBid").withArgs(auctionId, 9n);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("refuses a zero quantity", async function () {
      // A second auction, to commit a zero-quantity bid during its bidding phase.
      await createAuction();
      const zero = sealed(f.s.alice, 2_500n, 0n, 1n, "zero");
      const bidId = await commit(zero);
      await time.increaseTo(biddingEnds);
      await expect(reveal(zero, bidId)).to.be.revertedWithCustomError(f.c.sales, "SalesInvalidParameters");
    });

    it("refuses new bids and finalisation during the reveal phase", async function () {
      const before = await auctionState();
      await expect(f.c.sales.connect(f.s.alice).commitBid(auctionId, ethers.id("x"), 1n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Bidding);
      await expect(f.c.sales.finalise(auctionId))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Finalised);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("closes the reveal phase at revealEnds", async function () {
      await time.increaseTo(revealEnds);
      const before = await auctionState();
      await expect(reveal(bids().alice, ids[0]!))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Reveal);
      expect(await auctionState()).to.deep.equal(before);
    });
  });

  describe("when bids fall above, at and below the clearing price", function () {
    // 10,000 t offered. At ¥30.00 alice wants 4,000 (filled in full); at ¥25.00 bob wants 5,000 and
    // carol 2,000 for the 6,000 left (pro rata: ⌊5,000 × 6,000 / 7,000⌋ = 4,285 and
    // ⌊2,000 × 6,000 / 7,000⌋ = 1,714, one tonne left over); at ¥22.00 alice's second bid gets
    // nothing. Carol's second bid is never revealed: its escrow is forfeited to the treasury.
    const book = () => [
      sealed(f.s.alice, 3_000n, 4_000n, 12_000_000n, "alice-1"), // above: escrow exactly price × quantity
      sealed(f.s.bob, 2_500n, 5_000n, 13_000_000n, "bob-1"), // at, escrow over the bid
      sealed(f.s.carol, 2_500n, 2_000n, 5_000_000n, "carol-1"), // at
      sealed(f.s.alice, 2_200n, 3_000n, 7_000_000n, "alice-2"), // below
      sealed(f.s.carol, 2_800n, 1_000n, 1_000_000n, "carol-2"), // never revealed
    ];
    const CLEARING = 2_500n;
    const won = [4_000n, 4_285n, 1_714n, 0n, 0n];
    const paid = won.map((q) => q * CLEARING);
    const escrows = [12_000_000n, 13_000_000n, 5_000_000n, 7_000_000n, 1_000_000n];
    /** What each bid's settlement sends the treasury: the cost of what it won, or a forfeited escrow. */
    const toTreasury = [...paid.slice(0, 4), escrows[4]!];
    const refunds = [...escrows.slice(0, 4).map((e, i) => e - paid[i]!), 0n];
    const SOLD = 9_999n;
    let cashBefore: Awaited<ReturnType<typeof cashState>>;

    beforeEach(async function () {
      await createAuction();
      cashBefore = await cashState();
      const b = book();
      for (const bid of b) await commit(bid);
      await time.increaseTo(biddingEnds);
      for (const [i, bid] of b.slice(0, 4).entries()) await reveal(bid, BigInt(i + 1));
      await time.increaseTo(revealEnds);
    });

    it("holds every escrow until settlement", async function () {
      expect(await cashOf(salesAddr())).to.equal(38_000_000n);
    });

    it("fixes the clearing price at the lowest accepted bid and shares the margin pro rata", async function () {
      await expect(f.c.sales.connect(f.s.stranger).finalise(auctionId))
        .to.emit(f.c.sales, "AuctionFinalised")
        .withArgs(auctionId, CLEARING, SOLD, 1n, 7_000n, 6_000n);
      const a = await f.c.sales.auction(auctionId);
      expect([a.state, a.clearingPrice, a.sold, a.marginalDemand, a.marginalSupply, a.revealed]).to.deep.equal([
        AuctionState.Finalised,
        CLEARING,
        SOLD,
        7_000n,
        6_000n,
        4n,
      ]);
      // The tonne the floors leave over goes back to the reserve.
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - QUANTITY + 1n);
      for (const [i, q] of won.entries()) {
        const [quantity, cost] = await f.c.sales.allocationOf(auctionId, BigInt(i + 1));
        expect([quantity, cost], `bid ${i + 1}`).to.deep.equal([q, paid[i]]);
      }
    });

    it("refuses a second finalisation", async function () {
      await f.c.sales.finalise(auctionId);
      await expect(f.c.sales.finalise(auctionId))
        .to.be.revertedWithCustomError(f.c.sales, "SalesWrongPhase")
        .withArgs(auctionId, Phase.Finalised);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - QUANTITY + 1n);
    });

    describe("and every bid is settled", function () {
      beforeEach(async function () {
        await f.c.sales.finalise(auctionId);
      });

      it("mints what each won, pays the treasury the clearing price and refunds the rest to the fen", async function () {
        const bidders = book().map((b) => b.bidder);
        const units = { alice: await allowanceOf(f.s.alice), bob: await allowanceOf(f.s.bob), carol: 0n };
        for (const [i, bidder] of bidders.entries()) {
          const bidId = BigInt(i + 1);
          const held = await cashOf(bidder.address);
          const tx = f.c.sales.connect(f.s.stranger).settleBid(auctionId, bidId);
          await expect(tx)
            .to.emit(f.c.sales, "BidSettled")
            .withArgs(auctionId, bidId, bidder.address, won[i], toTreasury[i], refunds[i]);
          expect(await cashOf(bidder.address), `refund of bid ${bidId}`).to.equal(held + refunds[i]!);
          if (won[i]! > 0n) {
            await expect(tx)
              .to.emit(f.c.allowances, "TransferSingle")
              .withArgs(salesAddr(), ethers.ZeroAddress, bidder.address, YEAR, won[i]);
          } else {
            await expect(tx).not.to.emit(f.c.allowances, "TransferSingle");
          }
          if (toTreasury[i]! > 0n) {
            await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), treasury(), toTreasury[i]);
          }
          if (refunds[i]! > 0n) {
            await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), bidder.address, refunds[i]);
          }
          expect((await f.c.sales.bid(auctionId, bidId)).settled).to.equal(true);
        }

        expect(await allowanceOf(f.s.alice)).to.equal(units.alice + 4_000n);
        expect(await allowanceOf(f.s.bob)).to.equal(units.bob + 4_285n);
        expect(await allowanceOf(f.s.carol)).to.equal(1_714n);
        expect(await f.c.allowances.issued(YEAR)).to.equal(ALLOCATION.steel + ALLOCATION.power + SOLD);

        const after = await cashState();
        // The treasury gets exactly Σ won × clearing price = 9,999 × 2,500 fen, plus carol's forfeited
        // escrow of 1,000,000 fen.
        expect(after.treasury - cashBefore.treasury).to.equal(24_997_500n + 1_000_000n);
        // Each bidder is down exactly what it won × the clearing price, and carol her unrevealed bid's escrow.
        expect(cashBefore.alice - after.alice).to.equal(10_000_000n);
        expect(cashBefore.bob - after.bob).to.equal(10_712_500n);
        expect(cashBefore.carol - after.carol).to.equal(4_285_000n + 1_000_000n);
        expect(after.sales).to.equal(0n);
        expect(total(after)).to.equal(total(cashBefore));
      });

      it("refuses to settle a bid twice, and changes nothing", async function () {
        await f.c.sales.settleBid(auctionId, 2n);
        const before = await auctionState();
        const units = await allowanceOf(f.s.bob);
        await expect(f.c.sales.settleBid(auctionId, 2n))
          .to.be.revertedWithCustomError(f.c.sales, "SalesBidAlreadySettled")
          .withArgs(auctionId, 2n);
        expect(await auctionState()).to.deep.equal(before);
        expect(await allowanceOf(f.s.bob)).to.equal(units);
        await expect(f.c.sales.settleBid(auctionId, 6n))
          .to.be.revertedWithCustomError(f.c.sales, "SalesUnknownBid")
          .withArgs(auctionId, 6n);
      });
    });
  });

  describe("when the auction is undersubscribed", function () {
    beforeEach(async function () {
      await createAuction();
      const b = [sealed(f.s.alice, 2_400n, 3_000n, 7_500_000n, "a"), sealed(f.s.bob, 2_100n, 2_000n, 4_200_000n, "b")];
      for (const bid of b) await commit(bid);
      await time.increaseTo(biddingEnds);
      for (const [i, bid] of b.entries()) await reveal(bid, BigInt(i + 1));
      await time.increaseTo(revealEnds);
    });

    it("clears at the lowest bid, fills every bid and returns the unsold units to the reserve", async function () {
      await expect(f.c.sales.finalise(auctionId))
        .to.emit(f.c.sales, "AuctionFinalised")
        .withArgs(auctionId, 2_100n, 5_000n, 5_000n, 2_000n, 2_000n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - QUANTITY + 5_000n);
      const before = await cashState();
      await expect(f.c.sales.settleBid(auctionId, 1n))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, 1n, f.s.alice.address, 3_000n, 6_300_000n, 1_200_000n);
      await expect(f.c.sales.settleBid(auctionId, 2n))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, 2n, f.s.bob.address, 2_000n, 4_200_000n, 0n);
      const after = await cashState();
      expect(after.treasury - before.treasury).to.equal(10_500_000n);
      expect(after.alice - before.alice).to.equal(1_200_000n);
      expect(after.bob).to.equal(before.bob);
      expect(after.sales).to.equal(0n);
      expect(await f.c.allowances.issued(YEAR)).to.equal(ALLOCATION.steel + ALLOCATION.power + 5_000n);
    });
  });

  describe("when no bid is revealed", function () {
    beforeEach(async function () {
      await createAuction();
    });

    it("sells nothing and returns the whole quantity to the reserve when there are no bids at all", async function () {
      await time.increaseTo(revealEnds);
      await expect(f.c.sales.finalise(auctionId))
        .to.emit(f.c.sales, "AuctionFinalised")
        .withArgs(auctionId, 0n, 0n, QUANTITY, 0n, 0n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE);
      expect((await f.c.sales.auction(auctionId)).state).to.equal(AuctionState.Finalised);
    });

    // A bid not revealed is a bid bond forfeited: otherwise a bidder could commit several bids and
    // reveal only those that suit it once others' reveals are public.
    it("forfeits the escrow of unrevealed bids to the treasury, to the fen, and mints nothing", async function () {
      const before = await cashState();
      await commit(sealed(f.s.alice, 2_500n, 1_000n, 2_500_001n, "a"));
      await commit(sealed(f.s.carol, 3_000n, 500n, 1_800_000n, "c"));
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      expect(await cashOf(salesAddr())).to.equal(4_300_001n);
      const first = f.c.sales.connect(f.s.stranger).settleBid(auctionId, 1n);
      await expect(first)
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, 1n, f.s.alice.address, 0n, 2_500_001n, 0n);
      await expect(first).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), treasury(), 2_500_001n);
      await expect(first).not.to.emit(f.c.allowances, "TransferSingle");
      const second = f.c.sales.settleBid(auctionId, 2n);
      await expect(second)
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, 2n, f.s.carol.address, 0n, 1_800_000n, 0n);
      await expect(second).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), treasury(), 1_800_000n);
      expect(await cashState()).to.deep.equal({
        ...before,
        alice: before.alice - 2_500_001n,
        carol: before.carol - 1_800_000n,
        treasury: before.treasury + 4_300_001n,
      });
      expect(await cashOf(salesAddr())).to.equal(0n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE);
      expect(await f.c.allowances.issued(YEAR)).to.equal(ALLOCATION.steel + ALLOCATION.power);
      expect(await allowanceOf(f.s.carol)).to.equal(0n);
      // Forfeited once: a second settlement is refused.
      await expect(f.c.sales.settleBid(auctionId, 1n))
        .to.be.revertedWithCustomError(f.c.sales, "SalesBidAlreadySettled")
        .withArgs(auctionId, 1n);
      expect(await cashOf(treasury())).to.equal(before.treasury + 4_300_001n);
    });

    it("forfeits an unrevealed bid beside a revealed one of the same bidder, which is settled as usual", async function () {
      // Alice commits two bids and reveals only the lower: the other's escrow is lost, whatever it was.
      const low = sealed(f.s.alice, 2_100n, 1_000n, 2_100_000n, "low");
      const high = sealed(f.s.alice, 9_000n, 1_000n, 9_000_000n, "high");
      const before = await cashState();
      const lowId = await commit(low);
      const highId = await commit(high);
      await time.increaseTo(biddingEnds);
      await reveal(low, lowId);
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      await expect(f.c.sales.settleBid(auctionId, lowId))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, lowId, f.s.alice.address, 1_000n, 2_100_000n, 0n);
      await expect(f.c.sales.settleBid(auctionId, highId))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, highId, f.s.alice.address, 0n, 9_000_000n, 0n);
      const after = await cashState();
      expect(before.alice - after.alice).to.equal(11_100_000n);
      expect(after.treasury - before.treasury).to.equal(11_100_000n);
      expect(after.sales).to.equal(0n);
      expect(total(after)).to.equal(total(before));
    });
  });

  describe("when the margin's pro-rata shares all round down to nothing", function () {
    it("sells nothing at the margin and returns the units to the reserve", async function () {
      await createAuction(1n);
      const b = [sealed(f.s.alice, 2_500n, 1n, 2_500n, "a"), sealed(f.s.bob, 2_500n, 1n, 2_500n, "b")];
      for (const bid of b) await commit(bid);
      await time.increaseTo(biddingEnds);
      for (const [i, bid] of b.entries()) await reveal(bid, BigInt(i + 1));
      await time.increaseTo(revealEnds);
      await expect(f.c.sales.finalise(auctionId))
        .to.emit(f.c.sales, "AuctionFinalised")
        .withArgs(auctionId, 2_500n, 0n, 1n, 2n, 1n);
      await expect(f.c.sales.settleBid(auctionId, 1n))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, 1n, f.s.alice.address, 0n, 0n, 2_500n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE);
    });
  });

  describe("when a bidder's wallet is recovered", function () {
    // Carol (the institution's only wallet) bids 1,000 t at ¥25.00 with ¥30,000.00 of escrow, alone:
    // she wins 1,000 t at ¥25.00 and gets ¥5,000.00 back.
    const carolsBid = () => sealed(f.s.carol, 2_500n, 1_000n, 3_000_000n, "carol");
    let bidId: bigint;

    /** Carol's key is lost: recovery closes her wallet and moves its holdings to spare2. */
    const recoverCarol = async () => {
      const data = f.c.registry.interface.encodeFunctionData("recover", [f.s.carol.address, f.s.spare2.address]);
      await scheduleAndExecute(f, f.c.registry, data);
      expect((await f.c.registry.accountOf(f.s.carol.address)).status).to.equal(BigInt(AccountStatus.Closed));
      expect(await cashOf(f.s.spare2.address)).to.equal(FUNDS - 3_000_000n);
    };

    /** Moves to `t` unless the recovery's delay has already taken the chain past it. */
    const reach = async (t: bigint) => {
      if (BigInt(await time.latest()) < t) await time.increaseTo(t);
    };

    beforeEach(async function () {
      await createAuction();
      bidId = await commit(carolsBid());
    });

    it("after the reveal, pays the units and the refund to the entity's new wallet, to the fen", async function () {
      await time.increaseTo(biddingEnds);
      await reveal(carolsBid(), bidId);
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      expect(await f.c.sales.allocationOf(auctionId, bidId)).to.deep.equal([1_000n, 2_500_000n]);
      await recoverCarol();
      const before = await cashState();
      const spare2 = await cashOf(f.s.spare2.address);

      const tx = f.c.sales.connect(f.s.stranger).settleBid(auctionId, bidId);
      await expect(tx)
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, bidId, f.s.spare2.address, 1_000n, 2_500_000n, 500_000n);
      await expect(tx)
        .to.emit(f.c.allowances, "TransferSingle")
        .withArgs(salesAddr(), ethers.ZeroAddress, f.s.spare2.address, YEAR, 1_000n);
      await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), treasury(), 2_500_000n);
      await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), f.s.spare2.address, 500_000n);
      expect(await allowanceOf(f.s.spare2)).to.equal(1_000n);
      expect(await allowanceOf(f.s.carol)).to.equal(0n);
      expect(await cashOf(f.s.spare2.address)).to.equal(spare2 + 500_000n);
      const after = await cashState();
      expect(after).to.deep.equal({ ...before, carol: 0n, treasury: before.treasury + 2_500_000n, sales: 0n });
      expect(before.carol).to.equal(0n);
      expect((await f.c.sales.bid(auctionId, bidId)).settled).to.equal(true);
    });

    it("lets the entity's new wallet reveal the bid, in the old bidder's name", async function () {
      await recoverCarol();
      await reach(biddingEnds);
      expect(BigInt(await time.latest())).to.be.lessThan(revealEnds - 10n);
      const b = carolsBid();
      // The commitment binds the bidder's address: the new wallet reveals with the old one's.
      await expect(f.c.sales.connect(f.s.spare2).revealBid(auctionId, bidId, b.price, b.quantity, b.salt))
        .to.emit(f.c.sales, "BidRevealed")
        .withArgs(auctionId, bidId, f.s.carol.address, 2_500n, 1_000n);
      const bid = await f.c.sales.bid(auctionId, bidId);
      expect([bid.bidder, bid.price, bid.quantity, bid.revealed]).to.deep.equal([
        f.s.carol.address,
        2_500n,
        1_000n,
        true,
      ]);
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      await expect(f.c.sales.settleBid(auctionId, bidId))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, bidId, f.s.spare2.address, 1_000n, 2_500_000n, 500_000n);
      expect(await allowanceOf(f.s.spare2)).to.equal(1_000n);
    });

    it("still refuses a reveal by a wallet of another entity, and a wrong commitment from the new wallet", async function () {
      await recoverCarol();
      await reach(biddingEnds);
      expect(BigInt(await time.latest())).to.be.lessThan(revealEnds - 10n);
      const b = carolsBid();
      const before = await auctionState();
      await expect(f.c.sales.connect(f.s.bob).revealBid(auctionId, bidId, b.price, b.quantity, b.salt))
        .to.be.revertedWithCustomError(f.c.sales, "SalesNotBidder")
        .withArgs(auctionId, bidId, f.s.bob.address);
      await expect(f.c.sales.connect(f.s.stranger).revealBid(auctionId, bidId, b.price, b.quantity, b.salt))
        .to.be.revertedWithCustomError(f.c.sales, "SalesNotBidder")
        .withArgs(auctionId, bidId, f.s.stranger.address);
      await expect(f.c.sales.connect(f.s.spare2).revealBid(auctionId, bidId, b.price, 999n, b.salt))
        .to.be.revertedWithCustomError(f.c.sales, "SalesCommitmentMismatch")
        .withArgs(auctionId, bidId);
      // A frozen wallet of the entity may not reveal for it either.
      await f.c.registry.connect(f.s.operator).freeze(f.s.spare2.address);
      await expect(f.c.sales.connect(f.s.spare2).revealBid(auctionId, bidId, b.price, b.quantity, b.salt))
        .to.be.revertedWithCustomError(f.c.sales, "SalesNotBidder")
        .withArgs(auctionId, bidId, f.s.spare2.address);
      expect(await auctionState()).to.deep.equal(before);
    });

    it("forfeits an unrevealed bid's escrow to the treasury, naming the new wallet as payee", async function () {
      await recoverCarol();
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      const before = await cashState();
      const spare2 = await cashOf(f.s.spare2.address);
      await expect(f.c.sales.settleBid(auctionId, bidId))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, bidId, f.s.spare2.address, 0n, 3_000_000n, 0n);
      expect(await cashState()).to.deep.equal({ ...before, treasury: before.treasury + 3_000_000n, sales: 0n });
      expect(await cashOf(f.s.spare2.address)).to.equal(spare2);
      expect(await allowanceOf(f.s.spare2)).to.equal(0n);
    });

    it("waits, while no wallet of the entity is active, until one is", async function () {
      await time.increaseTo(biddingEnds);
      await reveal(carolsBid(), bidId);
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      await recoverCarol();
      await f.c.registry.connect(f.s.operator).freeze(f.s.spare2.address);
      // With no active wallet the bidder's own (closed) wallet is named, which cannot receive.
      await expect(f.c.sales.settleBid(auctionId, bidId))
        .to.be.revertedWithCustomError(f.c.allowances, "TokenAccountNotActive")
        .withArgs(f.s.carol.address, AccountStatus.Closed);
      expect(await cashOf(salesAddr())).to.equal(3_000_000n);
      expect((await f.c.sales.bid(auctionId, bidId)).settled).to.equal(false);
      await f.c.registry.connect(f.s.operator).unfreeze(f.s.spare2.address);
      await expect(f.c.sales.settleBid(auctionId, bidId))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, bidId, f.s.spare2.address, 1_000n, 2_500_000n, 500_000n);
    });
  });

  describe("when a bid is revealed by another active wallet of the bidder's entity", function () {
    it("records it in the bidder's name and settles it to the bidder", async function () {
      await createAuction();
      const b = sealed(f.s.alice, 2_500n, 1_000n, 2_500_000n, "alice");
      const bidId = await commit(b);
      await time.increaseTo(biddingEnds);
      await expect(f.c.sales.connect(f.s.alice2).revealBid(auctionId, bidId, b.price, b.quantity, b.salt))
        .to.emit(f.c.sales, "BidRevealed")
        .withArgs(auctionId, bidId, f.s.alice.address, 2_500n, 1_000n);
      await time.increaseTo(revealEnds);
      await f.c.sales.finalise(auctionId);
      const units = await allowanceOf(f.s.alice);
      // Alice's wallet is active: it stays the payee.
      await expect(f.c.sales.settleBid(auctionId, bidId))
        .to.emit(f.c.sales, "BidSettled")
        .withArgs(auctionId, bidId, f.s.alice.address, 1_000n, 2_500_000n, 0n);
      expect(await allowanceOf(f.s.alice)).to.equal(units + 1_000n);
      expect(await allowanceOf(f.s.alice2)).to.equal(0n);
    });
  });

  describe("fixed-price sales", function () {
    const PRICE = 2_400n;
    const SIZE = 1_000n;
    const LIMIT = 600n;
    let saleId: bigint;
    let opensAt: bigint;
    let closesAt: bigint;

    const createSale = async (maxPerBuyer = LIMIT) => {
      const now = BigInt(await time.latest());
      opensAt = now + BigInt(HOUR);
      closesAt = now + BigInt(DAY);
      await f.c.sales.createFixedSale(YEAR, SIZE, PRICE, opensAt, closesAt, maxPerBuyer);
      saleId = await f.c.sales.fixedSaleCount();
    };
    const buy = (who: HardhatEthersSigner, quantity: bigint) => f.c.sales.connect(who).buy(saleId, quantity);
    const saleState = async () => ({
      cash: await cashState(),
      sale: plain(await f.c.sales.fixedSale(saleId)),
      bought: await Promise.all([f.s.alice, f.s.bob, f.s.carol].map((w) => f.c.sales.boughtIn(saleId, w.address))),
      reserveRemaining: await f.c.allocation.reserveRemaining(YEAR),
      issued: await f.c.allowances.issued(YEAR),
    });

    it("draws the quantity from the reserve, with FixedSaleCreated", async function () {
      const now = BigInt(await time.latest());
      await expect(f.c.sales.createFixedSale(YEAR, SIZE, PRICE, now + 10n, now + 20n, LIMIT))
        .to.emit(f.c.sales, "FixedSaleCreated")
        .withArgs(1n, YEAR, SIZE, PRICE, now + 10n, now + 20n, LIMIT);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - SIZE);
      const s = await f.c.sales.fixedSale(1n);
      expect([s.vintage, s.closed, s.quantity, s.price, s.maxPerBuyer, s.sold]).to.deep.equal([
        BigInt(YEAR),
        false,
        SIZE,
        PRICE,
        LIMIT,
        0n,
      ]);
    });

    it("refuses invalid parameters", async function () {
      const now = BigInt(await time.latest());
      for (const [q, p, o, c] of [
        [0n, PRICE, now, now + 20n],
        [SIZE, 0n, now, now + 20n],
        [SIZE, PRICE, now + 20n, now + 20n],
        [SIZE, PRICE, now - 20n, now],
      ] as const) {
        await expect(f.c.sales.createFixedSale(YEAR, q, p, o, c, 0n)).to.be.revertedWithCustomError(
          f.c.sales,
          "SalesInvalidParameters",
        );
      }
      expect(await f.c.sales.fixedSaleCount()).to.equal(0n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE);
    });

    describe("with a per-buyer limit", function () {
      beforeEach(async function () {
        await createSale();
      });

      it("refuses purchases before the window opens, and changes nothing", async function () {
        const before = await saleState();
        await expect(buy(f.s.alice, 1n)).to.be.revertedWithCustomError(f.c.sales, "SalesSaleNotOpen").withArgs(saleId);
        expect(await saleState()).to.deep.equal(before);
      });

      describe("once the window is open", function () {
        beforeEach(async function () {
          await time.increaseTo(opensAt);
        });

        it("sells at the price: cash to the treasury, allowances to the buyer", async function () {
          const before = await saleState();
          const units = await allowanceOf(f.s.alice);
          const tx = buy(f.s.alice, 400n);
          await expect(tx).to.emit(f.c.sales, "FixedSalePurchase").withArgs(saleId, f.s.alice.address, 400n, 960_000n);
          await expect(tx)
            .to.emit(f.c.allowances, "TransferSingle")
            .withArgs(salesAddr(), ethers.ZeroAddress, f.s.alice.address, YEAR, 400n);
          await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(salesAddr(), treasury(), 960_000n);
          const after = await saleState();
          expect(after.cash).to.deep.equal({
            ...before.cash,
            alice: before.cash.alice - 960_000n,
            treasury: before.cash.treasury + 960_000n,
          });
          expect(after.cash.sales).to.equal(0n);
          expect(await allowanceOf(f.s.alice)).to.equal(units + 400n);
          expect(after.bought).to.deep.equal([400n, 0n, 0n]);
          expect(after.sale.sold).to.equal(400n);
          expect(after.issued).to.equal(before.issued + 400n);
        });

        it("refuses more than the per-buyer limit, naming what is left to the buyer", async function () {
          await buy(f.s.alice, 400n);
          const before = await saleState();
          await expect(buy(f.s.alice, 201n))
            .to.be.revertedWithCustomError(f.c.sales, "SalesQuantityUnavailable")
            .withArgs(saleId, 201n, 200n);
          expect(await saleState()).to.deep.equal(before);
          await buy(f.s.alice, 200n);
          await expect(buy(f.s.alice, 1n))
            .to.be.revertedWithCustomError(f.c.sales, "SalesQuantityUnavailable")
            .withArgs(saleId, 1n, 0n);
          // The limit is per buyer: bob may still buy.
          await expect(buy(f.s.bob, 1n)).to.emit(f.c.sales, "FixedSalePurchase");
        });

        it("refuses more than is left once nearly sold out, then anything once sold out", async function () {
          await buy(f.s.alice, LIMIT);
          const before = await saleState();
          await expect(buy(f.s.bob, 401n))
            .to.be.revertedWithCustomError(f.c.sales, "SalesQuantityUnavailable")
            .withArgs(saleId, 401n, 400n);
          expect(await saleState()).to.deep.equal(before);
          await buy(f.s.bob, 400n);
          const soldOut = await saleState();
          await expect(buy(f.s.carol, 1n))
            .to.be.revertedWithCustomError(f.c.sales, "SalesQuantityUnavailable")
            .withArgs(saleId, 1n, 0n);
          expect(await saleState()).to.deep.equal(soldOut);
          expect(soldOut.sale.sold).to.equal(SIZE);
          expect(soldOut.cash.treasury - before.cash.treasury).to.equal(400n * PRICE);
        });

        it("refuses a zero quantity, a buyer without an active account or without approval, and an unknown sale", async function () {
          const before = await saleState();
          await expect(buy(f.s.alice, 0n)).to.be.revertedWithCustomError(f.c.sales, "SalesInvalidParameters");
          await expect(buy(f.s.stranger, 1n))
            .to.be.revertedWithCustomError(f.c.sales, "SalesAccountNotActive")
            .withArgs(f.s.stranger.address);
          await expect(buy(f.s.dave, 1n))
            .to.be.revertedWithCustomError(f.c.cash, "ERC20InsufficientAllowance")
            .withArgs(salesAddr(), 0n, PRICE);
          await expect(f.c.sales.connect(f.s.alice).buy(9n, 1n))
            .to.be.revertedWithCustomError(f.c.sales, "SalesUnknownSale")
            .withArgs(9n);
          expect(await saleState()).to.deep.equal(before);
        });

        it("refuses to close before the window ends", async function () {
          await expect(f.c.sales.closeFixedSale(saleId))
            .to.be.revertedWithCustomError(f.c.sales, "SalesSaleNotOpen")
            .withArgs(saleId);
        });

        describe("when the window has ended", function () {
          beforeEach(async function () {
            await buy(f.s.alice, 250n);
            await time.increaseTo(closesAt);
          });

          it("refuses purchases, and changes nothing", async function () {
            const before = await saleState();
            await expect(buy(f.s.bob, 1n))
              .to.be.revertedWithCustomError(f.c.sales, "SalesSaleNotOpen")
              .withArgs(saleId);
            expect(await saleState()).to.deep.equal(before);
          });

          it("closes (anyone may) and returns the unsold units to the reserve, once", async function () {
            await expect(f.c.sales.connect(f.s.stranger).closeFixedSale(saleId))
              .to.emit(f.c.sales, "FixedSaleClosed")
              .withArgs(saleId, 250n, 750n);
            expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - 250n);
            expect((await f.c.sales.fixedSale(saleId)).closed).to.equal(true);
            await expect(f.c.sales.closeFixedSale(saleId))
              .to.be.revertedWithCustomError(f.c.sales, "SalesSaleNotOpen")
              .withArgs(saleId);
            expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - 250n);
          });
        });
      });
    });

    it("without a per-buyer limit, sells everything to one buyer", async function () {
      await createSale(0n);
      await time.increaseTo(opensAt);
      await expect(buy(f.s.carol, SIZE))
        .to.emit(f.c.sales, "FixedSalePurchase")
        .withArgs(saleId, f.s.carol.address, SIZE, SIZE * PRICE);
      expect(await allowanceOf(f.s.carol)).to.equal(SIZE);
      await time.increaseTo(closesAt);
      await expect(f.c.sales.closeFixedSale(saleId)).to.emit(f.c.sales, "FixedSaleClosed").withArgs(saleId, SIZE, 0n);
      expect(await f.c.allocation.reserveRemaining(YEAR)).to.equal(RESERVE - SIZE);
    });
  });

  describe("setTreasury", function () {
    it("sends later proceeds to the new treasury, and refuses the zero address", async function () {
      expect(await f.c.sales.treasury()).to.equal(f.s.regulator.address);
      await expect(f.c.sales.setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.c.sales,
        "SalesInvalidTreasury",
      );
      await expect(f.c.sales.setTreasury(f.s.alice2.address))
        .to.emit(f.c.sales, "TreasurySet")
        .withArgs(f.s.alice2.address);
      const now = BigInt(await time.latest());
      await f.c.sales.createFixedSale(YEAR, 10n, 100n, now, now + 100n, 0n);
      await f.c.sales.connect(f.s.bob).buy(1n, 10n);
      expect(await cashOf(f.s.alice2.address)).to.equal(1_000n);
      await expect(f.c.sales.connect(f.s.alice).setTreasury(f.s.alice.address))
        .to.be.revertedWithCustomError(f.c.sales, "AccessManagedUnauthorized")
        .withArgs(f.s.alice.address);
    });

    it("refuses a treasury that is not an active registry account: unregistered, frozen or closed", async function () {
      await f.c.registry.connect(f.s.operator).freeze(f.s.carol.address);
      await f.c.registry.connect(f.s.operator).close(f.s.alice2.address);
      for (const who of [f.s.stranger, f.s.carol, f.s.alice2]) {
        await expect(f.c.sales.setTreasury(who.address)).to.be.revertedWithCustomError(
          f.c.sales,
          "SalesInvalidTreasury",
        );
      }
      expect(await f.c.sales.treasury()).to.equal(f.s.regulator.address);
      // Sales go on, paying the treasury in place.
      const now = BigInt(await time.latest());
      await f.c.sales.createFixedSale(YEAR, 10n, 100n, now, now + 100n, 0n);
      const before = await cashOf(treasury());
      await expect(f.c.sales.connect(f.s.bob).buy(1n, 10n)).to.emit(f.c.sales, "FixedSalePurchase");
      expect(await cashOf(treasury())).to.equal(before + 1_000n);
      // Unfrozen, carol's account may be the treasury.
      await f.c.registry.connect(f.s.operator).unfreeze(f.s.carol.address);
      await expect(f.c.sales.setTreasury(f.s.carol.address))
        .to.emit(f.c.sales, "TreasurySet")
        .withArgs(f.s.carol.address);
    });
  });
});
