import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AccountStatus,
  Category,
  DEFAULT_DELAY,
  ENFORCEMENT_DELAY,
  ENTITY,
  ISSUED,
  OTHER_VINTAGE,
  PendingStatus,
  Sector,
  VINTAGE,
  creditCode,
  fundedFixture,
  minedAt,
  ref,
  registryFixture,
  scheduleAndExecute,
  type RegistryFixture,
} from "../fixtures";

describe("ParticipantRegistry", function () {
  let f: RegistryFixture;

  /** Registry-wide facts a rejected call must leave as they were. */
  async function registryState(wallets: string[]) {
    const { registry } = f.c;
    return {
      entityCount: await registry.entityCount(),
      accounts: await Promise.all(
        wallets.map(async (w) => {
          const a = await registry.accountOf(w);
          return [w, a.entityId, a.status, a.openedAt, await registry.isClearingHouse(w)];
        }),
      ),
      walletsOfSteel: await registry.walletsOf(ENTITY.steelCo),
    };
  }
  const everyone = () =>
    [f.s.alice, f.s.alice2, f.s.bob, f.s.carol, f.s.dave, f.s.clearing, f.s.stranger, f.s.spare].map((x) => x.address);

  describe("when the registry operator registers an entity", function () {
    beforeEach(async function () {
      f = await loadFixture(registryFixture);
    });
    const register = (
      overrides: Partial<{
        id: bigint;
        category: number;
        sector: number;
        name: string;
        code: string;
        wallet: string;
      }> = {},
      as: HardhatEthersSigner = f.s.operator,
    ) =>
      f.c.registry
        .connect(as)
        .registerEntity(
          overrides.id ?? 201n,
          overrides.category ?? Category.CoveredEntity,
          overrides.sector ?? Sector.Chemicals,
          overrides.name ?? "Dagang Chemicals Co.",
          overrides.code ?? creditCode("dagang"),
          overrides.wallet ?? f.s.spare.address,
        );

    describe("with valid facts", function () {
      it("records the entity and opens its first account", async function () {
        const { registry } = f.c;
        const tx = register();
        await expect(tx)
          .to.emit(registry, "EntityRegistered")
          .withArgs(201n, Category.CoveredEntity, Sector.Chemicals, creditCode("dagang"), "Dagang Chemicals Co.");
        await expect(tx).to.emit(registry, "AccountOpened").withArgs(f.s.spare.address, 201n);
        const opened = await minedAt(await tx);
        const entity = await registry.entityOf(201n);
        expect([entity.category, entity.sector, entity.creditCodeHash, entity.name]).to.deep.equal([
          BigInt(Category.CoveredEntity),
          BigInt(Sector.Chemicals),
          creditCode("dagang"),
          "Dagang Chemicals Co.",
        ]);
        const account = await registry.accountOf(f.s.spare.address);
        expect([account.entityId, account.status, account.openedAt]).to.deep.equal([
          201n,
          BigInt(AccountStatus.Active),
          opened,
        ]);
        expect(await registry.walletsOf(201n)).to.deep.equal([f.s.spare.address]);
        expect(await registry.isActive(f.s.spare.address)).to.equal(true);
        expect(await registry.entityCount()).to.equal(6n);
      });

      it("accepts every sector for a covered entity and no sector for every other category", async function () {
        let id = 300n;
        for (const sector of Object.values(Sector).filter((x) => x !== Sector.None)) {
          const wallet = ethers.Wallet.createRandom().address;
          await register({ id: ++id, sector, code: creditCode(`c${id}`), wallet });
          expect((await f.c.registry.entityOf(id)).sector).to.equal(BigInt(sector));
        }
        for (const category of [Category.Institution, Category.Individual, Category.Verifier, Category.Exchange]) {
          const wallet = ethers.Wallet.createRandom().address;
          await register({ id: ++id, category, sector: Sector.None, code: creditCode(`c${id}`), wallet });
          expect((await f.c.registry.entityOf(id)).category).to.equal(BigInt(category));
        }
      });

      it("accepts a name of 200 bytes (a Chinese name of 66 characters is 198)", async function () {
        await register({ name: "天".repeat(66) + "ab" });
        expect(ethers.toUtf8Bytes((await f.c.registry.entityOf(201n)).name)).to.have.length(200);
      });
    });

    describe("with invalid facts", function () {
      const cases: [string, () => Parameters<typeof register>[0], string, () => unknown[]][] = [
        ["a zero entity id", () => ({ id: 0n }), "RegistryEntityExists", () => [0n]],
        [
          "an entity id already registered",
          () => ({ id: ENTITY.steelCo }),
          "RegistryEntityExists",
          () => [ENTITY.steelCo],
        ],
        ["no category", () => ({ category: Category.None, sector: Sector.None }), "RegistryInvalidCategory", () => [0]],
        ["a covered entity without a sector", () => ({ sector: Sector.None }), "RegistryInvalidSector", () => [1, 0]],
        [
          "a sector for another category",
          () => ({ category: Category.Institution, sector: Sector.Power }),
          "RegistryInvalidSector",
          () => [2, 3],
        ],
        ["an empty name", () => ({ name: "" }), "RegistryInvalidName", () => []],
        ["a name longer than 200 bytes", () => ({ name: "天".repeat(67) }), "RegistryInvalidName", () => []],
        ["no credit code", () => ({ code: ethers.ZeroHash }), "RegistryMissingCreditCode", () => []],
        [
          "a credit code registered by another entity",
          () => ({ code: creditCode("steel") }),
          "RegistryDuplicateCreditCode",
          () => [creditCode("steel"), ENTITY.steelCo],
        ],
        ["the zero wallet", () => ({ wallet: ethers.ZeroAddress }), "RegistryZeroAddress", () => []],
        [
          "a wallet that has an account",
          () => ({ wallet: f.s.alice2.address }),
          "RegistryAccountExists",
          () => [f.s.alice2.address, ENTITY.steelCo],
        ],
      ];
      for (const [label, overrides, error, args] of cases) {
        it(`refuses ${label}, and changes nothing`, async function () {
          const before = await registryState(everyone());
          await expect(register(overrides()))
            .to.be.revertedWithCustomError(f.c.registry, error)
            .withArgs(...args());
          expect(await registryState(everyone())).to.deep.equal(before);
          expect((await f.c.registry.entityOf(201n)).category).to.equal(0n);
        });
      }

      it("refuses a category beyond the enumeration (the ABI decoder rejects it), and changes nothing", async function () {
        const before = await registryState(everyone());
        await expect(register({ category: 6, sector: Sector.None })).to.be.reverted;
        expect(await registryState(everyone())).to.deep.equal(before);
      });

      it("never reuses the wallet of a closed account", async function () {
        await f.c.registry.connect(f.s.operator).close(f.s.dave.address);
        await expect(register({ wallet: f.s.dave.address }))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryAccountExists")
          .withArgs(f.s.dave.address, ENTITY.individual);
      });
    });

    describe("from an account without REGISTRY_OPERATOR", function () {
      it("is refused, and changes nothing", async function () {
        const before = await registryState(everyone());
        for (const who of [f.s.bank, f.s.exchange, f.s.alice, f.s.stranger]) {
          await expect(register({}, who))
            .to.be.revertedWithCustomError(f.c.registry, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await registryState(everyone())).to.deep.equal(before);
      });
    });
  });

  describe("when the registry operator opens another account for an entity", function () {
    beforeEach(async function () {
      f = await loadFixture(registryFixture);
    });

    it("opens it active, for the same entity, after the others", async function () {
      const { registry } = f.c;
      await expect(registry.connect(f.s.operator).openAccount(ENTITY.steelCo, f.s.spare.address))
        .to.emit(registry, "AccountOpened")
        .withArgs(f.s.spare.address, ENTITY.steelCo);
      expect(await registry.walletsOf(ENTITY.steelCo)).to.deep.equal([
        f.s.alice.address,
        f.s.alice2.address,
        f.s.spare.address,
      ]);
      expect(await registry.sameEntity(f.s.alice.address, f.s.spare.address)).to.equal(true);
      expect(await registry.sameEntity(f.s.bob.address, f.s.spare.address)).to.equal(false);
      expect(await registry.entityCount()).to.equal(5n);
    });

    it("refuses an entity that is not registered, and changes nothing", async function () {
      const before = await registryState(everyone());
      await expect(f.c.registry.connect(f.s.operator).openAccount(999n, f.s.spare.address))
        .to.be.revertedWithCustomError(f.c.registry, "RegistryUnknownEntity")
        .withArgs(999n);
      expect(await registryState(everyone())).to.deep.equal(before);
    });

    it("refuses a wallet that has an account, or the zero wallet, and changes nothing", async function () {
      const before = await registryState(everyone());
      await expect(f.c.registry.connect(f.s.operator).openAccount(ENTITY.steelCo, f.s.bob.address))
        .to.be.revertedWithCustomError(f.c.registry, "RegistryAccountExists")
        .withArgs(f.s.bob.address, ENTITY.powerCo);
      await expect(
        f.c.registry.connect(f.s.operator).openAccount(ENTITY.steelCo, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(f.c.registry, "RegistryZeroAddress");
      expect(await registryState(everyone())).to.deep.equal(before);
    });
  });

  describe("account status", function () {
    beforeEach(async function () {
      f = await loadFixture(fundedFixture);
    });
    const op = () => f.c.registry.connect(f.s.operator);
    const statusOf = async (w: string) => (await f.c.registry.accountOf(w)).status;

    describe("when the operator freezes an active account", function () {
      it("makes it frozen", async function () {
        await expect(op().freeze(f.s.alice.address)).to.emit(f.c.registry, "AccountFrozen").withArgs(f.s.alice.address);
        expect(await statusOf(f.s.alice.address)).to.equal(BigInt(AccountStatus.Frozen));
        expect(await f.c.registry.isActive(f.s.alice.address)).to.equal(false);
        // A frozen account keeps its holdings.
        expect(await f.c.allowances.balanceOf(f.s.alice.address, VINTAGE)).to.equal(ISSUED.allowances);
      });

      it("refuses an account that is frozen or closed already, or unknown, and changes nothing", async function () {
        await op().freeze(f.s.alice.address);
        await op().close(f.s.dave.address);
        const before = await registryState(everyone());
        await expect(op().freeze(f.s.alice.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.alice.address, AccountStatus.Frozen);
        await expect(op().freeze(f.s.dave.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.dave.address, AccountStatus.Closed);
        await expect(op().freeze(f.s.stranger.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryUnknownAccount")
          .withArgs(f.s.stranger.address);
        expect(await registryState(everyone())).to.deep.equal(before);
      });
    });

    describe("when the operator unfreezes a frozen account", function () {
      it("makes it active again", async function () {
        await op().freeze(f.s.alice.address);
        await expect(op().unfreeze(f.s.alice.address))
          .to.emit(f.c.registry, "AccountUnfrozen")
          .withArgs(f.s.alice.address);
        expect(await statusOf(f.s.alice.address)).to.equal(BigInt(AccountStatus.Active));
      });

      it("refuses an account that is active or closed, or unknown, and changes nothing", async function () {
        await op().close(f.s.dave.address);
        const before = await registryState(everyone());
        await expect(op().unfreeze(f.s.alice.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.alice.address, AccountStatus.Active);
        await expect(op().unfreeze(f.s.dave.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.dave.address, AccountStatus.Closed);
        await expect(op().unfreeze(f.s.stranger.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryUnknownAccount")
          .withArgs(f.s.stranger.address);
        expect(await registryState(everyone())).to.deep.equal(before);
      });
    });

    describe("when the operator closes an account", function () {
      it("closes an empty active or frozen account for good", async function () {
        await expect(op().close(f.s.dave.address)).to.emit(f.c.registry, "AccountClosed").withArgs(f.s.dave.address);
        await op().freeze(f.s.carol.address);
        await op().close(f.s.carol.address);
        expect(await statusOf(f.s.dave.address)).to.equal(BigInt(AccountStatus.Closed));
        expect(await statusOf(f.s.carol.address)).to.equal(BigInt(AccountStatus.Closed));
        await expect(op().unfreeze(f.s.dave.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.dave.address, AccountStatus.Closed);
      });

      it("refuses an account that is closed already, or unknown", async function () {
        await op().close(f.s.dave.address);
        await expect(op().close(f.s.dave.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.dave.address, AccountStatus.Closed);
        await expect(op().close(f.s.stranger.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryUnknownAccount")
          .withArgs(f.s.stranger.address);
      });

      describe("that still holds units", function () {
        const holdings: [
          string,
          (f: RegistryFixture, to: string) => Promise<unknown>,
          (f: RegistryFixture) => string,
        ][] = [
          [
            "allowances",
            (f, to) => f.c.allowances.connect(f.s.minter).mint(to, VINTAGE, 5n),
            (f) => f.manifest.contracts.AllowanceToken,
          ],
          [
            "CCER",
            (f, to) => f.c.offsets.connect(f.s.alice).safeTransferFrom(f.s.alice.address, to, 1n, 5n, "0x"),
            (f) => f.manifest.contracts.OffsetToken,
          ],
          [
            "cash",
            (f, to) => f.c.cash.connect(f.s.bank).deposit(to, 5n, ref("bank-close")),
            (f) => f.manifest.contracts.CashToken,
          ],
        ];
        for (const [label, give, tokenOf] of holdings) {
          it(`refuses while it holds ${label}, and changes nothing`, async function () {
            await give(f, f.s.alice2.address); // same entity as alice: immediate
            const before = await registryState(everyone());
            await expect(op().close(f.s.alice2.address))
              .to.be.revertedWithCustomError(f.c.registry, "RegistryAccountNotEmpty")
              .withArgs(f.s.alice2.address, tokenOf(f));
            expect(await registryState(everyone())).to.deep.equal(before);
          });
        }

        it("refuses while units are locked in its pending transfer, and closes once they are gone", async function () {
          await f.c.cash.connect(f.s.bank).deposit(f.s.dave.address, 5n, ref("bank-dave"));
          await f.c.cash.connect(f.s.dave).transfer(f.s.carol.address, 5n); // pending
          await expect(op().close(f.s.dave.address))
            .to.be.revertedWithCustomError(f.c.registry, "RegistryAccountNotEmpty")
            .withArgs(f.s.dave.address, f.manifest.contracts.CashToken);
          await time.increase(DEFAULT_DELAY);
          await f.c.cash.executePending(1n);
          await op().close(f.s.dave.address);
          expect(await statusOf(f.s.dave.address)).to.equal(BigInt(AccountStatus.Closed));
        });
      });

      it("withdraws the clearing-house designation of a closed account", async function () {
        await expect(op().close(f.s.clearing.address))
          .to.emit(f.c.registry, "ClearingHouseSet")
          .withArgs(f.s.clearing.address, false);
        expect(await f.c.registry.isClearingHouse(f.s.clearing.address)).to.equal(false);
      });
    });

    describe("from an account without REGISTRY_OPERATOR", function () {
      it("is refused, and changes nothing", async function () {
        const before = await registryState(everyone());
        for (const who of [f.s.bank, f.s.alice, f.s.stranger]) {
          for (const call of [
            () => f.c.registry.connect(who).freeze(f.s.bob.address),
            () => f.c.registry.connect(who).unfreeze(f.s.bob.address),
            () => f.c.registry.connect(who).close(f.s.dave.address),
          ]) {
            await expect(call())
              .to.be.revertedWithCustomError(f.c.registry, "AccessManagedUnauthorized")
              .withArgs(who.address);
          }
        }
        expect(await registryState(everyone())).to.deep.equal(before);
      });
    });
  });

  describe("key recovery", function () {
    beforeEach(async function () {
      f = await loadFixture(fundedFixture);
    });
    const recoverData = (oldWallet: string, newWallet: string) =>
      f.c.registry.interface.encodeFunctionData("recover", [oldWallet, newWallet]);
    const recover = (oldWallet: string, newWallet: string) =>
      scheduleAndExecute(f, f.c.registry, recoverData(oldWallet, newWallet));

    /** Every holding of alice and the spare wallet, in every token. */
    async function holdings(wallet: string) {
      const { c } = f;
      return {
        allowances: await c.allowances.balanceOfBatch([wallet, wallet], [VINTAGE, OTHER_VINTAGE]),
        offsets: await c.offsets.balanceOfBatch([wallet, wallet], [1n, 2n]),
        cash: await c.cash.balanceOf(wallet),
      };
    }

    describe("through the AccessManager's execution delay", function () {
      it("opens the new wallet for the same entity, closes the old one and moves every holding of every token", async function () {
        const { c, s } = f;
        const before = await holdings(s.alice.address);
        const tx = recover(s.alice.address, s.spare.address);
        await expect(tx).to.emit(c.registry, "AccountOpened").withArgs(s.spare.address, ENTITY.steelCo);
        await expect(tx)
          .to.emit(c.registry, "AccountRecovered")
          .withArgs(s.alice.address, s.spare.address, ENTITY.steelCo);
        for (const token of [c.allowances, c.offsets, c.cash]) {
          await expect(tx).to.emit(token, "HoldingsRecovered").withArgs(s.alice.address, s.spare.address);
        }
        expect(await holdings(s.spare.address)).to.deep.equal(before);
        expect(await holdings(s.alice.address)).to.deep.equal({ allowances: [0n, 0n], offsets: [0n, 0n], cash: 0n });
        for (const token of [c.allowances, c.offsets, c.cash]) {
          expect(await token.holdsAnything(s.alice.address)).to.equal(false);
        }
        expect((await c.registry.accountOf(s.alice.address)).status).to.equal(BigInt(AccountStatus.Closed));
        const account = await c.registry.accountOf(s.spare.address);
        expect([account.entityId, account.status]).to.deep.equal([ENTITY.steelCo, BigInt(AccountStatus.Active)]);
        expect(await c.registry.walletsOf(ENTITY.steelCo)).to.deep.equal([
          s.alice.address,
          s.alice2.address,
          s.spare.address,
        ]);
        // Supply is untouched: recovery moves, it does not mint or burn.
        expect(await c.allowances["totalSupply(uint256)"](VINTAGE)).to.equal(2n * ISSUED.allowances);
        expect(await c.cash.totalSupply()).to.equal(2n * ISSUED.cash);
      });

      it("cancels the old wallet's pending transfers, unlocking their units before moving them", async function () {
        const { c, s } = f;
        await c.allowances.connect(s.alice).safeTransferFrom(s.alice.address, s.carol.address, VINTAGE, 100n, "0x");
        await c.allowances.connect(s.alice).safeTransferFrom(s.alice.address, s.dave.address, OTHER_VINTAGE, 50n, "0x");
        await c.cash.connect(s.alice).transfer(s.carol.address, 700n);
        const registryAddr = await c.registry.getAddress();
        const tx = recover(s.alice.address, s.spare.address);
        await expect(tx).to.emit(c.allowances, "PendingTransferCancelled").withArgs(1n, registryAddr);
        await expect(tx).to.emit(c.allowances, "PendingTransferCancelled").withArgs(2n, registryAddr);
        await expect(tx).to.emit(c.cash, "PendingTransferCancelled").withArgs(1n, registryAddr);
        for (const [token, id] of [
          [c.allowances, 1n],
          [c.allowances, 2n],
          [c.cash, 1n],
        ] as const) {
          expect((await token.pendingTransfer(id)).status).to.equal(BigInt(PendingStatus.Cancelled));
        }
        expect(await c.allowances.pendingTransfersOf(s.alice.address)).to.deep.equal([]);
        expect(await c.allowances.lockedBalanceOf(s.alice.address, VINTAGE)).to.equal(0n);
        expect(await c.cash.lockedBalanceOf(s.alice.address, 0n)).to.equal(0n);
        expect(await c.allowances.balanceOf(s.spare.address, VINTAGE)).to.equal(ISSUED.allowances);
        expect(await c.cash.balanceOf(s.spare.address)).to.equal(ISSUED.cash);
        // The thief's transfers are gone for good.
        await time.increase(DEFAULT_DELAY);
        await expect(c.allowances.executePending(1n))
          .to.be.revertedWithCustomError(c.allowances, "TokenPendingTransferClosed")
          .withArgs(1n, PendingStatus.Cancelled);
      });

      it("recovers a frozen account (freeze first, then recover: the stolen-key drill)", async function () {
        const { c, s } = f;
        await c.registry.connect(s.operator).freeze(s.alice.address);
        await recover(s.alice.address, s.spare.address);
        expect(await c.allowances.balanceOf(s.spare.address, VINTAGE)).to.equal(ISSUED.allowances);
        // The new wallet can trade, the old one cannot.
        await c.allowances.connect(s.spare).safeTransferFrom(s.spare.address, s.alice2.address, VINTAGE, 1n, "0x");
        await expect(c.cash.connect(s.alice).transfer(s.alice2.address, 1n))
          .to.be.revertedWithCustomError(c.cash, "TokenAccountNotActive")
          .withArgs(s.alice.address, AccountStatus.Closed);
      });

      it("recovers a wallet that holds nothing", async function () {
        await recover(f.s.dave.address, f.s.spare.address);
        expect((await f.c.registry.accountOf(f.s.spare.address)).entityId).to.equal(ENTITY.individual);
      });

      it("withdraws the clearing-house designation of the replaced wallet", async function () {
        const tx = recover(f.s.clearing.address, f.s.spare.address);
        await expect(tx).to.emit(f.c.registry, "ClearingHouseSet").withArgs(f.s.clearing.address, false);
        expect(await f.c.registry.isClearingHouse(f.s.clearing.address)).to.equal(false);
        expect(await f.c.registry.isClearingHouse(f.s.spare.address)).to.equal(false);
      });

      it("can be cancelled by the regulator before it runs", async function () {
        const target = await f.c.registry.getAddress();
        const data = recoverData(f.s.alice.address, f.s.spare.address);
        await f.c.authority.schedule(target, data, 0);
        await f.c.authority.cancel(f.s.regulator.address, target, data);
        await time.increase(ENFORCEMENT_DELAY);
        await expect(f.c.authority.execute(target, data)).to.be.revertedWithCustomError(
          f.c.authority,
          "AccessManagerNotScheduled",
        );
        expect(await f.c.registry.isActive(f.s.alice.address)).to.equal(true);
      });
    });

    describe("without waiting for the delay", function () {
      it("is refused when called directly, or executed too early, and changes nothing", async function () {
        const before = await registryState(everyone());
        const holdingsBefore = await holdings(f.s.alice.address);
        await expect(f.c.registry.recover(f.s.alice.address, f.s.spare.address)).to.be.revertedWithCustomError(
          f.c.authority,
          "AccessManagerNotScheduled",
        );
        const target = await f.c.registry.getAddress();
        const data = recoverData(f.s.alice.address, f.s.spare.address);
        await f.c.authority.schedule(target, data, 0);
        await time.increase(ENFORCEMENT_DELAY - 10);
        await expect(f.c.authority.execute(target, data)).to.be.revertedWithCustomError(
          f.c.authority,
          "AccessManagerNotReady",
        );
        expect(await registryState(everyone())).to.deep.equal(before);
        expect(await holdings(f.s.alice.address)).to.deep.equal(holdingsBefore);
      });
    });

    describe("by anyone but the regulator", function () {
      it("is refused, and changes nothing", async function () {
        const before = await registryState(everyone());
        for (const who of [f.s.operator, f.s.alice, f.s.stranger]) {
          await expect(f.c.registry.connect(who).recover(f.s.alice.address, who.address))
            .to.be.revertedWithCustomError(f.c.registry, "AccessManagedUnauthorized")
            .withArgs(who.address);
          await expect(
            f.c.authority
              .connect(who)
              .schedule(await f.c.registry.getAddress(), recoverData(f.s.alice.address, who.address), 0),
          ).to.be.revertedWithCustomError(f.c.authority, "AccessManagerUnauthorizedCall");
        }
        expect(await registryState(everyone())).to.deep.equal(before);
      });
    });

    describe("with invalid wallets", function () {
      const cases: [string, () => [string, string], string, () => unknown[]][] = [
        [
          "an old wallet that has no account",
          () => [f.s.stranger.address, f.s.spare.address],
          "RegistryUnknownAccount",
          () => [f.s.stranger.address],
        ],
        [
          "a new wallet that has an account",
          () => [f.s.alice.address, f.s.bob.address],
          "RegistryAccountExists",
          () => [f.s.bob.address, ENTITY.powerCo],
        ],
        [
          "the zero address as the new wallet",
          () => [f.s.alice.address, ethers.ZeroAddress],
          "RegistryZeroAddress",
          () => [],
        ],
        [
          "the old wallet as the new one",
          () => [f.s.alice.address, f.s.alice.address],
          "RegistryAccountExists",
          () => [f.s.alice.address, ENTITY.steelCo],
        ],
      ];
      for (const [label, wallets, error, args] of cases) {
        it(`refuses ${label}, and changes nothing`, async function () {
          const before = await registryState(everyone());
          const holdingsBefore = await holdings(f.s.alice.address);
          await expect(recover(...wallets()))
            .to.be.revertedWithCustomError(f.c.registry, error)
            .withArgs(...args());
          expect(await registryState(everyone())).to.deep.equal(before);
          expect(await holdings(f.s.alice.address)).to.deep.equal(holdingsBefore);
        });
      }

      it("refuses an old wallet that is closed", async function () {
        await f.c.registry.connect(f.s.operator).close(f.s.dave.address);
        await expect(recover(f.s.dave.address, f.s.spare.address))
          .to.be.revertedWithCustomError(f.c.registry, "RegistryInvalidStatus")
          .withArgs(f.s.dave.address, AccountStatus.Closed);
      });
    });
  });

  describe("clearing houses", function () {
    beforeEach(async function () {
      f = await loadFixture(registryFixture);
    });

    it("are designated and withdrawn by the regulator", async function () {
      const { c, s } = f;
      await c.registry.connect(s.operator).openAccount(ENTITY.exchange, s.spare.address);
      await expect(c.registry.setClearingHouse(s.spare.address, true))
        .to.emit(c.registry, "ClearingHouseSet")
        .withArgs(s.spare.address, true);
      expect(await c.registry.isClearingHouse(s.spare.address)).to.equal(true);
      expect(await c.rules.isImmediate(s.alice.address, s.spare.address)).to.equal(true);
      await expect(c.registry.setClearingHouse(s.spare.address, false))
        .to.emit(c.registry, "ClearingHouseSet")
        .withArgs(s.spare.address, false);
      expect(await c.registry.isClearingHouse(s.spare.address)).to.equal(false);
      expect(await c.rules.isImmediate(s.alice.address, s.spare.address)).to.equal(false);
    });

    it("must be active accounts of an exchange entity", async function () {
      const { c, s } = f;
      await c.registry.connect(s.operator).openAccount(ENTITY.exchange, s.spare.address);
      await c.registry.connect(s.operator).freeze(s.spare.address);
      for (const wallet of [s.alice.address, s.carol.address, s.stranger.address, s.spare.address]) {
        await expect(c.registry.setClearingHouse(wallet, true))
          .to.be.revertedWithCustomError(c.registry, "RegistryInvalidClearingHouse")
          .withArgs(wallet);
        expect(await c.registry.isClearingHouse(wallet)).to.equal(false);
      }
    });

    it("may only be designated by REGULATOR", async function () {
      for (const who of [f.s.operator, f.s.exchange, f.s.clearing]) {
        await expect(f.c.registry.connect(who).setClearingHouse(f.s.clearing.address, false))
          .to.be.revertedWithCustomError(f.c.registry, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await f.c.registry.isClearingHouse(f.s.clearing.address)).to.equal(true);
    });
  });

  describe("holding tokens", function () {
    beforeEach(async function () {
      f = await loadFixture(registryFixture);
    });

    it("are the three registry tokens after deployment", async function () {
      const m = f.manifest.contracts;
      expect(await f.c.registry.holdingTokens()).to.deep.equal([m.AllowanceToken, m.OffsetToken, m.CashToken]);
    });

    it("cannot be listed twice, be the zero address, or grow beyond 8", async function () {
      const { registry } = f.c;
      await expect(registry.addHoldingToken(f.manifest.contracts.CashToken))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidHoldingToken")
        .withArgs(f.manifest.contracts.CashToken);
      await expect(registry.addHoldingToken(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidHoldingToken")
        .withArgs(ethers.ZeroAddress);
      for (let i = 0; i < 5; ++i) {
        const token = ethers.Wallet.createRandom().address;
        await expect(registry.addHoldingToken(token)).to.emit(registry, "HoldingTokenAdded").withArgs(token);
      }
      const ninth = ethers.Wallet.createRandom().address;
      await expect(registry.addHoldingToken(ninth))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidHoldingToken")
        .withArgs(ninth);
      expect(await registry.holdingTokens()).to.have.length(8);
    });

    it("may only be listed by REGULATOR", async function () {
      await expect(f.c.registry.connect(f.s.operator).addHoldingToken(f.s.spare.address))
        .to.be.revertedWithCustomError(f.c.registry, "AccessManagedUnauthorized")
        .withArgs(f.s.operator.address);
    });
  });

  describe("views", function () {
    beforeEach(async function () {
      f = await loadFixture(registryFixture);
    });

    it("tell whether two wallets belong to the same entity (never for unregistered wallets)", async function () {
      const { registry } = f.c;
      const { alice, alice2, bob, stranger, spare } = f.s;
      expect(await registry.sameEntity(alice.address, alice2.address)).to.equal(true);
      expect(await registry.sameEntity(alice.address, bob.address)).to.equal(false);
      expect(await registry.sameEntity(stranger.address, spare.address)).to.equal(false);
      expect(await registry.sameEntity(stranger.address, stranger.address)).to.equal(false);
    });

    it("return an empty account and entity for unknown ones", async function () {
      const account = await f.c.registry.accountOf(f.s.stranger.address);
      expect([account.entityId, account.status, account.openedAt]).to.deep.equal([0n, 0n, 0n]);
      expect((await f.c.registry.entityOf(999n)).category).to.equal(0n);
      expect(await f.c.registry.walletsOf(999n)).to.deep.equal([]);
    });
  });
});
