import { id, type Interface, type Signer } from "ethers";
import { Clearing__factory, type Clearing } from "../typechain-types";
import type { Contracts } from "../sdk/contracts";
import type { Manifest } from "../sdk/manifest";
import { CLEARING_PERMISSIONS } from "../sdk/permissions";
import { Roles } from "../sdk/roles";

export interface ClearingOptions {
  /** The regulator's wallet (AccessManager admin, REGULATOR and REGISTRY_OPERATOR). */
  regulator: Signer;
  manifest: Manifest;
  contracts: Contracts;
  /** The exchange entity: registered here when it is not yet. */
  exchangeEntity: { entityId: bigint; name: string; creditCode: string };
  /** The exchange operator's wallet: gets EXCHANGE, and an account of the exchange entity. */
  exchangeOperator: string;
  makerFeeBps?: number;
  takerFeeBps?: number;
  /** Delay of any later change of the Clearing's function roles or authority (as `deployRegistry` sets for the registry). */
  adminDelay?: number;
}

/**
 * Deploys the Clearing contract beside a registry: its permissions, its account as a clearing
 * house of the exchange entity, the operator's EXCHANGE role and the fee schedule (fees go to the
 * operator's trading account). Returns the manifest with `contracts.Clearing`.
 */
export async function deployClearing(opts: ClearingOptions): Promise<{ manifest: Manifest; clearing: Clearing }> {
  const { regulator, contracts } = opts;
  const c = opts.manifest.contracts;
  const clearing = await (
    await new Clearing__factory(regulator).deploy(
      c.Authority,
      c.ParticipantRegistry,
      c.AllowanceToken,
      c.OffsetToken,
      c.CashToken,
    )
  ).waitForDeployment();
  const address = await clearing.getAddress();

  const byRole = new Map<bigint, string[]>();
  for (const [signature, role] of Object.entries(CLEARING_PERMISSIONS)) {
    const fn = (clearing.interface as unknown as Interface).getFunction(signature);
    if (!fn) throw new Error(`Clearing has no function ${signature}`);
    byRole.set(Roles[role], [...(byRole.get(Roles[role]) ?? []), fn.selector]);
  }
  for (const [role, selectors] of byRole)
    await (await contracts.authority.setTargetFunctionRole(address, selectors, role)).wait();
  await (await contracts.authority.grantRole(Roles.EXCHANGE, opts.exchangeOperator, 0)).wait();

  const e = opts.exchangeEntity;
  const entity = await contracts.registry.entityOf(e.entityId);
  if (entity.category === 0n) {
    await (
      await contracts.registry.registerEntity(e.entityId, 5, 0, e.name, id(e.creditCode), opts.exchangeOperator)
    ).wait();
  } else if ((await contracts.registry.accountOf(opts.exchangeOperator)).status === 0n) {
    await (await contracts.registry.openAccount(e.entityId, opts.exchangeOperator)).wait();
  }
  await (await contracts.registry.openAccount(e.entityId, address)).wait();
  await (await contracts.registry.setClearingHouse(address, true)).wait();
  await (await clearing.setFees(opts.makerFeeBps ?? 0, opts.takerFeeBps ?? 0, opts.exchangeOperator)).wait();
  if (opts.adminDelay) await (await contracts.authority.setTargetAdminDelay(address, opts.adminDelay)).wait();
  return { manifest: { ...opts.manifest, contracts: { ...opts.manifest.contracts, Clearing: address } }, clearing };
}
