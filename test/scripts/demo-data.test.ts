import fs from "node:fs";
import { expect } from "chai";
import { creditCodeCheckChar, isValidCreditCode, orgCodeCheckChar } from "../../scripts/demo/credit-code";
import { DEMO_DATA_FILE, HISTORY_YEARS, SECTORS, readDemoData } from "../../scripts/demo/demo-data";
import { formatDemoData, generate } from "../../scripts/demo/generate-entities";

describe("demo registry data (scripts/demo)", () => {
  const data = readDemoData();
  const all = [...data.institutions, ...data.coveredEntities];

  it("is exactly what the seeded generator makes", () => {
    expect(formatDemoData(generate())).to.equal(fs.readFileSync(DEMO_DATA_FILE, "utf8"));
    expect(formatDemoData(generate())).to.equal(formatDemoData(generate())); // deterministic
  });

  describe("credit codes", () => {
    it("computes GB 32100-2015 and GB 11714 check characters of published examples", () => {
      expect(creditCodeCheckChar("91350100M000100Y4")).to.equal("3");
      expect(isValidCreditCode("91350100M000100Y43")).to.equal(true);
      expect(isValidCreditCode("91350100M000100Y44")).to.equal(false);
      expect(orgCodeCheckChar("M000100Y")).to.equal("4");
    });

    it("gives every entity a unique, valid code with a valid organisation code inside", () => {
      for (const e of all) {
        expect(isValidCreditCode(e.creditCode), e.creditCode).to.equal(true);
        expect(orgCodeCheckChar(e.creditCode.slice(8, 16)), e.creditCode).to.equal(e.creditCode.charAt(16));
        expect(e.creditCode.slice(2, 8), e.creditCode).to.equal(e.district.code);
      }
      expect(new Set(all.map((e) => e.creditCode)).size).to.equal(all.length);
    });
  });

  it("has 114 covered entities in all seven sectors, with unique ids, wallets and names", () => {
    expect(data.coveredEntities).to.have.length(114);
    expect(new Set(data.coveredEntities.map((e) => e.sector))).to.deep.equal(new Set(SECTORS));
    for (const key of ["entityId", "wallet", "nameZh", "nameEn"] as const) {
      expect(new Set(all.map((e) => e[key])).size, key).to.equal(all.length);
    }
    // Registry names are at most 200 bytes.
    for (const e of all) expect(Buffer.byteLength(e.nameZh, "utf8")).to.be.at.most(200);
  });

  it("has realistic sizes: 100–200 Mt a year, each entity ≥ 20,000 t in some year, buildings small", () => {
    for (const y of HISTORY_YEARS) {
      const total = data.coveredEntities.reduce((s, e) => s + e.emissions[y], 0);
      expect(total, y).to.be.within(100_000_000, 200_000_000);
    }
    for (const e of data.coveredEntities) {
      expect(Math.max(...HISTORY_YEARS.map((y) => e.emissions[y])), e.nameEn).to.be.at.least(20_000);
      if (e.sector === "buildings") expect(e.emissions["2012"]).to.be.below(150_000);
    }
    const bySector = new Map(SECTORS.map((s) => [s, data.summary[s]?.emissions2012 ?? 0]));
    const top3 = [...bySector.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([s]) => s);
    expect(new Set(top3)).to.deep.equal(new Set(["power", "steel", "petrochemicals"]));
  });

  it("gives power and heat entities output and intensity that account for their emissions", () => {
    const benchmarked = data.coveredEntities.filter((e) => e.sector === "power" || e.sector === "heat");
    expect(benchmarked.length).to.be.greaterThan(0);
    for (const e of benchmarked) {
      expect(e.facility, e.nameEn).to.be.a("string");
      for (const y of HISTORY_YEARS) {
        const fromOutput =
          (e.output?.electricityMWh?.[y] ?? 0) * (e.intensity?.kgCO2PerMWh?.[y] ?? 0) +
          (e.output?.heatGJ?.[y] ?? 0) * (e.intensity?.kgCO2PerGJ?.[y] ?? 0);
        expect(e.emissions[y], `${e.nameEn} ${y}`).to.equal(Math.round(fromOutput / 1000));
      }
    }
    for (const e of data.coveredEntities.filter((x) => x.sector !== "power" && x.sector !== "heat")) {
      expect(e.output, e.nameEn).to.equal(undefined);
    }
  });
});
