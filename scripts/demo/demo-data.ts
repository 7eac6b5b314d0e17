import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * The demo registry data (`scripts/demo/entities.json`, made by `generate-entities.ts`): fictional,
 * Tianjin-like covered entities with their 2009–2012 history, and the scheme's institutions.
 * Field meanings are in `scripts/demo/README.md`.
 */

/** The history years of the data, the base period of Tianjin's 2013 allocation. */
export const HISTORY_YEARS = ["2009", "2010", "2011", "2012"] as const;

/** Sectors as written in the data file, in the order of the registry's `Sector` enum (1..7). */
export const SECTORS = ["steel", "chemicals", "power", "heat", "petrochemicals", "oil-gas", "buildings"] as const;
export type SectorName = (typeof SECTORS)[number];

/** The registry's `Sector` enum value of a sector. */
export function sectorCode(sector: SectorName): number {
  return SECTORS.indexOf(sector) + 1;
}

/** Registry `Category` enum values. */
export const CATEGORY = { coveredEntity: 1, institution: 2, individual: 3, verifier: 4, exchange: 5 } as const;

/** Roles of the institutions in the data file; each is also the name of its keystore. */
export const INSTITUTION_ROLES = ["regulator", "exchange", "clearing-bank", "verifier-1", "verifier-2"] as const;
export type InstitutionRole = (typeof INSTITUTION_ROLES)[number];

const tonnes = z.number().int().nonnegative();
const yearMap = z.object({ "2009": tonnes, "2010": tonnes, "2011": tonnes, "2012": tonnes });
export type YearMap = z.infer<typeof yearMap>;

const district = z.object({
  code: z.string().regex(/^\d{6}$/),
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
});

const creditCode = z.string().regex(/^[0-9A-HJ-NPQRTUWXY]{18}$/, "an 18-character unified social credit code");

export const coveredEntitySchema = z.object({
  entityId: z.number().int().positive(),
  /** Keystore name under the wallets folder, e.g. "entity-1001". */
  wallet: z.string().regex(/^[a-z0-9-]+$/),
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
  sector: z.enum(SECTORS),
  /** Power and heat only: what the plant is. */
  facility: z.enum(["coal power", "gas power", "coal CHP", "gas CHP", "coal heat", "gas heat"]).optional(),
  creditCode,
  district,
  /** Verified emissions per year, t CO2. */
  emissions: yearMap,
  /** Power and heat only: supplied output per year (MWh of electricity, GJ of heat). */
  output: z.object({ electricityMWh: yearMap.optional(), heatGJ: yearMap.optional() }).optional(),
  /** Power and heat only: emission intensity per year (kg CO2 per MWh, kg CO2 per GJ). */
  intensity: z.object({ kgCO2PerMWh: yearMap.optional(), kgCO2PerGJ: yearMap.optional() }).optional(),
});
export type CoveredEntity = z.infer<typeof coveredEntitySchema>;

export const institutionSchema = z.object({
  entityId: z.number().int().positive(),
  role: z.enum(INSTITUTION_ROLES),
  category: z.enum(["institution", "verifier", "exchange"]),
  wallet: z.string().regex(/^[a-z0-9-]+$/),
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
  creditCode,
  district,
});
export type Institution = z.infer<typeof institutionSchema>;

export const demoDataSchema = z.object({
  description: z.string(),
  generator: z.string(),
  seed: z.number().int(),
  years: z.array(z.string()),
  summary: z.record(z.string(), z.object({ entities: z.number().int(), emissions2012: tonnes })),
  institutions: z.array(institutionSchema),
  coveredEntities: z.array(coveredEntitySchema),
});
export type DemoData = z.infer<typeof demoDataSchema>;

export const DEMO_DATA_FILE = path.join(__dirname, "entities.json");

/** Reads and checks the committed demo data. */
export function readDemoData(file = DEMO_DATA_FILE): DemoData {
  return demoDataSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
}
