import type { ContractName } from "../../sync/decode";
import {
  ZERO_ADDRESS,
  adjustHolding,
  adjustSupply,
  big,
  bigs,
  bool,
  str,
  type HandlerContext,
  type Handlers,
} from "../context";

const MOVES = new Set(["TransferSingle", "TransferBatch", "Transfer"]);

/**
 * What caused a balance move between two accounts: the token's next own event in the same
 * transaction that is not itself a move says (`PendingTransferExecuted` right after the release of a
 * pending transfer, `ForcedTransfer` after a forced one, `HoldingsRecovered` after the moves of a key
 * recovery); otherwise it is an immediate transfer.
 */
function causeOf(ctx: HandlerContext): "release" | "forced" | "recovery" | "immediate" {
  const { event, tx } = ctx;
  const next = tx.find((e) => e.address === event.address && e.logIndex > event.logIndex && !MOVES.has(e.name));
  switch (next?.name) {
    case "PendingTransferExecuted":
      return "release";
    case "ForcedTransfer":
      return "forced";
    case "HoldingsRecovered":
      return "recovery";
    default:
      return "immediate";
  }
}

/** One unit movement of a token (a mint when `from` is zero, a burn when `to` is). */
async function move(ctx: HandlerContext, from: string, to: string, id: bigint, amount: bigint, part: number) {
  const { state, event, deployment } = ctx;
  const token = event.contract;
  const block = event.blockNumber;
  const clearing = deployment.address("Clearing");
  if (from !== ZERO_ADDRESS) await adjustHolding(state, block, from, token, id, { balance: -amount });
  if (to !== ZERO_ADDRESS) await adjustHolding(state, block, to, token, id, { balance: amount });
  const supply: Parameters<typeof adjustSupply>[4] = {};
  if (from === ZERO_ADDRESS) supply.minted = amount;
  if (to === ZERO_ADDRESS) supply.burned = amount;
  if (to === clearing) supply.in_trading = (supply.in_trading ?? 0n) + amount;
  if (from === clearing) supply.in_trading = (supply.in_trading ?? 0n) - amount;
  await adjustSupply(state, block, token, id, supply);
  if (from === ZERO_ADDRESS || to === ZERO_ADDRESS) return;

  const cause = causeOf(ctx);
  if (cause === "release") return; // the pending transfer's row records it
  let caseRef: string | null = null;
  if (cause === "forced") {
    const forced = ctx.tx.find(
      (e) => e.address === event.address && e.logIndex > event.logIndex && e.name === "ForcedTransfer",
    );
    caseRef = forced ? str(forced.args, "caseRef") : null;
  }
  state.create(
    "transfers",
    {
      transfer_key: `${event.txHash}:${event.logIndex}${part > 0 ? `:${part}` : ""}`,
      token,
      token_id: id,
      kind: cause,
      status: "done",
      from,
      to,
      amount,
      pending_id: null,
      release_at: null,
      case_ref: caseRef,
      created_block: block,
      created_at: event.timestamp,
      tx_hash: event.txHash,
      closed_block: block,
    },
    block,
  );
}

async function closePending(ctx: HandlerContext, status: "cancelled" | "blocked" | "executed", caseRef?: string) {
  const { state, event } = ctx;
  const pendingId = big(event.args, "transferId");
  const key = await state.pendingTransferKey(event.contract, pendingId);
  const cur = key === undefined ? undefined : await state.get("transfers", { transfer_key: key });
  if (!cur) throw new Error(`${event.contract} pending transfer ${pendingId} closed before it was created`);
  await state.put(
    "transfers",
    { ...cur, status, closed_block: event.blockNumber, case_ref: caseRef ?? cur.case_ref },
    event.blockNumber,
  );
  await adjustHolding(state, event.blockNumber, cur.from, cur.token, cur.token_id, { locked: -cur.amount });
  await adjustSupply(state, event.blockNumber, cur.token, cur.token_id, { pending: -cur.amount });
}

function tokenHandlers(token: ContractName): Handlers {
  const handlers: Handlers = {
    [`${token}:TransferPending`]: async ({ state, event }) => {
      const a = event.args;
      state.rememberPending(token, big(a, "transferId"), `${event.txHash}:${event.logIndex}`);
      const from = str(a, "from");
      const id = big(a, "id");
      const amount = big(a, "amount");
      state.create(
        "transfers",
        {
          transfer_key: `${event.txHash}:${event.logIndex}`,
          token,
          token_id: id,
          kind: "pending",
          status: "pending",
          from,
          to: str(a, "to"),
          amount,
          pending_id: big(a, "transferId"),
          release_at: big(a, "releaseAt"),
          case_ref: null,
          created_block: event.blockNumber,
          created_at: event.timestamp,
          tx_hash: event.txHash,
          closed_block: null,
        },
        event.blockNumber,
      );
      await adjustHolding(state, event.blockNumber, from, token, id, { locked: amount });
      await adjustSupply(state, event.blockNumber, token, id, { pending: amount });
    },
    [`${token}:PendingTransferCancelled`]: (ctx) => closePending(ctx, "cancelled"),
    [`${token}:PendingTransferExecuted`]: (ctx) => closePending(ctx, "executed"),
    [`${token}:PendingTransferBlocked`]: (ctx) => closePending(ctx, "blocked", str(ctx.event.args, "caseRef")),
  };
  if (token === "CashToken") {
    handlers[`${token}:Transfer`] = (ctx) =>
      move(ctx, str(ctx.event.args, "from"), str(ctx.event.args, "to"), 0n, big(ctx.event.args, "value"), 0);
  } else {
    handlers[`${token}:TransferSingle`] = (ctx) =>
      move(
        ctx,
        str(ctx.event.args, "from"),
        str(ctx.event.args, "to"),
        big(ctx.event.args, "id"),
        big(ctx.event.args, "value"),
        0,
      );
    handlers[`${token}:TransferBatch`] = async (ctx) => {
      const ids = bigs(ctx.event.args, "ids");
      const values = bigs(ctx.event.args, "values");
      for (const [i, id] of ids.entries()) {
        await move(ctx, str(ctx.event.args, "from"), str(ctx.event.args, "to"), id, values[i] ?? 0n, i + 1);
      }
    };
  }
  return handlers;
}

/** AllowanceToken, OffsetToken and CashToken: holdings, transfers, supply, CCER batches. */
export const tokenHandlersAll: Handlers = {
  ...tokenHandlers("AllowanceToken"),
  ...tokenHandlers("OffsetToken"),
  ...tokenHandlers("CashToken"),
  "OffsetToken:OffsetBatchImported": async ({ state, event }) => {
    const a = event.args;
    state.insert("ccer_batches", {
      block_number: event.blockNumber,
      log_index: event.logIndex,
      batch_id: big(a, "batchId"),
      to: str(a, "to"),
      amount: big(a, "amount"),
      project_id: str(a, "projectId"),
      project_type: str(a, "projectType"),
      hydro: bool(a, "hydro") ? 1n : 0n,
      reduction_start: big(a, "reductionStart"),
      reduction_end: big(a, "reductionEnd"),
      origin_ref: str(a, "originRef"),
    });
  },
};
