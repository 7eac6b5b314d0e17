import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { DAY, DEFAULT_DELAY, ENTITY, HOUR, pinNextBlockTime, registryFixture, type RegistryFixture } from "../fixtures";

const MAX_DELAY = 30n * BigInt(DAY);

describe("TransferRules", function () {
  let f: RegistryFixture;

  beforeEach(async function () {
    f = await loadFixture(registryFixture);
  });

  const rulesAs = (who: keyof RegistryFixture["s"]) => f.c.rules.connect(f.s[who]);
  const listOf = async (holder: string) =>
    (await f.c.rules.trustedAccounts(holder)).map((t) => [t.account, t.activeFrom] as const);

  describe("after deployment", function () {
    it("holds transfers to untrusted accounts for 26 h, waits 26 h before a trusted account counts, and is not suspended", async function () {
      expect(await f.c.rules.pendingDelay()).to.equal(BigInt(DEFAULT_DELAY));
      expect(await f.c.rules.trustDelay()).to.equal(BigInt(DEFAULT_DELAY));
      expect(await f.c.rules.suspended()).to.equal(false);
    });
  });

  describe("when a holder trusts an account", function () {
    let activeFrom: bigint;

    beforeEach(async function () {
      activeFrom = (await pinNextBlockTime()) + BigInt(DEFAULT_DELAY);
      await expect(rulesAs("alice").addTrusted(f.s.bob.address))
        .to.emit(f.c.rules, "TrustedAccountAdded")
        .withArgs(f.s.alice.address, f.s.bob.address, activeFrom);
    });

    it("lists it with the time it starts to count", async function () {
      expect(await listOf(f.s.alice.address)).to.deep.equal([[f.s.bob.address, activeFrom]]);
      expect(await listOf(f.s.bob.address)).to.deep.equal([]);
    });

    it("makes transfers to it immediate only once the trust delay has passed", async function () {
      const { rules } = f.c;
      expect(await rules.isTrusted(f.s.alice.address, f.s.bob.address)).to.equal(false);
      expect(await rules.isImmediate(f.s.alice.address, f.s.bob.address)).to.equal(false);
      await time.increaseTo(activeFrom - 1n);
      expect(await rules.isTrusted(f.s.alice.address, f.s.bob.address)).to.equal(false);
      await time.increaseTo(activeFrom);
      expect(await rules.isTrusted(f.s.alice.address, f.s.bob.address)).to.equal(true);
      expect(await rules.isImmediate(f.s.alice.address, f.s.bob.address)).to.equal(true);
      // Trust goes one way.
      expect(await rules.isImmediate(f.s.bob.address, f.s.alice.address)).to.equal(false);
    });

    it("refuses the same account twice, even before it counts, and changes nothing", async function () {
      await expect(rulesAs("alice").addTrusted(f.s.bob.address))
        .to.be.revertedWithCustomError(f.c.rules, "RulesAlreadyTrusted")
        .withArgs(f.s.alice.address, f.s.bob.address);
      expect(await listOf(f.s.alice.address)).to.deep.equal([[f.s.bob.address, activeFrom]]);
    });

    describe("and removes it", function () {
      it("drops it at once", async function () {
        await time.increaseTo(activeFrom);
        await expect(rulesAs("alice").removeTrusted(f.s.bob.address))
          .to.emit(f.c.rules, "TrustedAccountRemoved")
          .withArgs(f.s.alice.address, f.s.bob.address);
        expect(await listOf(f.s.alice.address)).to.deep.equal([]);
        expect(await f.c.rules.isTrusted(f.s.alice.address, f.s.bob.address)).to.equal(false);
      });

      it("restarts the trust delay when the account is trusted again", async function () {
        await time.increaseTo(activeFrom);
        await rulesAs("alice").removeTrusted(f.s.bob.address);
        await rulesAs("alice").addTrusted(f.s.bob.address);
        expect(await f.c.rules.isTrusted(f.s.alice.address, f.s.bob.address)).to.equal(false);
      });

      it("keeps the other entries", async function () {
        await rulesAs("alice").addTrusted(f.s.carol.address);
        await rulesAs("alice").addTrusted(f.s.dave.address);
        await rulesAs("alice").removeTrusted(f.s.bob.address);
        const accounts = (await listOf(f.s.alice.address)).map(([a]) => a);
        expect(accounts).to.have.members([f.s.carol.address, f.s.dave.address]);
        expect(accounts).to.have.length(2);
      });

      it("may be done by a holder that is frozen", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
        await rulesAs("alice").removeTrusted(f.s.bob.address);
        expect(await listOf(f.s.alice.address)).to.deep.equal([]);
      });
    });
  });

  describe("when a holder removes an account that is not on its list", function () {
    it("is refused", async function () {
      await expect(rulesAs("alice").removeTrusted(f.s.bob.address))
        .to.be.revertedWithCustomError(f.c.rules, "RulesNotTrusted")
        .withArgs(f.s.alice.address, f.s.bob.address);
    });
  });

  describe("when the trust is invalid", function () {
    it("refuses a holder without an active account, and changes nothing", async function () {
      await f.c.registry.connect(f.s.operator).freeze(f.s.carol.address);
      for (const holder of ["stranger", "carol"] as const) {
        await expect(rulesAs(holder).addTrusted(f.s.bob.address))
          .to.be.revertedWithCustomError(f.c.rules, "RulesHolderNotActive")
          .withArgs(f.s[holder].address);
        expect(await listOf(f.s[holder].address)).to.deep.equal([]);
      }
    });

    it("refuses the zero address and the holder itself", async function () {
      await expect(rulesAs("alice").addTrusted(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(f.c.rules, "RulesInvalidTrustedAccount")
        .withArgs(ethers.ZeroAddress);
      await expect(rulesAs("alice").addTrusted(f.s.alice.address))
        .to.be.revertedWithCustomError(f.c.rules, "RulesInvalidTrustedAccount")
        .withArgs(f.s.alice.address);
      expect(await listOf(f.s.alice.address)).to.deep.equal([]);
    });

    it("refuses an account that is unregistered, frozen or closed", async function () {
      await f.c.registry.connect(f.s.operator).freeze(f.s.carol.address);
      await f.c.registry.connect(f.s.operator).close(f.s.dave.address);
      for (const account of [f.s.stranger.address, f.s.carol.address, f.s.dave.address]) {
        await expect(rulesAs("alice").addTrusted(account))
          .to.be.revertedWithCustomError(f.c.rules, "RulesTrustedAccountNotActive")
          .withArgs(account);
      }
      expect(await listOf(f.s.alice.address)).to.deep.equal([]);
    });

    it("refuses a 65th entry", async function () {
      const { registry } = f.c;
      for (let i = 0; i < 64; ++i) {
        const wallet = ethers.Wallet.createRandom().address;
        await registry.connect(f.s.operator).openAccount(ENTITY.institution, wallet);
        await rulesAs("alice").addTrusted(wallet);
      }
      await expect(rulesAs("alice").addTrusted(f.s.bob.address))
        .to.be.revertedWithCustomError(f.c.rules, "RulesTrustedListFull")
        .withArgs(f.s.alice.address, 64n);
      expect(await listOf(f.s.alice.address)).to.have.length(64);
    });
  });

  describe("when the regulator sets the delays", function () {
    for (const [fn, event, getter] of [
      ["setPendingDelay", "PendingDelaySet", "pendingDelay"],
      ["setTrustDelay", "TrustDelaySet", "trustDelay"],
    ] as const) {
      describe(fn, function () {
        it("accepts any delay from 0 to 30 days", async function () {
          for (const delay of [0n, BigInt(HOUR), MAX_DELAY]) {
            await expect(f.c.rules[fn](delay)).to.emit(f.c.rules, event).withArgs(delay);
            expect(await f.c.rules[getter]()).to.equal(delay);
          }
        });

        it("refuses more than 30 days, and changes nothing", async function () {
          await expect(f.c.rules[fn](MAX_DELAY + 1n))
            .to.be.revertedWithCustomError(f.c.rules, "RulesDelayOutOfRange")
            .withArgs(MAX_DELAY + 1n, MAX_DELAY);
          expect(await f.c.rules[getter]()).to.equal(BigInt(DEFAULT_DELAY));
        });

        it("may only be set by REGULATOR", async function () {
          for (const who of ["operator", "alice", "stranger"] as const) {
            await expect(rulesAs(who)[fn](0n))
              .to.be.revertedWithCustomError(f.c.rules, "AccessManagedUnauthorized")
              .withArgs(f.s[who].address);
          }
          expect(await f.c.rules[getter]()).to.equal(BigInt(DEFAULT_DELAY));
        });
      });
    }

    it("a new trust delay applies to accounts trusted from then on", async function () {
      await rulesAs("alice").addTrusted(f.s.bob.address);
      await f.c.rules.setTrustDelay(0n);
      await rulesAs("alice").addTrusted(f.s.carol.address);
      expect(await f.c.rules.isTrusted(f.s.alice.address, f.s.carol.address)).to.equal(true);
      expect(await f.c.rules.isTrusted(f.s.alice.address, f.s.bob.address)).to.equal(false);
    });
  });

  describe("when the regulator suspends transfers", function () {
    it("suspends them until resumed", async function () {
      await expect(f.c.rules.suspend("suspected account takeover"))
        .to.emit(f.c.rules, "TransfersSuspended")
        .withArgs("suspected account takeover");
      expect(await f.c.rules.suspended()).to.equal(true);
      await expect(f.c.rules.resume()).to.emit(f.c.rules, "TransfersResumed");
      expect(await f.c.rules.suspended()).to.equal(false);
    });

    it("refuses to suspend twice or to resume when not suspended", async function () {
      await expect(f.c.rules.resume())
        .to.be.revertedWithCustomError(f.c.rules, "RulesSuspensionUnchanged")
        .withArgs(false);
      await f.c.rules.suspend("incident");
      await expect(f.c.rules.suspend("again"))
        .to.be.revertedWithCustomError(f.c.rules, "RulesSuspensionUnchanged")
        .withArgs(true);
      expect(await f.c.rules.suspended()).to.equal(true);
    });

    it("may only be done by REGULATOR", async function () {
      for (const who of ["operator", "exchange", "alice"] as const) {
        await expect(rulesAs(who).suspend("x"))
          .to.be.revertedWithCustomError(f.c.rules, "AccessManagedUnauthorized")
          .withArgs(f.s[who].address);
      }
      await f.c.rules.suspend("incident");
      await expect(rulesAs("operator").resume())
        .to.be.revertedWithCustomError(f.c.rules, "AccessManagedUnauthorized")
        .withArgs(f.s.operator.address);
      expect(await f.c.rules.suspended()).to.equal(true);
    });
  });

  describe("when asked whether a transfer is immediate", function () {
    it("says yes to and from a clearing house and to the sender's own entity, no to anyone else", async function () {
      const { rules } = f.c;
      const { alice, alice2, bob, clearing, stranger } = f.s;
      expect(await rules.isImmediate(alice.address, clearing.address)).to.equal(true);
      expect(await rules.isImmediate(clearing.address, bob.address)).to.equal(true);
      expect(await rules.isImmediate(alice.address, alice2.address)).to.equal(true);
      expect(await rules.isImmediate(alice2.address, alice.address)).to.equal(true);
      expect(await rules.isImmediate(alice.address, bob.address)).to.equal(false);
      expect(await rules.isImmediate(alice.address, stranger.address)).to.equal(false);
      expect(await rules.isImmediate(stranger.address, f.s.spare.address)).to.equal(false);
    });
  });
});
