import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BytesLike, ContractTransactionResponse } from "ethers";
import { deployRegistry } from "../../scripts/deploy";
import type { Contracts } from "../../sdk/contracts";
import type { Manifest } from "../../sdk/manifest";
import type { IOffsetToken } from "../../typechain-types";

/** Categories and sectors as the registry numbers them. */
export const Category = { None: 0, CoveredEntity: 1, Institution: 2, Individual: 3, Verifier: 4, Exchange: 5 } as const;
export const Sector = {
  None: 0,
  Steel: 1,
  Chemicals: 2,
  Power: 3,
  Heat: 4,
  Petrochemicals: 5,
  OilGas: 6,
  Buildings: 7,
} as const;
export const AccountStatus = { None: 0, Active: 1, Frozen: 2, Closed: 3 } as const;
export const PendingStatus = { None: 0, Pending: 1, Cancelled: 2, Blocked: 3, Executed: 4 } as const;

/** Entity ids of the fixture's registry. */
export const ENTITY = {
  steelCo: 101n,
  powerCo: 102n,
  institution: 103n,
  individual: 104n,
  exchange: 105n,
} as const;

export const HOUR = 3600;
export const DAY = 24 * HOUR;
/** The default hold of a transfer to an untrusted account and the default trust delay (26 h). */
export const DEFAULT_DELAY = 26 * HOUR;
/** The default execution delay of forced transfers and key recovery in `scripts/deploy.ts` (24 h). */
export const ENFORCEMENT_DELAY = 24 * HOUR;

export const VINTAGE = 2014n;
export const OTHER_VINTAGE = 2013n;

export const creditCode = (label: string): string => ethers.id(`USCC:${label}`);
export const ref = (label: string): string => ethers.encodeBytes32String(label);

export interface Signers {
  /** Deployer and AccessManager admin; REGULATOR, REGISTRY_OPERATOR, and ENFORCEMENT/RECOVERY with a delay. */
  regulator: HardhatEthersSigner;
  /** REGISTRY_OPERATOR only. */
  operator: HardhatEthersSigner;
  /** CLEARING_BANK. */
  bank: HardhatEthersSigner;
  /** EXCHANGE. */
  exchange: HardhatEthersSigner;
  /** OFFSET_REGISTRAR. */
  offsetRegistrar: HardhatEthersSigner;
  /** VERIFIER. */
  verifier: HardhatEthersSigner;
  /** ALLOWANCE_MINTER (stands in for the allocation contract that comes later). */
  minter: HardhatEthersSigner;
  /** ALLOWANCE_BURNER (stands in for the compliance contract). */
  burner: HardhatEthersSigner;
  /** OFFSET_BURNER. */
  offsetBurner: HardhatEthersSigner;
  /** Steel company, first account. */
  alice: HardhatEthersSigner;
  /** Steel company, second account (same entity as alice). */
  alice2: HardhatEthersSigner;
  /** Power company. */
  bob: HardhatEthersSigner;
  /** An institution (investor). */
  carol: HardhatEthersSigner;
  /** An individual. */
  dave: HardhatEthersSigner;
  /** An account of the exchange entity, designated clearing house. */
  clearing: HardhatEthersSigner;
  /** Never registered. */
  stranger: HardhatEthersSigner;
  /** Unregistered wallets kept for new accounts and key recovery. */
  spare: HardhatEthersSigner;
  spare2: HardhatEthersSigner;
}

export interface RegistryFixture {
  manifest: Manifest;
  /** Every contract, connected to the regulator. */
  c: Contracts;
  s: Signers;
}

export interface FixtureOptions {
  enforcementDelay?: number;
}

/** Deploys through `scripts/deploy.ts` and opens the fixture's accounts (no units yet). */
export async function deployFixture(opts: FixtureOptions = {}): Promise<RegistryFixture> {
  const all = await ethers.getSigners();
  const at = (i: number): HardhatEthersSigner => {
    const signer = all[i];
    if (!signer) throw new Error(`Hardhat signer #${i} is missing`);
    return signer;
  };
  const s: Signers = {
    regulator: at(0),
    operator: at(1),
    bank: at(2),
    exchange: at(3),
    offsetRegistrar: at(4),
    verifier: at(5),
    minter: at(6),
    burner: at(7),
    offsetBurner: at(8),
    alice: at(9),
    alice2: at(10),
    bob: at(11),
    carol: at(12),
    dave: at(13),
    clearing: at(14),
    stranger: at(15),
    spare: at(16),
    spare2: at(17),
  };
  const { manifest, contracts: c } = await deployRegistry({
    regulator: s.regulator,
    registryOperator: s.operator.address,
    clearingBank: s.bank.address,
    exchange: s.exchange.address,
    offsetRegistrar: s.offsetRegistrar.address,
    enforcementDelay: opts.enforcementDelay ?? ENFORCEMENT_DELAY,
    extraGrants: {
      VERIFIER: [s.verifier.address],
      ALLOWANCE_MINTER: [s.minter.address],
      ALLOWANCE_BURNER: [s.burner.address],
      OFFSET_BURNER: [s.offsetBurner.address],
    },
  });

  const registry = c.registry.connect(s.operator);
  await registry.registerEntity(
    ENTITY.steelCo,
    Category.CoveredEntity,
    Sector.Steel,
    "Tianjin Steel Co.",
    creditCode("steel"),
    s.alice.address,
  );
  await registry.openAccount(ENTITY.steelCo, s.alice2.address);
  await registry.registerEntity(
    ENTITY.powerCo,
    Category.CoveredEntity,
    Sector.Power,
    "Binhai Power Co.",
    creditCode("power"),
    s.bob.address,
  );
  await registry.registerEntity(
    ENTITY.institution,
    Category.Institution,
    Sector.None,
    "Bohai Carbon Fund",
    creditCode("fund"),
    s.carol.address,
  );
  await registry.registerEntity(
    ENTITY.individual,
    Category.Individual,
    Sector.None,
    "Li Wei",
    creditCode("li-wei"),
    s.dave.address,
  );
  await registry.registerEntity(
    ENTITY.exchange,
    Category.Exchange,
    Sector.None,
    "Tianjin Climate Exchange",
    creditCode("tcx"),
    s.clearing.address,
  );
  await c.registry.setClearingHouse(s.clearing.address, true);
  return { manifest, c, s };
}

/** The registry with its accounts open and nothing issued. */
export async function registryFixture(): Promise<RegistryFixture> {
  return deployFixture();
}

export const ISSUED = {
  allowances: 1_000n,
  /** CCER batch 1: serial range 1_000_001 … 1_000_500. */
  offsets: 500n,
  /** CCER batch 2 (hydro): serial range 7_000_001 … 7_000_200. */
  offsets2: 200n,
  /** ¥5,000.00 in fen. */
  cash: 500_000n,
} as const;

/** A valid CCER batch; override any field. */
export function ccerBatch(overrides: Partial<IOffsetToken.BatchStruct> = {}): IOffsetToken.BatchStruct {
  return {
    projectId: "CCER-1234",
    projectType: "wind",
    hydro: false,
    methodology: "CM-001-V02",
    reductionStart: 1_388_534_400n, // 2014-01-01
    reductionEnd: 1_420_070_399n, // 2014-12-31 23:59:59
    serialFirst: 1_000_001n,
    serialLast: 1_000_000n + ISSUED.offsets,
    originRef: "NDRC-2015-0001",
    ...overrides,
  };
}

/** A second, hydro, CCER batch. */
export const HYDRO_BATCH = ccerBatch({
  projectId: "CCER-0777",
  projectType: "hydro",
  hydro: true,
  methodology: "CM-002-V01",
  serialFirst: 7_000_001n,
  serialLast: 7_000_000n + ISSUED.offsets2,
  originRef: "NDRC-2015-0777",
});

/**
 * The registry with units issued: allowances of 2014 to alice and bob (and of 2013 to alice), two
 * CCER batches (ids 1 and 2) to alice, and cash to alice and bob.
 */
export async function fundedFixture(): Promise<RegistryFixture> {
  const f = await deployFixture();
  const { c, s } = f;
  const allowances = c.allowances.connect(s.minter);
  await allowances.mint(s.alice.address, VINTAGE, ISSUED.allowances);
  await allowances.mint(s.bob.address, VINTAGE, ISSUED.allowances);
  await allowances.mint(s.alice.address, OTHER_VINTAGE, ISSUED.allowances);
  await c.offsets.connect(s.offsetRegistrar).importBatch(s.alice.address, ccerBatch());
  await c.offsets.connect(s.offsetRegistrar).importBatch(s.alice.address, HYDRO_BATCH);
  await c.cash.connect(s.bank).deposit(s.alice.address, ISSUED.cash, ref("bank-0001"));
  await c.cash.connect(s.bank).deposit(s.bob.address, ISSUED.cash, ref("bank-0002"));
  return f;
}

/**
 * Runs a call that needs a delayed role (ENFORCEMENT, RECOVERY) the way the regulator must: schedule it
 * on the AccessManager, wait for the delay, then execute it.
 */
export async function scheduleAndExecute(
  f: RegistryFixture,
  target: { getAddress(): Promise<string> },
  data: BytesLike,
  delay: number = ENFORCEMENT_DELAY,
): Promise<ContractTransactionResponse> {
  const targetAddr = await target.getAddress();
  await f.c.authority.connect(f.s.regulator).schedule(targetAddr, data, 0);
  await time.increase(delay);
  return f.c.authority.connect(f.s.regulator).execute(targetAddr, data);
}

/** Fixes the timestamp of the next mined block (one second after the latest) and returns it. */
export async function pinNextBlockTime(): Promise<bigint> {
  const t = (await time.latest()) + 1;
  await time.setNextBlockTimestamp(t);
  return BigInt(t);
}

/** The timestamp of the block that mined `tx`. */
export async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (!receipt) throw new Error("transaction not mined");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (!block) throw new Error(`block ${receipt.blockNumber} not found`);
  return BigInt(block.timestamp);
}
