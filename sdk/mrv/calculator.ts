/**
 * The common formulas of China's sector greenhouse-gas accounting guidelines (国家发改委 24 个行业企业
 * 温室气体排放核算方法与报告指南): fuel combustion, process emissions, purchased electricity and
 * purchased heat. Every input is a decimal string and every result an exact {@link Fraction} of
 * tonnes of CO2; nothing is rounded here except where {@link formatSourceEmissions} and {@link roundTotalTonnes}
 * say so.
 *
 * Rounding rule (the one place it is decided): each source's emissions are kept exact; a source is
 * displayed with 3 decimals (kg precision), rounded half up; the total of a report is the exact sum
 * of its sources rounded half up to whole tonnes. Displayed line figures are never summed, so the
 * total may differ by a few kilograms' rounding from the sum of the displayed lines, never from the
 * exact sum by more than half a tonne.
 */
import { fraction, formatDecimal, mul, parseDecimal, roundHalfUp, sum, type Fraction } from "../decimal";

/** A quantity or factor written as a plain decimal string, such as "20.908" (see `DECIMAL_PATTERN`). */
export type DecimalString = string;

/** Tonnes of CO2 per tonne of carbon: the molecular mass ratio 44/12, kept exact. */
export const CO2_PER_CARBON: Fraction = fraction(44n, 12n);

/** The emission factors a report line may leave to configuration. */
export interface EmissionFactors {
  /** Grid emission factor of purchased electricity, tCO2/MWh. */
  readonly electricity: DecimalString;
  /** Emission factor of purchased heat, tCO2/GJ. */
  readonly heat: DecimalString;
}

/**
 * The guidelines' defaults: the North China regional grid (华北区域电网) average emission factor
 * 0.8843 tCO2/MWh, and 0.11 tCO2/GJ for purchased heat. The regulator may configure others.
 */
export const DEFAULT_EMISSION_FACTORS: EmissionFactors = Object.freeze({ electricity: "0.8843", heat: "0.11" });

/** Activity data and factors of one fuel burnt at a facility. */
export interface FuelCombustionInput {
  /** Fuel consumed, in t (solid and liquid fuels) or 10^4 Nm3 (gaseous fuels). */
  readonly consumption: DecimalString;
  /** Net calorific value (低位发热量), GJ per unit of consumption. */
  readonly netCalorificValue: DecimalString;
  /** Carbon content per unit of heat (单位热值含碳量), tC/GJ. */
  readonly carbonContent: DecimalString;
  /** Carbon oxidation rate (碳氧化率), a fraction in (0, 1]. */
  readonly oxidationRate: DecimalString;
}

/**
 * Emissions of fuel combustion, exact, in tCO2:
 * consumption × net calorific value × carbon content × oxidation rate × 44/12.
 *
 * Throws a RangeError when an input is not a plain decimal (validate reports with `parseReport`).
 */
export function fuelCombustionEmissions(input: FuelCombustionInput): Fraction {
  return mul(
    parseDecimal(input.consumption),
    parseDecimal(input.netCalorificValue),
    parseDecimal(input.carbonContent),
    parseDecimal(input.oxidationRate),
    CO2_PER_CARBON,
  );
}

/**
 * Process emissions, exact, in tCO2: activity (e.g. carbonate consumed, t) × emission factor
 * (tCO2/t, e.g. 0.440 for calcium carbonate).
 */
export function processEmissions(activity: DecimalString, emissionFactor: DecimalString): Fraction {
  return mul(parseDecimal(activity), parseDecimal(emissionFactor));
}

/** Indirect emissions of purchased electricity, exact, in tCO2: MWh × grid factor (tCO2/MWh). */
export function electricityEmissions(purchasedMWh: DecimalString, gridFactor: DecimalString): Fraction {
  return mul(parseDecimal(purchasedMWh), parseDecimal(gridFactor));
}

/** Indirect emissions of purchased heat, exact, in tCO2: GJ × heat factor (tCO2/GJ). */
export function heatEmissions(purchasedGJ: DecimalString, heatFactor: DecimalString): Fraction {
  return mul(parseDecimal(purchasedGJ), parseDecimal(heatFactor));
}

/** Places shown when one source's emissions are displayed: 3 decimals of a tonne. */
export const SOURCE_DECIMALS = 3;

/** One source's exact emissions as displayed: tonnes with 3 decimals, rounded half up ("236026.565"). */
export function formatSourceEmissions(emissions: Fraction): string {
  return formatDecimal(emissions, SOURCE_DECIMALS);
}

/**
 * The total of a report in whole tonnes: the EXACT sum of the sources' emissions, rounded half up
 * (75,165.5 t → 75,166 t). Independent of the order of the sources.
 */
export function roundTotalTonnes(emissions: readonly Fraction[]): bigint {
  return roundHalfUp(sum(emissions));
}
