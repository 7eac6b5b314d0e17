import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ContractFactory, type BaseContract } from "ethers";
import type { GuardedToken } from "../../../typechain-types";
import {
  AccountStatus,
  DEFAULT_DELAY,
  ENTITY,
  PendingStatus,
  pinNextBlockTime,
  scheduleAndExecute,
  type RegistryFixture,
  type Signers,
} from "../fixtures";
import { compileMock } from "../mocks/compile";
import { ledgerOf, type ERC1155Subject } from "./subjects";

/**
 * The ERC-1155 face of a guarded token: batch transfers and approved operators follow the same
 * routes and checks as single transfers, and a receiver contract's acceptance hook gets no privilege
 * from the balance change that called it.
 */
export function shouldBehaveLikeGuardedERC1155(subject: ERC1155Subject): void {
  describe(`${subject.name} as an ERC-1155`, function () {
    let f: RegistryFixture;
    let s: Signers;
    let token: GuardedToken;
    const { id, otherId } = subject;

    beforeEach(async function () {
      f = await loadFixture(subject.fixture);
      s = f.s;
      token = subject.token(f);
    });

    const erc1155 = () => subject.erc1155(f);
    const watched = () => [s.alice, s.alice2, s.carol, s.dave, s.exchange].map((x) => x.address);
    /** Balances, locks and pending transfers of both ids. */
    const ledger = async () => ({
      first: await ledgerOf(subject, f, watched()),
      other: await Promise.all(
        watched().map(async (a) => [await erc1155().balanceOf(a, otherId), await token.lockedBalanceOf(a, otherId)]),
      ),
    });
    const batchAsAlice = (to: string, ids: bigint[], values: bigint[]) =>
      erc1155().connect(s.alice).safeBatchTransferFrom(s.alice.address, to, ids, values, "0x");

    async function trustCarol(): Promise<void> {
      await f.c.rules.connect(s.alice).addTrusted(s.carol.address);
      await time.increase(DEFAULT_DELAY);
    }

    describe("when a holder transfers a batch", function () {
      describe("to an immediate destination", function () {
        it("moves every id at once in one TransferBatch", async function () {
          await expect(batchAsAlice(s.alice2.address, [id, otherId], [10n, 20n]))
            .to.emit(erc1155(), "TransferBatch")
            .withArgs(s.alice.address, s.alice.address, s.alice2.address, [id, otherId], [10n, 20n]);
          expect(await erc1155().balanceOfBatch([s.alice2.address, s.alice2.address], [id, otherId])).to.deep.equal([
            10n,
            20n,
          ]);
          expect(await token.pendingTransferCount()).to.equal(0n);
        });
      });

      describe("to an untrusted account", function () {
        it("holds each id pending on its own", async function () {
          const now = await pinNextBlockTime();
          const releaseAt = now + BigInt(DEFAULT_DELAY);
          const tx = batchAsAlice(s.carol.address, [id, otherId], [10n, 20n]);
          await expect(tx)
            .to.emit(erc1155(), "TransferPending")
            .withArgs(1n, s.alice.address, s.carol.address, id, 10n, releaseAt);
          await expect(tx)
            .to.emit(erc1155(), "TransferPending")
            .withArgs(2n, s.alice.address, s.carol.address, otherId, 20n, releaseAt);
          await expect(tx).to.not.emit(erc1155(), "TransferBatch");
          expect(await token.lockedBalanceOf(s.alice.address, id)).to.equal(10n);
          expect(await token.lockedBalanceOf(s.alice.address, otherId)).to.equal(20n);
          expect(await erc1155().balanceOf(s.carol.address, id)).to.equal(0n);
        });
      });

      describe("when one entry is not available", function () {
        it("refuses the whole batch on either route, and changes nothing", async function () {
          const before = await ledger();
          const tooMuch = subject.otherHolding + 1n;
          for (const to of [s.alice2.address, s.carol.address]) {
            await expect(batchAsAlice(to, [id, otherId], [10n, tooMuch]))
              .to.be.revertedWithCustomError(erc1155(), "TokenInsufficientBalance")
              .withArgs(s.alice.address, otherId, subject.otherHolding, tooMuch);
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("when it names the same id twice", function () {
        it("checks the sum against the balance", async function () {
          const before = await ledger();
          await expect(batchAsAlice(s.alice2.address, [id, id], [subject.holding - 100n, 200n]))
            .to.be.revertedWithCustomError(erc1155(), "TokenInsufficientBalance")
            .withArgs(s.alice.address, id, subject.holding, subject.holding + 100n);
          expect(await ledger()).to.deep.equal(before);
        });

        describe("while units of that id are locked by a pending transfer", function () {
          const LOCKED = 300n;
          const available = () => subject.holding - LOCKED;

          beforeEach(async function () {
            await subject.transfer(f, s.alice, s.carol.address, LOCKED);
          });

          it("cannot spend the locked units on the immediate route, and changes nothing", async function () {
            const before = await ledger();
            await expect(batchAsAlice(s.alice2.address, [id, id], [available() - 10n, 20n]))
              .to.be.revertedWithCustomError(erc1155(), "TokenBalanceLocked")
              .withArgs(s.alice.address, id, available(), LOCKED, available() + 10n);
            expect(await ledger()).to.deep.equal(before);
            expect(await token.lockedBalanceOf(s.alice.address, id)).to.be.lte(
              await erc1155().balanceOf(s.alice.address, id),
            );
          });

          it("cannot lock the same units twice on the pending route, and changes nothing", async function () {
            const before = await ledger();
            await expect(batchAsAlice(s.dave.address, [id, id], [available() - 10n, 20n]))
              .to.be.revertedWithCustomError(erc1155(), "TokenBalanceLocked")
              .withArgs(s.alice.address, id, 10n, subject.holding - 10n, 20n);
            expect(await ledger()).to.deep.equal(before);
          });

          it("may spend up to the unlocked units", async function () {
            await batchAsAlice(s.alice2.address, [id, id], [available() - 10n, 10n]);
            expect(await erc1155().balanceOf(s.alice2.address, id)).to.equal(available());
            expect(await token.availableBalanceOf(s.alice.address, id)).to.equal(0n);
          });
        });
      });

      describe("with arrays of different lengths", function () {
        it("is refused on either route", async function () {
          for (const to of [s.alice2.address, s.carol.address]) {
            await expect(batchAsAlice(to, [id, otherId], [10n]))
              .to.be.revertedWithCustomError(erc1155(), "ERC1155InvalidArrayLength")
              .withArgs(2n, 1n);
            await expect(batchAsAlice(to, [id], [10n, 20n]))
              .to.be.revertedWithCustomError(erc1155(), "ERC1155InvalidArrayLength")
              .withArgs(1n, 2n);
          }
        });
      });

      describe("with a zero amount in one entry", function () {
        it("is refused on either route, and changes nothing", async function () {
          const before = await ledger();
          for (const to of [s.alice2.address, s.carol.address]) {
            await expect(batchAsAlice(to, [id, otherId], [10n, 0n])).to.be.revertedWithCustomError(
              erc1155(),
              "TokenZeroAmount",
            );
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("while transfers are suspended", function () {
        it("is refused on either route, and changes nothing", async function () {
          await trustCarol();
          await f.c.rules.suspend("market incident");
          const before = await ledger();
          for (const to of [s.alice2.address, s.carol.address, s.dave.address]) {
            await expect(batchAsAlice(to, [id, otherId], [10n, 20n])).to.be.revertedWithCustomError(
              erc1155(),
              "TokenTransfersSuspended",
            );
          }
          expect(await ledger()).to.deep.equal(before);
        });
      });

      describe("from a frozen account or to a frozen account", function () {
        it("is refused, and changes nothing", async function () {
          await trustCarol();
          await f.c.registry.connect(s.operator).freeze(s.carol.address);
          const before = await ledger();
          await expect(batchAsAlice(s.carol.address, [id, otherId], [10n, 20n]))
            .to.be.revertedWithCustomError(erc1155(), "TokenAccountNotActive")
            .withArgs(s.carol.address, AccountStatus.Frozen);
          await f.c.registry.connect(s.operator).freeze(s.alice.address);
          await expect(batchAsAlice(s.alice2.address, [id, otherId], [10n, 20n]))
            .to.be.revertedWithCustomError(erc1155(), "TokenAccountNotActive")
            .withArgs(s.alice.address, AccountStatus.Frozen);
          expect(await ledger()).to.deep.equal(before);
        });
      });
    });

    describe("when an operator transfers for a holder", function () {
      /** The exchange's signer, which has no registry account, acts as alice's operator. */
      const single = (to: string, amount: bigint) =>
        erc1155().connect(s.exchange).safeTransferFrom(s.alice.address, to, id, amount, "0x");
      const batch = (to: string) =>
        erc1155().connect(s.exchange).safeBatchTransferFrom(s.alice.address, to, [id, otherId], [10n, 20n], "0x");

      describe("with the holder's approval", function () {
        beforeEach(async function () {
          await erc1155().connect(s.alice).setApprovalForAll(s.exchange.address, true);
        });

        it("moves units at once to an immediate destination", async function () {
          await expect(single(s.alice2.address, 10n))
            .to.emit(erc1155(), "TransferSingle")
            .withArgs(s.exchange.address, s.alice.address, s.alice2.address, id, 10n);
          await expect(batch(s.alice2.address)).to.emit(erc1155(), "TransferBatch");
          expect(await erc1155().balanceOf(s.alice2.address, id)).to.equal(20n);
        });

        it("holds units pending to an untrusted account, in the holder's name", async function () {
          await expect(single(s.carol.address, 10n)).to.emit(erc1155(), "TransferPending");
          await expect(batch(s.carol.address)).to.emit(erc1155(), "TransferPending");
          expect(await token.pendingTransfersOf(s.alice.address)).to.deep.equal([1n, 2n, 3n]);
          expect((await token.pendingTransfer(1n)).from).to.equal(s.alice.address);
          expect(await erc1155().balanceOf(s.carol.address, id)).to.equal(0n);
        });

        it("cannot cancel the pending transfer it made; only the holder can", async function () {
          await single(s.carol.address, 10n);
          await expect(token.connect(s.exchange).cancelPending(1n))
            .to.be.revertedWithCustomError(token, "TokenNotPendingSender")
            .withArgs(1n, s.exchange.address);
          await token.connect(s.alice).cancelPending(1n);
          expect((await token.pendingTransfer(1n)).status).to.equal(BigInt(PendingStatus.Cancelled));
        });

        it("cannot move a frozen holder's units", async function () {
          await f.c.registry.connect(s.operator).freeze(s.alice.address);
          await expect(single(s.alice2.address, 10n))
            .to.be.revertedWithCustomError(erc1155(), "TokenAccountNotActive")
            .withArgs(s.alice.address, AccountStatus.Frozen);
        });

        it("cannot move units locked by the holder's pending transfers", async function () {
          await subject.transfer(f, s.alice, s.carol.address, subject.holding);
          await expect(single(s.alice2.address, 1n))
            .to.be.revertedWithCustomError(erc1155(), "TokenBalanceLocked")
            .withArgs(s.alice.address, id, 0n, subject.holding, 1n);
        });
      });

      describe("without the holder's approval", function () {
        it("is refused on every route, and changes nothing", async function () {
          const before = await ledger();
          for (const to of [s.alice2.address, s.carol.address]) {
            await expect(single(to, 10n))
              .to.be.revertedWithCustomError(erc1155(), "TokenNotAuthorised")
              .withArgs(s.exchange.address, s.alice.address);
            await expect(batch(to))
              .to.be.revertedWithCustomError(erc1155(), "TokenNotAuthorised")
              .withArgs(s.exchange.address, s.alice.address);
          }
          expect(await ledger()).to.deep.equal(before);
        });

        it("is refused once the approval is revoked", async function () {
          await erc1155().connect(s.alice).setApprovalForAll(s.exchange.address, true);
          await erc1155().connect(s.alice).setApprovalForAll(s.exchange.address, false);
          await expect(single(s.alice2.address, 10n))
            .to.be.revertedWithCustomError(erc1155(), "TokenNotAuthorised")
            .withArgs(s.exchange.address, s.alice.address);
        });

        it("cannot make another holder's units move even between its own accounts", async function () {
          await expect(erc1155().connect(s.alice2).safeTransferFrom(s.alice.address, s.alice2.address, id, 1n, "0x"))
            .to.be.revertedWithCustomError(erc1155(), "TokenNotAuthorised")
            .withArgs(s.alice2.address, s.alice.address);
        });
      });
    });

    describe("when a receiver contract's acceptance hook runs", function () {
      let wallet: BaseContract;
      let walletAddr: string;

      beforeEach(async function () {
        const { abi, bytecode } = compileMock("HookWallet");
        wallet = await (await new ContractFactory(abi, bytecode, s.regulator).deploy()).waitForDeployment();
        walletAddr = await wallet.getAddress();
      });

      const queue = async (data: string) => {
        await wallet.getFunction("queueOnReceipt")(await erc1155().getAddress(), data);
      };
      const transferData = (from: string, to: string, tokenId: bigint, amount: bigint) =>
        erc1155().interface.encodeFunctionData("safeTransferFrom", [from, to, tokenId, amount, "0x"]);
      /** Each hook call's outcome: "ok" or the name of the error it raised. */
      const hookOutcomes = async (): Promise<string[]> => {
        const n = (await wallet.getFunction("hookCallCount")()) as bigint;
        const out: string[] = [];
        for (let i = 0n; i < n; ++i) {
          const [ok, returned] = (await wallet.getFunction("hookCall")(i)) as [boolean, string];
          out.push(ok ? "ok" : (erc1155().interface.parseError(returned)?.name ?? returned));
        }
        return out;
      };

      it("on issuance, runs the receiver's own transfer as an ordinary transfer", async function () {
        await f.c.registry.connect(s.operator).openAccount(ENTITY.steelCo, walletAddr);
        const issuedId = subject.name === "OffsetToken" ? (await f.c.offsets.batchCount()) + 1n : id;
        await queue(transferData(walletAddr, s.alice2.address, issuedId, 10n));
        await (
          await subject.issue(f, walletAddr, 40n)
        ).tx;
        expect(await hookOutcomes()).to.deep.equal(["ok"]);
        expect(await erc1155().balanceOf(s.alice2.address, issuedId)).to.equal(10n);
        expect(await erc1155().balanceOf(walletAddr, issuedId)).to.equal(30n);
      });

      it("on a forced transfer during suspension, does not let the receiver transfer", async function () {
        await f.c.registry.connect(s.operator).openAccount(ENTITY.steelCo, walletAddr);
        await f.c.rules.suspend("market incident");
        await queue(transferData(walletAddr, s.alice2.address, id, 10n));
        const data = token.interface.encodeFunctionData("forceTransfer", [
          s.alice.address,
          walletAddr,
          id,
          50n,
          "TJ-ENF-1",
        ]);
        await scheduleAndExecute(f, token, data);
        expect(await hookOutcomes()).to.deep.equal(["TokenTransfersSuspended"]);
        expect(await erc1155().balanceOf(walletAddr, id)).to.equal(50n);
        expect(await erc1155().balanceOf(s.alice2.address, id)).to.equal(0n);
      });

      it("on key recovery, does not let the new wallet spend units it just locked", async function () {
        const first = (await token.heldIds(s.alice.address))[0];
        if (first === undefined) throw new Error("alice holds nothing");
        const held = await erc1155().balanceOf(s.alice.address, first);
        await queue(transferData(walletAddr, s.carol.address, first, held)); // pending: locks everything
        await queue(transferData(walletAddr, s.alice2.address, first, held)); // immediate: same entity
        const data = f.c.registry.interface.encodeFunctionData("recover", [s.alice.address, walletAddr]);
        await scheduleAndExecute(f, f.c.registry, data);
        expect(await hookOutcomes()).to.deep.equal(["ok", "TokenBalanceLocked"]);
        expect(await erc1155().balanceOf(walletAddr, first)).to.equal(held);
        expect(await token.lockedBalanceOf(walletAddr, first)).to.equal(held);
        expect(await erc1155().balanceOf(s.alice2.address, first)).to.equal(0n);
      });
    });
  });
}
