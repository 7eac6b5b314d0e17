import { z } from "zod";
import { allocationInputInvalid, formatIssuePath } from "./input";

/**
 * Market scope: which emitters are covered entities and so must hold a registry account. An entity
 * is covered when it emitted at least the threshold in any year from `sinceYear` on (Tianjin:
 * 20,000 t CO2 in any year since 2009). Both are parameters of the scheme.
 */

/** The scope rule: at least `thresholdTonnes` t CO2 in a year ≥ `sinceYear`. */
export interface CoverageRule {
  /** Tonnes CO2 in one year that bring an entity into scope (default 20,000). */
  thresholdTonnes: bigint;
  /** The first year that counts (default 2009); earlier years are ignored. */
  sinceYear: number;
}

/** Tianjin's scope rule: 20,000 t CO2 in any year since 2009. */
export const DEFAULT_COVERAGE_RULE: Readonly<CoverageRule> = Object.freeze({
  thresholdTonnes: 20_000n,
  sinceYear: 2009,
});

/** One emitter's history: its id, sector and emissions by year (`{ "2009": t, … }`, integer tonnes). */
export interface EmissionsHistory {
  entityId: number;
  sector: string;
  emissions: Readonly<Record<string, number>>;
}

/** A covered entity and the years that brought it into scope. */
export interface CoverageEntry {
  entityId: number;
  sector: string;
  /** Every year ≥ sinceYear with emissions ≥ the threshold, ascending, with its emissions. */
  qualifyingYears: { year: number; tonnes: bigint }[];
}

const historySchema = z.array(
  z.object({
    entityId: z
      .number()
      .int()
      .min(1)
      .refine((n) => n <= Number.MAX_SAFE_INTEGER, "must be at most 9007199254740991"),
    sector: z.string().min(1),
    emissions: z.record(
      z.string().regex(/^\d{4}$/, "must be a four-digit year"),
      z
        .number()
        .int()
        .min(0)
        .refine((n) => n <= Number.MAX_SAFE_INTEGER, "must be at most 9007199254740991"),
    ),
  }),
);

/**
 * The covered entities of an emissions history, ascending by entity id, each with the year(s) and
 * tonnes that qualified it. Objects may carry other fields (they are ignored), so the demo data's
 * entities can be passed as they are.
 *
 * Throws ALLOCATION_INPUT_INVALID for a malformed history (each field named by its path) or two
 * histories with the same entity id.
 */
export function listCoveredEntities(
  histories: readonly EmissionsHistory[],
  rule: Partial<CoverageRule> = {},
): CoverageEntry[] {
  const { thresholdTonnes, sinceYear } = { ...DEFAULT_COVERAGE_RULE, ...rule };
  const parsed = historySchema.safeParse(histories);
  if (!parsed.success) {
    throw allocationInputInvalid(
      "emissions history",
      parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    );
  }
  const seen = new Map<number, number>();
  parsed.data.forEach((h, i) => {
    const first = seen.get(h.entityId);
    if (first !== undefined) {
      throw allocationInputInvalid("emissions history", [
        { path: `[${i}].entityId`, message: `duplicate entity id ${h.entityId} (also [${first}])` },
      ]);
    }
    seen.set(h.entityId, i);
  });

  const covered: CoverageEntry[] = [];
  for (const h of parsed.data) {
    const qualifyingYears = Object.entries(h.emissions)
      .map(([year, tonnes]) => ({ year: Number(year), tonnes: BigInt(tonnes) }))
      .filter((y) => y.year >= sinceYear && y.tonnes >= thresholdTonnes)
      .sort((a, b) => a.year - b.year);
    if (qualifyingYears.length > 0) covered.push({ entityId: h.entityId, sector: h.sector, qualifyingYears });
  }
  return covered.sort((a, b) => a.entityId - b.entityId);
}
