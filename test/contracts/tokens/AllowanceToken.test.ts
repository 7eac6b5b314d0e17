import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { AccountStatus, ISSUED, OTHER_VINTAGE, VINTAGE, fundedFixture, type RegistryFixture } from "../fixtures";
import { shouldBehaveLikeGuardedERC1155 } from "./GuardedERC1155.behavior";
import { shouldBehaveLikeGuardedToken } from "./GuardedToken.behavior";
import { allowanceSubject } from "./subjects";

describe("AllowanceToken", function () {
  shouldBehaveLikeGuardedToken(allowanceSubject);
  shouldBehaveLikeGuardedERC1155(allowanceSubject);

  describe("vintages", function () {
    let f: RegistryFixture;
    beforeEach(async function () {
      f = await loadFixture(fundedFixture);
    });

    /** Supply of one vintage seen four ways: counters, ERC1155Supply and the sum of balances. */
    async function supplyOf(vintage: bigint, holders: string[]) {
      const a = f.c.allowances;
      const balances = await a.balanceOfBatch(
        holders,
        holders.map(() => vintage),
      );
      return {
        issued: await a.issued(vintage),
        burned: await a.burned(vintage),
        totalSupply: await a["totalSupply(uint256)"](vintage),
        sumOfBalances: balances.reduce((x, y) => x + y, 0n),
      };
    }

    describe("when the allocation mints", function () {
      it("credits the account, counts the issue and lists the vintage once, in order of first issuance", async function () {
        const { c, s } = f;
        await expect(c.allowances.connect(s.minter).mint(s.carol.address, 2015n, 70n))
          .to.emit(c.allowances, "TransferSingle")
          .withArgs(s.minter.address, ethers.ZeroAddress, s.carol.address, 2015n, 70n);
        await c.allowances.connect(s.minter).mint(s.bob.address, 2015n, 30n);
        expect(await c.allowances.vintages()).to.deep.equal([VINTAGE, OTHER_VINTAGE, 2015n]);
        expect(await c.allowances.vintageExists(2015n)).to.equal(true);
        expect(await supplyOf(2015n, [s.carol.address, s.bob.address])).to.deep.equal({
          issued: 100n,
          burned: 0n,
          totalSupply: 100n,
          sumOfBalances: 100n,
        });
      });

      it("accepts the first and last vintages of the range", async function () {
        await f.c.allowances.connect(f.s.minter).mint(f.s.carol.address, 2000n, 1n);
        await f.c.allowances.connect(f.s.minter).mint(f.s.carol.address, 2100n, 1n);
        expect(await f.c.allowances.heldIds(f.s.carol.address)).to.deep.equal([2000n, 2100n]);
      });

      it("refuses a vintage outside 2000..2100, and changes nothing", async function () {
        for (const vintage of [0n, 1999n, 2101n, 14n]) {
          await expect(f.c.allowances.connect(f.s.minter).mint(f.s.carol.address, vintage, 1n))
            .to.be.revertedWithCustomError(f.c.allowances, "AllowanceInvalidVintage")
            .withArgs(vintage);
          expect(await f.c.allowances.vintageExists(vintage)).to.equal(false);
        }
        expect(await f.c.allowances.vintages()).to.deep.equal([VINTAGE, OTHER_VINTAGE]);
      });

      it("refuses a zero amount without creating the vintage", async function () {
        await expect(
          f.c.allowances.connect(f.s.minter).mint(f.s.carol.address, 2016n, 0n),
        ).to.be.revertedWithCustomError(f.c.allowances, "TokenZeroAmount");
        expect(await f.c.allowances.vintageExists(2016n)).to.equal(false);
        expect(await f.c.allowances.vintages()).to.deep.equal([VINTAGE, OTHER_VINTAGE]);
      });

      it("may only be done by ALLOWANCE_MINTER", async function () {
        for (const who of [f.s.regulator, f.s.burner, f.s.alice]) {
          await expect(f.c.allowances.connect(who).mint(f.s.carol.address, VINTAGE, 1n))
            .to.be.revertedWithCustomError(f.c.allowances, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await f.c.allowances.issued(VINTAGE)).to.equal(2n * ISSUED.allowances);
      });
    });

    describe("when surrender or cancellation burns", function () {
      it("counts what was burned, so that issued − burned = total supply = Σ balances", async function () {
        const { c, s } = f;
        await expect(c.allowances.connect(s.burner).burn(s.alice.address, VINTAGE, 250n))
          .to.emit(c.allowances, "TransferSingle")
          .withArgs(s.burner.address, s.alice.address, ethers.ZeroAddress, VINTAGE, 250n);
        await c.allowances.connect(s.burner).burn(s.bob.address, VINTAGE, 50n);
        expect(await supplyOf(VINTAGE, [s.alice.address, s.bob.address, s.alice2.address])).to.deep.equal({
          issued: 2n * ISSUED.allowances,
          burned: 300n,
          totalSupply: 2n * ISSUED.allowances - 300n,
          sumOfBalances: 2n * ISSUED.allowances - 300n,
        });
      });

      it("takes units from a frozen account (a frozen entity must still surrender)", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
        await f.c.allowances.connect(f.s.burner).burn(f.s.alice.address, VINTAGE, 10n);
        expect(await f.c.allowances.balanceOf(f.s.alice.address, VINTAGE)).to.equal(ISSUED.allowances - 10n);
      });

      it("refuses a closed account", async function () {
        await f.c.registry.connect(f.s.operator).close(f.s.carol.address);
        await expect(f.c.allowances.connect(f.s.burner).burn(f.s.carol.address, VINTAGE, 1n))
          .to.be.revertedWithCustomError(f.c.allowances, "TokenAccountNotActive")
          .withArgs(f.s.carol.address, AccountStatus.Closed);
      });

      it("refuses a vintage never issued, and counts nothing", async function () {
        await expect(f.c.allowances.connect(f.s.burner).burn(f.s.alice.address, 2020n, 1n))
          .to.be.revertedWithCustomError(f.c.allowances, "AllowanceUnknownVintage")
          .withArgs(2020n);
        expect(await f.c.allowances.burned(2020n)).to.equal(0n);
      });

      it("may only be done by ALLOWANCE_BURNER", async function () {
        for (const who of [f.s.regulator, f.s.minter, f.s.offsetBurner, f.s.alice]) {
          await expect(f.c.allowances.connect(who).burn(f.s.alice.address, VINTAGE, 1n))
            .to.be.revertedWithCustomError(f.c.allowances, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await f.c.allowances.burned(VINTAGE)).to.equal(0n);
      });
    });

    describe("when a holder transfers a vintage that was never issued", function () {
      it("is refused on either route", async function () {
        const { c, s } = f;
        for (const to of [s.alice2.address, s.carol.address]) {
          await expect(c.allowances.connect(s.alice).safeTransferFrom(s.alice.address, to, 2015n, 1n, "0x"))
            .to.be.revertedWithCustomError(c.allowances, "AllowanceUnknownVintage")
            .withArgs(2015n);
          await expect(
            c.allowances.connect(s.alice).safeBatchTransferFrom(s.alice.address, to, [VINTAGE, 2015n], [1n, 1n], "0x"),
          )
            .to.be.revertedWithCustomError(c.allowances, "AllowanceUnknownVintage")
            .withArgs(2015n);
        }
        expect(await c.allowances.pendingTransferCount()).to.equal(0n);
      });
    });
  });
});
