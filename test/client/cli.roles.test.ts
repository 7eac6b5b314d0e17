import { expect } from "chai";
import { Roles } from "../../sdk/roles";
import { CliWorld, ENFORCEMENT_DELAY } from "./cli.fixture";

describe("ets admin role: grant, revoke and show AccessManager roles", function () {
  this.timeout(120_000);
  let world: CliWorld;

  before(async function () {
    world = await CliWorld.start();
  });

  after(async function () {
    await world?.stop();
  });

  it("grants AUDITOR at once (no grant delay), shows it, and revokes it", async function () {
    const auditor = await world.wallet("auditor");
    const granted = await world.ok(["admin", "role", "grant", "auditor", "auditor", "--from", "regulator"]);
    expect(granted).to.include({ action: "grant", role: "AUDITOR", roleId: "16", account: auditor, effective: true });
    expect(granted.grantDelay).to.equal(0);
    expect((await world.contracts.authority.hasRole(Roles.AUDITOR, auditor))[0]).to.equal(true);
    expect(await world.ok(["admin", "role", "show", "auditor"])).to.deep.include({ roles: ["AUDITOR"], pending: [] });
    const text = await world.cli(["admin", "role", "show", "auditor"]);
    expect(text.stdout).to.include("holds AUDITOR");

    await world.ok(["admin", "role", "revoke", "AUDITOR", "auditor", "--from", "regulator"]);
    expect((await world.contracts.authority.hasRole(Roles.AUDITOR, auditor))[0]).to.equal(false);
    expect((await world.ok(["admin", "role", "show", "auditor"])).roles).to.deep.equal([]);
  });

  it("says when a guarded role waits for its grant delay", async function () {
    const minter = await world.wallet("minter");
    const r = await world.cli(["admin", "role", "grant", "ALLOWANCE_MINTER", "minter", "--from", "regulator"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include("effective after the grant delay of");
    const shown = await world.ok(["admin", "role", "show", "minter"]);
    expect(shown.roles).to.deep.equal([]);
    expect((shown.pending as { role: string; since: number }[]).map((p) => p.role)).to.deep.equal(["ALLOWANCE_MINTER"]);
    expect(shown.account).to.equal(minter);
    const [since] = await world.contracts.authority.getAccess(Roles.ALLOWANCE_MINTER, minter);
    const now = (await world.provider.getBlock("latest"))!.timestamp;
    expect(Number(since) - now).to.be.closeTo(ENFORCEMENT_DELAY, 5);
  });

  it("refuses an unknown role, and a wallet that is not the admin", async function () {
    await world.wallet("nobody");
    await world.rejects(["admin", "role", "grant", "SUPERUSER", "nobody", "--from", "regulator"], {
      code: "INVALID_CHOICE",
      message: /AUDITOR/,
      exit: 2,
    });
    await world.rejects(["admin", "role", "grant", "AUDITOR", "nobody", "--from", "operator"], {
      code: "UNAUTHORISED_ACCOUNT",
      message: /does not hold ADMIN/,
      exit: 1,
    });
  });
});
