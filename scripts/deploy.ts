import type { Interface, Signer } from "ethers";
import {
  Allocation__factory,
  AllowanceToken__factory,
  Authority__factory,
  CashToken__factory,
  Compliance__factory,
  EmissionsReporting__factory,
  OffsetToken__factory,
  ParticipantRegistry__factory,
  ReserveSales__factory,
  TransferRules__factory,
} from "../typechain-types";
import { connectContracts, type Contracts } from "../sdk/contracts";
import type { Manifest } from "../sdk/manifest";
import { DELAYED_ROLES, PERMISSIONS } from "../sdk/permissions";
import { Roles, type RoleName } from "../sdk/roles";

export interface DeployOptions {
  /** The regulator's wallet: deploys, and is the AccessManager's admin. */
  regulator: Signer;
  registryOperator: string;
  clearingBank: string;
  exchange?: string;
  /** Who imports CCER batches; the regulator by default. */
  offsetRegistrar?: string;
  /** Execution delay of forced transfers and key recovery, in seconds (default 24 h). */
  enforcementDelay?: number;
  /** Most consecutive years one verifier may verify one entity (default 3). */
  maxConsecutiveVerifierYears?: number;
  /** Years an entity stays flagged after a shortfall (default 3). */
  flagYears?: number;
  /** Fine recorded per tonne of shortfall, in fen (default 0, as in Tianjin 2013). */
  finePerTonne?: bigint;
  /** Who receives the proceeds of reserve sales (default the regulator). */
  treasury?: string;
  /** Extra grants, e.g. minter roles for tests: role name → accounts. */
  extraGrants?: Partial<Record<RoleName, string[]>>;
  /** Called after each transaction is confirmed, with a short label. */
  onStep?: (label: string) => void;
}

export interface Deployment {
  manifest: Manifest;
  contracts: Contracts;
}

/** Deploys the registry of record and wires its permissions exactly as `sdk/permissions.ts` says. */
export async function deployRegistry(opts: DeployOptions): Promise<Deployment> {
  const signer = opts.regulator;
  const provider = signer.provider;
  if (!provider) throw new Error("the regulator signer needs a provider");
  const regulator = await signer.getAddress();
  const step = opts.onStep ?? (() => undefined);
  const network = await provider.getNetwork();
  const deploymentBlock = await provider.getBlockNumber();

  const authority = await (await new Authority__factory(signer).deploy(regulator)).waitForDeployment();
  const authorityAddr = await authority.getAddress();
  step("Authority");
  const registry = await (await new ParticipantRegistry__factory(signer).deploy(authorityAddr)).waitForDeployment();
  const registryAddr = await registry.getAddress();
  step("ParticipantRegistry");
  const rules = await (
    await new TransferRules__factory(signer).deploy(authorityAddr, registryAddr)
  ).waitForDeployment();
  const rulesAddr = await rules.getAddress();
  step("TransferRules");
  const allowances = await (
    await new AllowanceToken__factory(signer).deploy(authorityAddr, registryAddr, rulesAddr)
  ).waitForDeployment();
  step("AllowanceToken");
  const offsets = await (
    await new OffsetToken__factory(signer).deploy(authorityAddr, registryAddr, rulesAddr)
  ).waitForDeployment();
  step("OffsetToken");
  const cash = await (
    await new CashToken__factory(signer).deploy(authorityAddr, registryAddr, rulesAddr)
  ).waitForDeployment();
  step("CashToken");
  const allowancesAddr = await allowances.getAddress();
  const allocation = await (
    await new Allocation__factory(signer).deploy(authorityAddr, registryAddr, allowancesAddr)
  ).waitForDeployment();
  const allocationAddr = await allocation.getAddress();
  step("Allocation");
  const reporting = await (
    await new EmissionsReporting__factory(signer).deploy(
      authorityAddr,
      registryAddr,
      allocationAddr,
      opts.maxConsecutiveVerifierYears ?? 3,
    )
  ).waitForDeployment();
  const reportingAddr = await reporting.getAddress();
  step("EmissionsReporting");
  const compliance = await (
    await new Compliance__factory(signer).deploy(
      authorityAddr,
      registryAddr,
      allowancesAddr,
      await offsets.getAddress(),
      allocationAddr,
      reportingAddr,
      rulesAddr,
      opts.flagYears ?? 3,
      opts.finePerTonne ?? 0n,
    )
  ).waitForDeployment();
  step("Compliance");
  const sales = await (
    await new ReserveSales__factory(signer).deploy(
      authorityAddr,
      registryAddr,
      allowancesAddr,
      await cash.getAddress(),
      allocationAddr,
      opts.treasury ?? regulator,
    )
  ).waitForDeployment();
  step("ReserveSales");

  const manifest: Manifest = {
    chainId: Number(network.chainId),
    deploymentBlock: deploymentBlock + 1,
    deployedAt: new Date().toISOString(),
    contracts: {
      Authority: authorityAddr,
      ParticipantRegistry: registryAddr,
      TransferRules: rulesAddr,
      AllowanceToken: allowancesAddr,
      OffsetToken: await offsets.getAddress(),
      CashToken: await cash.getAddress(),
      Allocation: allocationAddr,
      EmissionsReporting: reportingAddr,
      Compliance: await compliance.getAddress(),
      ReserveSales: await sales.getAddress(),
    },
    accounts: { regulator, registryOperator: opts.registryOperator, clearingBank: opts.clearingBank },
  };
  if (opts.exchange) manifest.accounts.exchange = opts.exchange;
  const contracts = connectContracts(manifest, signer);

  // Function → role table.
  for (const [name, table] of Object.entries(PERMISSIONS) as [keyof typeof PERMISSIONS, Record<string, RoleName>][]) {
    const target = contracts[contractKey(name)];
    const byRole = new Map<RoleName, string[]>();
    for (const [signature, role] of Object.entries(table)) {
      const fn = (target.interface as unknown as Interface).getFunction(signature);
      if (!fn) throw new Error(`${name} has no function ${signature}`);
      byRole.set(role, [...(byRole.get(role) ?? []), fn.selector]);
    }
    for (const [role, selectors] of byRole) {
      await (await authority.setTargetFunctionRole(manifest.contracts[name], selectors, Roles[role])).wait();
    }
    step(`permissions of ${name}`);
  }

  // Role labels and guardians (the regulator may cancel a scheduled forced transfer or recovery).
  for (const [name, id] of Object.entries(Roles)) {
    if (id !== Roles.ADMIN) await (await authority.labelRole(id, name)).wait();
  }
  for (const role of DELAYED_ROLES) {
    await (await authority.setRoleGuardian(Roles[role], Roles.REGULATOR)).wait();
  }

  // Grants.
  const delay = opts.enforcementDelay ?? 24 * 3600;
  const grants: [RoleName, string, number][] = [
    ["REGULATOR", regulator, 0],
    ["REGISTRY_OPERATOR", regulator, 0],
    ["REGISTRY_OPERATOR", opts.registryOperator, 0],
    ["CLEARING_BANK", opts.clearingBank, 0],
    ["OFFSET_REGISTRAR", opts.offsetRegistrar ?? regulator, 0],
    ["ENFORCEMENT", regulator, delay],
    ["RECOVERY", regulator, delay],
    ["REGISTRY_CONTRACT", registryAddr, 0],
    ["ALLOWANCE_MINTER", allocationAddr, 0],
    ["ALLOWANCE_BURNER", allocationAddr, 0],
    ["ALLOWANCE_MINTER", manifest.contracts.ReserveSales, 0],
    ["RESERVE_SALES", manifest.contracts.ReserveSales, 0],
    ["ALLOWANCE_BURNER", manifest.contracts.Compliance, 0],
    ["OFFSET_BURNER", manifest.contracts.Compliance, 0],
    ["COMPLIANCE_CONTRACT", manifest.contracts.Compliance, 0],
  ];
  if (opts.exchange) grants.push(["EXCHANGE", opts.exchange, 0]);
  for (const [role, accounts] of Object.entries(opts.extraGrants ?? {}) as [RoleName, string[]][]) {
    for (const account of accounts) grants.push([role, account, 0]);
  }
  for (const [role, account, executionDelay] of grants) {
    await (await authority.grantRole(Roles[role], account, executionDelay)).wait();
  }
  step("role grants");

  for (const token of [
    manifest.contracts.AllowanceToken,
    manifest.contracts.OffsetToken,
    manifest.contracts.CashToken,
  ]) {
    await (await contracts.registry.addHoldingToken(token)).wait();
  }
  step("holding tokens");

  // Last, so that the set-up above is not held by them: the admin's own powers take the same delay
  // as the dangerous roles. A new grant of ADMIN or of a role that moves or mints units, and any
  // change of a contract's function roles or authority, is scheduled first and visible on chain
  // before it applies, so that the admin key cannot get round the execution delay.
  if (delay > 0) {
    const guarded = [
      "ADMIN",
      "ENFORCEMENT",
      "RECOVERY",
      "REGISTRY_CONTRACT",
      "ALLOWANCE_MINTER",
      "ALLOWANCE_BURNER",
      "OFFSET_BURNER",
      "COMPLIANCE_CONTRACT",
      "RESERVE_SALES",
    ] as const;
    for (const role of guarded) await (await authority.setGrantDelay(Roles[role], delay)).wait();
    const targets = [
      "ParticipantRegistry",
      "TransferRules",
      "AllowanceToken",
      "OffsetToken",
      "CashToken",
      "Allocation",
      "EmissionsReporting",
      "Compliance",
      "ReserveSales",
    ] as const;
    for (const name of targets) await (await authority.setTargetAdminDelay(manifest.contracts[name], delay)).wait();
    step("admin delays");
  }
  return { manifest, contracts };
}

function contractKey(name: keyof typeof PERMISSIONS): keyof Contracts {
  switch (name) {
    case "ParticipantRegistry":
      return "registry";
    case "TransferRules":
      return "rules";
    case "AllowanceToken":
      return "allowances";
    case "OffsetToken":
      return "offsets";
    case "CashToken":
      return "cash";
    case "Allocation":
      return "allocation";
    case "EmissionsReporting":
      return "reporting";
    case "Compliance":
      return "compliance";
    case "ReserveSales":
      return "sales";
  }
}

/**
 * Opens the reserve-sales contract's account under the exchange's entity (reserve auctions and sales
 * run on the exchange's platform, as in the pilots) and makes it a clearing house, so that bid
 * escrow and payments reach it at once. Run once the exchange entity is registered.
 */
export async function enableReserveSales(contracts: Contracts, exchangeEntityId: bigint): Promise<void> {
  const sales = await contracts.sales.getAddress();
  if ((await contracts.registry.accountOf(sales)).status === 0n) {
    await (await contracts.registry.openAccount(exchangeEntityId, sales)).wait();
  }
  if (!(await contracts.registry.isClearingHouse(sales))) {
    await (await contracts.registry.setClearingHouse(sales, true)).wait();
  }
}
