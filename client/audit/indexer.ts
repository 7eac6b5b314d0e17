import type { Ledger, TokenName } from "./ledger";
import type { Finding } from "./types";

const TOKEN_ENUM: Record<TokenName, string> = { AllowanceToken: "ALLOWANCE", OffsetToken: "CCER", CashToken: "CASH" };
const ENUM_TOKEN: Record<string, TokenName> = { ALLOWANCE: "AllowanceToken", CCER: "OffsetToken", CASH: "CashToken" };
const STATUS = ["NONE", "OPEN", "COMPLIANT", "SHORTFALL"];
/** Aliased fields per GraphQL request (the indexer refuses more than 15). */
const PER_QUERY = 10;

export interface IndexerCompareOptions {
  url: string;
  /** `{ authorization: "Bearer …" }` of a REGULATOR or AUDITOR session, or none: public fields only. */
  headers?: Record<string, string>;
  head: number;
  /** How long to wait for an indexer still behind the head, ms. Default 60,000. */
  waitMs?: number;
  find: (f: Finding) => void;
}

function endpoint(url: string): string {
  const u = new URL(url);
  if (!/\/graphql\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/$/, "")}/graphql`;
  return u.toString();
}

async function gql<T>(url: string, query: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(60_000),
  });
  const json = (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (json.errors?.length) {
    const e = json.errors[0]!;
    throw new Error(`${e.extensions?.code ?? "GRAPHQL_ERROR"}: ${e.message}`);
  }
  if (!json.data) throw new Error(`HTTP ${res.status} without data`);
  return json.data;
}

/** Runs `fields` (each a `alias: field(...) { … }` text) in requests of {@link PER_QUERY}. */
async function many<T>(url: string, fields: string[], headers?: Record<string, string>): Promise<Record<string, T>> {
  const out: Record<string, T> = {};
  for (let i = 0; i < fields.length; i += PER_QUERY) {
    Object.assign(out, await gql<Record<string, T>>(url, `{ ${fields.slice(i, i + PER_QUERY).join("\n")} }`, headers));
  }
  return out;
}

/**
 * Asks the indexer's GraphQL, at the audited head block, for what the ledger recomputed: the supply
 * of every token id (public), and with a session the holdings of every account and every compliance
 * position. Every disagreement is a finding. Returns how many figures were compared.
 */
export async function compareIndexer(ledger: Ledger, o: IndexerCompareOptions): Promise<number> {
  const url = endpoint(o.url);
  const at = `block: { number: ${o.head} }`;
  const bad = (what: string, expected: unknown, found: unknown) =>
    o.find({
      kind: "indexer-mismatch",
      block: o.head,
      expected: String(expected),
      found: String(found),
      message: `The indexer's ${what} at block ${o.head} differs from the audit's recomputation.`,
    });

  // The indexer must have reached the head.
  const deadline = Date.now() + (o.waitMs ?? 60_000);
  for (;;) {
    const s = await gql<{ indexerStatus: { indexedBlock: number } }>(url, "{ indexerStatus { indexedBlock } }");
    if (s.indexerStatus.indexedBlock >= o.head) break;
    if (Date.now() > deadline) {
      o.find({
        kind: "indexer-behind",
        block: o.head,
        expected: `>= ${o.head}`,
        found: String(s.indexerStatus.indexedBlock),
        message: `The indexer had not indexed the audited head block within the wait; nothing of it was compared.`,
      });
      return 0;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }

  let compared = 0;
  const clearing = ledger.address("Clearing");
  // Supply per token id (public).
  const supplyFields: string[] = [];
  const supplyKeys: [TokenName, bigint][] = [];
  for (const token of ["AllowanceToken", "OffsetToken", "CashToken"] as TokenName[]) {
    const ids = new Set<bigint>([...ledger.minted.get(token)!.keys()]);
    for (const id of ids) {
      supplyFields.push(
        `s${supplyKeys.length}: supply(token: ${TOKEN_ENUM[token]}, tokenId: "${id}", ${at}) { minted burned circulating inTradingAccounts pending }`,
      );
      supplyKeys.push([token, id]);
    }
  }
  type SupplyRow = {
    minted: string;
    burned: string;
    circulating: string;
    inTradingAccounts: string;
    pending: string;
  } | null;
  const supplies = await many<SupplyRow>(url, supplyFields, o.headers);
  supplyKeys.forEach(([token, id], i) => {
    const s = supplies[`s${i}`];
    const minted = ledger.minted.get(token)!.get(id) ?? 0n;
    const burned = ledger.burned.get(token)!.get(id) ?? 0n;
    let pending = 0n;
    for (const ids of ledger.locked.get(token)!.values()) pending += ids.get(id) ?? 0n;
    const mine = {
      minted,
      burned,
      circulating: minted - burned,
      inTradingAccounts: ledger.balances.get(token)!.get(clearing)?.get(id) ?? 0n,
      pending,
    };
    for (const [field, value] of Object.entries(mine)) {
      compared++;
      const theirs = s ? (s as Record<string, string>)[field] : "absent";
      if (theirs !== value.toString()) bad(`${field} of ${token} id ${id}`, value, theirs);
    }
  });

  if (!o.headers) return compared;

  // Holdings of every registry account and every holder the replay knows (an invented holding is found too).
  const accounts = new Set<string>(ledger.wallets());
  for (const token of ["AllowanceToken", "OffsetToken", "CashToken"] as TokenName[]) {
    for (const a of ledger.balances.get(token)!.keys()) accounts.add(a);
    for (const a of ledger.locked.get(token)!.keys()) accounts.add(a);
  }
  const list = [...accounts].sort();
  type HoldingRow = { token: string; tokenId: string; balance: string; locked: string };
  const holdings = await many<HoldingRow[]>(
    url,
    list.map((a, i) => `h${i}: holdings(account: "${a}", ${at}) { token tokenId balance locked }`),
    o.headers,
  );
  list.forEach((account, i) => {
    const theirs = new Map<string, HoldingRow>();
    for (const h of holdings[`h${i}`] ?? []) theirs.set(`${ENUM_TOKEN[h.token] ?? h.token}|${h.tokenId}`, h);
    const mine = new Map<string, { balance: bigint; locked: bigint }>();
    for (const token of ["AllowanceToken", "OffsetToken", "CashToken"] as TokenName[]) {
      const bal = ledger.balances.get(token)!.get(account) ?? new Map<bigint, bigint>();
      const lock = ledger.locked.get(token)!.get(account) ?? new Map<bigint, bigint>();
      for (const id of new Set([...bal.keys(), ...lock.keys()])) {
        const b = bal.get(id) ?? 0n;
        const l = lock.get(id) ?? 0n;
        if (b !== 0n || l !== 0n) mine.set(`${token}|${id}`, { balance: b, locked: l });
      }
    }
    for (const k of new Set([...mine.keys(), ...theirs.keys()])) {
      compared++;
      const m = mine.get(k) ?? { balance: 0n, locked: 0n };
      const t = theirs.get(k);
      const found = t ? `${t.balance} (locked ${t.locked})` : "no holding";
      const expected = `${m.balance} (locked ${m.locked})`;
      const [token, id] = k.split("|");
      if (found !== expected && !(t === undefined && m.balance === 0n && m.locked === 0n)) {
        bad(`holding of ${account} in ${token} id ${id}`, expected, found);
      }
    }
  });

  // Compliance positions.
  const positions = [...ledger.positions.entries()];
  type PositionRow = {
    status: string;
    obligation: string | null;
    allowancesSurrendered: string;
    offsetsSurrendered: string;
    shortfall: string;
    fine: string;
  } | null;
  const rows = await many<PositionRow>(
    url,
    positions.map(([k], i) => {
      const [entity, year] = k.split("|");
      return `c${i}: complianceStatus(entity: "${entity}", year: ${year}, ${at}) { status obligation allowancesSurrendered offsetsSurrendered shortfall fine }`;
    }),
    o.headers,
  );
  positions.forEach(([k, p], i) => {
    const r = rows[`c${i}`];
    const [entity, year] = k.split("|");
    const expected = `obligation ${p.obligationSet ? p.obligation : "null"}, allowances ${p.allowances}, offsets ${p.offsets}, shortfall ${p.shortfall}, fine ${p.fine}${p.closedStatus ? `, ${STATUS[p.closedStatus]}` : ""}`;
    const found = r
      ? `obligation ${r.obligation ?? "null"}, allowances ${r.allowancesSurrendered}, offsets ${r.offsetsSurrendered}, shortfall ${r.shortfall}, fine ${r.fine}${p.closedStatus ? `, ${r.status}` : ""}`
      : "absent";
    compared++;
    if (expected !== found) bad(`compliance status of entity ${entity} for ${year}`, expected, found);
  });
  return compared;
}
