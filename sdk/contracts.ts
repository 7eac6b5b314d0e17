import type { ContractRunner } from "ethers";
import {
  AllowanceToken__factory,
  Authority__factory,
  CashToken__factory,
  OffsetToken__factory,
  ParticipantRegistry__factory,
  TransferRules__factory,
} from "../typechain-types";
import type { Manifest } from "./manifest";

export type {
  AllowanceToken,
  Authority,
  CashToken,
  OffsetToken,
  ParticipantRegistry,
  TransferRules,
} from "../typechain-types";

/** Typed handles on every contract of a deployment, bound to one runner (provider or signer). */
export function connectContracts(manifest: Manifest, runner: ContractRunner) {
  const c = manifest.contracts;
  return {
    authority: Authority__factory.connect(c.Authority, runner),
    registry: ParticipantRegistry__factory.connect(c.ParticipantRegistry, runner),
    rules: TransferRules__factory.connect(c.TransferRules, runner),
    allowances: AllowanceToken__factory.connect(c.AllowanceToken, runner),
    offsets: OffsetToken__factory.connect(c.OffsetToken, runner),
    cash: CashToken__factory.connect(c.CashToken, runner),
  };
}

export type Contracts = ReturnType<typeof connectContracts>;

/** Every ABI of the system, for decoding events and errors. */
export const ABIS = {
  Authority: Authority__factory.abi,
  ParticipantRegistry: ParticipantRegistry__factory.abi,
  TransferRules: TransferRules__factory.abi,
  AllowanceToken: AllowanceToken__factory.abi,
  OffsetToken: OffsetToken__factory.abi,
  CashToken: CashToken__factory.abi,
} as const;
