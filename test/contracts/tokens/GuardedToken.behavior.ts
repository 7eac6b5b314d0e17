import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { GuardedToken } from "../../../typechain-types";
import {
  AccountStatus,
  DEFAULT_DELAY,
  ENFORCEMENT_DELAY,
  HOUR,
  PendingStatus,
  minedAt,
  pinNextBlockTime,
  scheduleAndExecute,
  type RegistryFixture,
  type Signers,
} from "../fixtures";
import { ledgerOf, type TokenSubject } from "./subjects";

const SEND = 300n;

/**
 * The transfer safety every registry token shares (IGuardedToken): who may hold and receive, the
 * immediate and pending routes, cancel / block / execute, locks, the per-transfer maximum to
 * untrusted accounts, suspension, and forced transfers through the AccessManager delay.
 */
export function shouldBehaveLikeGuardedToken(subject: TokenSubject): void {
  describe(`${subject.name} as a guarded registry token`, function () {
    let f: RegistryFixture;
    let s: Signers;
    let token: GuardedToken;
    const id = subject.id;

    beforeEach(async function () {
      f = await loadFixture(subject.fixture);
      s = f.s;
      token = subject.token(f);
    });

    const watched = () => [s.alice, s.alice2, s.bob, s.carol, s.dave, s.clearing, s.stranger].map((x) => x.address);
    const ledger = () => ledgerOf(subject, f, watched());
    const contract = () => subject.contract(f);
    const transferAsAlice = (to: string, amount: bigint) => subject.transfer(f, s.alice, to, amount);

    /** Makes carol a trusted account of alice whose trust delay has passed. */
    async function trustCarol(): Promise<void> {
      await f.c.rules.connect(s.alice).addTrusted(s.carol.address);
      await time.increase(DEFAULT_DELAY);
    }

    /** alice sends SEND units to carol (untrusted): returns the pending transfer's id and release time. */
    async function pendingToCarol(amount: bigint = SEND): Promise<{ transferId: bigint; releaseAt: bigint }> {
      const tx = await transferAsAlice(s.carol.address, amount);
      const transferId = await token.pendingTransferCount();
      return { transferId, releaseAt: (await minedAt(tx)) + BigInt(DEFAULT_DELAY) };
    }

    // ───────────────────────────────────────── issuance ─────────────────────────────────────────

    describe("when units are issued", function () {
      it("credits an active account", async function () {
        const { tx, id: issuedId } = await subject.issue(f, s.carol.address, 40n);
        await tx;
        expect(await subject.balanceOf(f, s.carol.address, issuedId)).to.equal(40n);
        expect(await token.heldIds(s.carol.address)).to.deep.equal([issuedId]);
      });

      it("refuses an account that is not registered, and changes nothing", async function () {
        const before = await ledger();
        const { tx } = await subject.issue(f, s.stranger.address, 40n);
        await expect(tx)
          .to.be.revertedWithCustomError(contract(), "TokenAccountNotRegistered")
          .withArgs(s.stranger.address);
        expect(await ledger()).to.deep.equal(before);
      });

      it("refuses a frozen account, and changes nothing", async function () {
        await f.c.registry.connect(s.operator).freeze(s.carol.address);
        const before = await ledger();
        const { tx } = await subject.issue(f, s.carol.address, 40n);
        await expect(tx)
          .to.be.revertedWithCustomError(contract(), "TokenAccountNotActive")
          .withArgs(s.carol.address, AccountStatus.Frozen);
        expect(await ledger()).to.deep.equal(before);
      });

      it("refuses a closed account, and changes nothing", async function () {
        await f.c.registry.connect(s.operator).close(s.carol.address);
        const before = await ledger();
        const { tx } = await subject.issue(f, s.carol.address, 40n);
        await expect(tx)
          .to.be.revertedWithCustomError(contract(), "TokenAccountNotActive")
          .withArgs(s.carol.address, AccountStatus.Closed);
        expect(await ledger()).to.deep.equal(before);
      });

      it("goes on while transfers are suspended (allocation is not a transfer)", async function () {
        await f.c.rules.suspend("market incident");
        const { tx, id: issuedId } = await subject.issue(f, s.bob.address, 40n);
        await expect(tx).to.not.be.reverted;
        expect(await token.heldIds(s.bob.address)).to.include(issuedId);
      });
    });

    // ────────────────────────────────────────── burning ─────────────────────────────────────────

    describe("when units are burned", function () {
      it("takes them out of the holder's balance and of the supply", async function () {
        const supply = await subject.totalSupply(f);
        await subject.burn(f, s.alice, 100n);
        expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - 100n);
        expect(await subject.totalSupply(f)).to.equal(supply - 100n);
      });

      it("refuses a zero amount, and changes nothing", async function () {
        const before = await ledger();
        await expect(subject.burn(f, s.alice, 0n)).to.be.revertedWithCustomError(contract(), "TokenZeroAmount");
        expect(await ledger()).to.deep.equal(before);
      });

      it("refuses more than the balance, and changes nothing", async function () {
        const before = await ledger();
        await expect(subject.burn(f, s.alice, subject.holding + 1n))
          .to.be.revertedWithCustomError(contract(), "TokenInsufficientBalance")
          .withArgs(s.alice.address, id, subject.holding, subject.holding + 1n);
        expect(await ledger()).to.deep.equal(before);
      });

      it("refuses units locked by a pending transfer, and changes nothing", async function () {
        await pendingToCarol(subject.holding - 10n);
        const before = await ledger();
        await expect(subject.burn(f, s.alice, 11n))
          .to.be.revertedWithCustomError(contract(), "TokenBalanceLocked")
          .withArgs(s.alice.address, id, 10n, subject.holding - 10n, 11n);
        expect(await ledger()).to.deep.equal(before);
      });

      it("refuses an account that is not registered", async function () {
        await expect(subject.burn(f, s.stranger, 1n))
          .to.be.revertedWithCustomError(contract(), "TokenAccountNotRegistered")
          .withArgs(s.stranger.address);
      });

      it("goes on while transfers are suspended (surrender is not a transfer)", async function () {
        await f.c.rules.suspend("market incident");
        await expect(subject.burn(f, s.alice, 100n)).to.not.be.reverted;
        expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - 100n);
      });
    });

    // ───────────────────────────────────────── transfers ────────────────────────────────────────

    describe("when a holder transfers", function () {
      describe("to another account of its own entity", function () {
        it("moves the units at once", async function () {
          const tx = transferAsAlice(s.alice2.address, SEND);
          await subject.expectTransferEvent(f, tx, s.alice.address, s.alice.address, s.alice2.address, SEND);
          await expect(tx).to.not.emit(contract(), "TransferPending");
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - SEND);
          expect(await subject.balanceOf(f, s.alice2.address)).to.equal(SEND);
          expect(await token.pendingTransferCount()).to.equal(0n);
        });
      });

      describe("to a designated clearing house", function () {
        it("moves the units at once", async function () {
          const tx = transferAsAlice(s.clearing.address, SEND);
          await subject.expectTransferEvent(f, tx, s.alice.address, s.alice.address, s.clearing.address, SEND);
          expect(await subject.balanceOf(f, s.clearing.address)).to.equal(SEND);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
        });

        it("holds them pending once the designation is withdrawn", async function () {
          await f.c.registry.setClearingHouse(s.clearing.address, false);
          await expect(transferAsAlice(s.clearing.address, SEND)).to.emit(contract(), "TransferPending");
          expect(await subject.balanceOf(f, s.clearing.address)).to.equal(0n);
        });
      });

      describe("to an account on its trusted list", function () {
        beforeEach(async function () {
          await f.c.rules.connect(s.alice).addTrusted(s.carol.address);
        });

        describe("before the trust delay has passed", function () {
          it("holds the transfer pending", async function () {
            await expect(transferAsAlice(s.carol.address, SEND)).to.emit(contract(), "TransferPending");
            expect(await subject.balanceOf(f, s.carol.address)).to.equal(0n);
            expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(SEND);
          });
        });

        describe("after the trust delay has passed", function () {
          it("moves the units at once", async function () {
            await time.increase(DEFAULT_DELAY);
            const tx = transferAsAlice(s.carol.address, SEND);
            await subject.expectTransferEvent(f, tx, s.alice.address, s.alice.address, s.carol.address, SEND);
            await expect(tx).to.not.emit(contract(), "TransferPending");
            expect(await subject.balanceOf(f, s.carol.address)).to.equal(SEND);
          });
        });

        describe("after the account was removed from the list", function () {
          it("holds the transfer pending again", async function () {
            await time.increase(DEFAULT_DELAY);
            await f.c.rules.connect(s.alice).removeTrusted(s.carol.address);
            await expect(transferAsAlice(s.carol.address, SEND)).to.emit(contract(), "TransferPending");
            expect(await subject.balanceOf(f, s.carol.address)).to.equal(0n);
          });
        });
      });

      describe("to an untrusted account", function () {
        it("holds the units pending until the release time and locks them", async function () {
          const now = await pinNextBlockTime();
          const releaseAt = now + BigInt(DEFAULT_DELAY);
          await expect(transferAsAlice(s.carol.address, SEND))
            .to.emit(contract(), "TransferPending")
            .withArgs(1n, s.alice.address, s.carol.address, id, SEND, releaseAt);
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding);
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(0n);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(SEND);
          expect(await token.availableBalanceOf(s.alice.address, id)).to.equal(subject.holding - SEND);
          expect(await token.pendingTransfersOf(s.alice.address)).to.deep.equal([1n]);
          expect(await token.pendingTransferCount()).to.equal(1n);
          const p = await token.pendingTransfer(1n);
          expect([p.from, p.to, p.id, p.amount, p.releaseAt, p.status]).to.deep.equal([
            s.alice.address,
            s.carol.address,
            id,
            SEND,
            releaseAt,
            BigInt(PendingStatus.Pending),
          ]);
        });

        it("holds them for the delay the regulator set", async function () {
          await f.c.rules.setPendingDelay(2 * HOUR);
          const now = await pinNextBlockTime();
          await expect(transferAsAlice(s.carol.address, SEND))
            .to.emit(contract(), "TransferPending")
            .withArgs(1n, s.alice.address, s.carol.address, id, SEND, now + BigInt(2 * HOUR));
        });

        it("keeps each pending transfer apart, with its own id and lock", async function () {
          await transferAsAlice(s.carol.address, 10n);
          await transferAsAlice(s.alice2.address, 50n); // immediate: same entity
          await subject.transfer(f, s.alice2, s.carol.address, 20n);
          await transferAsAlice(s.dave.address, 30n);
          expect(await token.pendingTransfersOf(s.alice.address)).to.deep.equal([1n, 3n]);
          expect(await token.pendingTransfersOf(s.alice2.address)).to.deep.equal([2n]);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(40n);
          expect(await token.lockedBalanceOf(s.alice2.address, id)).to.equal(20n);
          expect(await token.pendingTransferCount()).to.equal(3n);
        });
      });

      describe("to an account that is not registered", function () {
        it("is refused, and changes nothing", async function () {
          const before = await ledger();
          await expect(transferAsAlice(s.stranger.address, SEND))
            .to.be.revertedWithCustomError(contract(), "TokenAccountNotRegistered")
            .withArgs(s.stranger.address);
          expect(await ledger()).to.deep.equal(before);
        });
      });

      for (const [label, status] of [
        ["frozen", AccountStatus.Frozen],
        ["closed", AccountStatus.Closed],
      ] as const) {
        describe(`to a ${label} account`, function () {
          async function deactivateCarol(): Promise<void> {
            if (status === AccountStatus.Frozen) await f.c.registry.connect(s.operator).freeze(s.carol.address);
            else await f.c.registry.connect(s.operator).close(s.carol.address);
          }

          it("is refused on the pending route, and changes nothing", async function () {
            await deactivateCarol();
            const before = await ledger();
            await expect(transferAsAlice(s.carol.address, SEND))
              .to.be.revertedWithCustomError(contract(), "TokenAccountNotActive")
              .withArgs(s.carol.address, status);
            expect(await ledger()).to.deep.equal(before);
          });

          it("is refused on the immediate route (trusted earlier), and changes nothing", async function () {
            await trustCarol();
            await deactivateCarol();
            const before = await ledger();
            await expect(transferAsAlice(s.carol.address, SEND))
              .to.be.revertedWithCustomError(contract(), "TokenAccountNotActive")
              .withArgs(s.carol.address, status);
            expect(await ledger()).to.deep.equal(before);
          });
        });
      }

      describe("from a frozen account", function () {
        beforeEach(async function () {
          await trustCarol();
          await f.c.registry.connect(s.operator).freeze(s.alice.address);
        });

        for (const [route, to] of [
          ["immediate (same entity)", () => s.alice2.address],
          ["immediate (trusted)", () => s.carol.address],
          ["pending", () => s.dave.address],
        ] as const) {
          it(`is refused on the ${route} route, and changes nothing`, async function () {
            const before = await ledger();
            await expect(transferAsAlice(to(), SEND))
              .to.be.revertedWithCustomError(contract(), "TokenAccountNotActive")
              .withArgs(s.alice.address, AccountStatus.Frozen);
            expect(await ledger()).to.deep.equal(before);
          });
        }

        it("can send again once unfrozen", async function () {
          await f.c.registry.connect(s.operator).unfreeze(s.alice.address);
          await transferAsAlice(s.carol.address, SEND);
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(SEND);
        });
      });

      describe("from a closed account", function () {
        it("is refused", async function () {
          await f.c.registry.connect(s.operator).close(s.dave.address);
          await expect(subject.transfer(f, s.dave, s.carol.address, 1n))
            .to.be.revertedWithCustomError(contract(), "TokenAccountNotActive")
            .withArgs(s.dave.address, AccountStatus.Closed);
        });
      });

      describe("from an account that is not registered", function () {
        it("is refused on either route", async function () {
          await expect(subject.transfer(f, s.stranger, s.carol.address, 1n))
            .to.be.revertedWithCustomError(contract(), "TokenAccountNotRegistered")
            .withArgs(s.stranger.address);
          await expect(subject.transfer(f, s.stranger, s.clearing.address, 1n))
            .to.be.revertedWithCustomError(contract(), "TokenAccountNotRegistered")
            .withArgs(s.stranger.address);
        });
      });

      describe("with a zero amount", function () {
        it("is refused on either route, and changes nothing", async function () {
          const before = await ledger();
          await expect(transferAsAlice(s.carol.address, 0n)).to.be.revertedWithCustomError(
            contract(),
            "TokenZeroAmount",
          );
          await expect(transferAsAlice(s.alice2.address, 0n)).to.be.revertedWithCustomError(
            contract(),
            "TokenZeroAmount",
          );
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("with more than the balance", function () {
        it("is refused on either route, and changes nothing", async function () {
          const before = await ledger();
          const tooMuch = subject.holding + 1n;
          for (const to of [s.carol.address, s.alice2.address]) {
            await expect(transferAsAlice(to, tooMuch))
              .to.be.revertedWithCustomError(contract(), "TokenInsufficientBalance")
              .withArgs(s.alice.address, id, subject.holding, tooMuch);
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("while transfers are suspended", function () {
        beforeEach(async function () {
          await trustCarol();
          await f.c.rules.suspend("market incident");
        });

        it("refuses every route, and changes nothing", async function () {
          const before = await ledger();
          for (const to of [s.alice2.address, s.clearing.address, s.carol.address, s.dave.address]) {
            await expect(transferAsAlice(to, SEND)).to.be.revertedWithCustomError(
              contract(),
              "TokenTransfersSuspended",
            );
          }
          expect(await ledger()).to.deep.equal(before);
        });

        it("allows transfers again once resumed", async function () {
          await f.c.rules.resume();
          await transferAsAlice(s.carol.address, SEND);
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(SEND);
        });
      });
    });

    // ───────────────────────────────────── pending transfers ────────────────────────────────────

    describe("when a transfer is pending", function () {
      let transferId: bigint;
      let releaseAt: bigint;

      beforeEach(async function () {
        ({ transferId, releaseAt } = await pendingToCarol());
      });

      describe("and its sender cancels it", function () {
        it("unlocks the units and closes it as cancelled", async function () {
          await expect(token.connect(s.alice).cancelPending(transferId))
            .to.emit(token, "PendingTransferCancelled")
            .withArgs(transferId, s.alice.address);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
          expect(await token.availableBalanceOf(s.alice.address, id)).to.equal(subject.holding);
          expect(await token.pendingTransfersOf(s.alice.address)).to.deep.equal([]);
          expect((await token.pendingTransfer(transferId)).status).to.equal(BigInt(PendingStatus.Cancelled));
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(0n);
        });

        it("cannot be executed afterwards", async function () {
          await token.connect(s.alice).cancelPending(transferId);
          await time.increaseTo(releaseAt);
          await expect(token.connect(s.carol).executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferClosed")
            .withArgs(transferId, PendingStatus.Cancelled);
        });
      });

      describe("and someone other than its sender tries to cancel it", function () {
        it("is refused for the receiver, an operator and the regulator, and changes nothing", async function () {
          const before = await ledger();
          for (const who of [s.carol, s.operator, s.regulator, s.alice2]) {
            await expect(token.connect(who).cancelPending(transferId))
              .to.be.revertedWithCustomError(token, "TokenNotPendingSender")
              .withArgs(transferId, who.address);
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("and the registry operator blocks it", function () {
        it("unlocks the units and closes it as blocked, with the case reference", async function () {
          await expect(token.connect(s.operator).blockPending(transferId, "CASE-2014-017"))
            .to.emit(token, "PendingTransferBlocked")
            .withArgs(transferId, s.operator.address, "CASE-2014-017");
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
          expect((await token.pendingTransfer(transferId)).status).to.equal(BigInt(PendingStatus.Blocked));
          expect(await token.pendingTransfersOf(s.alice.address)).to.deep.equal([]);
        });

        it("cannot be cancelled or executed afterwards", async function () {
          await token.connect(s.operator).blockPending(transferId, "CASE-2014-017");
          await expect(token.connect(s.alice).cancelPending(transferId))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferClosed")
            .withArgs(transferId, PendingStatus.Blocked);
          await time.increaseTo(releaseAt);
          await expect(token.executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferClosed")
            .withArgs(transferId, PendingStatus.Blocked);
        });
      });

      describe("and an account without REGISTRY_OPERATOR tries to block it", function () {
        it("is refused, and changes nothing", async function () {
          const before = await ledger();
          for (const who of [s.alice, s.carol, s.bank, s.stranger]) {
            await expect(token.connect(who).blockPending(transferId, "x"))
              .to.be.revertedWithCustomError(token, "AccessManagedUnauthorized")
              .withArgs(who.address);
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("and someone executes it before its release time", function () {
        it("is refused, and changes nothing", async function () {
          const before = await ledger();
          await time.increaseTo(releaseAt - 2n);
          await expect(token.connect(s.carol).executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferNotReleased")
            .withArgs(transferId, releaseAt);
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("and anyone executes it once released", function () {
        it("moves the units and closes it as executed", async function () {
          await time.increaseTo(releaseAt - 1n); // the next block is at releaseAt
          const tx = token.connect(s.stranger).executePending(transferId);
          await expect(tx).to.emit(token, "PendingTransferExecuted").withArgs(transferId, s.stranger.address);
          await subject.expectTransferEvent(f, tx, s.stranger.address, s.alice.address, s.carol.address, SEND);
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - SEND);
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(SEND);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
          expect((await token.pendingTransfer(transferId)).status).to.equal(BigInt(PendingStatus.Executed));
          expect(await token.pendingTransfersOf(s.alice.address)).to.deep.equal([]);
        });

        it("cannot be executed, cancelled or blocked a second time", async function () {
          await time.increaseTo(releaseAt);
          await token.executePending(transferId);
          const before = await ledger();
          await expect(token.executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferClosed")
            .withArgs(transferId, PendingStatus.Executed);
          await expect(token.connect(s.alice).cancelPending(transferId))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferClosed")
            .withArgs(transferId, PendingStatus.Executed);
          await expect(token.connect(s.operator).blockPending(transferId, "late"))
            .to.be.revertedWithCustomError(token, "TokenPendingTransferClosed")
            .withArgs(transferId, PendingStatus.Executed);
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("and its sender tries to spend the locked units again", function () {
        const available = () => subject.holding - SEND;

        it("refuses an immediate transfer beyond the unlocked units, and changes nothing", async function () {
          const before = await ledger();
          await expect(transferAsAlice(s.alice2.address, available() + 1n))
            .to.be.revertedWithCustomError(contract(), "TokenBalanceLocked")
            .withArgs(s.alice.address, id, available(), SEND, available() + 1n);
          expect(await ledger()).to.deep.equal(before);
        });

        it("refuses a second pending transfer beyond the unlocked units, and changes nothing", async function () {
          const before = await ledger();
          await expect(transferAsAlice(s.dave.address, available() + 1n))
            .to.be.revertedWithCustomError(contract(), "TokenBalanceLocked")
            .withArgs(s.alice.address, id, available(), SEND, available() + 1n);
          expect(await ledger()).to.deep.equal(before);
        });

        it("allows spending exactly the unlocked units, and the pending transfer still executes", async function () {
          await transferAsAlice(s.alice2.address, available());
          expect(await token.availableBalanceOf(s.alice.address, id)).to.equal(0n);
          await time.increaseTo(releaseAt);
          await token.executePending(transferId);
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(SEND);
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(0n);
        });
      });

      describe("while transfers are suspended", function () {
        beforeEach(async function () {
          await f.c.rules.suspend("market incident");
          await time.increaseTo(releaseAt);
        });

        it("cannot be executed, and nothing changes", async function () {
          const before = await ledger();
          await expect(token.executePending(transferId)).to.be.revertedWithCustomError(
            token,
            "TokenTransfersSuspended",
          );
          expect(await ledger()).to.deep.equal(before);
        });

        it("can still be cancelled by its sender", async function () {
          await token.connect(s.alice).cancelPending(transferId);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
        });

        it("can still be blocked by the registry operator", async function () {
          await token.connect(s.operator).blockPending(transferId, "CASE-2014-018");
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
        });

        it("executes once transfers resume", async function () {
          await f.c.rules.resume();
          await token.executePending(transferId);
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(SEND);
        });
      });

      describe("and the sender's account is frozen before the release", function () {
        it("cannot be executed, stays pending, and its sender can still cancel it", async function () {
          await f.c.registry.connect(s.operator).freeze(s.alice.address);
          await time.increaseTo(releaseAt);
          const before = await ledger();
          await expect(token.executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenAccountNotActive")
            .withArgs(s.alice.address, AccountStatus.Frozen);
          expect(await ledger()).to.deep.equal(before);
          expect((await token.pendingTransfer(transferId)).status).to.equal(BigInt(PendingStatus.Pending));
          await token.connect(s.alice).cancelPending(transferId);
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(0n);
        });
      });

      describe("and the receiver's account is frozen before the release", function () {
        it("cannot be executed, and nothing changes", async function () {
          await f.c.registry.connect(s.operator).freeze(s.carol.address);
          await time.increaseTo(releaseAt);
          const before = await ledger();
          await expect(token.executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenAccountNotActive")
            .withArgs(s.carol.address, AccountStatus.Frozen);
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("and the receiver's account is closed before the release", function () {
        it("cannot be executed; the sender gets the units back by cancelling", async function () {
          await f.c.registry.connect(s.operator).close(s.carol.address);
          await time.increaseTo(releaseAt);
          await expect(token.executePending(transferId))
            .to.be.revertedWithCustomError(token, "TokenAccountNotActive")
            .withArgs(s.carol.address, AccountStatus.Closed);
          await token.connect(s.alice).cancelPending(transferId);
          expect(await token.availableBalanceOf(s.alice.address, id)).to.equal(subject.holding);
        });
      });
    });

    describe("when a pending transfer id does not exist", function () {
      it("cannot be cancelled, blocked or executed", async function () {
        for (const unknown of [0n, 42n]) {
          await expect(token.connect(s.alice).cancelPending(unknown))
            .to.be.revertedWithCustomError(token, "TokenUnknownPendingTransfer")
            .withArgs(unknown);
          await expect(token.connect(s.operator).blockPending(unknown, "x"))
            .to.be.revertedWithCustomError(token, "TokenUnknownPendingTransfer")
            .withArgs(unknown);
          await expect(token.executePending(unknown))
            .to.be.revertedWithCustomError(token, "TokenUnknownPendingTransfer")
            .withArgs(unknown);
        }
      });
    });

    // ─────────────────────────────── per-transfer maximum to untrusted ──────────────────────────────

    describe("with a per-transfer maximum to untrusted accounts", function () {
      describe("when none is set", function () {
        it("holds pending transfers of any size", async function () {
          expect(await token.untrustedLimitOf(s.alice.address)).to.deep.equal([0n, 0n, 0n]);
          await expect(transferAsAlice(s.carol.address, subject.holding)).to.emit(contract(), "TransferPending");
        });
      });

      describe("when the holder sets one", function () {
        beforeEach(async function () {
          const now = await pinNextBlockTime();
          await expect(token.connect(s.alice).setUntrustedLimit(100n))
            .to.emit(token, "UntrustedLimitSet")
            .withArgs(s.alice.address, 100n, now);
        });

        it("applies at once", async function () {
          expect(await token.untrustedLimitOf(s.alice.address)).to.deep.equal([100n, 0n, 0n]);
        });

        it("refuses a larger transfer to an untrusted account, and changes nothing", async function () {
          const before = await ledger();
          await expect(transferAsAlice(s.carol.address, 101n))
            .to.be.revertedWithCustomError(contract(), "TokenUntrustedLimitExceeded")
            .withArgs(s.alice.address, 101n, 100n);
          expect(await ledger()).to.deep.equal(before);
        });

        it("lets a transfer up to the maximum be held pending", async function () {
          await expect(transferAsAlice(s.carol.address, 100n)).to.emit(contract(), "TransferPending");
        });

        it("does not limit immediate transfers", async function () {
          await transferAsAlice(s.alice2.address, 250n);
          expect(await subject.balanceOf(f, s.alice2.address)).to.equal(250n);
        });

        it("only limits its own holder", async function () {
          await transferAsAlice(s.alice2.address, 250n);
          await expect(subject.transfer(f, s.alice2, s.carol.address, 250n)).to.emit(contract(), "TransferPending");
        });

        describe("and then lowers it", function () {
          it("applies the lower maximum at once", async function () {
            const now = await pinNextBlockTime();
            await expect(token.connect(s.alice).setUntrustedLimit(60n))
              .to.emit(token, "UntrustedLimitSet")
              .withArgs(s.alice.address, 60n, now);
            await expect(transferAsAlice(s.carol.address, 61n))
              .to.be.revertedWithCustomError(contract(), "TokenUntrustedLimitExceeded")
              .withArgs(s.alice.address, 61n, 60n);
          });
        });

        describe("and then raises it", function () {
          let effectiveFrom: bigint;

          beforeEach(async function () {
            const now = await pinNextBlockTime();
            effectiveFrom = now + BigInt(DEFAULT_DELAY);
            await expect(token.connect(s.alice).setUntrustedLimit(400n))
              .to.emit(token, "UntrustedLimitSet")
              .withArgs(s.alice.address, 400n, effectiveFrom);
          });

          it("keeps the old maximum until the trust delay has passed", async function () {
            expect(await token.untrustedLimitOf(s.alice.address)).to.deep.equal([100n, 400n, effectiveFrom]);
            await expect(transferAsAlice(s.carol.address, 101n))
              .to.be.revertedWithCustomError(contract(), "TokenUntrustedLimitExceeded")
              .withArgs(s.alice.address, 101n, 100n);
          });

          it("applies the raised maximum after the trust delay", async function () {
            await time.increaseTo(effectiveFrom);
            expect(await token.untrustedLimitOf(s.alice.address)).to.deep.equal([400n, 0n, 0n]);
            await expect(transferAsAlice(s.carol.address, 401n))
              .to.be.revertedWithCustomError(contract(), "TokenUntrustedLimitExceeded")
              .withArgs(s.alice.address, 401n, 400n);
            await expect(transferAsAlice(s.carol.address, 400n)).to.emit(contract(), "TransferPending");
          });

          it("drops the waiting raise when the holder lowers the maximum meanwhile", async function () {
            await token.connect(s.alice).setUntrustedLimit(50n);
            await time.increaseTo(effectiveFrom);
            expect(await token.untrustedLimitOf(s.alice.address)).to.deep.equal([50n, 0n, 0n]);
          });
        });

        describe("and then removes it", function () {
          it("keeps the maximum until the trust delay has passed", async function () {
            const now = await pinNextBlockTime();
            await expect(token.connect(s.alice).setUntrustedLimit(0n))
              .to.emit(token, "UntrustedLimitSet")
              .withArgs(s.alice.address, 0n, now + BigInt(DEFAULT_DELAY));
            await expect(transferAsAlice(s.carol.address, 101n)).to.be.revertedWithCustomError(
              contract(),
              "TokenUntrustedLimitExceeded",
            );
            await time.increase(DEFAULT_DELAY);
            expect(await token.untrustedLimitOf(s.alice.address)).to.deep.equal([0n, 0n, 0n]);
            await expect(transferAsAlice(s.carol.address, 101n)).to.emit(contract(), "TransferPending");
          });
        });
      });
    });

    // ───────────────────────────────────── forced transfers ─────────────────────────────────────

    describe("when the regulator forces a transfer", function () {
      const CASE = "TJ-ENF-2015-003";
      const force = (from: string, to: string, amount: bigint, caseRef = CASE) =>
        token.interface.encodeFunctionData("forceTransfer", [from, to, id, amount, caseRef]);

      describe("through the AccessManager's execution delay", function () {
        it("moves the units and records the case reference", async function () {
          const tx = scheduleAndExecute(f, token, force(s.alice.address, s.bob.address, 120n));
          await expect(tx).to.emit(token, "ForcedTransfer").withArgs(s.alice.address, s.bob.address, id, 120n, CASE);
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - 120n);
        });

        it("may also be called directly by the regulator once scheduled and due", async function () {
          const data = force(s.alice.address, s.bob.address, 120n);
          await f.c.authority.schedule(await token.getAddress(), data, 0);
          await time.increase(ENFORCEMENT_DELAY);
          await expect(token.connect(s.regulator).forceTransfer(s.alice.address, s.bob.address, id, 120n, CASE))
            .to.emit(token, "ForcedTransfer")
            .withArgs(s.alice.address, s.bob.address, id, 120n, CASE);
          // The schedule is consumed: a second call needs a new one.
          await expect(
            token.connect(s.regulator).forceTransfer(s.alice.address, s.bob.address, id, 120n, CASE),
          ).to.be.revertedWithCustomError(f.c.authority, "AccessManagerNotScheduled");
        });

        it("moves units out of a frozen account", async function () {
          await f.c.registry.connect(s.operator).freeze(s.alice.address);
          await scheduleAndExecute(f, token, force(s.alice.address, s.bob.address, 120n));
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - 120n);
        });

        it("goes on while transfers are suspended", async function () {
          await f.c.rules.suspend("market incident");
          await scheduleAndExecute(f, token, force(s.alice.address, s.carol.address, 120n));
          expect(await subject.balanceOf(f, s.carol.address)).to.equal(120n);
        });

        it("can be cancelled by the regulator before it runs", async function () {
          const data = force(s.alice.address, s.bob.address, 120n);
          const target = await token.getAddress();
          await f.c.authority.schedule(target, data, 0);
          await f.c.authority.cancel(s.regulator.address, target, data);
          await time.increase(ENFORCEMENT_DELAY);
          const before = await ledger();
          await expect(f.c.authority.execute(target, data)).to.be.revertedWithCustomError(
            f.c.authority,
            "AccessManagerNotScheduled",
          );
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("without waiting for the delay", function () {
        it("is refused when called directly without a schedule, and changes nothing", async function () {
          const before = await ledger();
          await expect(
            token.connect(s.regulator).forceTransfer(s.alice.address, s.bob.address, id, 120n, CASE),
          ).to.be.revertedWithCustomError(f.c.authority, "AccessManagerNotScheduled");
          expect(await ledger()).to.deep.equal(before);
        });

        it("is refused when executed before the delay has passed, and changes nothing", async function () {
          const data = force(s.alice.address, s.bob.address, 120n);
          const target = await token.getAddress();
          await f.c.authority.schedule(target, data, 0);
          await time.increase(ENFORCEMENT_DELAY - 10);
          const before = await ledger();
          await expect(f.c.authority.execute(target, data)).to.be.revertedWithCustomError(
            f.c.authority,
            "AccessManagerNotReady",
          );
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("by anyone but the regulator", function () {
        it("is refused, and changes nothing", async function () {
          const before = await ledger();
          for (const who of [s.operator, s.alice, s.bank, s.stranger]) {
            await expect(token.connect(who).forceTransfer(s.alice.address, s.bob.address, id, 1n, CASE))
              .to.be.revertedWithCustomError(token, "AccessManagedUnauthorized")
              .withArgs(who.address);
            await expect(
              f.c.authority.connect(who).schedule(await token.getAddress(), force(s.alice.address, who.address, 1n), 0),
            ).to.be.revertedWithCustomError(f.c.authority, "AccessManagerUnauthorizedCall");
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("with invalid accounts or amounts", function () {
        it("never moves units from an account to itself", async function () {
          const before = await ledger();
          await expect(scheduleAndExecute(f, token, force(s.alice.address, s.alice.address, 1n)))
            .to.be.revertedWithCustomError(token, "TokenForcedTransferToSelf")
            .withArgs(s.alice.address);
          expect(await ledger()).to.deep.equal(before);
        });

        it("refuses a frozen receiver", async function () {
          await f.c.registry.connect(s.operator).freeze(s.bob.address);
          await expect(scheduleAndExecute(f, token, force(s.alice.address, s.bob.address, 1n)))
            .to.be.revertedWithCustomError(token, "TokenAccountNotActive")
            .withArgs(s.bob.address, AccountStatus.Frozen);
        });

        it("refuses an unregistered receiver or sender", async function () {
          await expect(scheduleAndExecute(f, token, force(s.alice.address, s.stranger.address, 1n)))
            .to.be.revertedWithCustomError(token, "TokenAccountNotRegistered")
            .withArgs(s.stranger.address);
          await expect(scheduleAndExecute(f, token, force(s.stranger.address, s.bob.address, 1n)))
            .to.be.revertedWithCustomError(token, "TokenAccountNotRegistered")
            .withArgs(s.stranger.address);
        });

        it("cannot take units locked by a pending transfer (block it first)", async function () {
          const { transferId } = await pendingToCarol(subject.holding);
          const before = await ledger();
          await expect(scheduleAndExecute(f, token, force(s.alice.address, s.bob.address, 1n)))
            .to.be.revertedWithCustomError(token, "TokenBalanceLocked")
            .withArgs(s.alice.address, id, 0n, subject.holding, 1n);
          expect(await ledger()).to.deep.equal(before);
          await token.connect(s.operator).blockPending(transferId, "TJ-ENF-2015-003");
          // The failed execution left the operation scheduled (and due): run it again.
          await f.c.authority.execute(await token.getAddress(), force(s.alice.address, s.bob.address, 1n));
          expect(await subject.balanceOf(f, s.alice.address)).to.equal(subject.holding - 1n);
        });

        it("refuses a zero amount", async function () {
          await expect(
            scheduleAndExecute(f, token, force(s.alice.address, s.bob.address, 0n)),
          ).to.be.revertedWithCustomError(token, "TokenZeroAmount");
        });
      });
    });

    // ────────────────────────────────────────── views ───────────────────────────────────────────

    describe("when asked what an account holds", function () {
      it("lists the ids held, pending-locked units included, and forgets an id once spent", async function () {
        expect(await token.holdsAnything(s.carol.address)).to.equal(false);
        expect(await token.heldIds(s.carol.address)).to.deep.equal([]);
        expect(await token.heldIds(s.alice.address)).to.include(id);
        await pendingToCarol(subject.holding);
        expect(await token.holdsAnything(s.alice.address)).to.equal(true);
        await token.connect(s.alice).cancelPending(1n);
        await transferAsAlice(s.alice2.address, subject.holding);
        expect(await token.heldIds(s.alice.address)).to.not.include(id);
        expect(await token.heldIds(s.alice2.address)).to.deep.equal([id]);
      });
    });
  });
}
