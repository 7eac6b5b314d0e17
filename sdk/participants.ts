import { clientError } from "./client-errors";

/**
 * The registry's participant enums (`IParticipantRegistry.Category`, `.Sector`) with the short
 * names people type and the words they read.
 */

/** Category: enum value, typed name, display name. */
export const CATEGORIES = [
  { value: 1, key: "covered-entity", label: "covered entity" },
  { value: 2, key: "institution", label: "institution" },
  { value: 3, key: "individual", label: "individual" },
  { value: 4, key: "verifier", label: "verifier" },
  { value: 5, key: "exchange", label: "exchange" },
] as const;

/** Sector of a covered entity: enum value, typed name, display name. */
export const SECTORS = [
  { value: 1, key: "steel", label: "steel" },
  { value: 2, key: "chemicals", label: "chemicals" },
  { value: 3, key: "power", label: "power" },
  { value: 4, key: "heat", label: "heat" },
  { value: 5, key: "petrochemicals", label: "petrochemicals" },
  { value: 6, key: "oil-gas", label: "oil & gas extraction" },
  { value: 7, key: "buildings", label: "large buildings" },
] as const;

export function parseCategory(input: string): number {
  const found = CATEGORIES.find((c) => c.key === input.trim().toLowerCase());
  if (!found) {
    throw clientError(
      "INVALID_CHOICE",
      `"${input}" is not a category; choose one of ${CATEGORIES.map((c) => c.key).join(", ")}.`,
      {
        field: "category",
      },
    );
  }
  return found.value;
}

export function parseSector(input: string): number {
  const found = SECTORS.find((s) => s.key === input.trim().toLowerCase());
  if (!found) {
    throw clientError(
      "INVALID_CHOICE",
      `"${input}" is not a sector; choose one of ${SECTORS.map((s) => s.key).join(", ")}.`,
      {
        field: "sector",
      },
    );
  }
  return found.value;
}

export function categoryLabel(value: bigint | number): string {
  return CATEGORIES.find((c) => c.value === Number(value))?.label ?? "none";
}

export function sectorLabel(value: bigint | number): string | undefined {
  return SECTORS.find((s) => s.value === Number(value))?.label;
}
