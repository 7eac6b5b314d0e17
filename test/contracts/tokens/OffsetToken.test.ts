import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { AccountStatus, HYDRO_BATCH, ISSUED, ccerBatch, fundedFixture, type RegistryFixture } from "../fixtures";
import { shouldBehaveLikeGuardedERC1155 } from "./GuardedERC1155.behavior";
import { shouldBehaveLikeGuardedToken } from "./GuardedToken.behavior";
import { offsetSubject } from "./subjects";

describe("OffsetToken", function () {
  shouldBehaveLikeGuardedToken(offsetSubject);
  shouldBehaveLikeGuardedERC1155(offsetSubject);

  describe("CCER batches", function () {
    let f: RegistryFixture;
    beforeEach(async function () {
      f = await loadFixture(fundedFixture);
    });
    const importAs = (batch: ReturnType<typeof ccerBatch>, to?: string) =>
      f.c.offsets.connect(f.s.offsetRegistrar).importBatch(to ?? f.s.carol.address, batch);
    const next = (overrides: Parameters<typeof ccerBatch>[0] = {}) =>
      ccerBatch({ originRef: "NDRC-2016-0042", serialFirst: 5_000n, serialLast: 5_099n, ...overrides });

    describe("when the offset registrar imports one", function () {
      it("gives it the next id, credits every unit of its serial range and records its facts", async function () {
        const { c, s } = f;
        const batch = next({ projectType: "hydro", hydro: true });
        expect(await c.offsets.connect(s.offsetRegistrar).importBatch.staticCall(s.carol.address, batch)).to.equal(3n);
        const tx = importAs(batch);
        await expect(tx)
          .to.emit(c.offsets, "OffsetBatchImported")
          .withArgs(
            3n,
            s.carol.address,
            100n,
            batch.projectId,
            "hydro",
            true,
            batch.reductionStart,
            batch.reductionEnd,
            batch.originRef,
          );
        await expect(tx)
          .to.emit(c.offsets, "TransferSingle")
          .withArgs(s.offsetRegistrar.address, ethers.ZeroAddress, s.carol.address, 3n, 100n);
        expect(await c.offsets.batchCount()).to.equal(3n);
        expect(await c.offsets.balanceOf(s.carol.address, 3n)).to.equal(100n);
        expect(await c.offsets["totalSupply(uint256)"](3n)).to.equal(100n);
        const stored = await c.offsets.batch(3n);
        expect({
          projectId: stored.projectId,
          projectType: stored.projectType,
          hydro: stored.hydro,
          methodology: stored.methodology,
          reductionStart: stored.reductionStart,
          reductionEnd: stored.reductionEnd,
          serialFirst: stored.serialFirst,
          serialLast: stored.serialLast,
          originRef: stored.originRef,
        }).to.deep.equal(batch);
      });

      it("credits one unit for a single serial number", async function () {
        await importAs(next({ serialFirst: 9n, serialLast: 9n }));
        expect(await f.c.offsets.balanceOf(f.s.carol.address, 3n)).to.equal(1n);
      });

      it("keeps the facts of earlier batches", async function () {
        expect((await f.c.offsets.batch(2n)).hydro).to.equal(true);
        expect((await f.c.offsets.batch(2n)).originRef).to.equal(HYDRO_BATCH.originRef);
        expect((await f.c.offsets.batch(1n)).hydro).to.equal(false);
      });
    });

    describe("when the batch is invalid", function () {
      async function expectNothingImported(): Promise<void> {
        expect(await f.c.offsets.batchCount()).to.equal(2n);
        expect(await f.c.offsets.heldIds(f.s.carol.address)).to.deep.equal([]);
      }

      for (const field of ["projectId", "projectType", "methodology", "originRef"] as const) {
        it(`refuses an empty ${field}, and changes nothing`, async function () {
          await expect(importAs(next({ [field]: "" })))
            .to.be.revertedWithCustomError(f.c.offsets, "OffsetMissingField")
            .withArgs(field);
          await expectNothingImported();
        });
      }

      it("refuses a reversed serial range, and changes nothing", async function () {
        await expect(importAs(next({ serialFirst: 200n, serialLast: 199n })))
          .to.be.revertedWithCustomError(f.c.offsets, "OffsetInvalidSerialRange")
          .withArgs(200n, 199n);
        await expectNothingImported();
      });

      it("refuses an empty or reversed reduction period, and changes nothing", async function () {
        for (const [start, end] of [
          [1_400_000_000n, 1_400_000_000n],
          [1_400_000_000n, 1_300_000_000n],
        ] as const) {
          await expect(importAs(next({ reductionStart: start, reductionEnd: end })))
            .to.be.revertedWithCustomError(f.c.offsets, "OffsetInvalidReductionPeriod")
            .withArgs(start, end);
        }
        await expectNothingImported();
      });

      it("refuses an origin reference imported before, and changes nothing", async function () {
        await expect(importAs(next({ originRef: HYDRO_BATCH.originRef })))
          .to.be.revertedWithCustomError(f.c.offsets, "OffsetBatchAlreadyImported")
          .withArgs(HYDRO_BATCH.originRef, 2n);
        await expectNothingImported();
      });

      it("refuses a receiver that is not an active account, and changes nothing", async function () {
        await expect(importAs(next(), f.s.stranger.address))
          .to.be.revertedWithCustomError(f.c.offsets, "TokenAccountNotRegistered")
          .withArgs(f.s.stranger.address);
        await f.c.registry.connect(f.s.operator).freeze(f.s.carol.address);
        await expect(importAs(next()))
          .to.be.revertedWithCustomError(f.c.offsets, "TokenAccountNotActive")
          .withArgs(f.s.carol.address, AccountStatus.Frozen);
        await expectNothingImported();
        // The origin reference was not used up by the failed imports.
        await f.c.registry.connect(f.s.operator).unfreeze(f.s.carol.address);
        await importAs(next());
        expect(await f.c.offsets.batchCount()).to.equal(3n);
      });

      it("may only be imported by OFFSET_REGISTRAR", async function () {
        for (const who of [f.s.regulator, f.s.minter, f.s.alice]) {
          await expect(f.c.offsets.connect(who).importBatch(f.s.carol.address, next()))
            .to.be.revertedWithCustomError(f.c.offsets, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        await expectNothingImported();
      });
    });

    describe("when a batch id was never imported", function () {
      it("refuses transfers and burns of it", async function () {
        const { c, s } = f;
        for (const unknown of [0n, 3n]) {
          for (const to of [s.alice2.address, s.carol.address]) {
            await expect(c.offsets.connect(s.alice).safeTransferFrom(s.alice.address, to, unknown, 1n, "0x"))
              .to.be.revertedWithCustomError(c.offsets, "OffsetUnknownBatch")
              .withArgs(unknown);
          }
          await expect(c.offsets.connect(s.offsetBurner).burn(s.alice.address, unknown, 1n))
            .to.be.revertedWithCustomError(c.offsets, "OffsetUnknownBatch")
            .withArgs(unknown);
        }
      });
    });

    describe("when surrender or cancellation burns", function () {
      it("counts what was burned per batch, so that imported − burned = total supply", async function () {
        const { c, s } = f;
        await c.offsets.connect(s.offsetBurner).burn(s.alice.address, 1n, 120n);
        await c.offsets.connect(s.offsetBurner).burn(s.alice.address, 2n, 20n);
        expect(await c.offsets.burned(1n)).to.equal(120n);
        expect(await c.offsets.burned(2n)).to.equal(20n);
        expect(await c.offsets["totalSupply(uint256)"](1n)).to.equal(ISSUED.offsets - 120n);
        expect(await c.offsets.balanceOf(s.alice.address, 1n)).to.equal(ISSUED.offsets - 120n);
        expect(await c.offsets["totalSupply(uint256)"](2n)).to.equal(ISSUED.offsets2 - 20n);
      });

      it("takes units from a frozen account (a frozen entity must still surrender)", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
        await f.c.offsets.connect(f.s.offsetBurner).burn(f.s.alice.address, 1n, 5n);
        expect(await f.c.offsets.balanceOf(f.s.alice.address, 1n)).to.equal(ISSUED.offsets - 5n);
      });

      it("may only be done by OFFSET_BURNER", async function () {
        for (const who of [f.s.regulator, f.s.burner, f.s.offsetRegistrar, f.s.alice]) {
          await expect(f.c.offsets.connect(who).burn(f.s.alice.address, 1n, 1n))
            .to.be.revertedWithCustomError(f.c.offsets, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await f.c.offsets.burned(1n)).to.equal(0n);
      });
    });
  });
});
