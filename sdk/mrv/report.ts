/**
 * The annual emissions report of a covered entity (`ets-report/1`): its JSON format, validation that
 * names every offending field, the calculation of its emissions, and the hash recorded on chain.
 * The format, formulas and rules are described for people in `docs/mrv.md`.
 *
 * The schema has no defaults and no transforms: a parsed report equals its JSON input, so the hash
 * of the parsed report is the hash of the document the entity submitted.
 */
import fsp from "node:fs/promises";
import { z } from "zod";
import { canonicalHash } from "../canonical-json";
import { CLIENT_ERRORS, clientError, type ClientErrorCode } from "../client-errors";
import { DECIMAL_PATTERN, formatDecimal, parseDecimal, sum, type Fraction } from "../decimal";
import { DomainError } from "../errors";
import {
  DEFAULT_EMISSION_FACTORS,
  SOURCE_DECIMALS,
  electricityEmissions,
  formatSourceEmissions,
  fuelCombustionEmissions,
  heatEmissions,
  processEmissions,
  roundTotalTonnes,
  type DecimalString,
  type EmissionFactors,
} from "./calculator";

/** The `schema` tag of this version of the format. */
export const REPORT_SCHEMA = "ets-report/1";
/** The first and last reporting year the format accepts. */
export const REPORT_YEARS = { min: 2005, max: 2100 } as const;
/** The longest decimal string accepted: more digits than any measurement has, few enough to stay cheap. */
export const REPORT_MAX_DECIMAL_LENGTH = 40;
/** The longest source id. */
export const REPORT_MAX_SOURCE_ID_LENGTH = 64;
/** The units in which a fuel's consumption is measured: tonnes, or 10^4 normal cubic metres of gas. */
export const FUEL_UNITS = ["t", "10^4 Nm3"] as const;
/** The kinds of emission source, one formula each. */
export const EMISSION_SOURCE_KINDS = ["fuel", "process", "electricity", "heat"] as const;

// ── field schemas ────────────────────────────────────────────────────────────────────────────────

const DECIMAL_EXAMPLE = 'must be a plain decimal number such as "20.908"';

/** What is wrong with a decimal string, or undefined. `rate` asks for a value in (0, 1]. */
function decimalProblem(text: string, range: "non-negative" | "rate"): string | undefined {
  if (text.length > REPORT_MAX_DECIMAL_LENGTH) return `must have at most ${REPORT_MAX_DECIMAL_LENGTH} characters`;
  if (!DECIMAL_PATTERN.test(text)) return DECIMAL_EXAMPLE;
  if (text.startsWith("-")) return "must not be negative";
  if (range === "rate") {
    const f = parseDecimal(text);
    if (f.num === 0n || f.num > f.den) return 'must be greater than 0 and at most 1, such as "0.98"';
  }
  return undefined;
}

/** A quantity or factor: a JSON string holding a plain, non-negative decimal (a JSON number is refused: not exact). */
function decimal(range: "non-negative" | "rate" = "non-negative") {
  return z
    .string({
      required_error: "is required",
      invalid_type_error: `${DECIMAL_EXAMPLE}, written as a JSON string (a JSON number is not exact)`,
    })
    .superRefine((text, ctx) => {
      const problem = decimalProblem(text, range);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    });
}

/** A free text that must say something. */
function text() {
  return z
    .string({ required_error: "is required", invalid_type_error: "must be a string" })
    .refine((s) => s.trim().length > 0, "must not be empty");
}

/** Optional remarks. */
const notes = z.string({ invalid_type_error: "must be a string" }).optional();

/** A message for every issue of a schema (literals, enums, discriminators), replacing zod's wording. */
const say = (message: string) => ({ errorMap: () => ({ message }) });

const sourceId = z
  .string({ required_error: "is required", invalid_type_error: "must be a string" })
  .superRefine((id, ctx) => {
    if (id.length === 0 || id.length > REPORT_MAX_SOURCE_ID_LENGTH || id.trim() !== id) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be 1 to ${REPORT_MAX_SOURCE_ID_LENGTH} characters without surrounding spaces`,
      });
    }
  });

/** The characters of a unified social credit code (GB 32100-2015), as `parseCreditCode` in sdk/input.ts checks them. */
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

const OBJECT = { required_error: "is required", invalid_type_error: "must be an object" };

/** The fields every source line has. */
const lineBase = {
  /** Identifies the source within the report (e.g. "boiler-1"); unique within the report. */
  id: sourceId,
  /** What the source is, for a person: the facility and the fuel or material (e.g. "1号燃煤锅炉 原煤"). */
  description: text(),
  /** Optional remarks: where the activity data come from, measured or default factors. */
  notes,
};

/** Combustion of one fuel: consumption × NCV × carbon content × oxidation rate × 44/12. */
const fuelSource = z
  .object(
    {
      kind: z.literal("fuel"),
      ...lineBase,
      /** Fuel consumed in the year, in `consumptionUnit`. */
      consumption: decimal(),
      /** "t" for solid and liquid fuels, "10^4 Nm3" for gaseous fuels. */
      consumptionUnit: z.enum(FUEL_UNITS, say(`must be one of ${FUEL_UNITS.map((u) => `"${u}"`).join(", ")}`)),
      /** Net calorific value (低位发热量), GJ per unit of consumption. */
      netCalorificValue: decimal(),
      /** Carbon content per unit of heat (单位热值含碳量), tC/GJ. */
      carbonContent: decimal(),
      /** Carbon oxidation rate (碳氧化率), in (0, 1]. */
      oxidationRate: decimal("rate"),
    },
    OBJECT,
  )
  .strict();

/** An industrial process (carbonate decomposition, …): activity × emission factor. */
const processSource = z
  .object(
    {
      kind: z.literal("process"),
      ...lineBase,
      /** Activity data in t (e.g. carbonate consumed). */
      activity: decimal(),
      /** tCO2 per t of activity (e.g. "0.440" for calcium carbonate). */
      emissionFactor: decimal(),
    },
    OBJECT,
  )
  .strict();

/** Purchased electricity: MWh × grid emission factor. */
const electricitySource = z
  .object(
    {
      kind: z.literal("electricity"),
      ...lineBase,
      /** Net purchased electricity, MWh. */
      purchased: decimal(),
      /** tCO2/MWh; when absent, the configured grid factor applies (default 0.8843). */
      emissionFactor: decimal().optional(),
    },
    OBJECT,
  )
  .strict();

/** Purchased heat (steam, hot water): GJ × heat emission factor. */
const heatSource = z
  .object(
    {
      kind: z.literal("heat"),
      ...lineBase,
      /** Net purchased heat, GJ. */
      purchased: decimal(),
      /** tCO2/GJ; when absent, the configured heat factor applies (default 0.11). */
      emissionFactor: decimal().optional(),
    },
    OBJECT,
  )
  .strict();

const KIND_MESSAGE = `must be one of ${EMISSION_SOURCE_KINDS.map((k) => `"${k}"`).join(", ")}`;

const emissionSource = z.discriminatedUnion("kind", [fuelSource, processSource, electricitySource, heatSource], {
  errorMap: (issue, ctx) =>
    issue.code === "invalid_union_discriminator"
      ? { message: KIND_MESSAGE }
      : issue.code === "invalid_type"
        ? { message: "must be an object" }
        : { message: ctx.defaultError },
});

/** The JSON schema of an `ets-report/1` emissions report (validation only: no defaults, no transforms). */
export const reportSchema = z
  .object(
    {
      /** Always "ets-report/1": the format and its version. */
      schema: z.literal(REPORT_SCHEMA, say(`must be "${REPORT_SCHEMA}"`)),
      /** The reporting (compliance) year. */
      year: z
        .number({ required_error: "is required", invalid_type_error: "must be a number" })
        .int(`must be a whole year from ${REPORT_YEARS.min} to ${REPORT_YEARS.max}`)
        .min(REPORT_YEARS.min, `must be a whole year from ${REPORT_YEARS.min} to ${REPORT_YEARS.max}`)
        .max(REPORT_YEARS.max, `must be a whole year from ${REPORT_YEARS.min} to ${REPORT_YEARS.max}`),
      /** The covered entity that reports. */
      entity: z
        .object(
          {
            /** Its id in the participant registry. */
            entityId: z
              .number({ required_error: "is required", invalid_type_error: "must be a number" })
              .int("must be a positive whole number")
              .positive("must be a positive whole number")
              .max(Number.MAX_SAFE_INTEGER, "must be at most 9007199254740991"),
            /** Its registered name. */
            name: text(),
            /** Its unified social credit code (统一社会信用代码), upper case. */
            creditCode: z
              .string({ invalid_type_error: "must be a string" })
              .regex(
                CREDIT_CODE,
                "must be a unified social credit code: 18 characters of 0-9 and A-Y without I, O, S, V, Z",
              )
              .optional(),
          },
          OBJECT,
        )
        .strict(),
      /** One line per emission source; at least one; ids unique. */
      sources: z
        .array(emissionSource, { required_error: "is required", invalid_type_error: "must be a list" })
        .min(1, "must list at least one emission source"),
      /** Optional remarks on the whole report. */
      notes,
    },
    { required_error: "is required", invalid_type_error: "must be a JSON object" },
  )
  .strict();

/** An emissions report, as {@link parseReport} returns it (equal to its JSON). */
export type EmissionsReport = z.infer<typeof reportSchema>;
/** The reporting entity of a report. */
export type ReportEntity = EmissionsReport["entity"];
/** One line of a report: one emission source. */
export type EmissionSource = z.infer<typeof emissionSource>;
export type FuelSource = z.infer<typeof fuelSource>;
export type ProcessSource = z.infer<typeof processSource>;
export type ElectricitySource = z.infer<typeof electricitySource>;
export type HeatSource = z.infer<typeof heatSource>;
/** "fuel" | "process" | "electricity" | "heat". */
export type EmissionSourceKind = EmissionSource["kind"];

// ── validation ───────────────────────────────────────────────────────────────────────────────────

/** One problem of an invalid report: the field's path (`sources[2].netCalorificValue`) and what is wrong. */
export interface ReportIssue {
  readonly path: string;
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["sources", 2, "netCalorificValue"]` → `sources[2].netCalorificValue`; the root is `(report)`. */
function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (!IDENTIFIER.test(part)) out += `[${JSON.stringify(part)}]`;
    else out += out ? `.${part}` : part;
  }
  return out || "(report)";
}

/**
 * zod's issues in the format's words: an unknown key becomes one issue at its own path, and a field
 * that breaks several checks with one message (a year of 2004.5) is named once.
 */
function issuesOf(error: z.ZodError): ReportIssue[] {
  const seen = new Set<string>();
  const all = error.issues.flatMap((issue) =>
    issue.code === z.ZodIssueCode.unrecognized_keys
      ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: "is not a field of the format" }))
      : [{ path: formatPath(issue.path), message: issue.message }],
  );
  return all.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Source ids used twice, found on the raw JSON so that they are reported even when other fields are wrong. */
function duplicateIds(json: unknown): ReportIssue[] {
  if (json === null || typeof json !== "object" || !Array.isArray((json as { sources?: unknown }).sources)) return [];
  const first = new Map<string, number>();
  const issues: ReportIssue[] = [];
  (json as { sources: unknown[] }).sources.forEach((line, i) => {
    const id = line !== null && typeof line === "object" ? (line as { id?: unknown }).id : undefined;
    if (typeof id !== "string") return;
    const seen = first.get(id);
    if (seen === undefined) first.set(id, i);
    else
      issues.push({
        path: formatPath(["sources", i, "id"]),
        message: `repeats the id ${JSON.stringify(id)} of sources[${seen}]; ids are unique within a report`,
      });
  });
  return issues;
}

/** A DomainError with a client code of the catalogue, keeping the error that caused it. */
function coded(code: ClientErrorCode, message: string, details: Record<string, unknown>, cause?: unknown) {
  return new DomainError(code, message, CLIENT_ERRORS[code].kind, details, { cause });
}

function invalid(what: string, issues: readonly ReportIssue[], cause?: unknown): DomainError {
  const list = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return coded("REPORT_INVALID", `${what} is invalid: ${list}.`, { issues: issues.map((i) => ({ ...i })) }, cause);
}

function parseAs(json: unknown, what: string): EmissionsReport {
  const result = reportSchema.safeParse(json);
  const issues = [...(result.success ? [] : issuesOf(result.error)), ...duplicateIds(json)];
  if (!result.success || issues.length > 0) throw invalid(what, issues);
  return result.data;
}

/**
 * Validates a report's JSON value (as `JSON.parse` returns it) and returns it typed, unchanged.
 *
 * Throws a `DomainError` `REPORT_INVALID` (kind `validation`) whose message names every offending
 * field by its path (`sources[2].netCalorificValue: must be a plain decimal number such as "20.908"`)
 * and whose `details.issues` lists them as `{ path, message }`. Besides the fields' own rules, a
 * report needs at least one source, and source ids must be unique.
 */
export function parseReport(json: unknown): EmissionsReport {
  return parseAs(json, "The emissions report");
}

/**
 * Reads and validates a report file (UTF-8 JSON; a leading byte-order mark is ignored).
 *
 * Throws `FILE_UNREADABLE` when the file cannot be read, `REPORT_INVALID` when it is not JSON or
 * not a valid report (see {@link parseReport}).
 */
export async function readReportFile(file: string): Promise<EmissionsReport> {
  let textOfFile: string;
  try {
    textOfFile = await fsp.readFile(file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? "unknown";
    throw coded("FILE_UNREADABLE", `The report file ${file} cannot be read (${code}).`, { file, code }, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(textOfFile.replace(/^\uFEFF/, ""));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw invalid(`The report file ${file}`, [{ path: "(report)", message: `is not JSON (${reason})` }], err);
  }
  return parseAs(json, `The report file ${file}`);
}

// ── hash ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * The report's content hash, recorded on chain: keccak256 of the UTF-8 bytes of its RFC 8785
 * canonical JSON. It does not depend on key order or whitespace of the file, and changes with any
 * value. Reproducible with any RFC 8785 implementation and keccak256 (not SHA3-256).
 */
export function reportHash(report: EmissionsReport): string {
  return canonicalHash(report);
}

// ── calculation ──────────────────────────────────────────────────────────────────────────────────

/** Where the factor of an electricity or heat line came from. */
export type EmissionFactorSource = "report" | "configured";

/** One source's emissions. */
export interface SourceEmissions {
  readonly id: string;
  readonly kind: EmissionSourceKind;
  /** Exact emissions, tCO2. */
  readonly emissions: Fraction;
  /** The emissions as displayed: tonnes with 3 decimals, rounded half up. */
  readonly tonnes: string;
  /** Electricity and heat only: the emission factor applied and whether the line stated it. */
  readonly factor?: { readonly value: DecimalString; readonly source: EmissionFactorSource };
}

/** A report's emissions: per source and in total. */
export interface ReportEmissions {
  /** In the order of the report's sources. */
  readonly sources: readonly SourceEmissions[];
  /** Exact sum of the sources' emissions, tCO2. */
  readonly exactTotal: Fraction;
  /** The exact sum displayed with 3 decimals. */
  readonly total: string;
  /** The report's emissions in whole tonnes: the exact sum rounded half up. */
  readonly totalTonnes: bigint;
  /** The factors used for lines that state none. */
  readonly factors: EmissionFactors;
}

/** The configured factors, checked: a malformed one is a configuration error, not a report error. */
function checkedFactors(overrides: Partial<EmissionFactors>): EmissionFactors {
  const factors: EmissionFactors = { ...DEFAULT_EMISSION_FACTORS, ...overrides };
  for (const [name, value] of Object.entries(factors) as [keyof EmissionFactors, string][]) {
    const problem = typeof value === "string" ? decimalProblem(value, "non-negative") : "must be a decimal string";
    if (problem) {
      throw clientError(
        "INVALID_CONFIG",
        `The configured ${name} emission factor ${JSON.stringify(value)} ${problem}.`,
        {
          field: name,
          value,
        },
      );
    }
  }
  return factors;
}

function lineEmissions(
  source: EmissionSource,
  factors: EmissionFactors,
): { emissions: Fraction; factor?: SourceEmissions["factor"] } {
  switch (source.kind) {
    case "fuel":
      return { emissions: fuelCombustionEmissions(source) };
    case "process":
      return { emissions: processEmissions(source.activity, source.emissionFactor) };
    case "electricity": {
      const factor = stated(source.emissionFactor, factors.electricity);
      return { emissions: electricityEmissions(source.purchased, factor.value), factor };
    }
    case "heat": {
      const factor = stated(source.emissionFactor, factors.heat);
      return { emissions: heatEmissions(source.purchased, factor.value), factor };
    }
    default: {
      const unknown: never = source;
      throw new Error(`unknown source kind ${JSON.stringify(unknown)}`);
    }
  }
}

function stated(own: DecimalString | undefined, configured: DecimalString): NonNullable<SourceEmissions["factor"]> {
  return own === undefined ? { value: configured, source: "configured" } : { value: own, source: "report" };
}

/**
 * The emissions of a validated report: each source exact and displayed with 3 decimals, and the
 * total in whole tonnes (the exact sum rounded half up; see `calculator.ts` for the rule).
 *
 * `factors` replaces the default grid and heat factors for lines that state no factor of their own;
 * a malformed factor throws `INVALID_CONFIG`.
 */
export function computeReport(report: EmissionsReport, factors: Partial<EmissionFactors> = {}): ReportEmissions {
  const used = checkedFactors(factors);
  const sources = report.sources.map((source): SourceEmissions => {
    const { emissions, factor } = lineEmissions(source, used);
    return {
      id: source.id,
      kind: source.kind,
      emissions,
      tonnes: formatSourceEmissions(emissions),
      ...(factor ? { factor } : {}),
    };
  });
  const exactTotal = sum(sources.map((s) => s.emissions));
  return {
    sources,
    exactTotal,
    total: formatDecimal(exactTotal, SOURCE_DECIMALS),
    totalTonnes: roundTotalTonnes(sources.map((s) => s.emissions)),
    factors: used,
  };
}
