/**
 * What `npm start` does once the chain answers: on the first start, create the keystores, deploy the
 * registry and load the demo registry; on later starts, check that the deployment is there and
 * reuse it. Loaded by `start.ts` only after the contracts are compiled (it needs `typechain-types`).
 */
import fs from "node:fs";
import path from "node:path";
import type { Wallet } from "ethers";
import { connectContracts } from "../sdk/contracts";
import { readManifest, writeManifest, manifestPath, type Manifest } from "../sdk/manifest";
import { connectRpc } from "../sdk/provider";
import { computeAllocationPlan, readAllocationInput } from "../sdk/allocation";
import { issueAllocationPlan } from "../sdk/issuance";
import { deployRegistry, enableReserveSales } from "./deploy";
import { deployClearing } from "./deploy-clearing";
import { readDemoData, type DemoData } from "./demo/demo-data";
import { demoRegistrations, registerEntities, unregisteredIds } from "./demo/registry";
import {
  keystoreAddress,
  keystoreFile,
  randomWallet,
  unlockKeystore,
  useNativeScrypt,
  writeKeystore,
  type KeyDerivation,
} from "./lib/keystore";
import type { Logger } from "./lib/logger";

/** The role wallets every deployment has; each is also a keystore name. */
export const ROLE_WALLETS = [
  "regulator",
  "registry-operator",
  "verifier-1",
  "verifier-2",
  "exchange",
  "clearing-bank",
] as const;

export interface BootstrapOptions {
  /**
   * Where the setup's transactions go: Anvil directly, not the durable proxy. The setup has its own
   * commit point instead of a durable acknowledgement per transaction: it calls `checkpoint` (one
   * durable snapshot) before it writes the manifest, and a start that finds no manifest does the
   * setup again. This saves a snapshot per deployment transaction (~50 of them).
   */
  rpcUrl: string;
  /** Makes the chain's current state durable. */
  checkpoint: () => Promise<void>;
  chainId: number;
  walletDir: string;
  deploymentsDir: string;
  password: string;
  /** Key derivation of the demo entities' keystores (role keystores are always standard). */
  demoKdf: KeyDerivation;
  demo: boolean;
  enforcementDelay: number;
  /** Fees of the exchange, set on the Clearing contract when it is deployed. */
  fees: { makerBps: number; takerBps: number };
  log: Logger;
}

export interface BootstrapResult {
  manifest: Manifest;
  manifestFile: string;
  /** True when this start deployed the contracts. */
  deployed: boolean;
  /** Keystores created by this start. */
  keystoresCreated: number;
  /** Entities registered by this start. */
  registered: number;
  /** Entities in the registry now. */
  entityCount: number;
  /** The demo data, when the demo is on. */
  demo: DemoData | undefined;
  /** The chain's block number when ready. */
  blockNumber: number;
}

/** A wallet by name: its address, and its key when this start created it. */
interface Slot {
  name: string;
  address: string;
  created?: Wallet;
  /** Settles when its keystore is on disk. */
  stored: Promise<unknown>;
}

export async function bootstrap(opts: BootstrapOptions): Promise<BootstrapResult> {
  const { log } = opts;
  useNativeScrypt();
  const provider = connectRpc(opts.rpcUrl);
  try {
    const network = await provider.getNetwork();
    if (Number(network.chainId) !== opts.chainId) {
      throw new Error(`the node at ${opts.rpcUrl} has chain id ${network.chainId}, expected ${opts.chainId}`);
    }
    const demo = opts.demo ? readDemoData() : undefined;

    // The deployment: reuse it when its contracts are on this chain.
    let manifest: Manifest | undefined;
    try {
      manifest = readManifest(opts.deploymentsDir, opts.chainId);
    } catch (err) {
      // A manifest of an older deployment, without contracts this version needs.
      log.warn(
        { manifest: manifestPath(opts.deploymentsDir, opts.chainId), err: String(err) },
        "the manifest does not describe a complete deployment of this version: deploying again",
      );
    }
    if (manifest && !(await hasCode(provider, manifest))) {
      log.warn(
        { manifest: manifestPath(opts.deploymentsDir, opts.chainId) },
        "the manifest's contracts are not on this chain: deploying again",
      );
      manifest = undefined;
    }
    const deploying = !manifest;

    // Which demo entities still need an account: all of them on a new deployment.
    let pending = new Set<number>();
    if (demo) {
      const ids = [...demo.institutions, ...demo.coveredEntities].map((e) => e.entityId);
      pending = manifest ? await unregisteredIds(connectContracts(manifest, provider).registry, ids) : new Set(ids);
    }

    // Keystores: reuse what is there, create what is needed. A new deployment needs every role
    // wallet; a reused one never gets new role wallets (they would not hold the roles). Encryption
    // (scrypt: ~0.4 s each for the standard derivation of the role keystores, ~3 ms for the light
    // one of the demo entities by default, see ETS_DEMO_KDF; as many at once as there are cores)
    // runs in the background while the contracts are deployed and the accounts opened.
    const needed = [
      ...ROLE_WALLETS,
      ...(demo?.coveredEntities.filter((e) => pending.has(e.entityId)).map((e) => e.wallet) ?? []),
    ];
    const slots = new Map<string, Slot>();
    for (const name of needed) {
      const file = keystoreFile(opts.walletDir, name);
      if (fs.existsSync(file)) {
        const address = keystoreAddress(file);
        if (!address) throw new Error(`${file} is not a keystore; move it away`);
        slots.set(name, { name, address, stored: Promise.resolve() });
      } else if (deploying || !isRole(name)) {
        const wallet = randomWallet();
        const stored = writeKeystore(
          opts.walletDir,
          name,
          wallet,
          opts.password,
          isRole(name) ? "standard" : opts.demoKdf,
        );
        slots.set(name, { name, address: wallet.address, created: wallet, stored });
      } else {
        log.warn({ file }, "a role keystore of the deployment is missing");
      }
    }
    const created = [...slots.values()].filter((s) => s.created).length;
    const allStored = Promise.all([...slots.values()].map((s) => s.stored));
    allStored.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    if (created > 0) log.info({ created, dir: opts.walletDir }, "creating keystores");
    const slot = (name: string): Slot => {
      const s = slots.get(name);
      if (!s) throw new Error(`the keystore "${name}" is needed but missing from ${opts.walletDir}`);
      return s;
    };
    const signer = async (name: string): Promise<Wallet> => {
      const s = slot(name);
      return (s.created ?? (await unlockKeystore(keystoreFile(opts.walletDir, name), opts.password))).connect(provider);
    };

    if (!manifest) {
      const t0 = performance.now();
      const deployment = await deployRegistry({
        regulator: await signer("regulator"),
        registryOperator: slot("registry-operator").address,
        clearingBank: slot("clearing-bank").address,
        exchange: slot("exchange").address,
        enforcementDelay: opts.enforcementDelay,
        extraGrants: { VERIFIER: [slot("verifier-1").address, slot("verifier-2").address] },
        onStep: (label) => log.debug({ step: label }, "deployed"),
      });
      manifest = {
        ...deployment.manifest,
        accounts: {
          ...deployment.manifest.accounts,
          verifier1: slot("verifier-1").address,
          verifier2: slot("verifier-2").address,
        },
      };
      log.info({ contracts: manifest.contracts, ms: Math.round(performance.now() - t0) }, "contracts deployed");
    }

    // The demo registry: open every account not opened yet (all of them after a deployment).
    const registry = connectContracts(manifest, provider).registry;
    let registered = 0;
    if (demo && pending.size > 0) {
      // Without a new manifest as commit point, a key must be on disk before its account is opened.
      if (!deploying) await allStored;
      const addresses = new Map([...slots.values()].map((s) => [s.name, s.address]));
      const todo = demoRegistrations(demo, addresses, pending);
      await registerEntities(registry, await signer("registry-operator"), provider, todo, log);
      registered = todo.length;
    }

    // The exchange's Clearing contract: with a new deployment, or added to an older one.
    const addClearing = !manifest.contracts.Clearing;
    if (addClearing) {
      const t0 = performance.now();
      const regulator = await signer("regulator");
      const exchange = demo?.institutions.find((i) => i.role === "exchange");
      const withClearing = await deployClearing({
        regulator,
        manifest,
        contracts: connectContracts(manifest, regulator),
        exchangeEntity: {
          entityId: BigInt(exchange?.entityId ?? 2),
          name: exchange?.nameZh ?? "Exchange",
          creditCode: exchange?.creditCode ?? `exchange:${slot("exchange").address}`,
        },
        exchangeOperator: slot("exchange").address,
        makerFeeBps: opts.fees.makerBps,
        takerFeeBps: opts.fees.takerBps,
        adminDelay: opts.enforcementDelay,
      });
      manifest = withClearing.manifest;
      log.info(
        { clearing: manifest.contracts.Clearing, ms: Math.round(performance.now() - t0) },
        "clearing contract deployed",
      );
    }

    // The reserve-sales account at the exchange and, with the demo, the verifiers' accreditation and
    // the 2013 cap and allocation. Each step checks the chain first, so a start that was killed
    // half-way finishes what is missing.
    const exchangeEntityId = BigInt(demo?.institutions.find((i) => i.role === "exchange")?.entityId ?? 2);
    const setUp = await setUpCompliance(
      connectContracts(manifest, await signer("regulator")),
      exchangeEntityId,
      demo,
      log,
    );

    // The manifest is written last: its presence means "deployed, accounts opened, all of it in a
    // durable snapshot, and every keystore on disk".
    if (deploying || addClearing || registered > 0 || setUp) await opts.checkpoint();
    await allStored;
    if (created > 0) log.info({ created }, "keystores written");
    const manifestFile =
      deploying || addClearing
        ? writeManifest(opts.deploymentsDir, manifest)
        : manifestPath(opts.deploymentsDir, opts.chainId);
    if (deploying) log.info({ manifest: manifestFile }, "deployment manifest written");

    return {
      manifest,
      manifestFile,
      deployed: deploying,
      keystoresCreated: created,
      registered,
      entityCount: Number(await registry.entityCount()),
      demo,
      blockNumber: await provider.getBlockNumber(),
    };
  } finally {
    provider.destroy();
  }
}

const isRole = (name: string): boolean => (ROLE_WALLETS as readonly string[]).includes(name);

/** The demo's first compliance year: its cap and free allocation are issued by `npm start`. */
export const DEMO_FIRST_YEAR = 2013;

/** The demo's allocation input file of a year (`scripts/demo/allocation/<year>.json`). */
export function demoAllocationFile(year: number): string {
  return path.join(__dirname, "demo", "allocation", `${year}.json`);
}

/**
 * Brings the compliance set-up to what the deployment needs; returns whether anything was sent.
 * Always: the reserve-sales contract's clearing-house account under the exchange. With the demo:
 * the demo verifiers accredited and the 2013 cap and allocation issued.
 */
async function setUpCompliance(
  contracts: ReturnType<typeof connectContracts>,
  exchangeEntityId: bigint,
  demo: DemoData | undefined,
  log: Logger,
): Promise<boolean> {
  let changed = false;
  const sales = await contracts.sales.getAddress();
  if (!(await contracts.registry.isClearingHouse(sales))) {
    await enableReserveSales(contracts, exchangeEntityId);
    changed = true;
  }
  if (!demo) return changed;
  for (const verifier of demo.institutions.filter((i) => i.category === "verifier")) {
    if (!(await contracts.reporting.isAccredited(verifier.entityId))) {
      await (await contracts.reporting.setAccreditation(verifier.entityId, true)).wait();
      changed = true;
    }
  }
  const info = await contracts.allocation.yearInfo(DEMO_FIRST_YEAR);
  if (!info.planComplete) {
    const t0 = performance.now();
    const plan = computeAllocationPlan(readAllocationInput(demoAllocationFile(DEMO_FIRST_YEAR)));
    await issueAllocationPlan(contracts, plan, { uri: `scripts/demo/allocation/${DEMO_FIRST_YEAR}.json` });
    log.info(
      {
        year: DEMO_FIRST_YEAR,
        cap: plan.cap.toString(),
        allocated: plan.total.toString(),
        entities: plan.entries.length,
        ms: Math.round(performance.now() - t0),
      },
      "allocation issued",
    );
    changed = true;
  }
  return changed;
}

/** Whether every contract of the manifest has code on the chain. */
async function hasCode(provider: ReturnType<typeof connectRpc>, manifest: Manifest): Promise<boolean> {
  const codes = await Promise.all(Object.values(manifest.contracts).map((a) => provider.getCode(a)));
  return codes.every((c) => c !== "0x");
}
