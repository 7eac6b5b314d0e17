import { div, floor, fraction, mul, parseDecimal, sum, type Fraction } from "../decimal";
import {
  BENCHMARK_PRODUCTS,
  outputYearOf,
  type AllocationEntityInput,
  type AllocationInput,
  type BenchmarkEntityInput,
  type GrandfatheringEntityInput,
} from "./input";

/**
 * The two allocation methods of the Tianjin pilot, in exact arithmetic (`sdk/decimal.ts`): every
 * product and average is an exact fraction, and only the base itself is rounded, once, by
 * {@link roundDownToTonnes}. The functions expect an input that passed `parseAllocationInput`.
 */

/**
 * The rounding rule of allocation: a base is rounded DOWN to whole tonnes (floor), once, after the
 * whole formula. No entity receives a fraction of a tonne more than its formula gives it, and the
 * result does not depend on the order of the products or years summed.
 */
export function roundDownToTonnes(value: Fraction): bigint {
  return floor(value);
}

/** A figure the schema guarantees to be present; a missing one is a programming error, not input. */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`allocation input not validated: ${what} is missing`);
  return value;
}

/** Mean of a year map over the base years, exactly. */
function baseYearMean(input: AllocationInput, map: Readonly<Record<string, number>>, what: string): Fraction {
  const values = input.baseYears.map((y) => fraction(BigInt(need(map[String(y)], `${what} ${y}`))));
  return div(sum(values), fraction(BigInt(values.length)));
}

/**
 * Grandfathering (steel, chemicals, petrochemicals, oil & gas, buildings):
 * `base = floor(mean of the base-year emissions × sector factor)`.
 */
export function grandfatheringBase(input: AllocationInput, entity: GrandfatheringEntityInput): bigint {
  const mean = baseYearMean(input, entity.emissions, `emissions of ${entity.entityId}`);
  const factor = parseDecimal(need(input.sectorFactors[entity.sector], `sector factor ${entity.sector}`));
  return roundDownToTonnes(mul(mean, factor));
}

/**
 * The intensity a benchmark entity's product is allocated at, kg CO2 per unit: the cited benchmark's
 * figure, or (no benchmark cited) the mean of the entity's measured intensity over the base years —
 * the arithmetic mean of the yearly figures, as the Tianjin pilot used its 2009–2012 average.
 */
export function benchmarkIntensity(
  input: AllocationInput,
  entity: BenchmarkEntityInput,
  product: (typeof BENCHMARK_PRODUCTS)[number],
): Fraction {
  if (entity.benchmark !== undefined) {
    const cited = need(input.benchmarks[entity.benchmark], `benchmark ${entity.benchmark}`);
    return parseDecimal(need(cited[product.intensity], `${entity.benchmark}.${product.intensity}`));
  }
  const measured = need(entity.intensity?.[product.intensity], `${product.intensity} of ${entity.entityId}`);
  return baseYearMean(input, measured, `${product.intensity} of ${entity.entityId}`);
}

/**
 * Benchmark (power, heat, CHP): `base = floor(Σ over products of output × intensity / 1000)`, with the
 * output of `outputYear` (left out: the last base year) and the intensity of {@link benchmarkIntensity}.
 * The products are summed exactly and the sum is rounded once.
 */
export function benchmarkBase(input: AllocationInput, entity: BenchmarkEntityInput): bigint {
  const year = String(outputYearOf(input, entity));
  const kg: Fraction[] = [];
  for (const product of BENCHMARK_PRODUCTS) {
    const output = entity.output[product.output];
    if (output === undefined) continue;
    const quantity = fraction(BigInt(need(output[year], `${product.output} ${year} of ${entity.entityId}`)));
    kg.push(mul(quantity, benchmarkIntensity(input, entity, product)));
  }
  return roundDownToTonnes(div(sum(kg), fraction(1000n)));
}

/** The base of an entity by its method, whole tonnes. */
export function allocationBase(input: AllocationInput, entity: AllocationEntityInput): bigint {
  switch (entity.method) {
    case "grandfathering":
      return grandfatheringBase(input, entity);
    case "benchmark":
      return benchmarkBase(input, entity);
    default: {
      const never: never = entity;
      throw new Error(`unknown method ${JSON.stringify(never)}`);
    }
  }
}
