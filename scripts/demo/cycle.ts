/**
 * `npm run demo:cycle`: plays the 2013–2015 compliance cycle for every demo entity against the
 * running chain of `npm start` — allocation, CCER imports, emissions reports, verification,
 * approval, surrenders with banking and CCER (no trading: an entity short of allowances buys them
 * in the regulator's fixed-price reserve sale), a few deliberate shortfalls, the year close and its
 * deduction from the next allocation, voluntary cancellations — and prints the compliance table
 * per year and sector.
 *
 * Every step reads the chain first and does only what is missing, so the cycle can be run again
 * (or after an interruption) and ends in the same state. Chain time is moved past each year's
 * surrender deadline with `evm_increaseTime` (a development chain only).
 */
import path from "node:path";
import { encodeBytes32String, id, keccak256, toUtf8Bytes, type ContractTransactionResponse, type Wallet } from "ethers";
import { computeAllocationPlan, readAllocationInput } from "../../sdk/allocation";
import { canonicalJson } from "../../sdk/canonical-json";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { readManifest } from "../../sdk/manifest";
import { computeReport, reportHash, type EmissionsReport } from "../../sdk/mrv";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { issueAllocationPlan } from "../../sdk/issuance";
import { ZERO_FEE } from "../../sdk/send";
import { demoAllocationFile } from "../bootstrap";
import { keystoreFile, unlockKeystore, useNativeScrypt } from "../lib/keystore";
import { readDemoData, type CoveredEntity, type DemoData } from "./demo-data";

/** The years the demo plays. */
export const CYCLE_YEARS = [2013, 2014, 2015] as const;
type CycleYear = (typeof CYCLE_YEARS)[number];

const DAY = 86_400n;
/** 2013-01-01T00:00:00Z: Tianjin's earliest reduction start for CCER from 2015. */
const REDUCTIONS_FROM = 1_356_998_400n;

/**
 * Entities that deliberately fall short, and by how much. In 2014, 1 of the entities (Tianjin:
 * 111 of 112 compliant); in 2013 two; in 2015 none (Tianjin: 100 %).
 */
export const DELIBERATE_SHORTFALLS: Record<CycleYear, Record<number, bigint>> = {
  2013: { 1012: 3_000n, 1104: 1_200n },
  2014: { 1030: 5_000n },
  2015: {},
};

/** Reserve-sale price per tonne (fen) for entities short of allowances: about the year's market price. */
const SALE_PRICE: Record<CycleYear, bigint> = { 2013: 3_100n, 2014: 2_400n, 2015: 2_500n };

/** A demo CCER batch: its holder, project type, and the start of its year of reductions (unix s). */
interface DemoBatch {
  holder: number;
  projectType: string;
  hydro: boolean;
  reductionStart: bigint;
  amount: bigint;
}

/** 1 January of a year, unix seconds. */
const january = (year: number): bigint => BigInt(Date.UTC(year, 0, 1) / 1000);

/**
 * The CCER batches brought in before each year's surrenders: reductions of the year before, by
 * wind, solar, hydro and methane-recovery projects, plus one batch of 2012 reductions. From 2015 the
 * hydro, methane and 2012 batches fail Tianjin's filter and stay with their holders.
 */
export function demoBatches(year: number): DemoBatch[] {
  const reductions = january(year - 1);
  return [
    { holder: 1001, projectType: "wind", hydro: false, reductionStart: reductions, amount: 150_000n },
    { holder: 1023, projectType: "solar", hydro: false, reductionStart: reductions, amount: 120_000n },
    { holder: 1045, projectType: "hydro", hydro: true, reductionStart: reductions, amount: 200_000n },
    { holder: 1067, projectType: "methane recovery", hydro: false, reductionStart: reductions, amount: 40_000n },
    { holder: 1089, projectType: "wind", hydro: false, reductionStart: january(2012), amount: 30_000n },
  ];
}

/** The offset rules of a year: 10 % cap; from 2015 Tianjin's filter (after 2013-01-01, CO2 only, no hydro). */
function offsetRules(year: CycleYear) {
  const filtered = year >= 2015;
  return {
    capBps: 1_000,
    earliestReductionStart: filtered ? REDUCTIONS_FROM : 0n,
    excludeHydro: filtered,
    allowedTypes: [],
    excludedTypes: filtered ? [id("methane recovery")] : [],
  };
}

export interface CycleContext {
  provider: Pick<ZeroFeeProvider, "getBlock" | "destroy"> & {
    send(method: string, params: unknown[]): Promise<unknown>;
  };
  demo: DemoData;
  /** Contracts connected to the regulator (REGULATOR, REGISTRY_OPERATOR, OFFSET_REGISTRAR). */
  regulator: Contracts;
  regulatorWallet: Wallet;
  bank: Wallet;
  verifiers: Map<number, Wallet>;
  entities: Map<number, Wallet>;
  log: (line: string) => void;
}

/** One row of the compliance table. */
export interface ComplianceRow {
  year: number;
  sector: string;
  entities: number;
  obligation: bigint;
  allowances: bigint;
  offsets: bigint;
  compliant: number;
  inShortfall: number;
  shortfall: bigint;
}

// ── plumbing ──────────────────────────────────────────────────────────────────────────────────

/** Sends one wallet's transactions with consecutive nonces, then waits for all. */
async function sendAll(
  wallet: Wallet,
  calls: readonly ((overrides: { nonce: number; type: 0; gasPrice: bigint }) => Promise<ContractTransactionResponse>)[],
): Promise<void> {
  if (calls.length === 0) return;
  // All at once: the node's durable front answers a transaction only once it is in a block, so
  // sending one after the other would take a block each.
  const first = await wallet.getNonce("pending");
  const sent = await Promise.all(calls.map((call, i) => call({ ...ZERO_FEE, nonce: first + i })));
  await Promise.all(sent.map((tx) => tx.wait()));
}

/** Runs one transaction per entity wallet, all in the same blocks. */
async function perEntity<T>(
  ctx: CycleContext,
  items: readonly T[],
  wallet: (item: T) => Wallet,
  call: (item: T, wallet: Wallet) => Promise<ContractTransactionResponse | undefined>,
): Promise<void> {
  const sent = await Promise.all(items.map((item) => call(item, wallet(item))));
  await Promise.all(sent.map((tx) => tx?.wait()));
}

/** A deterministic number in [0, 1) from an entity and a year (no clock, no global PRNG). */
function unit(entityId: number, year: number, salt: string): number {
  const h = keccak256(toUtf8Bytes(`${salt}:${entityId}:${year}`));
  return Number(BigInt(h.slice(0, 14))) / 2 ** 56;
}

/** The entity's emissions in a year: its 2012 figure with −6.0 % … +3.9 % of change a year. */
export function emissionsOf(entity: CoveredEntity, year: number): bigint {
  let e = BigInt(entity.emissions["2012"]);
  for (let y = 2013; y <= year; ++y) {
    const permille = BigInt(Math.floor(unit(entity.entityId, y, "growth") * 100)) - 60n; // −60 … +39 ‰
    e = (e * (1000n + permille)) / 1000n;
  }
  return e;
}

/** A report with one coal line and one purchased-electricity line, close to the target tonnes. */
export function demoReport(entity: CoveredEntity, year: number): EmissionsReport {
  const target = emissionsOf(entity, year);
  // tCO2 per t of raw coal at the guideline defaults: 20.908 × 0.02618 × 0.98 × 44/12 ≈ 1.96685.
  const electricityShare = entity.sector === "power" || entity.sector === "heat" ? 2n : 15n; // %
  const electricityT = (target * electricityShare) / 100n;
  const mwh = (electricityT * 10_000n) / 8_843n;
  const coal = ((target - electricityT) * 100_000n) / 196_685n;
  return {
    schema: "ets-report/1",
    year,
    entity: { entityId: entity.entityId, name: entity.nameZh, creditCode: entity.creditCode },
    sources: [
      {
        kind: "fuel",
        id: "coal",
        description: "燃煤锅炉 原煤 (coal-fired boilers, raw coal)",
        consumption: coal.toString(),
        consumptionUnit: "t",
        netCalorificValue: "20.908",
        carbonContent: "0.02618",
        oxidationRate: "0.98",
      },
      {
        kind: "electricity",
        id: "grid",
        description: "外购电力 (purchased electricity, North China grid)",
        purchased: mwh.toString(),
        emissionFactor: "0.8843",
      },
    ],
  } as EmissionsReport;
}

// ── the cycle ─────────────────────────────────────────────────────────────────────────────────

/** Plays the cycle for the given years and returns the compliance table. */
export async function runComplianceCycle(
  ctx: CycleContext,
  years: readonly CycleYear[] = CYCLE_YEARS,
): Promise<ComplianceRow[]> {
  const rows: ComplianceRow[] = [];
  for (const year of years) {
    await allocate(ctx, year);
    await importCcer(ctx, year);
    await openYear(ctx, year);
    await reports(ctx, year);
    await surrenders(ctx, year);
    await closeYear(ctx, year);
    rows.push(...(await complianceTable(ctx, year)));
  }
  await cancellations(ctx);
  return rows;
}

async function allocate(ctx: CycleContext, year: CycleYear): Promise<void> {
  const plan = computeAllocationPlan(readAllocationInput(demoAllocationFile(year)));
  const before = await ctx.regulator.allocation.yearInfo(year);
  if (before.planComplete) return;
  await issueAllocationPlan(ctx.regulator, plan, { uri: `scripts/demo/allocation/${year}.json` });
  const info = await ctx.regulator.allocation.yearInfo(year);
  ctx.log(
    `${year}: cap ${fmt(info.cap)} t, reserve ${fmt(info.reserve)} t; allocated ${fmt(info.grossIssued)} t to ${info.entriesIssued} entities` +
      (info.deducted > 0n ? `, less ${fmt(info.deducted)} t of shortfall carried from ${year - 1}` : ""),
  );
}

async function importCcer(ctx: CycleContext, year: CycleYear): Promise<void> {
  const offsets = ctx.regulator.offsets;
  const count = Number(await offsets.batchCount());
  const known = new Set<string>();
  for (let i = 1; i <= count; ++i) known.add((await offsets.batch(i)).originRef);
  const todo = demoBatches(year)
    .map((b, i) => ({ b, n: i + 1, ref: `DEMO-CCER-${year}-${i + 1}` }))
    .filter((x) => !known.has(x.ref));
  await sendAll(
    ctx.regulatorWallet,
    todo.map(({ b, n, ref }) => (o) => {
      const wallet = ctx.entities.get(b.holder);
      if (!wallet) throw new Error(`no wallet for entity ${b.holder}`);
      const first = BigInt(year) * 100_000_000n + BigInt(n) * 1_000_000n + 1n;
      return offsets.importBatch(
        wallet.address,
        {
          projectId: `CCER-DEMO-${n}`,
          projectType: b.projectType,
          hydro: b.hydro,
          methodology: b.hydro ? "CM-002-V01" : "CM-001-V02",
          reductionStart: b.reductionStart,
          reductionEnd: b.reductionStart + 365n * DAY - 1n,
          serialFirst: first,
          serialLast: first + b.amount - 1n,
          originRef: ref,
        },
        o,
      );
    }),
  );
  if (todo.length > 0) ctx.log(`${year}: imported ${todo.length} CCER batches from the national registry`);
}

async function openYear(ctx: CycleContext, year: CycleYear): Promise<void> {
  const { reporting, compliance } = ctx.regulator;
  const [, state] = await reporting.yearOf(year);
  if (state === 0n) {
    const now = BigInt((await ctx.provider.getBlock("latest"))?.timestamp ?? 0);
    const schedule = { reportingOpens: now, reportDeadline: now + 10n * DAY, surrenderDeadline: now + 20n * DAY };
    await (await compliance.openYear(year, schedule, offsetRules(year), ZERO_FEE)).wait();
    ctx.log(`${year}: compliance year opened (reports due in 10 days, surrender in 20, chain time)`);
  }
  // Verifiers alternate by entity and year, so none verifies the same entity two years running.
  const ids = ctx.demo.coveredEntities.map((e) => e.entityId);
  const assigned = await Promise.all(ids.map((e) => reporting.assignedVerifier(e, year)));
  const verifierIds = [...ctx.verifiers.keys()];
  await sendAll(
    ctx.regulatorWallet,
    ids
      .filter((_, i) => assigned[i] === 0n)
      .map((e) => (o) => reporting.assignVerifier(e, year, verifierIds[(e + year) % verifierIds.length] ?? 0, o)),
  );
}

async function reports(ctx: CycleContext, year: CycleYear): Promise<void> {
  const { reporting } = ctx.regulator;
  const entities = ctx.demo.coveredEntities;
  const status = async () => Promise.all(entities.map((e) => reporting.reportOf(e.entityId, year)));

  let states = await status();
  const toSubmit = entities.filter((_, i) => states[i]!.status === 0n || states[i]!.status === 4n);
  await perEntity(
    ctx,
    toSubmit,
    (e) => ctx.entities.get(e.entityId)!,
    (e, wallet) => {
      const report = demoReport(e, year);
      const total = computeReport(report).totalTonnes;
      const document = keccak256(toUtf8Bytes(canonicalJson(report)));
      return reporting
        .connect(wallet)
        .submitReport(year, total, reportHash(report), document, `demo://reports/${year}/${e.entityId}.json`, ZERO_FEE);
    },
  );

  // The assigned verifier attests: for one entity in 17 it finds 1 % more than reported (qualified).
  states = await status();
  const byVerifier = new Map<number, { entity: CoveredEntity; reported: bigint }[]>();
  for (const [i, e] of entities.entries()) {
    if (states[i]!.status !== 1n) continue;
    const verifier = Number(await reporting.assignedVerifier(e.entityId, year));
    const version = await reporting.reportVersion(e.entityId, year, states[i]!.versions);
    byVerifier.set(verifier, [...(byVerifier.get(verifier) ?? []), { entity: e, reported: version.reportedTotal }]);
  }
  await Promise.all(
    [...byVerifier].map(([verifier, list]) =>
      sendAll(
        ctx.verifiers.get(verifier)!,
        list.map(({ entity, reported }) => (o) => {
          const qualified = entity.entityId % 17 === 0;
          const verified = qualified ? reported + reported / 100n : reported;
          const statement = id(`verification statement ${entity.entityId}/${year} by ${verifier}: ${verified} t`);
          return reporting
            .connect(ctx.verifiers.get(verifier)!)
            .attest(entity.entityId, year, verified, statement, qualified ? 2 : 1, o);
        }),
      ),
    ),
  );

  states = await status();
  const toApprove = entities.filter((_, i) => states[i]!.status === 2n);
  await sendAll(
    ctx.regulatorWallet,
    toApprove.map((e) => (o) => reporting.approve(e.entityId, year, o)),
  );
  const approved = (await status()).filter((s) => s.obligationSet).length;
  ctx.log(`${year}: ${approved} reports submitted, verified and approved`);
}

/** What an entity surrenders for a year: allowances oldest vintage first, eligible CCER up to the cap. */
interface SurrenderPlan {
  entity: CoveredEntity;
  wallet: Wallet;
  vintages: bigint[];
  vintageAmounts: bigint[];
  batchIds: bigint[];
  batchAmounts: bigint[];
  /** Allowances to buy in the reserve sale first. */
  buy: bigint;
}

async function surrenders(ctx: CycleContext, year: CycleYear): Promise<void> {
  const { compliance, allowances, offsets } = ctx.regulator;
  const batchCount = Number(await offsets.batchCount());
  const eligible: number[] = [];
  for (let b = 1; b <= batchCount; ++b) if ((await compliance.offsetEligibility(year, b)) === 0n) eligible.push(b);
  const plans: SurrenderPlan[] = [];
  for (const entity of ctx.demo.coveredEntities) {
    const position = await compliance.positionOf(entity.entityId, year);
    if (!position.obligationSet) continue;
    const wallet = ctx.entities.get(entity.entityId)!;
    const deliberate = DELIBERATE_SHORTFALLS[year][entity.entityId] ?? 0n;
    const owed = position.obligation - position.allowancesSurrendered - position.offsetsSurrendered;
    let left = owed > deliberate ? owed - deliberate : 0n;
    if (left === 0n) continue;
    const plan: SurrenderPlan = {
      entity,
      wallet,
      vintages: [],
      vintageAmounts: [],
      batchIds: [],
      batchAmounts: [],
      buy: 0n,
    };
    let cap = position.offsetCap - position.offsetsSurrendered;
    for (const b of eligible) {
      if (cap === 0n || left === 0n) break;
      const held = await offsets.availableBalanceOf(wallet.address, b);
      const use = [held, cap, left].reduce((m, x) => (x < m ? x : m));
      if (use === 0n) continue;
      plan.batchIds.push(BigInt(b));
      plan.batchAmounts.push(use);
      cap -= use;
      left -= use;
    }
    for (let v = 2013; v <= year && left > 0n; ++v) {
      const held = await allowances.availableBalanceOf(wallet.address, v);
      const use = held < left ? held : left;
      if (use === 0n) continue;
      plan.vintages.push(BigInt(v));
      plan.vintageAmounts.push(use);
      left -= use;
    }
    if (left > 0n) {
      // Short of allowances and no trading in this demo: buy the rest in the reserve sale.
      plan.buy = left;
      const at = plan.vintages.indexOf(BigInt(year));
      if (at >= 0) plan.vintageAmounts[at] = (plan.vintageAmounts[at] ?? 0n) + left;
      else {
        plan.vintages.push(BigInt(year));
        plan.vintageAmounts.push(left);
      }
    }
    if (plan.vintages.length + plan.batchIds.length > 0) plans.push(plan);
  }
  await reserveSale(
    ctx,
    year,
    plans.filter((p) => p.buy > 0n),
  );
  await perEntity(
    ctx,
    plans,
    (p) => p.wallet,
    (p, wallet) =>
      compliance.connect(wallet).surrender(year, p.vintages, p.vintageAmounts, p.batchIds, p.batchAmounts, ZERO_FEE),
  );
  const ccer = plans.reduce((s, p) => s + p.batchAmounts.reduce((a, b) => a + b, 0n), 0n);
  ctx.log(`${year}: ${plans.length} entities surrendered (${fmt(ccer)} t of it CCER)`);
}

/** A fixed-price sale from the year's reserve for the entities short of allowances. */
async function reserveSale(ctx: CycleContext, year: CycleYear, buyers: SurrenderPlan[]): Promise<void> {
  if (buyers.length === 0) return;
  const { sales, cash } = ctx.regulator;
  const quantity = buyers.reduce((s, p) => s + p.buy, 0n);
  const price = SALE_PRICE[year];
  const now = BigInt((await ctx.provider.getBlock("latest"))?.timestamp ?? 0);
  // A sale of this year's vintage still open (a run interrupted after creating it) is used again.
  let saleId = 0n;
  for (let id = await sales.fixedSaleCount(); id > 0n && saleId === 0n; --id) {
    const sale = await sales.fixedSale(id);
    if (Number(sale.vintage) === year && !sale.closed && sale.closesAt > now && sale.quantity - sale.sold >= quantity) {
      saleId = id;
    }
  }
  if (saleId === 0n) {
    await (await sales.createFixedSale(year, quantity, price, now, now + 5n * DAY, 0n, ZERO_FEE)).wait();
    saleId = await sales.fixedSaleCount();
  }
  const salesAddress = await sales.getAddress();
  // The clearing bank credits each buyer the cash it lacks; each buyer approves and buys.
  const held = await Promise.all(buyers.map((p) => cash.balanceOf(p.wallet.address)));
  await sendAll(
    ctx.bank,
    buyers
      .filter((p, i) => held[i]! < p.buy * price)
      .map((p) => (o) => {
        const ref = encodeBytes32String(`DEMO-${year}-${saleId}-${p.entity.entityId}`);
        return cash.connect(ctx.bank).deposit(p.wallet.address, p.buy * price, ref, o);
      }),
  );
  await perEntity(
    ctx,
    buyers,
    (p) => p.wallet,
    (p, wallet) => cash.connect(wallet).approve(salesAddress, p.buy * price, ZERO_FEE),
  );
  await perEntity(
    ctx,
    buyers,
    (p) => p.wallet,
    (p, wallet) => sales.connect(wallet).buy(saleId, p.buy, ZERO_FEE),
  );
  ctx.log(
    `${year}: reserve sale #${saleId}: ${fmt(quantity)} t at ¥${fmtFen(price)} to ${buyers.length} entities short of allowances`,
  );
}

async function closeYear(ctx: CycleContext, year: CycleYear): Promise<void> {
  const { compliance, reporting } = ctx.regulator;
  if ((await compliance.yearClose(year)).closed) return;
  const [schedule] = await reporting.yearOf(year);
  const now = BigInt((await ctx.provider.getBlock("latest"))?.timestamp ?? 0);
  if (now <= schedule.surrenderDeadline) {
    await ctx.provider.send("evm_increaseTime", [Number(schedule.surrenderDeadline - now + 1n)]);
    await ctx.provider.send("evm_mine", []);
  }
  // Reserve sales whose window is over give back what they did not sell.
  const { sales } = ctx.regulator;
  for (let id = 1n; id <= (await sales.fixedSaleCount()); ++id) {
    const sale = await sales.fixedSale(id);
    if (!sale.closed && sale.closesAt <= schedule.surrenderDeadline) {
      await (await sales.closeFixedSale(id, ZERO_FEE)).wait();
    }
  }
  while (!(await compliance.yearClose(year)).closed) {
    await (await compliance.closeYear(year, 60, ZERO_FEE)).wait();
  }
  const c = await compliance.yearClose(year);
  ctx.log(
    `${year}: closed — ${c.compliant} compliant, ${c.inShortfall} in shortfall (${fmt(c.totalShortfall)} t, deducted from ${year + 1}'s allocation)`,
  );
}

async function cancellations(ctx: CycleContext): Promise<void> {
  const { compliance, allowances } = ctx.regulator;
  const done = new Set<string>();
  for (let id = 1n; id <= (await compliance.certificateCount()); ++id) {
    done.add((await compliance.certificate(id)).purpose);
  }
  for (const [entityId, purpose] of [
    [1050, "2015 company carbon-neutral claim"],
    [1110, "Tianjin marathon 2015, carbon neutral event"],
  ] as const) {
    if (done.has(purpose)) continue;
    const wallet = ctx.entities.get(entityId)!;
    const held = await allowances.availableBalanceOf(wallet.address, 2015);
    const amount = held < 1_000n ? held : 1_000n;
    if (amount === 0n) continue;
    await (
      await compliance.connect(wallet).cancelUnits([2015n], [amount], [], [], `entity ${entityId}`, purpose, ZERO_FEE)
    ).wait();
    ctx.log(`certificate #${await compliance.certificateCount()}: ${fmt(amount)} t cancelled for "${purpose}"`);
  }
}

/** The compliance table of a year, per sector and in all. */
export async function complianceTable(ctx: CycleContext, year: number): Promise<ComplianceRow[]> {
  const bySector = new Map<string, ComplianceRow>();
  const all: ComplianceRow = emptyRow(year, "all");
  const positions = await Promise.all(
    ctx.demo.coveredEntities.map((e) => ctx.regulator.compliance.positionOf(e.entityId, year)),
  );
  for (const [i, e] of ctx.demo.coveredEntities.entries()) {
    const p = positions[i]!;
    const row = bySector.get(e.sector) ?? emptyRow(year, e.sector);
    bySector.set(e.sector, row);
    for (const r of [row, all]) {
      r.entities += 1;
      r.obligation += p.obligation;
      r.allowances += p.allowancesSurrendered;
      r.offsets += p.offsetsSurrendered;
      if (p.status === 2n) r.compliant += 1;
      if (p.status === 3n) {
        r.inShortfall += 1;
        r.shortfall += p.shortfall;
      }
    }
  }
  return [...bySector.values(), all];
}

function emptyRow(year: number, sector: string): ComplianceRow {
  return {
    year,
    sector,
    entities: 0,
    obligation: 0n,
    allowances: 0n,
    offsets: 0n,
    compliant: 0,
    inShortfall: 0,
    shortfall: 0n,
  };
}

const fmt = (v: bigint | number): string => v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const fmtFen = (fen: bigint): string => `${fen / 100n}.${(fen % 100n).toString().padStart(2, "0")}`;

/** The table as text, one block per year. */
export function formatComplianceTable(rows: readonly ComplianceRow[]): string[] {
  const head = ["sector", "entities", "obligation t", "allowances t", "CCER t", "compliant", "shortfall", "short t"];
  const lines: string[] = [];
  for (const year of [...new Set(rows.map((r) => r.year))]) {
    const body = rows
      .filter((r) => r.year === year)
      .map((r) => [
        r.sector,
        String(r.entities),
        fmt(r.obligation),
        fmt(r.allowances),
        fmt(r.offsets),
        String(r.compliant),
        String(r.inShortfall),
        fmt(r.shortfall),
      ]);
    const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => (b[c] ?? "").length)));
    const line = (cells: string[]) =>
      cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
    lines.push("", `Compliance year ${year}`, line(head), widths.map((w) => "-".repeat(w)).join("  "));
    for (const b of body) lines.push(line(b));
  }
  return lines;
}

// ── command line ──────────────────────────────────────────────────────────────────────────────

/** Opens the wallets and contracts of a running `npm start` deployment. */
export async function cycleContext(opts: {
  rpcUrl: string;
  walletDir: string;
  deploymentsDir: string;
  password: string;
  log: (line: string) => void;
}): Promise<CycleContext> {
  useNativeScrypt();
  const provider = connectRpc(opts.rpcUrl);
  const chainId = (await provider.getNetwork()).chainId;
  const manifest = readManifest(opts.deploymentsDir, chainId);
  if (!manifest) throw new Error(`no deployment of chain ${chainId} in ${opts.deploymentsDir}: run npm start first`);
  const demo = readDemoData();
  const unlock = async (name: string) =>
    (await unlockKeystore(keystoreFile(opts.walletDir, name), opts.password)).connect(provider);
  const regulatorWallet = await unlock("regulator");
  const verifiers = new Map<number, Wallet>();
  for (const v of demo.institutions.filter((i) => i.category === "verifier")) {
    verifiers.set(v.entityId, await unlock(v.wallet));
  }
  const entities = new Map<number, Wallet>();
  await Promise.all(demo.coveredEntities.map(async (e) => entities.set(e.entityId, await unlock(e.wallet))));
  return {
    provider,
    demo,
    regulator: connectContracts(manifest, regulatorWallet),
    regulatorWallet,
    bank: await unlock("clearing-bank"),
    verifiers,
    entities,
    log: opts.log,
  };
}

async function main(): Promise<void> {
  const dataDir = process.env.ETS_DATA_DIR ?? "data";
  const ctx = await cycleContext({
    rpcUrl: process.env.ETS_RPC_URL ?? "http://127.0.0.1:8545",
    walletDir: process.env.ETS_WALLET_DIR ?? path.join(dataDir, "wallets"),
    deploymentsDir: process.env.ETS_DEPLOYMENTS_DIR ?? path.join(dataDir, "deployments"),
    password: process.env.ETS_DEMO_PASSWORD ?? "demo-password",
    log: (line) => console.log(line),
  });
  const t0 = performance.now();
  try {
    const rows = await runComplianceCycle(ctx);
    for (const line of formatComplianceTable(rows)) console.log(line);
    console.log(`\nThe 2013–2015 cycle took ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  } finally {
    ctx.provider.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`demo:cycle failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
