/**
 * Opening the demo registry's accounts: one `registerEntity` per demo entity and institution,
 * signed by the registry operator, sent pipelined (explicit nonces, all at once) so that ~120
 * registrations take about a second instead of one round trip each.
 */
import { keccak256, toUtf8Bytes, type JsonRpcProvider, type Wallet } from "ethers";
import type { ParticipantRegistry } from "../../typechain-types";
import type { Logger } from "../lib/logger";
import { CATEGORY, sectorCode, type DemoData } from "./demo-data";

export interface Registration {
  entityId: number;
  category: number;
  /** 0 for every category but covered entities. */
  sector: number;
  name: string;
  creditCode: string;
  /** The account's wallet address. */
  wallet: string;
  /** For logs and errors, e.g. "entity-1001". */
  label: string;
}

/** The registry's hash of a unified social credit code: keccak256 of its UTF-8 text. */
export function creditCodeHash(code: string): string {
  return keccak256(toUtf8Bytes(code.trim().toUpperCase()));
}

/**
 * The registrations of the demo registry: the institutions (management centre and clearing bank as
 * institutions, the exchange, the verifiers) and every covered entity, each with the wallet stored
 * under its `wallet` name. `addresses` maps wallet names to addresses; `only` limits to those entity ids.
 */
export function demoRegistrations(
  data: DemoData,
  addresses: ReadonlyMap<string, string>,
  only?: ReadonlySet<number>,
): Registration[] {
  const wanted = (e: { entityId: number }) => !only || only.has(e.entityId);
  const address = (name: string): string => {
    const a = addresses.get(name);
    if (!a) throw new Error(`no wallet "${name}"`);
    return a;
  };
  return [
    ...data.institutions.filter(wanted).map((i) => ({
      entityId: i.entityId,
      category: CATEGORY[i.category],
      sector: 0,
      name: i.nameZh,
      creditCode: i.creditCode,
      wallet: address(i.wallet),
      label: i.wallet,
    })),
    ...data.coveredEntities.filter(wanted).map((e) => ({
      entityId: e.entityId,
      category: CATEGORY.coveredEntity,
      sector: sectorCode(e.sector),
      name: e.nameZh,
      creditCode: e.creditCode,
      wallet: address(e.wallet),
      label: e.wallet,
    })),
  ];
}

/** Which of these entity ids are not registered yet. */
export async function unregisteredIds(registry: ParticipantRegistry, ids: readonly number[]): Promise<Set<number>> {
  // ethers batches these calls into a few JSON-RPC batches.
  const entities = await Promise.all(ids.map((id) => registry.entityOf(id)));
  return new Set(ids.filter((_, i) => entities[i]?.category === 0n));
}

/**
 * Registers the entities with the registry operator's wallet: estimates and signs every transaction
 * locally with consecutive nonces, sends them all at once (ethers batches them), waits for the last
 * one to be mined and checks every receipt. Durability is the caller's: behind the durable proxy
 * each send is answered once on disk; sent to Anvil directly, checkpoint afterwards.
 */
export async function registerEntities(
  registry: ParticipantRegistry,
  operator: Wallet,
  provider: JsonRpcProvider,
  registrations: Registration[],
  log: Logger,
): Promise<void> {
  if (registrations.length === 0) return;
  const t0 = performance.now();
  const to = await registry.getAddress();
  const { chainId } = await provider.getNetwork();
  const datas = registrations.map((r) =>
    registry.interface.encodeFunctionData("registerEntity", [
      r.entityId,
      r.category,
      r.sector,
      r.name,
      creditCodeHash(r.creditCode),
      r.wallet,
    ]),
  );
  // Estimate each against the current state (they are independent), with a margin.
  const gas = await Promise.all(datas.map((data) => provider.estimateGas({ from: operator.address, to, data })));
  const nonce = await provider.getTransactionCount(operator.address, "pending");
  const raws = await Promise.all(
    datas.map((data, i) =>
      operator.signTransaction({
        type: 0,
        chainId,
        nonce: nonce + i,
        to,
        data,
        gasLimit: ((gas[i] ?? 0n) * 13n) / 10n,
        gasPrice: 0n,
        value: 0n,
      }),
    ),
  );
  const hashes = await Promise.all(
    raws.map((raw) => provider.send("eth_sendRawTransaction", [raw]) as Promise<string>),
  );
  // Same sender, consecutive nonces: once the last one is mined, all are.
  await waitMined(provider, hashes.at(-1) ?? "");
  const receipts = await Promise.all(hashes.map((h) => provider.getTransactionReceipt(h)));
  const failed = receipts.flatMap((r, i) => (r?.status === 1 ? [] : [`${registrations[i]?.label} (tx ${hashes[i]})`]));
  if (failed.length > 0) throw new Error(`registration failed for ${failed.join(", ")}`);
  log.info(
    {
      registrations: registrations.length,
      ms: Math.round(performance.now() - t0),
      lastBlock: receipts.at(-1)?.blockNumber,
    },
    "demo registry accounts opened",
  );
}

async function waitMined(provider: JsonRpcProvider, hash: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await provider.getTransactionReceipt(hash))) {
    if (Date.now() > deadline) throw new Error(`transaction ${hash} not mined within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
