import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Manifest } from "../../sdk/manifest";
import { Roles, type RoleName } from "../../sdk/roles";
import { ENFORCEMENT_DELAY, registryFixture } from "./fixtures";

/** Roles whose grant takes the execution delay: the admin, and every power that moves, mints or burns units. */
const GUARDED_ROLES: RoleName[] = [
  "ADMIN",
  "ENFORCEMENT",
  "RECOVERY",
  "REGISTRY_CONTRACT",
  "ALLOWANCE_MINTER",
  "ALLOWANCE_BURNER",
  "OFFSET_BURNER",
  "COMPLIANCE_CONTRACT",
  "RESERVE_SALES",
];

/** Every contract the AccessManager governs; changing its function roles or authority takes the delay. */
const TARGETS: (keyof Manifest["contracts"])[] = [
  "ParticipantRegistry",
  "TransferRules",
  "AllowanceToken",
  "OffsetToken",
  "CashToken",
  "Allocation",
  "EmissionsReporting",
  "Compliance",
  "ReserveSales",
];

describe("the AccessManager admin's own powers", function () {
  it("take the execution delay: grants of dangerous roles and changes of contracts' function roles", async function () {
    const f = await loadFixture(registryFixture);
    const { authority, registry } = f.c;
    for (const role of GUARDED_ROLES) {
      expect(await authority.getRoleGrantDelay(Roles[role]), role).to.equal(BigInt(ENFORCEMENT_DELAY));
    }
    for (const name of TARGETS) {
      const target = f.manifest.contracts[name];
      if (!target) throw new Error(`${name} is not deployed`);
      expect(await authority.getTargetAdminDelay(target), name).to.equal(BigInt(ENFORCEMENT_DELAY));
    }

    // A new forced-transfer power granted by the admin does not work until the delay has passed.
    const newcomer = f.s.stranger;
    await authority.grantRole(Roles.ENFORCEMENT, newcomer.address, 0);
    expect((await authority.hasRole(Roles.ENFORCEMENT, newcomer.address))[0]).to.equal(false);
    await time.increase(ENFORCEMENT_DELAY + 1);
    expect((await authority.hasRole(Roles.ENFORCEMENT, newcomer.address))[0]).to.equal(true);

    // Re-routing a registry function to another role must be scheduled.
    const freeze = registry.interface.getFunction("freeze").selector;
    await expect(
      authority.setTargetFunctionRole(await registry.getAddress(), [freeze], Roles.REGULATOR),
    ).to.be.revertedWithCustomError(authority, "AccessManagerNotScheduled");
  });

  it("leave the grant of the other roles immediate", async function () {
    const f = await loadFixture(registryFixture);
    for (const role of Object.keys(Roles) as RoleName[]) {
      if (GUARDED_ROLES.includes(role)) continue;
      expect(await f.c.authority.getRoleGrantDelay(Roles[role]), role).to.equal(0n);
    }
  });

  it("delay a new holder of COMPLIANCE_CONTRACT or RESERVE_SALES: it cannot carry shortfalls or draw the reserve at once", async function () {
    const f = await loadFixture(registryFixture);
    const { authority, allocation } = f.c;
    await allocation.setCap(2014, 1_000_000n, 600);
    const newcomer = f.s.spare;
    await authority.grantRole(Roles.COMPLIANCE_CONTRACT, newcomer.address, 0);
    await authority.grantRole(Roles.RESERVE_SALES, newcomer.address, 0);
    for (const role of [Roles.COMPLIANCE_CONTRACT, Roles.RESERVE_SALES]) {
      expect((await authority.hasRole(role, newcomer.address))[0]).to.equal(false);
    }
    await expect(allocation.connect(newcomer).carryShortfall(101n, 2014, 1n))
      .to.be.revertedWithCustomError(allocation, "AccessManagedUnauthorized")
      .withArgs(newcomer.address);
    await expect(allocation.connect(newcomer).drawReserve(2014, 1n))
      .to.be.revertedWithCustomError(allocation, "AccessManagedUnauthorized")
      .withArgs(newcomer.address);
    expect(await allocation.carriedShortfall(101n)).to.equal(0n);
    expect(await allocation.reserveRemaining(2014)).to.equal(60_000n);

    await time.increase(ENFORCEMENT_DELAY + 1);
    await expect(allocation.connect(newcomer).carryShortfall(101n, 2014, 1n)).to.emit(allocation, "ShortfallCarried");
    await expect(allocation.connect(newcomer).drawReserve(2014, 1n)).to.emit(allocation, "ReserveDrawn");
  });

  it("make re-routing a function of the compliance contracts wait for a schedule", async function () {
    const f = await loadFixture(registryFixture);
    const { authority } = f.c;
    const reroutes: [string, string][] = [
      [f.manifest.contracts.Allocation, f.c.allocation.interface.getFunction("issueFromReserve").selector],
      [f.manifest.contracts.EmissionsReporting, f.c.reporting.interface.getFunction("approve").selector],
      [f.manifest.contracts.Compliance, f.c.compliance.interface.getFunction("closeYear").selector],
      [f.manifest.contracts.ReserveSales, f.c.sales.interface.getFunction("setTreasury").selector],
    ];
    for (const [target, selector] of reroutes) {
      await expect(authority.setTargetFunctionRole(target, [selector], Roles.EXCHANGE)).to.be.revertedWithCustomError(
        authority,
        "AccessManagerNotScheduled",
      );
      expect(await authority.getTargetFunctionRole(target, selector)).to.equal(Roles.REGULATOR);
    }
  });
});
