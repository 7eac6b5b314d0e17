import type { ContractRunner } from "ethers";
import {
  Allocation__factory,
  AllowanceToken__factory,
  Authority__factory,
  CashToken__factory,
  Clearing__factory,
  Compliance__factory,
  EmissionsReporting__factory,
  OffsetToken__factory,
  ParticipantRegistry__factory,
  ReserveSales__factory,
  TransferRules__factory,
  type Clearing,
} from "../typechain-types";
import type { Manifest } from "./manifest";

export type {
  Allocation,
  AllowanceToken,
  Authority,
  CashToken,
  Clearing,
  Compliance,
  EmissionsReporting,
  OffsetToken,
  ParticipantRegistry,
  ReserveSales,
  TransferRules,
} from "../typechain-types";

function registryHandles(manifest: Manifest, runner: ContractRunner) {
  const c = manifest.contracts;
  return {
    authority: Authority__factory.connect(c.Authority, runner),
    registry: ParticipantRegistry__factory.connect(c.ParticipantRegistry, runner),
    rules: TransferRules__factory.connect(c.TransferRules, runner),
    allowances: AllowanceToken__factory.connect(c.AllowanceToken, runner),
    offsets: OffsetToken__factory.connect(c.OffsetToken, runner),
    cash: CashToken__factory.connect(c.CashToken, runner),
    allocation: Allocation__factory.connect(c.Allocation, runner),
    reporting: EmissionsReporting__factory.connect(c.EmissionsReporting, runner),
    compliance: Compliance__factory.connect(c.Compliance, runner),
    sales: ReserveSales__factory.connect(c.ReserveSales, runner),
  };
}

/** Typed handles on the registry's contracts (the ten every deployment has). */
export type Contracts = ReturnType<typeof registryHandles>;

/** What {@link connectContracts} returns: the registry's contracts and, once the exchange is deployed, its Clearing. */
export type DeploymentContracts = Contracts & { clearing?: Clearing };

/**
 * Typed handles on every contract of a deployment, bound to one runner (provider or signer).
 * `clearing` is there only when the manifest names a Clearing contract.
 */
export function connectContracts(manifest: Manifest, runner: ContractRunner): DeploymentContracts {
  const contracts: DeploymentContracts = registryHandles(manifest, runner);
  if (manifest.contracts.Clearing) contracts.clearing = Clearing__factory.connect(manifest.contracts.Clearing, runner);
  return contracts;
}

/** Every ABI of the system, for decoding events and errors. */
export const ABIS = {
  Authority: Authority__factory.abi,
  ParticipantRegistry: ParticipantRegistry__factory.abi,
  TransferRules: TransferRules__factory.abi,
  AllowanceToken: AllowanceToken__factory.abi,
  OffsetToken: OffsetToken__factory.abi,
  CashToken: CashToken__factory.abi,
  Allocation: Allocation__factory.abi,
  EmissionsReporting: EmissionsReporting__factory.abi,
  Compliance: Compliance__factory.abi,
  ReserveSales: ReserveSales__factory.abi,
  Clearing: Clearing__factory.abi,
} as const;
