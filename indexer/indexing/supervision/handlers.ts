import { productName } from "../../../sdk/units";
import { addTrade, tradingDay, vwap } from "../market";
import { big, bool, str, type Deployment, type HandlerContext, type Handlers } from "../context";
import type { State } from "../state";
import type { Values } from "../../store/versioned";
import {
  concentration,
  largeTrade,
  lateSubmission,
  missingReport,
  priceSpike,
  recentlyTrusted,
  washTrade,
  type Finding,
  type RulesConfig,
  type TradeFacts,
} from "./rules";

const OPINIONS = ["none", "positive", "qualified", "adverse"] as const;

/** The product name of a token id: `TJEA14`, `CCER-1`, `CNY`. */
export function productOf(token: string, id: bigint): string {
  if (token === "AllowanceToken") return productName(id);
  if (token === "OffsetToken") return `CCER-${id}`;
  if (token === "CashToken") return "CNY";
  return `${token}:${id}`;
}

/**
 * The reporting calendars whose deadline check has not run, per batch: read once (the database's
 * rows with the batch's writes), then kept here, so a block costs no query for them.
 */
const openCalendars = new WeakMap<State, Values<"report_calendar">[]>();

async function calendarsToCheck(state: State): Promise<Values<"report_calendar">[]> {
  let list = openCalendars.get(state);
  if (!list) {
    list = await state.scan("report_calendar", { deadline_checked: 0n });
    openCalendars.set(state, list);
  }
  return list;
}

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

interface Where {
  blockNumber: bigint;
  logIndex: bigint;
  txHash: string | null;
  timestamp: bigint;
}

/** Appends an alert row (a fact of the batch). */
export function raise(
  state: State,
  at: Where,
  subject: string,
  f: Finding,
  about: { entityId?: bigint | null; account?: string | null; token?: string | null; tokenId?: bigint | null },
): void {
  state.insert("alerts", {
    block_number: at.blockNumber,
    log_index: at.logIndex,
    rule: f.rule,
    subject,
    severity: f.severity,
    entity_id: about.entityId ?? null,
    account: about.account ?? null,
    token: about.token ?? null,
    token_id: about.tokenId ?? null,
    tx_hash: at.txHash,
    timestamp: at.timestamp,
    message: f.message,
    details: json(f.details),
  });
}

async function entityOf(state: State, wallet: string): Promise<bigint | null> {
  return (await state.get("accounts", { wallet }))?.entity_id ?? null;
}

/** A settled trade: the day's bar, the product's latest figures, then the trade rules. */
async function onTrade(ctx: HandlerContext): Promise<void> {
  const { state, event, deployment, config } = ctx;
  const a = event.args;
  const token = deployment.nameOf(str(a, "token")) ?? str(a, "token");
  const tokenId = big(a, "tokenId");
  const tradeId = big(a, "tradeId");
  const price = big(a, "price");
  const quantity = big(a, "quantity");
  const buyer = str(a, "buyer");
  const seller = str(a, "seller");
  const block = event.blockNumber;
  const day = tradingDay(event.timestamp, config.utcOffsetMinutes);

  const product = await state.get("market_products", { token, token_id: tokenId });
  let prevClose: bigint | null = null;
  if (product && product.day === day) prevClose = product.prev_close;
  else if (product) prevClose = (await state.get("market_days", { token, token_id: tokenId, day: product.day }))!.close;
  const cur = await state.get("market_days", { token, token_id: tokenId, day });
  const bar = addTrade(cur, { price, quantity });
  await state.put(
    "market_days",
    {
      token,
      token_id: tokenId,
      day,
      ...bar,
      close: vwap(bar.notional, bar.volume),
      prev_close: prevClose,
      first_trade_id: cur?.first_trade_id ?? tradeId,
      last_trade_id: tradeId,
    },
    block,
  );
  await state.put(
    "market_products",
    {
      token,
      token_id: tokenId,
      day,
      last_price: price,
      last_trade_id: tradeId,
      last_timestamp: event.timestamp,
      prev_close: prevClose,
    },
    block,
  );

  const facts: TradeFacts = {
    tradeId,
    product: productOf(token, tokenId),
    buyer,
    seller,
    buyerEntity: await entityOf(state, buyer),
    sellerEntity: await entityOf(state, seller),
    quantity,
    price,
    timestamp: event.timestamp,
  };
  const back = await state.get("trade_pairs", { token, token_id: tokenId, seller: buyer, buyer: seller });
  await state.put(
    "trade_pairs",
    { token, token_id: tokenId, seller, buyer, trade_id: tradeId, timestamp: event.timestamp },
    block,
  );
  const findings = [
    washTrade(facts, back && { tradeId: back.trade_id, timestamp: back.timestamp }, config),
    priceSpike(facts, prevClose, config),
    largeTrade(facts, config),
  ];
  for (const f of findings) {
    if (f) {
      raise(state, event, `trade:${tradeId}`, f, {
        entityId: facts.buyerEntity,
        account: buyer,
        token,
        tokenId,
      });
    }
  }
}

/** After a token transfer's own handler: an immediate transfer to an account trusted recently. */
async function onTransfer(ctx: HandlerContext, from: string, to: string, id: bigint, amount: bigint, part: number) {
  const { state, event, config } = ctx;
  const key = `${event.txHash}:${event.logIndex}${part > 0 ? `:${part}` : ""}`;
  // The token's handler, which runs first, made the row of an immediate transfer in this batch.
  const transfer = state.made("transfers", { transfer_key: key });
  if (!transfer || transfer.kind !== "immediate") return;
  const trust = await state.get("trusted_accounts", { holder: from, account: to });
  if (!trust || trust.removed === 1n) return;
  const f = recentlyTrusted(
    { from, to, product: productOf(event.contract, id), amount, timestamp: event.timestamp },
    { addedAt: trust.added_at, activeFrom: trust.active_from },
    config,
  );
  if (f) {
    raise(state, event, `transfer:${key}`, f, {
      entityId: await entityOf(state, from),
      account: from,
      token: event.contract,
      tokenId: id,
    });
  }
}

async function attestation(ctx: HandlerContext, outcome: "approved" | "returned") {
  const { state, event } = ctx;
  const key = {
    entity_id: big(event.args, "entityId"),
    year: big(event.args, "year"),
    version: big(event.args, "version"),
  };
  const cur = await state.get("attestations", key);
  if (cur) await state.put("attestations", { ...cur, outcome }, event.blockNumber);
}

function tokenRules(token: "AllowanceToken" | "OffsetToken" | "CashToken"): Handlers {
  if (token === "CashToken") {
    return {
      "CashToken:Transfer": (ctx) =>
        onTransfer(ctx, str(ctx.event.args, "from"), str(ctx.event.args, "to"), 0n, big(ctx.event.args, "value"), 0),
    };
  }
  return {
    [`${token}:TransferSingle`]: (ctx) =>
      onTransfer(
        ctx,
        str(ctx.event.args, "from"),
        str(ctx.event.args, "to"),
        big(ctx.event.args, "id"),
        big(ctx.event.args, "value"),
        0,
      ),
    [`${token}:TransferBatch`]: async (ctx) => {
      const values = (ctx.event.args.values as string[]).map(BigInt);
      for (const [i, id] of (ctx.event.args.ids as string[]).entries()) {
        await onTransfer(
          ctx,
          str(ctx.event.args, "from"),
          str(ctx.event.args, "to"),
          BigInt(id),
          values[i] ?? 0n,
          i + 1,
        );
      }
    },
  };
}

/**
 * Market data and the supervision rules: run after the contract's own handlers of the same event
 * (they read what those derived, e.g. the transfer's kind or the report's reported total).
 */
export const SUPERVISION_HANDLERS: Handlers = {
  "Clearing:TradeSettled": onTrade,
  ...tokenRules("AllowanceToken"),
  ...tokenRules("OffsetToken"),
  ...tokenRules("CashToken"),
  "TransferRules:TrustedAccountAdded": async ({ state, event }) => {
    await state.put(
      "trusted_accounts",
      {
        holder: str(event.args, "holder"),
        account: str(event.args, "account"),
        added_at: event.timestamp,
        active_from: big(event.args, "activeFrom"),
        removed: 0n,
      },
      event.blockNumber,
    );
  },
  "TransferRules:TrustedAccountRemoved": async ({ state, event }) => {
    const key = { holder: str(event.args, "holder"), account: str(event.args, "account") };
    const cur = await state.get("trusted_accounts", key);
    if (cur) await state.put("trusted_accounts", { ...cur, removed: 1n }, event.blockNumber);
  },
  "EmissionsReporting:YearOpened": async ({ state, event }) => {
    const calendar = {
      year: big(event.args, "year"),
      reporting_opens: big(event.args, "reportingOpens"),
      report_deadline: big(event.args, "reportDeadline"),
      surrender_deadline: big(event.args, "surrenderDeadline"),
      deadline_checked: 0n,
    };
    await state.put("report_calendar", calendar, event.blockNumber);
    const open = await calendarsToCheck(state);
    const i = open.findIndex((c) => c.year === calendar.year);
    if (i >= 0) open[i] = calendar;
    else open.push(calendar);
  },
  "EmissionsReporting:ReportSubmitted": async ({ state, event }) => {
    if (!bool(event.args, "late")) return;
    const entityId = big(event.args, "entityId");
    const year = big(event.args, "year");
    const version = big(event.args, "version");
    const calendar = await state.get("report_calendar", { year });
    const f = lateSubmission(entityId, year, version, event.timestamp, calendar?.report_deadline ?? null);
    raise(state, event, `report:${entityId}:${year}:${version}`, f, {
      entityId,
      account: str(event.args, "submitter"),
    });
  },
  "EmissionsReporting:ReportVerified": async ({ state, event }) => {
    const a = event.args;
    const entityId = big(a, "entityId");
    const year = big(a, "year");
    const report = await state.get("reports", { entity_id: entityId, year });
    await state.put(
      "attestations",
      {
        entity_id: entityId,
        year,
        version: big(a, "version"),
        verifier_entity_id: big(a, "verifierEntityId"),
        reported_total: report?.reported_total ?? 0n,
        verified_total: big(a, "verifiedTotal"),
        opinion: OPINIONS[Number(big(a, "opinion"))] ?? "none",
        late: bool(a, "late") ? 1n : 0n,
        outcome: "pending",
        attested_block: event.blockNumber,
      },
      event.blockNumber,
    );
  },
  "EmissionsReporting:ReportApproved": (ctx) => attestation(ctx, "approved"),
  "EmissionsReporting:ReportReturned": (ctx) => attestation(ctx, "returned"),
};

/**
 * Before the first event of a block: the first block after a year's report deadline raises an alert
 * for each covered entity without a report (log index −1: the block, not one of its logs).
 */
export async function beforeBlock(state: State, blockNumber: bigint, timestamp: bigint): Promise<void> {
  const open = await calendarsToCheck(state);
  for (const cal of [...open]) {
    if (timestamp <= cal.report_deadline) continue;
    open.splice(open.indexOf(cal), 1);
    const covered = await state.scan("compliance", { year: cal.year, covered: 1n });
    covered.sort((x, y) => (x.entity_id < y.entity_id ? -1 : x.entity_id > y.entity_id ? 1 : 0));
    for (const c of covered) {
      const report = await state.get("reports", { entity_id: c.entity_id, year: cal.year });
      if (report && report.version > 0n) continue;
      raise(
        state,
        { blockNumber, logIndex: -1n, txHash: null, timestamp },
        `report:${c.entity_id}:${cal.year}`,
        missingReport(c.entity_id, cal.year, cal.report_deadline, timestamp),
        { entityId: c.entity_id },
      );
    }
    await state.put("report_calendar", { ...cal, deadline_checked: 1n }, blockNumber);
  }
}

/**
 * After the last event of a block: each account whose allowances of a vintage changed (in its
 * wallet or its trading account) against the vintage's circulating supply; an alert when it crosses
 * the threshold upwards, placed at the block's last log.
 */
export async function afterBlock(state: State, at: Where, deployment: Deployment, config: RulesConfig): Promise<void> {
  const clearing = deployment.address("Clearing");
  const seen = new Map<string, { account: string; tokenId: bigint }>();
  for (const { table, key } of state.takeTouched()) {
    if (key.token !== "AllowanceToken") continue;
    const account = (table === "holdings" ? key.account : key.trader) as string;
    if (account === clearing) continue;
    const tokenId = key.token_id as bigint;
    seen.set(`${account}:${tokenId}`, { account, tokenId });
  }
  for (const { account, tokenId } of [...seen.values()].sort((x, y) =>
    x.account === y.account ? Number(x.tokenId - y.tokenId) : x.account < y.account ? -1 : 1,
  )) {
    const token = "AllowanceToken";
    const wallet = await state.get("holdings", { account, token, token_id: tokenId });
    const trading = await state.get("trading_balances", { trader: account, token, token_id: tokenId });
    const supply = await state.get("supply", { token, token_id: tokenId });
    const held = (wallet?.balance ?? 0n) + (trading?.balance ?? 0n);
    const circulating = supply ? supply.minted - supply.burned : 0n;
    const flag = `concentration:${account}:${token}:${tokenId}`;
    const wasAbove = (await state.get("rule_flags", { flag }))?.value === "1";
    const r = concentration(account, productOf(token, tokenId), held, circulating, wasAbove, config);
    if (r.above !== wasAbove) {
      await state.put("rule_flags", { flag, value: r.above ? "1" : "0" }, at.blockNumber);
    }
    if (r.finding) {
      raise(state, { ...at, txHash: null }, `holding:${account}:${token}:${tokenId}`, r.finding, {
        entityId: await entityOf(state, account),
        account,
        token,
        tokenId,
      });
    }
  }
}
