import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Roles } from "../../sdk/roles";
import { ENFORCEMENT_DELAY, registryFixture } from "./fixtures";

describe("the AccessManager admin's own powers", function () {
  it("take the execution delay: grants of dangerous roles and changes of contracts' function roles", async function () {
    const f = await loadFixture(registryFixture);
    const { authority, registry } = f.c;
    for (const role of [
      Roles.ADMIN,
      Roles.ENFORCEMENT,
      Roles.RECOVERY,
      Roles.REGISTRY_CONTRACT,
      Roles.ALLOWANCE_MINTER,
    ]) {
      expect(await authority.getRoleGrantDelay(role)).to.equal(BigInt(ENFORCEMENT_DELAY));
    }
    expect(await authority.getTargetAdminDelay(await registry.getAddress())).to.equal(BigInt(ENFORCEMENT_DELAY));

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
});
