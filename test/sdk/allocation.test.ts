import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { ZeroHash, concat, keccak256, solidityPackedKeccak256, toBeHex, zeroPadValue } from "ethers";
import {
  ALLOCATION_SCHEMA,
  allocationBase,
  benchmarkBase,
  computeAllocationPlan,
  grandfatheringBase,
  listCoveredEntities,
  parseAllocationInput,
  planHashOf,
  readAllocationInput,
  type AllocationEntityInput,
  type AllocationInput,
  type BenchmarkEntityInput,
  type GrandfatheringEntityInput,
} from "../../sdk/allocation";
import { canonicalHash } from "../../sdk/canonical-json";
import { CHAIN_ERRORS, DomainError } from "../../sdk/errors";
import { CLIENT_ERRORS } from "../../sdk/client-errors";
import { readDemoData } from "../../scripts/demo/demo-data";
import {
  ALLOCATION_YEARS,
  allocationFile,
  demoCoverage,
  generateAllocationFiles,
} from "../../scripts/demo/generate-allocation";

/** The DomainError that `fn` throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DomainError);
    return err as DomainError;
  }
  expect.fail("expected a DomainError");
}

/** The paths named in an ALLOCATION_INPUT_INVALID error, each once. */
function issuePaths(err: DomainError): string[] {
  expect(err.code).to.equal("ALLOCATION_INPUT_INVALID");
  return [...new Set((err.details.issues as { path: string }[]).map((i) => i.path))];
}

const BASE_YEARS = [2009, 2010, 2011, 2012];

/** A steel entity whose base is worked out by hand below: mean 115,000.25 t × 0.98 = 112,700.245 t. */
const steel: GrandfatheringEntityInput = {
  entityId: 1001,
  name: "Steel works",
  sector: "steel",
  method: "grandfathering",
  emissions: { "2009": 100_000, "2010": 110_000, "2011": 120_000, "2012": 130_001 },
  adjustment: 0,
  newFacility: 0,
};

/** A coal CHP plant allocated at its own 2009–2012 average intensity. */
const chp: BenchmarkEntityInput = {
  entityId: 1050,
  name: "CHP plant",
  sector: "power",
  method: "benchmark",
  emissions: { "2009": 900_000, "2010": 890_000, "2011": 880_000, "2012": 900_000 },
  output: {
    electricityMWh: { "2009": 900_000, "2010": 920_000, "2011": 950_000, "2012": 1_000_003 },
    heatGJ: { "2009": 1_800_000, "2010": 1_850_000, "2011": 1_900_000, "2012": 2_000_000 },
  },
  intensity: {
    kgCO2PerMWh: { "2009": 700, "2010": 690, "2011": 680, "2012": 671 },
    kgCO2PerGJ: { "2009": 110, "2010": 108, "2011": 106, "2012": 105 },
  },
  adjustment: 0,
  newFacility: 0,
};

/** A small gas CHP plant allocated at a published benchmark. */
const gasChp: BenchmarkEntityInput = {
  entityId: 1060,
  name: "Gas CHP plant",
  sector: "power",
  method: "benchmark",
  emissions: { "2012": 700 },
  output: { electricityMWh: { "2012": 1001 }, heatGJ: { "2012": 1001 } },
  benchmark: "gas CHP",
  adjustment: 0,
  newFacility: 0,
};

function input(entities: AllocationEntityInput[], over: Partial<AllocationInput> = {}): AllocationInput {
  return {
    schema: ALLOCATION_SCHEMA,
    year: 2013,
    cap: 10_000_000,
    reserveBps: 600,
    baseYears: BASE_YEARS,
    sectorFactors: { steel: "0.98", chemicals: "0.99" },
    benchmarks: { "gas CHP": { kgCO2PerMWh: "600.6", kgCO2PerGJ: "100.8" } },
    entities,
    ...over,
  };
}

describe("sdk/allocation", function () {
  describe("coverage", function () {
    const history = (entityId: number, emissions: Record<string, number>) => ({ entityId, sector: "steel", emissions });

    it("covers an entity at exactly 20,000 t, not at 19,999 t", function () {
      const covered = listCoveredEntities([history(2, { "2012": 19_999 }), history(1, { "2012": 20_000 })]);
      expect(covered).to.deep.equal([
        { entityId: 1, sector: "steel", qualifyingYears: [{ year: 2012, tonnes: 20_000n }] },
      ]);
    });

    it("ignores the years before 2009", function () {
      expect(listCoveredEntities([history(1, { "2008": 5_000_000, "2009": 19_999 })])).to.deep.equal([]);
      expect(listCoveredEntities([history(1, { "2008": 5_000_000, "2009": 20_000 })])).to.have.length(1);
    });

    it("lists the entities ascending by id with every qualifying year, ascending", function () {
      const covered = listCoveredEntities([
        history(7, { "2012": 30_000, "2010": 25_000, "2011": 1_000 }),
        history(3, { "2013": 20_001 }),
      ]);
      expect(covered.map((c) => c.entityId)).to.deep.equal([3, 7]);
      expect(covered[1]?.qualifyingYears).to.deep.equal([
        { year: 2010, tonnes: 25_000n },
        { year: 2012, tonnes: 30_000n },
      ]);
    });

    it("takes the threshold and the first year as parameters", function () {
      const h = [history(1, { "2006": 12_000 }), history(2, { "2010": 9_999 })];
      expect(
        listCoveredEntities(h, { thresholdTonnes: 10_000n, sinceYear: 2005 }).map((c) => c.entityId),
      ).to.deep.equal([1]);
      expect(listCoveredEntities(h, { thresholdTonnes: 9_999n }).map((c) => c.entityId)).to.deep.equal([2]);
    });

    it("refuses malformed histories and duplicate ids, naming the field", function () {
      expect(issuePaths(thrown(() => listCoveredEntities([history(1, { "2012": -1 })])))).to.deep.equal([
        "[0].emissions.2012",
      ]);
      expect(issuePaths(thrown(() => listCoveredEntities([history(1, { "2012": 1.5 })])))).to.deep.equal([
        "[0].emissions.2012",
      ]);
      expect(
        issuePaths(thrown(() => listCoveredEntities([history(1, { "2012": 1 }), history(1, { "2012": 2 })]))),
      ).to.deep.equal(["[1].entityId"]);
    });

    it("covers every demo entity", function () {
      const { covered, uncovered } = demoCoverage();
      expect(uncovered).to.deep.equal([]);
      expect(covered).to.have.length(readDemoData().coveredEntities.length);
    });
  });

  describe("grandfathering", function () {
    it("allocates floor(mean of the base-year emissions × sector factor)", function () {
      // (100,000 + 110,000 + 120,000 + 130,001) / 4 = 115,000.25; × 0.98 = 112,700.245 → 112,700
      expect(grandfatheringBase(input([steel]), steel)).to.equal(112_700n);
    });

    it("averages over the file's base years only", function () {
      // (120,000 + 130,001) / 2 = 125,000.5; × 0.98 = 122,500.49 → 122,500
      const i = input([steel], { baseYears: [2011, 2012] });
      expect(grandfatheringBase(i, steel)).to.equal(122_500n);
    });
  });

  describe("benchmark", function () {
    it("allocates the last base year's output × the entity's own base-year average intensity", function () {
      // electricity: (700 + 690 + 680 + 671) / 4 = 685.25 kg/MWh × 1,000,003 MWh = 685,252,055.75 kg
      // heat:        (110 + 108 + 106 + 105) / 4 = 107.25 kg/GJ × 2,000,000 GJ = 214,500,000 kg
      // (685,252,055.75 + 214,500,000) / 1000 = 899,752.05575 t → 899,752
      expect(benchmarkBase(input([chp]), chp)).to.equal(899_752n);
    });

    it("uses the output of outputYear when the file gives one", function () {
      // 950,000 × 685.25 + 1,900,000 × 107.25 = 854,762,500 kg → 854,762.5 t → 854,762
      expect(benchmarkBase(input([chp]), { ...chp, outputYear: 2011 })).to.equal(854_762n);
    });

    it("uses a cited benchmark and rounds the sum of the products once", function () {
      // 1,001 MWh × 600.6 = 601,200.6 kg; 1,001 GJ × 100.8 = 100,900.8 kg; 702,101.4 kg → 702 t
      // (rounding each product first would give 601 + 100 = 701)
      expect(benchmarkBase(input([gasChp]), gasChp)).to.equal(702n);
      expect(allocationBase(input([gasChp]), gasChp)).to.equal(702n);
    });
  });

  describe("the plan", function () {
    const entities: AllocationEntityInput[] = [
      { ...gasChp, adjustment: -1_000, note: "2012 shortfall deducted" },
      { ...steel, adjustment: -700, newFacility: 5_000 },
      chp,
    ];

    it("adds adjustment and new-facility allowances, never below zero, ascending by entity id", function () {
      const plan = computeAllocationPlan(input(entities, { cap: 2_000_000 }));
      expect(plan.entries).to.deep.equal([
        {
          entityId: 1001,
          method: "grandfathering",
          base: 112_700n,
          adjustment: -700n,
          newFacility: 5_000n,
          amount: 117_000n,
        },
        { entityId: 1050, method: "benchmark", base: 899_752n, adjustment: 0n, newFacility: 0n, amount: 899_752n },
        { entityId: 1060, method: "benchmark", base: 702n, adjustment: -1_000n, newFacility: 0n, amount: 0n },
      ]);
      expect(plan.total).to.equal(1_016_752n);
    });

    it("keeps floor(cap × reserveBps / 10000) in reserve", function () {
      // 1,100,001 × 600 / 10,000 = 66,000.06 → 66,000
      const plan = computeAllocationPlan(input(entities, { cap: 1_100_001 }));
      expect(plan.year).to.equal(2013);
      expect(plan.cap).to.equal(1_100_001n);
      expect(plan.reserve).to.equal(66_000n);
      expect(plan.freePool).to.equal(1_034_001n);
    });

    it("accepts a total equal to the free pool and refuses one tonne more", function () {
      // free pool 1,016,752 = cap − floor(cap × 0.06) for cap 1,081,651 (reserve 64,899)
      expect(computeAllocationPlan(input(entities, { cap: 1_081_651 })).freePool).to.equal(1_016_752n);
      const err = thrown(() => computeAllocationPlan(input(entities, { cap: 1_081_650 })));
      expect(err.code).to.equal("ALLOCATION_OVER_CAP");
      expect(err.kind).to.equal("validation");
      expect(err.message).to.contain("1,016,752 t").and.to.contain("1,016,751 t");
      expect(err.details).to.deep.include({ year: 2013, total: "1016752", freePool: "1016751", cap: "1081650" });
    });

    it("refuses an invalid input, naming every offending field by its path", function () {
      // A factor written as a number, and a field the format does not have.
      const bad = { ...input([steel]), sectorFactors: { steel: 0.98 }, extra: true };
      expect(issuePaths(thrown(() => computeAllocationPlan(bad as never)))).to.have.members([
        "sectorFactors.steel",
        "(file)",
      ]);
      const unreferenced = input([
        { ...steel, emissions: { "2009": 1, "2010": 1, "2011": 1 } },
        { ...chp, intensity: { kgCO2PerMWh: chp.intensity?.kgCO2PerMWh ?? {} } },
        { ...steel, entityId: 1002, sector: "oil-gas" },
        { ...gasChp, benchmark: "none" },
        { ...gasChp, entityId: 1001 },
      ]);
      expect(issuePaths(thrown(() => computeAllocationPlan(unreferenced)))).to.have.members([
        "entities[0].emissions.2012",
        "entities[1].intensity.kgCO2PerGJ.2009",
        "entities[1].intensity.kgCO2PerGJ.2010",
        "entities[1].intensity.kgCO2PerGJ.2011",
        "entities[1].intensity.kgCO2PerGJ.2012",
        "entities[2].sector",
        "entities[3].benchmark",
        "entities[4].entityId",
      ]);
      expect(
        issuePaths(thrown(() => parseAllocationInput({ ...input([]), cap: 1.5, baseYears: [2012, 2011], year: 2012 }))),
      ).to.have.members(["cap", "baseYears[0]", "baseYears[1]"]);
    });

    it("is a pure function of the input", function () {
      const i = input(entities);
      expect(computeAllocationPlan(i)).to.deep.equal(computeAllocationPlan(structuredClone(i)));
    });
  });

  describe("hashes", function () {
    it("planHash is the rolling keccak256 of abi.encode(bytes32 h, uint64 entityId, uint256 amount)", function () {
      const entries = [
        { entityId: 1002, amount: 0n },
        { entityId: 1001, amount: 117_000n },
      ];
      // By hand, word by word, in ascending id order from bytes32(0).
      const word = (v: bigint) => zeroPadValue(toBeHex(v), 32);
      const h1 = keccak256(concat([ZeroHash, word(1001n), word(117_000n)]));
      const h2 = keccak256(concat([h1, word(1002n), word(0n)]));
      expect(planHashOf(entries)).to.equal(h2);
      // A uint64 is abi-encoded as a full word, so packed uint256 gives the same bytes.
      expect(h1).to.equal(solidityPackedKeccak256(["bytes32", "uint256", "uint256"], [ZeroHash, 1001, 117_000]));
      expect(h2).to.equal("0xa155e5cdcdf3ee4c73d486b852490bf16f89fd833610ba83dc485a2de7f13303");
      expect(planHashOf([])).to.equal(ZeroHash);
    });

    it("planHash refuses two entries of one entity", function () {
      expect(
        thrown(() =>
          planHashOf([
            { entityId: 5, amount: 1n },
            { entityId: 5, amount: 2n },
          ]),
        ).code,
      ).to.equal("ALLOCATION_INPUT_INVALID");
    });

    it("inputsHash is the canonical hash of the input, the same in any key order", function () {
      const i = input([steel, chp, gasChp]);
      const plan = computeAllocationPlan(i);
      expect(plan.inputsHash).to.equal(canonicalHash(JSON.parse(JSON.stringify(i))));
      expect(plan.planHash).to.equal(planHashOf(plan.entries));
      const reversed = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(reversed)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(
                Object.entries(v)
                  .reverse()
                  .map(([k, x]) => [k, reversed(x)]),
              )
            : v;
      expect(JSON.stringify(reversed(i))).to.not.equal(JSON.stringify(i));
      expect(computeAllocationPlan(reversed(i) as AllocationInput).inputsHash).to.equal(plan.inputsHash);
      expect(computeAllocationPlan(input([steel, chp, { ...gasChp, adjustment: 1 }])).inputsHash).to.not.equal(
        plan.inputsHash,
      );
    });
  });

  describe("readAllocationInput", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-allocation-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads and checks a file", function () {
      const file = path.join(dir, "ok.json");
      fs.writeFileSync(file, JSON.stringify(input([steel])));
      expect(readAllocationInput(file)).to.deep.equal(input([steel]));
    });

    it("reports an unreadable file, a file that is not JSON and one that breaks the format", function () {
      expect(thrown(() => readAllocationInput(path.join(dir, "missing.json"))).code).to.equal("FILE_UNREADABLE");
      const notJson = path.join(dir, "bad.json");
      fs.writeFileSync(notJson, "{ cap: 1 }");
      expect(issuePaths(thrown(() => readAllocationInput(notJson)))).to.deep.equal(["(file)"]);
      const wrong = path.join(dir, "wrong.json");
      fs.writeFileSync(wrong, JSON.stringify({ ...input([steel]), reserveBps: 10_001 }));
      const err = thrown(() => readAllocationInput(wrong));
      expect(issuePaths(err)).to.deep.equal(["reserveBps"]);
      expect(err.message).to.contain(wrong);
    });
  });

  describe("error codes", function () {
    it("are a client code for the input and the contract's own code for a plan over the cap", function () {
      const chainCodes = new Set(Object.values(CHAIN_ERRORS).map((s) => s.code));
      expect(CLIENT_ERRORS.ALLOCATION_INPUT_INVALID.help).to.have.length.above(40);
      expect(chainCodes.has("ALLOCATION_INPUT_INVALID")).to.equal(false);
      expect(CHAIN_ERRORS.AllocationOverCap?.code).to.equal("ALLOCATION_OVER_CAP");
      expect(Object.keys(CLIENT_ERRORS)).to.not.include("ALLOCATION_OVER_CAP");
    });
  });

  describe("the demo allocation files (scripts/demo/allocation)", function () {
    it("are exactly what the generator makes", async function () {
      const files = await generateAllocationFiles();
      expect(files.map((f) => f.year)).to.deep.equal([...ALLOCATION_YEARS]);
      for (const f of files) expect(fs.readFileSync(allocationFile(f.year), "utf8"), f.file).to.equal(f.text);
    });

    it("fit their caps with a small margin and allocate every demo entity", function () {
      const ids = readDemoData().coveredEntities.map((e) => e.entityId);
      for (const year of ALLOCATION_YEARS) {
        const plan = computeAllocationPlan(readAllocationInput(allocationFile(year)));
        expect(plan.year).to.equal(year);
        expect(plan.entries.map((e) => e.entityId)).to.deep.equal([...ids].sort((a, b) => a - b));
        expect(plan.total + plan.reserve, `${year}`).to.be.at.most(plan.cap);
        expect(Number(plan.freePool - plan.total) / Number(plan.total), `${year} margin`).to.be.within(0.004, 0.02);
        expect(Number(plan.total), `${year}`).to.be.within(140e6, 180e6);
        expect(plan.reserve).to.equal((plan.cap * 600n) / 10_000n);
        expect(
          plan.entries.some((e) => e.adjustment !== 0n),
          `${year} adjustments`,
        ).to.equal(true);
        expect(plan.entries.filter((e) => e.newFacility > 0n).length, `${year} new facilities`).to.be.within(1, 2);
      }
    });

    it("allocate power and heat by benchmark, the others by grandfathering, tighter each year", function () {
      const inputs = ALLOCATION_YEARS.map((y) => readAllocationInput(allocationFile(y)));
      for (const i of inputs) {
        for (const e of i.entities) {
          expect(e.method, `${e.entityId}`).to.equal(
            e.sector === "power" || e.sector === "heat" ? "benchmark" : "grandfathering",
          );
        }
        for (const f of Object.values(i.sectorFactors)) expect(Number(f)).to.be.within(0.95, 1);
      }
      for (const [earlier, later] of [
        [inputs[0], inputs[1]],
        [inputs[1], inputs[2]],
      ] as const) {
        for (const [sector, factor] of Object.entries(later?.sectorFactors ?? {})) {
          expect(Number(factor), sector).to.be.below(Number(earlier?.sectorFactors[sector as "steel"]));
        }
      }
    });
  });

  describe("invariants (property-based)", function () {
    const yearMap = (lo: number, hi: number) =>
      fc
        .tuple(...BASE_YEARS.map(() => fc.integer({ min: lo, max: hi })))
        .map((v) => Object.fromEntries(BASE_YEARS.map((y, i) => [String(y), v[i] ?? 0])));
    const common = {
      name: fc.constant("entity"),
      emissions: yearMap(0, 50_000_000),
      adjustment: fc.integer({ min: -5_000_000, max: 5_000_000 }),
      newFacility: fc.integer({ min: 0, max: 1_000_000 }),
    };
    const entity: fc.Arbitrary<Omit<AllocationEntityInput, "entityId">> = fc.oneof(
      fc.record({
        ...common,
        sector: fc.constantFrom("steel" as const, "chemicals" as const),
        method: fc.constant("grandfathering" as const),
      }),
      fc.record({
        ...common,
        sector: fc.constant("power" as const),
        method: fc.constant("benchmark" as const),
        output: fc.record({ electricityMWh: yearMap(0, 10_000_000), heatGJ: yearMap(0, 30_000_000) }),
        intensity: fc.record({ kgCO2PerMWh: yearMap(0, 1_200), kgCO2PerGJ: yearMap(0, 150) }),
      }),
    );
    const factor = fc.integer({ min: 0, max: 1_500 }).map((n) => (n / 1000).toString());

    it("total = Σ entries, no entry negative, amount = max(0, base + adjustment + newFacility)", function () {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 25 }),
          fc.array(entity, { minLength: 25, maxLength: 25 }),
          factor,
          factor,
          fc.integer({ min: 0, max: 5_000 }),
          (ids, bodies, steelFactor, chemicalsFactor, reserveBps) => {
            const entities = ids.map((entityId, i) => ({ ...bodies[i], entityId }) as AllocationEntityInput);
            const plan = computeAllocationPlan(
              input(entities, {
                cap: 2 ** 52,
                reserveBps,
                sectorFactors: { steel: steelFactor, chemicals: chemicalsFactor },
              }),
            );
            expect(plan.total).to.equal(plan.entries.reduce((s, e) => s + e.amount, 0n));
            expect(plan.total <= plan.freePool).to.equal(true);
            expect(plan.entries.map((e) => e.entityId)).to.deep.equal([...ids].sort((a, b) => a - b));
            for (const e of plan.entries) {
              expect(e.base >= 0n && e.amount >= 0n).to.equal(true);
              const raw = e.base + e.adjustment + e.newFacility;
              expect(e.amount).to.equal(raw > 0n ? raw : 0n);
            }
            expect(plan.planHash).to.equal(planHashOf([...plan.entries].reverse()));
          },
        ),
        { numRuns: 100 },
      );
    });
  });
});
