import { big, str, type HandlerContext, type Handlers } from "../context";

export const CATEGORIES = ["none", "covered_entity", "institution", "individual", "verifier", "exchange"] as const;
export const SECTORS = [
  "none",
  "steel",
  "chemicals",
  "power",
  "heat",
  "petrochemicals",
  "oil_gas",
  "buildings",
] as const;

const named = (list: readonly string[], i: bigint) => list[Number(i)] ?? `unknown_${i}`;

async function setStatus({ state, event }: HandlerContext, wallet: string, status: string): Promise<void> {
  const cur = await state.get("accounts", { wallet });
  if (!cur) throw new Error(`account ${wallet} changes status before it was opened`);
  await state.put(
    "accounts",
    { wallet, entity_id: cur.entity_id, status, opened_block: cur.opened_block },
    event.blockNumber,
  );
}

/** ParticipantRegistry: entities, accounts and their status history. */
export const registryHandlers: Handlers = {
  "ParticipantRegistry:EntityRegistered": async ({ state, event }) => {
    const a = event.args;
    await state.put(
      "entities",
      {
        entity_id: big(a, "entityId"),
        category: named(CATEGORIES, big(a, "category")),
        sector: named(SECTORS, big(a, "sector")),
        name: str(a, "name"),
        credit_code_hash: str(a, "creditCodeHash"),
        registered_block: event.blockNumber,
      },
      event.blockNumber,
    );
  },
  "ParticipantRegistry:AccountOpened": async ({ state, event }) => {
    await state.put(
      "accounts",
      {
        wallet: str(event.args, "wallet"),
        entity_id: big(event.args, "entityId"),
        status: "active",
        opened_block: event.blockNumber,
      },
      event.blockNumber,
    );
  },
  "ParticipantRegistry:AccountFrozen": (ctx) => setStatus(ctx, str(ctx.event.args, "wallet"), "frozen"),
  "ParticipantRegistry:AccountUnfrozen": (ctx) => setStatus(ctx, str(ctx.event.args, "wallet"), "active"),
  "ParticipantRegistry:AccountClosed": (ctx) => setStatus(ctx, str(ctx.event.args, "wallet"), "closed"),
  "ParticipantRegistry:AccountRecovered": (ctx) => setStatus(ctx, str(ctx.event.args, "oldWallet"), "closed"),
};
