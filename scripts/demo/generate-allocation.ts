/**
 * Generates the demo allocation input files `scripts/demo/allocation/<year>.json` (2013, 2014, 2015)
 * from the demo registry data `scripts/demo/entities.json`, in the `ets-allocation/1` format
 * (`docs/allocation.md`):
 *
 *   npx tsx scripts/demo/generate-allocation.ts           writes the files
 *   npx tsx scripts/demo/generate-allocation.ts --check   fails if a committed file differs
 *
 * Tianjin-like: power, CHP and heat by benchmark (the 2012 output × the entity's own 2009–2012 average
 * intensity), the other sectors by grandfathering (the 2009–2012 average emissions × a sector factor
 * between 0.96 and 1, one point tighter each year), a 6 % government reserve, a few adjustments (an
 * early-action credit, closed lines, an extended building) and a new facility in each year. A
 * previous year's compliance shortfall is not an adjustment here: the Allocation contract deducts
 * carried shortfalls itself when it issues, so the plans list gross amounts. The cap of a year is the
 * plan's total plus 0.5 %, grossed up by the reserve share and rounded up to 100,000 t, so every plan
 * fits its cap with a small margin.
 *
 * Deterministic: a seeded PRNG (mulberry32, seed 20131226 + year) picks the entities of the events and
 * their sizes; no clock. Every demo entity is a covered entity ({@link demoCoverage}); the generator
 * refuses to write files otherwise.
 */
import fs from "node:fs";
import path from "node:path";
import * as prettier from "prettier";
import {
  ALLOCATION_SCHEMA,
  allocationBase,
  computeAllocationPlan,
  listCoveredEntities,
  parseAllocationInput,
  type AllocationEntityInput,
  type AllocationInput,
  type AllocationPlan,
  type CoverageEntry,
} from "../../sdk/allocation";
import { HISTORY_YEARS, readDemoData, type CoveredEntity, type DemoData, type SectorName } from "./demo-data";

const SEED = 20131226; // the first trading day of the Tianjin pilot

/** The folder of the generated files. */
export const ALLOCATION_DIR = path.join(__dirname, "allocation");

/** The compliance years of the pilot's first phase, one file each. */
export const ALLOCATION_YEARS = [2013, 2014, 2015] as const;
export type AllocationYear = (typeof ALLOCATION_YEARS)[number];

/** `scripts/demo/allocation/<year>.json`. */
export const allocationFile = (year: AllocationYear): string => path.join(ALLOCATION_DIR, `${year}.json`);

/** The government reserve's share of every year's cap: 6 %. */
const RESERVE_BPS = 600;
/** Margin of the cap over the plan's total (before the reserve), basis points: 0.5 %. */
const CAP_MARGIN_BPS = 50n;
/** Caps are rounded up to this many tonnes. */
const CAP_STEP = 100_000n;

// ─────────────────────────────────────────── coverage ───────────────────────────────────────────

/**
 * The scope check of the demo data: the covered entities under Tianjin's rule (20,000 t in any year
 * since 2009), and the ids of demo entities that the rule would NOT cover (none, or the data is wrong).
 */
export function demoCoverage(data: DemoData = readDemoData()): { covered: CoverageEntry[]; uncovered: number[] } {
  const covered = listCoveredEntities(data.coveredEntities);
  const ids = new Set(covered.map((c) => c.entityId));
  const uncovered = data.coveredEntities.map((e) => e.entityId).filter((id) => !ids.has(id));
  return { covered, uncovered };
}

// ─────────────────────────────────────────── randomness ───────────────────────────────────────────

/** mulberry32, as in `generate-entities.ts`. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ──────────────────────────────────────────── the years ────────────────────────────────────────────

type GrandfatheredSector = Exclude<SectorName, "power" | "heat">;

/** Something that changes one entity's allocation in a year. */
interface AllocationEvent {
  field: "adjustment" | "newFacility";
  sector: SectorName;
  /** Only plants of this kind (power and heat). */
  facility?: CoveredEntity["facility"];
  /** The figure as a share of the entity's base, drawn between lo and hi; negative deducts. */
  share: [number, number];
  /** Tonnes are rounded to this step. */
  step: number;
  note: string;
}

interface YearSpec {
  sectorFactors: Record<GrandfatheredSector, string>;
  events: AllocationEvent[];
}

const YEARS: Record<AllocationYear, YearSpec> = {
  2013: {
    sectorFactors: { steel: "0.98", chemicals: "0.99", petrochemicals: "0.98", "oil-gas": "0.99", buildings: "1" },
    events: [
      {
        field: "adjustment",
        sector: "steel",
        share: [0.01, 0.02],
        step: 1000,
        note: "Early-action credit: sinter waste-heat recovery commissioned in late 2012; its savings are not in the base years.",
      },
      {
        field: "adjustment",
        sector: "chemicals",
        share: [-0.12, -0.06],
        step: 1000,
        note: "A synthetic ammonia line closed at the end of 2012; its share of the base years is taken out.",
      },
      {
        field: "adjustment",
        sector: "buildings",
        share: [-0.1, -0.05],
        step: 100,
        note: "Part of the floor area sold in 2012 to an owner outside the scheme.",
      },
      {
        field: "newFacility",
        sector: "petrochemicals",
        share: [0.04, 0.07],
        step: 1000,
        note: "New aromatics unit in service from July 2013: half a year at its design emissions.",
      },
    ],
  },
  2014: {
    sectorFactors: { steel: "0.97", chemicals: "0.98", petrochemicals: "0.97", "oil-gas": "0.98", buildings: "0.99" },
    events: [
      {
        field: "adjustment",
        sector: "chemicals",
        share: [-0.15, -0.08],
        step: 1000,
        note: "A caprolactam line mothballed from 2014; its share of the base years is taken out.",
      },
      {
        field: "adjustment",
        sector: "steel",
        share: [-0.08, -0.04],
        step: 1000,
        note: "An electric-arc furnace line closed in 2013 under the city's capacity-reduction plan.",
      },
      {
        field: "adjustment",
        sector: "oil-gas",
        share: [0.02, 0.04],
        step: 1000,
        note: "Associated-gas recovery and compression at a field brought into production in 2013.",
      },
      {
        field: "newFacility",
        sector: "power",
        facility: "gas CHP",
        share: [0.15, 0.25],
        step: 1000,
        note: "A further gas CHP unit in service from April 2014: nine months at the unit's design output × benchmark.",
      },
    ],
  },
  2015: {
    sectorFactors: { steel: "0.96", chemicals: "0.97", petrochemicals: "0.96", "oil-gas": "0.97", buildings: "0.98" },
    events: [
      {
        field: "adjustment",
        sector: "heat",
        facility: "coal heat",
        share: [-0.2, -0.1],
        step: 1000,
        note: "Coal boilers replaced by connection to a gas CHP network in 2014; their share of the output is taken out.",
      },
      {
        field: "adjustment",
        sector: "buildings",
        share: [0.03, 0.06],
        step: 100,
        note: "Floor area extended by a new wing opened in 2014.",
      },
      {
        field: "newFacility",
        sector: "steel",
        share: [0.02, 0.04],
        step: 1000,
        note: "New cold-rolling line in service from 2015, whose furnaces have no history.",
      },
    ],
  },
};

// ─────────────────────────────────────────── the inputs ───────────────────────────────────────────

/** An entity of the demo data as it enters the allocation, before the year's events. */
function entityInput(e: CoveredEntity): AllocationEntityInput {
  const who = { entityId: e.entityId, name: e.nameZh, sector: e.sector };
  const emissions = { ...e.emissions };
  if (e.sector !== "power" && e.sector !== "heat") {
    return { ...who, method: "grandfathering", emissions, adjustment: 0, newFacility: 0 };
  }
  if (!e.output || !e.intensity) throw new Error(`demo entity ${e.entityId} (${e.sector}) has no output or intensity`);
  return {
    ...who,
    method: "benchmark",
    emissions,
    output: {
      ...(e.output.electricityMWh && { electricityMWh: { ...e.output.electricityMWh } }),
      ...(e.output.heatGJ && { heatGJ: { ...e.output.heatGJ } }),
    },
    intensity: {
      ...(e.intensity.kgCO2PerMWh && { kgCO2PerMWh: { ...e.intensity.kgCO2PerMWh } }),
      ...(e.intensity.kgCO2PerGJ && { kgCO2PerGJ: { ...e.intensity.kgCO2PerGJ } }),
    },
    adjustment: 0,
    newFacility: 0,
  };
}

/** The allocation input of a year: the demo entities, the year's factors and events, the cap that fits. */
export function generateAllocationInput(year: AllocationYear, data: DemoData = readDemoData()): AllocationInput {
  const spec = YEARS[year];
  const random = prng(SEED + year);
  const draft: AllocationInput = {
    schema: ALLOCATION_SCHEMA,
    description: `Fictional demo allocation of compliance year ${year}, made by scripts/demo/generate-allocation.ts from scripts/demo/entities.json. Format: docs/allocation.md.`,
    year,
    cap: 0,
    reserveBps: RESERVE_BPS,
    baseYears: HISTORY_YEARS.map(Number),
    sectorFactors: { ...spec.sectorFactors },
    benchmarks: {},
    entities: [...data.coveredEntities].sort((a, b) => a.entityId - b.entityId).map(entityInput),
  };

  const touched = new Set<number>();
  for (const event of spec.events) {
    const candidates = draft.entities.filter((e, i) => {
      const source = data.coveredEntities.find((d) => d.entityId === e.entityId);
      return e.sector === event.sector && !touched.has(i) && (!event.facility || source?.facility === event.facility);
    });
    const entity = candidates[Math.floor(random() * candidates.length)];
    if (!entity) throw new Error(`no ${event.facility ?? event.sector} entity left for an event of ${year}`);
    touched.add(draft.entities.indexOf(entity));
    const r = random();
    const [lo, hi] = event.share;
    const base = Number(allocationBase(draft, entity));
    const value = Math.round(((lo + (hi - lo) * r) * base) / event.step) * event.step;
    entity[event.field] = value;
    entity.note = event.note;
  }

  // The cap: the total plus the margin, grossed up by the reserve share, rounded up to CAP_STEP.
  const { total } = computeAllocationPlan({ ...draft, cap: Number.MAX_SAFE_INTEGER });
  const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
  const beforeReserve = ceilDiv(total * (10_000n + CAP_MARGIN_BPS), 10_000n - BigInt(RESERVE_BPS));
  const cap = ceilDiv(beforeReserve, CAP_STEP) * CAP_STEP;
  // Checked, but returned as built: the key order of the file is the order written above.
  const input = { ...draft, cap: Number(cap) };
  parseAllocationInput(input);
  return input;
}

// ──────────────────────────────────────────── output ──────────────────────────────────────────────

/**
 * The file text: JSON with small leaf objects (year maps) on one line, then as Prettier prints it
 * with the repository's settings, so that `prettier --check` leaves the generated files alone.
 */
export async function formatAllocationInput(input: AllocationInput, file: string): Promise<string> {
  const text = JSON.stringify(input, null, 2).replace(/\{\n\s+("[^{}[\]]*?)\n\s*\}/g, (_whole, body: string) => {
    return `{ ${body.replace(/,\n\s+/g, ", ")} }`;
  });
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file, parser: "json" });
}

/** Every year's file name and text, as the generator makes them. */
export async function generateAllocationFiles(
  data: DemoData = readDemoData(),
): Promise<{ year: AllocationYear; file: string; text: string; plan: AllocationPlan }[]> {
  const { uncovered } = demoCoverage(data);
  if (uncovered.length > 0) throw new Error(`demo entities outside the scope rule: ${uncovered.join(", ")}`);
  return Promise.all(
    ALLOCATION_YEARS.map(async (year) => {
      const input = generateAllocationInput(year, data);
      const file = allocationFile(year);
      return { year, file, text: await formatAllocationInput(input, file), plan: computeAllocationPlan(input) };
    }),
  );
}

const mt = (t: bigint): string => (Number(t) / 1e6).toFixed(3).padStart(8);

async function main(): Promise<void> {
  const files = await generateAllocationFiles();
  if (process.argv.includes("--check")) {
    const stale = files.filter((f) => !fs.existsSync(f.file) || fs.readFileSync(f.file, "utf8") !== f.text);
    for (const f of stale) {
      console.error(
        `${f.file} differs from what the generator makes; run: npx tsx scripts/demo/generate-allocation.ts`,
      );
    }
    if (stale.length > 0) process.exit(1);
    console.log(`${ALLOCATION_DIR}/{${ALLOCATION_YEARS.join(",")}}.json are up to date`);
    return;
  }
  fs.mkdirSync(ALLOCATION_DIR, { recursive: true });
  for (const { year, file, text, plan } of files) {
    fs.writeFileSync(file, text);
    console.log(
      `${year}: cap ${mt(plan.cap)} Mt  reserve ${mt(plan.reserve)} Mt  allocated ${mt(plan.total)} Mt to ${plan.entries.length} entities  → ${path.relative(process.cwd(), file)}`,
    );
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
