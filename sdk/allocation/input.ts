import fs from "node:fs";
import { z } from "zod";
import { clientError } from "../client-errors";
import type { DomainError } from "../errors";
import { SECTORS } from "../participants";

/**
 * The allocation input file (`ets-allocation/1`): everything the management centre decides for one
 * compliance year — cap, reserve share, base years, sector factors, benchmarks and, per covered
 * entity, its method, history, adjustment and new-facility allowances. The plan is a pure function
 * of this file (`computeAllocationPlan`), and the file's canonical hash is published with the plan,
 * so anyone holding the file can recompute every figure. Field by field: `docs/allocation.md`.
 *
 * The schema has no defaults and no transforms, and every object is strict (unknown keys are
 * refused): what is hashed is exactly what the file says. Where a field may be left out
 * (`outputYear`, `benchmark`), the rule applied instead is fixed by the format, not written in.
 */

/** The format identifier, the `schema` field of every allocation input file. */
export const ALLOCATION_SCHEMA = "ets-allocation/1";

/** Allocation methods: history-based (emissions) or output-based (output × intensity). */
export const ALLOCATION_METHODS = ["grandfathering", "benchmark"] as const;
export type AllocationMethod = (typeof ALLOCATION_METHODS)[number];

/** Sector keys as the registry and the CLI write them (`steel`, …, `buildings`). */
const SECTOR_KEYS = SECTORS.map((s) => s.key) as [
  (typeof SECTORS)[number]["key"],
  ...(typeof SECTORS)[number]["key"][],
];
export type AllocationSector = (typeof SECTORS)[number]["key"];

/** A year as a number, the range of allowance vintages (2000–2100). */
const year = z.number().int().min(2000).max(2100);
/** Whole tonnes (or MWh, GJ, kg) as a JSON number: an integer JavaScript holds exactly. */
const safeInt = z
  .number()
  .int()
  .refine((n) => Math.abs(n) <= Number.MAX_SAFE_INTEGER, "must be at most 9007199254740991 in absolute value");
const count = safeInt.refine((n) => n >= 0, "must not be negative");
/** A non-negative plain decimal written as a string, e.g. "0.98" or "845.3"; parsed exactly. */
const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]+)?$/, 'must be a non-negative decimal string such as "0.98"');
/** Figures by year: `{ "2009": 1200000, … }`, keys four-digit years, values non-negative integers. */
const yearMap = z.record(z.string().regex(/^\d{4}$/, "must be a four-digit year"), count);

/** A benchmark intensity: kg CO2 per MWh of electricity and/or per GJ of heat supplied. */
const benchmarkSchema = z
  .object({ kgCO2PerMWh: decimal.optional(), kgCO2PerGJ: decimal.optional() })
  .strict()
  .refine((b) => b.kgCO2PerMWh !== undefined || b.kgCO2PerGJ !== undefined, "must give kgCO2PerMWh or kgCO2PerGJ");

const entityCommon = {
  /** Registry entity id (uint64 on chain). */
  entityId: safeInt.refine((n) => n >= 1, "must be at least 1"),
  /** Registered name, for people; not used in any formula. */
  name: z.string().min(1),
  sector: z.enum(SECTOR_KEYS),
  /** Verified emissions by year, t CO2. */
  emissions: yearMap,
  /** Whole tonnes added to the base (negative: deducted, e.g. for a closed line). */
  adjustment: safeInt,
  /** Whole tonnes for new facilities that have no history yet. */
  newFacility: count,
  /** Why the adjustment or new-facility figure is what it is. */
  note: z.string().min(1).optional(),
};

const grandfatheringEntity = z.object({ ...entityCommon, method: z.literal("grandfathering") }).strict();

const benchmarkEntity = z
  .object({
    ...entityCommon,
    method: z.literal("benchmark"),
    /** Output supplied by year: electricity in MWh, heat in GJ. A product counts when it is given. */
    output: z.object({ electricityMWh: yearMap.optional(), heatGJ: yearMap.optional() }).strict(),
    /** Measured intensity by year (integer kg CO2 per MWh / per GJ): the source of the own-average intensity. */
    intensity: z.object({ kgCO2PerMWh: yearMap.optional(), kgCO2PerGJ: yearMap.optional() }).strict().optional(),
    /** Key of `benchmarks` whose intensity to use; left out: the entity's own base-year average intensity. */
    benchmark: z.string().min(1).optional(),
    /** The year whose output is multiplied; left out: the last base year. */
    outputYear: year.optional(),
  })
  .strict();

const entitySchema = z.discriminatedUnion("method", [grandfatheringEntity, benchmarkEntity]);

const inputShape = z
  .object({
    schema: z.literal(ALLOCATION_SCHEMA),
    /** Free text for people (what the file is, who made it); hashed like everything else. */
    description: z.string().optional(),
    /** The compliance year and allowance vintage allocated. */
    year,
    /** The year's cap, whole tonnes: reserve + free pool. */
    cap: count,
    /** The government reserve's share of the cap, basis points (600 = 6 %). */
    reserveBps: z.number().int().min(0).max(10_000),
    /** Base years of grandfathering and of the own-average intensity, ascending (Tianjin: 2009–2012). */
    baseYears: z.array(year).min(1),
    /** Factor applied to the base-year average of grandfathered entities, per sector. */
    sectorFactors: z.record(z.enum(SECTOR_KEYS), decimal),
    /** Named benchmark intensities (per facility kind or per entity) that benchmark entities may cite. */
    benchmarks: z.record(z.string().min(1), benchmarkSchema),
    entities: z.array(entitySchema),
  })
  .strict();

/** The JSON schema of an allocation input file, with the cross-field rules of {@link checkReferences}. */
export const allocationInputSchema = inputShape.superRefine((input, ctx) => checkReferences(input, ctx));

export type AllocationInput = z.infer<typeof inputShape>;
export type AllocationEntityInput = AllocationInput["entities"][number];
export type GrandfatheringEntityInput = Extract<AllocationEntityInput, { method: "grandfathering" }>;
export type BenchmarkEntityInput = Extract<AllocationEntityInput, { method: "benchmark" }>;

/** The products a benchmark entity may supply, each with its output and intensity field. */
export const BENCHMARK_PRODUCTS = [
  { output: "electricityMWh", intensity: "kgCO2PerMWh" },
  { output: "heatGJ", intensity: "kgCO2PerGJ" },
] as const;

/** The year whose output a benchmark entity's base multiplies: `outputYear`, or the last base year. */
export function outputYearOf(input: Pick<AllocationInput, "baseYears">, entity: BenchmarkEntityInput): number {
  return entity.outputYear ?? Math.max(...input.baseYears);
}

/**
 * The rules one field alone cannot check: base years unique and before the year, entity ids unique,
 * every sector factor, benchmark, base year and output year an entity relies on present.
 */
function checkReferences(input: AllocationInput, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });

  input.baseYears.forEach((y, i) => {
    const prev = input.baseYears[i - 1];
    if (prev !== undefined && y <= prev) issue(["baseYears", i], "base years must be unique and ascending");
    if (y >= input.year) issue(["baseYears", i], `base year ${y} is not before the allocation year ${input.year}`);
  });

  const firstIndex = new Map<number, number>();
  input.entities.forEach((entity, i) => {
    const at = (...rest: (string | number)[]) => ["entities", i, ...rest];
    const first = firstIndex.get(entity.entityId);
    if (first !== undefined) {
      issue(at("entityId"), `duplicate entity id ${entity.entityId} (also entities[${first}])`);
    } else {
      firstIndex.set(entity.entityId, i);
    }

    switch (entity.method) {
      case "grandfathering": {
        if (input.sectorFactors[entity.sector] === undefined) {
          issue(at("sector"), `no sector factor for "${entity.sector}" in sectorFactors`);
        }
        for (const y of input.baseYears) {
          if (entity.emissions[String(y)] === undefined) issue(at("emissions", String(y)), `base year ${y} is missing`);
        }
        break;
      }
      case "benchmark": {
        const outYear = String(outputYearOf(input, entity));
        const cited = entity.benchmark === undefined ? undefined : input.benchmarks[entity.benchmark];
        if (entity.benchmark !== undefined && cited === undefined) {
          issue(at("benchmark"), `no benchmark "${entity.benchmark}" in benchmarks`);
        }
        let products = 0;
        for (const p of BENCHMARK_PRODUCTS) {
          const output = entity.output[p.output];
          if (output === undefined) continue;
          products++;
          if (output[outYear] === undefined)
            issue(at("output", p.output, outYear), `output of year ${outYear} is missing`);
          if (entity.benchmark !== undefined) {
            if (cited !== undefined && cited[p.intensity] === undefined) {
              issue(at("benchmark"), `benchmark "${entity.benchmark}" gives no ${p.intensity} for ${p.output}`);
            }
          } else {
            const measured = entity.intensity?.[p.intensity];
            for (const y of input.baseYears) {
              if (measured?.[String(y)] === undefined) {
                issue(at("intensity", p.intensity, String(y)), `base year ${y} is missing (own-average intensity)`);
              }
            }
          }
        }
        if (products === 0) issue(at("output"), "a benchmark entity needs electricityMWh or heatGJ");
        break;
      }
      default: {
        const never: never = entity;
        throw new Error(`unknown method ${JSON.stringify(never)}`);
      }
    }
  });
}

/** One offending field of an allocation input: its path (`entities[3].emissions.2012`) and what is wrong. */
export interface AllocationInputIssue {
  path: string;
  message: string;
}

/** `["entities", 3, "emissions", "2012"]` → `entities[3].emissions.2012`. */
export function formatIssuePath(path: readonly (string | number)[]): string {
  const text = path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  return text === "" ? "(file)" : text;
}

/** An ALLOCATION_INPUT_INVALID error listing every issue, each field named by its path. */
export function allocationInputInvalid(what: string, issues: readonly AllocationInputIssue[]): DomainError {
  const list = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return clientError("ALLOCATION_INPUT_INVALID", `The ${what} is invalid: ${list}.`, { issues: [...issues] });
}

/**
 * Checks a value against the `ets-allocation/1` format and returns it typed. Throws
 * ALLOCATION_INPUT_INVALID with `details.issues` naming every offending field by its path.
 */
export function parseAllocationInput(value: unknown): AllocationInput {
  return check(value, "allocation input");
}

/**
 * Reads and checks an allocation input file. Throws FILE_UNREADABLE when the file cannot be read,
 * ALLOCATION_INPUT_INVALID when it is not JSON or does not follow the format.
 */
export function readAllocationInput(file: string): AllocationInput {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw clientError("FILE_UNREADABLE", `Cannot read the allocation input ${file}: ${(err as Error).message}`, {
      file,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw allocationInputInvalid(`allocation input ${file}`, [
      { path: "(file)", message: `not JSON (${(err as Error).message})` },
    ]);
  }
  return check(value, `allocation input ${file}`);
}

function check(value: unknown, what: string): AllocationInput {
  const parsed = allocationInputSchema.safeParse(value);
  if (!parsed.success) {
    throw allocationInputInvalid(
      what,
      parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    );
  }
  return parsed.data;
}
