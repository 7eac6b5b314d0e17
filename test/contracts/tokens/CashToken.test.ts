import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { AccountStatus, ISSUED, fundedFixture, ref, type RegistryFixture } from "../fixtures";
import { shouldBehaveLikeGuardedToken } from "./GuardedToken.behavior";
import { cashSubject } from "./subjects";

describe("CashToken", function () {
  shouldBehaveLikeGuardedToken(cashSubject);

  describe("settlement money", function () {
    let f: RegistryFixture;
    beforeEach(async function () {
      f = await loadFixture(fundedFixture);
    });

    /** Balances of the accounts these tests touch, the supply, and the references used. */
    const state = async () => ({
      alice: await f.c.cash.balanceOf(f.s.alice.address),
      carol: await f.c.cash.balanceOf(f.s.carol.address),
      supply: await f.c.cash.totalSupply(),
    });

    it("is kept in fen (2 decimals)", async function () {
      expect(await f.c.cash.decimals()).to.equal(2n);
      expect(await f.c.cash.symbol()).to.equal("eCNY");
    });

    describe("when the clearing bank attests a deposit", function () {
      it("mints the fen to the account and records the bank reference", async function () {
        const { c, s } = f;
        const bankRef = ref("ICBC-20150601-77");
        const tx = c.cash.connect(s.bank).deposit(s.carol.address, 12_345n, bankRef);
        await expect(tx).to.emit(c.cash, "CashDeposited").withArgs(s.carol.address, 12_345n, bankRef);
        await expect(tx).to.emit(c.cash, "Transfer").withArgs(ethers.ZeroAddress, s.carol.address, 12_345n);
        expect(await c.cash.balanceOf(s.carol.address)).to.equal(12_345n);
        expect(await c.cash.referenceUsed(bankRef)).to.equal(true);
      });

      it("refuses a bank reference used before, and changes nothing", async function () {
        const before = await state();
        await expect(f.c.cash.connect(f.s.bank).deposit(f.s.carol.address, 1n, ref("bank-0001")))
          .to.be.revertedWithCustomError(f.c.cash, "CashInvalidBankReference")
          .withArgs(ref("bank-0001"));
        expect(await state()).to.deep.equal(before);
      });

      it("refuses an empty bank reference, and changes nothing", async function () {
        const before = await state();
        await expect(f.c.cash.connect(f.s.bank).deposit(f.s.carol.address, 1n, ethers.ZeroHash))
          .to.be.revertedWithCustomError(f.c.cash, "CashInvalidBankReference")
          .withArgs(ethers.ZeroHash);
        expect(await state()).to.deep.equal(before);
      });

      it("refuses a zero amount without using up the reference", async function () {
        await expect(
          f.c.cash.connect(f.s.bank).deposit(f.s.carol.address, 0n, ref("bank-0099")),
        ).to.be.revertedWithCustomError(f.c.cash, "TokenZeroAmount");
        expect(await f.c.cash.referenceUsed(ref("bank-0099"))).to.equal(false);
      });

      it("may only be attested by CLEARING_BANK", async function () {
        for (const who of [f.s.regulator, f.s.exchange, f.s.alice]) {
          await expect(f.c.cash.connect(who).deposit(who.address, 1n, ref("forged")))
            .to.be.revertedWithCustomError(f.c.cash, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await f.c.cash.referenceUsed(ref("forged"))).to.equal(false);
      });
    });

    describe("when a holder withdraws", function () {
      it("burns the fen and records the payout reference", async function () {
        const { c, s } = f;
        const payoutRef = ref("payout-1");
        const tx = c.cash.connect(s.alice).withdraw(10_000n, payoutRef);
        await expect(tx).to.emit(c.cash, "CashWithdrawn").withArgs(s.alice.address, 10_000n, payoutRef);
        await expect(tx).to.emit(c.cash, "Transfer").withArgs(s.alice.address, ethers.ZeroAddress, 10_000n);
        expect(await c.cash.balanceOf(s.alice.address)).to.equal(ISSUED.cash - 10_000n);
        expect(await c.cash.totalSupply()).to.equal(2n * ISSUED.cash - 10_000n);
        expect(await c.cash.payoutReferenceUsed(s.alice.address, payoutRef)).to.equal(true);
      });

      it("refuses a payout reference the holder used before, or an empty one, and changes nothing", async function () {
        await f.c.cash.connect(f.s.alice).withdraw(1n, ref("payout-1"));
        const before = await state();
        await expect(f.c.cash.connect(f.s.alice).withdraw(1n, ref("payout-1")))
          .to.be.revertedWithCustomError(f.c.cash, "CashInvalidPayoutReference")
          .withArgs(f.s.alice.address, ref("payout-1"));
        await expect(f.c.cash.connect(f.s.alice).withdraw(1n, ethers.ZeroHash))
          .to.be.revertedWithCustomError(f.c.cash, "CashInvalidPayoutReference")
          .withArgs(f.s.alice.address, ethers.ZeroHash);
        expect(await state()).to.deep.equal(before);
      });

      it("cannot use up a bank reference before the clearing bank's deposit", async function () {
        const { c, s } = f;
        const upcoming = ref("ICBC-20150602-01");
        await c.cash.connect(s.alice).withdraw(1n, upcoming);
        await c.cash.connect(s.bank).deposit(s.carol.address, 500n, upcoming);
        expect(await c.cash.balanceOf(s.carol.address)).to.equal(500n);
        // …and one holder's payout reference does not block another's.
        await c.cash.connect(s.bob).withdraw(1n, upcoming);
      });

      it("refuses a frozen account: its cash stays in the scheme, and nothing changes", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
        const before = await state();
        await expect(f.c.cash.connect(f.s.alice).withdraw(1n, ref("payout-2")))
          .to.be.revertedWithCustomError(f.c.cash, "TokenAccountNotActive")
          .withArgs(f.s.alice.address, AccountStatus.Frozen);
        expect(await state()).to.deep.equal(before);
        expect(await f.c.cash.payoutReferenceUsed(f.s.alice.address, ref("payout-2"))).to.equal(false);
      });
    });

    describe("when a spender moves fen with the holder's ERC-20 allowance", function () {
      beforeEach(async function () {
        await f.c.cash.connect(f.s.alice).approve(f.s.exchange.address, 1_000n);
      });

      it("moves at once to an immediate destination and spends the allowance", async function () {
        const { c, s } = f;
        expect(
          await c.cash.connect(s.exchange).transferFrom.staticCall(s.alice.address, s.clearing.address, 600n),
        ).to.equal(true);
        await expect(c.cash.connect(s.exchange).transferFrom(s.alice.address, s.clearing.address, 600n))
          .to.emit(c.cash, "Transfer")
          .withArgs(s.alice.address, s.clearing.address, 600n);
        expect(await c.cash.allowance(s.alice.address, s.exchange.address)).to.equal(400n);
        expect(await c.cash.balanceOf(s.clearing.address)).to.equal(600n);
      });

      it("holds fen pending to an untrusted account, in the holder's name", async function () {
        const { c, s } = f;
        await expect(c.cash.connect(s.exchange).transferFrom(s.alice.address, s.carol.address, 600n)).to.emit(
          c.cash,
          "TransferPending",
        );
        expect((await c.cash.pendingTransfer(1n)).from).to.equal(s.alice.address);
        expect(await c.cash.lockedBalanceOf(s.alice.address, 0n)).to.equal(600n);
        expect(await c.cash.balanceOf(s.carol.address)).to.equal(0n);
        await expect(c.cash.connect(s.exchange).cancelPending(1n))
          .to.be.revertedWithCustomError(c.cash, "TokenNotPendingSender")
          .withArgs(1n, s.exchange.address);
      });

      it("refuses more than the allowance, and changes nothing", async function () {
        const before = await state();
        await expect(f.c.cash.connect(f.s.exchange).transferFrom(f.s.alice.address, f.s.clearing.address, 1_001n))
          .to.be.revertedWithCustomError(f.c.cash, "ERC20InsufficientAllowance")
          .withArgs(f.s.exchange.address, 1_000n, 1_001n);
        await expect(f.c.cash.connect(f.s.carol).transferFrom(f.s.alice.address, f.s.carol.address, 1n))
          .to.be.revertedWithCustomError(f.c.cash, "ERC20InsufficientAllowance")
          .withArgs(f.s.carol.address, 0n, 1n);
        expect(await state()).to.deep.equal(before);
      });
    });

    describe("when a holder transfers with ERC-20 transfer", function () {
      it("returns true on both routes", async function () {
        expect(await f.c.cash.connect(f.s.alice).transfer.staticCall(f.s.alice2.address, 1n)).to.equal(true);
        expect(await f.c.cash.connect(f.s.alice).transfer.staticCall(f.s.carol.address, 1n)).to.equal(true);
      });
    });
  });
});
