import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ENTITY } from "../fixtures";
import { BATCH, YEAR, approveSteel, complianceFixture } from "./fixtures";

describe("compliance smoke", function () {
  it("works", async function () {
    const f = await loadFixture(complianceFixture);
    await approveSteel(f, 100_000n);
    await f.c.compliance.connect(f.s.alice).surrender(YEAR, [YEAR], [90_000n], [BATCH.wind], [10_000n]);
    const p = await f.c.compliance.positionOf(ENTITY.steelCo, YEAR);
    expect(p.status).to.equal(2n);
  });
});
