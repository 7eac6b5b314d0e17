import type { Kysely } from "kysely";
import { insertRows } from "../store/bulk";
import type { Manifest } from "../../sdk/manifest";
import type { ChainEvent, ContractName } from "../sync/decode";
import type { Database } from "../store/schema";
import { clearDerived } from "../store/versioned";
import type { Deployment, Handlers } from "./context";
import { HANDLERS } from "./handlers";
import { State } from "./state";
import { SUPERVISION_HANDLERS, afterBlock, beforeBlock } from "./supervision/handlers";
import { DEFAULT_RULES, type RulesConfig } from "./supervision/rules";

/** What a batch derived that the live subscriptions publish once it is committed. */
export interface Applied {
  trades: Record<string, unknown>[];
  alerts: Record<string, unknown>[];
}

export function deploymentOf(manifest: Manifest): Deployment {
  const byName = new Map<string, string>();
  const byAddress = new Map<string, ContractName>();
  for (const [name, address] of Object.entries(manifest.contracts)) {
    if (!address) continue;
    byName.set(name, address.toLowerCase());
    byAddress.set(address.toLowerCase(), name as ContractName);
  }
  return {
    address: (name) => byName.get(name),
    nameOf: (address) => byAddress.get(address.toLowerCase()),
  };
}

/**
 * Runs the handlers of `events` (in chain order) and writes what they derived, inside the caller's
 * transaction. Every derived table is a function of the events alone: the same events give the
 * same rows (alerts included: the rules read only events and derived state, never the clock),
 * whether they come from the chain or from the events table (`rebuildDerived`), in one
 * batch or in several.
 */
export async function applyEvents(
  db: Kysely<Database>,
  deployment: Deployment,
  events: readonly ChainEvent[],
  config: RulesConfig = DEFAULT_RULES,
  handlers: Handlers = HANDLERS,
  rules: Handlers = SUPERVISION_HANDLERS,
): Promise<Applied> {
  const state = new State(db);
  let i = 0;
  while (i < events.length) {
    const first = events[i]!;
    if (i === 0 || events[i - 1]!.blockNumber !== first.blockNumber) {
      await beforeBlock(state, first.blockNumber, first.timestamp);
    }
    let j = i + 1;
    while (j < events.length && events[j]!.txHash === first.txHash && events[j]!.blockNumber === first.blockNumber) j++;
    const tx = events.slice(i, j);
    for (const event of tx) {
      const key = `${event.contract}:${event.name}`;
      const ctx = { state, event, tx, deployment, config };
      const handler = handlers[key];
      if (handler) await handler(ctx);
      const rule = rules[key];
      if (rule) await rule(ctx);
    }
    const last = events[j - 1]!;
    if (j === events.length || events[j]!.blockNumber !== last.blockNumber) {
      await afterBlock(state, last, deployment, config);
    }
    i = j;
  }
  const applied: Applied = { trades: [...state.factsOf("trades")], alerts: [...state.factsOf("alerts")] };
  await state.flush();
  return applied;
}

/** Stores events (bulk, in slices small enough for both databases' parameter limits). */
export async function insertEvents(db: Kysely<Database>, events: readonly ChainEvent[]): Promise<void> {
  await insertRows(
    db,
    "events",
    events.map((e) => ({
      block_number: e.blockNumber,
      log_index: e.logIndex,
      tx_hash: e.txHash,
      tx_index: e.txIndex,
      contract: e.contract,
      address: e.address,
      name: e.name,
      args: JSON.stringify(e.args),
    })),
  );
}

/** Reads stored events back in chain order, with their block timestamps, `per` at a time. */
export async function* storedEvents(db: Kysely<Database>, per = 5_000): AsyncGenerator<ChainEvent[]> {
  let after: [bigint, bigint] = [-1n, -1n];
  for (;;) {
    const rows = await db
      .selectFrom("events")
      .innerJoin("blocks", "blocks.number", "events.block_number")
      .select([
        "events.block_number",
        "events.log_index",
        "events.tx_hash",
        "events.tx_index",
        "events.contract",
        "events.address",
        "events.name",
        "events.args",
        "blocks.timestamp",
      ])
      .where((eb) =>
        eb.or([
          eb("events.block_number", ">", after[0]),
          eb.and([eb("events.block_number", "=", after[0]), eb("events.log_index", ">", after[1])]),
        ]),
      )
      .orderBy("events.block_number")
      .orderBy("events.log_index")
      .limit(per)
      .execute();
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    after = [last.block_number, last.log_index];
    yield rows.map((r) => ({
      blockNumber: r.block_number,
      logIndex: r.log_index,
      txHash: r.tx_hash,
      txIndex: r.tx_index,
      timestamp: r.timestamp,
      contract: r.contract as ContractName,
      address: r.address,
      name: r.name,
      args: JSON.parse(r.args) as ChainEvent["args"],
    }));
  }
}

/**
 * Rebuilds every derived table from the events table, in one transaction: what the indexer would
 * have derived had it seen those events from the chain.
 */
export async function rebuildDerived(
  db: Kysely<Database>,
  deployment: Deployment,
  config: RulesConfig = DEFAULT_RULES,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await clearDerived(trx);
    let count = 0;
    let carry: ChainEvent[] = [];
    for await (const page of storedEvents(trx)) {
      const events = [...carry, ...page];
      // Keep the last block's events for the next page: a transaction never spans two pages then.
      const lastBlock = events[events.length - 1]!.blockNumber;
      const cut = events.findIndex((e) => e.blockNumber === lastBlock);
      await applyEvents(trx, deployment, events.slice(0, cut), config);
      count += cut;
      carry = events.slice(cut);
    }
    await applyEvents(trx, deployment, carry, config);
    return count + carry.length;
  });
}
