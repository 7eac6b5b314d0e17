import { productName } from "../../sdk/units";
import type { Selectable } from "kysely";
import type {
  AccountTable,
  ComplianceTable,
  EntityTable,
  HoldingTable,
  SupplyTable,
  TransferTable,
} from "../store/schema";

// Rows (snake_case, bigint) → API objects (camelCase; BigInt scalars stay bigint, Int fields numbers).

const TOKEN_OF: Record<string, string> = { AllowanceToken: "ALLOWANCE", OffsetToken: "CCER", CashToken: "CASH" };
export const CONTRACT_OF_TOKEN: Record<string, string> = {
  ALLOWANCE: "AllowanceToken",
  CCER: "OffsetToken",
  CASH: "CashToken",
};

export const upper = (s: string) => s.toUpperCase();
export const lower = (s: string) => s.toLowerCase();

export function productOf(token: string, id: bigint): string {
  if (token === "AllowanceToken") return productName(id);
  if (token === "OffsetToken") return `CCER-${id}`;
  if (token === "CashToken") return "CNY";
  return `${token}:${id}`;
}

export function entity(r: Selectable<EntityTable>) {
  return {
    id: r.entity_id,
    category: upper(r.category),
    sector: upper(r.sector),
    name: r.name,
    creditCodeHash: r.credit_code_hash,
    registeredBlock: Number(r.registered_block),
  };
}

export function account(r: Selectable<AccountTable>) {
  return { wallet: r.wallet, entityId: r.entity_id, status: upper(r.status), openedBlock: Number(r.opened_block) };
}

export function holding(r: Selectable<HoldingTable>) {
  return {
    account: r.account,
    token: TOKEN_OF[r.token] ?? r.token,
    tokenId: r.token_id,
    product: productOf(r.token, r.token_id),
    balance: r.balance,
    locked: r.locked,
    sinceBlock: Number(r.from_block),
  };
}

export function transfer(r: Selectable<TransferTable>) {
  return {
    id: r.transfer_key,
    token: TOKEN_OF[r.token] ?? r.token,
    tokenId: r.token_id,
    product: productOf(r.token, r.token_id),
    kind: upper(r.kind),
    status: upper(r.status),
    from: r.from,
    to: r.to,
    amount: r.amount,
    pendingId: r.pending_id,
    releaseAt: r.release_at === null ? null : Number(r.release_at),
    caseRef: r.case_ref,
    createdBlock: Number(r.created_block),
    createdAt: Number(r.created_at),
    txHash: r.tx_hash,
    closedBlock: r.closed_block === null ? null : Number(r.closed_block),
  };
}

export function supply(r: Selectable<SupplyTable>) {
  return {
    token: TOKEN_OF[r.token] ?? r.token,
    tokenId: r.token_id,
    product: productOf(r.token, r.token_id),
    minted: r.minted,
    burned: r.burned,
    surrendered: r.surrendered,
    cancelled: r.cancelled,
    clawedBack: r.clawed_back,
    circulating: r.minted - r.burned,
    inTradingAccounts: r.in_trading,
    pending: r.pending,
  };
}

export function position(r: Selectable<ComplianceTable>) {
  return {
    entityId: r.entity_id,
    year: Number(r.year),
    status: upper(r.status),
    covered: r.covered === 1n,
    closed: r.closed === 1n,
    obligation: r.obligation,
    allowancesSurrendered: r.allowances_surrendered,
    offsetsSurrendered: r.offsets_surrendered,
    shortfall: r.shortfall,
    fine: r.fine,
    flaggedUntil: Number(r.flagged_until),
    sinceBlock: Number(r.from_block),
  };
}
