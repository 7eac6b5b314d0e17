import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { writeFileDurableSync } from "./durable-file";
import type { ContractName } from "./permissions";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");

export const manifestSchema = z.object({
  chainId: z.number().int().positive(),
  /** Block of the first deployment transaction: indexers and auditors start here. */
  deploymentBlock: z.number().int().nonnegative(),
  deployedAt: z.string(),
  contracts: z
    .object({
      Authority: address,
      ParticipantRegistry: address,
      TransferRules: address,
      AllowanceToken: address,
      OffsetToken: address,
      CashToken: address,
      Allocation: address,
      EmissionsReporting: address,
      Compliance: address,
      ReserveSales: address,
    } satisfies Record<ContractName, z.ZodTypeAny>)
    /** The exchange's clearing contract, once deployed. */
    .extend({ Clearing: address.optional() }),
  /** Well-known accounts of the deployment (regulator, registry operator, clearing bank, …). */
  accounts: z.record(z.string(), address),
});

/** The deployment manifest `deployments/<chainId>.json`. */
export type Manifest = z.infer<typeof manifestSchema>;

export function manifestPath(dir: string, chainId: number | bigint): string {
  return path.join(dir, `${chainId}.json`);
}

export function readManifest(dir: string, chainId: number | bigint): Manifest | undefined {
  const file = manifestPath(dir, chainId);
  if (!fs.existsSync(file)) return undefined;
  return manifestSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
}

/** Writes the manifest atomically and durably. */
export function writeManifest(dir: string, manifest: Manifest): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = manifestPath(dir, manifest.chainId);
  writeFileDurableSync(file, JSON.stringify(manifest, null, 2) + "\n");
  return file;
}
