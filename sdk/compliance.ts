/**
 * The participant's side of the compliance cycle (steps 4–7 of DOMAIN.md), shared by every client:
 * reading where an entity stands for a year, CCER eligibility in words, and the checks a client runs
 * before it submits a report, attests one, surrenders, cancels, bids or buys — in the contract's own
 * order and with the contract's own error codes (through `chainCoded`), so that an early refusal and a
 * late revert read the same. The contracts check everything again; these checks only make sure that
 * a person gets a precise sentence and that nothing is sent when it cannot succeed.
 *
 * Also here: the sealed-bid commitment of the reserve auctions and the durable store of bid secrets.
 */
import fs from "node:fs";
import path from "node:path";
import { AbiCoder, ZeroAddress, getAddress, hexlify, keccak256, randomBytes } from "ethers";
import { chainCoded, clientError } from "./client-errors";
import type { Contracts } from "./contracts";
import { fsyncDir, writeFileDurable } from "./durable-file";
import { parseAmount } from "./input";
import { accountStatus, requireAvailable, requireProductExists, requireTransfersOpen } from "./preflight";
import { describeUnits, formatAmount, type Product } from "./transfers";
import { parseBatchId, parseVintage, productName } from "./units";

// ─────────────────────────────────────────── names ────────────────────────────────────────────

/** The years the contracts accept. */
export const FIRST_YEAR = 2000;
export const LAST_YEAR = 2100;

/** `ICompliance.Status` by its enum value: "none" means not covered in the year. */
export const COMPLIANCE_STATUS = ["none", "open", "compliant", "shortfall"] as const;
export type ComplianceStatusName = (typeof COMPLIANCE_STATUS)[number];

/** `IEmissionsReporting.ReportStatus` by its enum value. */
export const REPORT_STATUS = ["none", "submitted", "verified", "approved", "returned", "estimated"] as const;
export type ReportStatusName = (typeof REPORT_STATUS)[number];

/** `IEmissionsReporting.Opinion` by its enum value. */
export const OPINIONS = ["none", "positive", "qualified", "adverse"] as const;
export type OpinionName = (typeof OPINIONS)[number];

/** `IEmissionsReporting.YearState` by its enum value. */
export const YEAR_STATES = ["not opened", "open", "closed"] as const;
export type YearStateName = (typeof YEAR_STATES)[number];

/** `ICompliance.Ineligibility` by its enum value. */
export const INELIGIBILITY = [
  "eligible",
  "unknown-batch",
  "hydro",
  "reduction-too-early",
  "type-not-allowed",
  "type-excluded",
] as const;
export type IneligibilityName = (typeof INELIGIBILITY)[number];

const nameOf = <T extends readonly string[]>(list: T, value: bigint | number): T[number] =>
  list[Number(value)] ?? (list[0] as T[number]);

/** A unix time as a date in UTC: "2013-01-01". */
function isoDate(unix: bigint): string {
  return new Date(Number(unix) * 1000).toISOString().slice(0, 10);
}

/** A unix time in ISO 8601 UTC: "2014-04-30T00:00:00Z". */
function isoTime(unix: bigint): string {
  return new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z");
}

/** Tonnes with thousands separators: "23,770 t". */
const t = (amount: bigint): string => formatAmount("allowance", amount);
/** Fen as CNY: "CNY 1,234.50". */
const cny = (fen: bigint): string => formatAmount("cash", fen);

// ─────────────────────────────────────────── input ────────────────────────────────────────────

/** Parses a compliance year typed by a person (2000–2100). */
export function parseYear(input: string, what = "year"): number {
  const text = input.trim();
  const year = /^\d{4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(year >= FIRST_YEAR && year <= LAST_YEAR)) {
    throw chainCoded(
      "ReportingInvalidYear",
      `The ${what} "${input}" is not a year of the scheme: give a year from ${FIRST_YEAR} to ${LAST_YEAR}, e.g. 2014.`,
      { field: what },
    );
  }
  return year;
}

/** Allowances of a vintage or CCER of a batch, and how many tonnes of them. */
export interface UnitItem {
  id: bigint;
  amount: bigint;
}

/** What a surrender or a cancellation names: vintages and batches, each with tonnes. */
export interface UnitItems {
  vintages: UnitItem[];
  batches: UnitItem[];
}

/**
 * Parses `<vintage>:<tonnes>` (`2014:1000`, `TJEA14:1000`) or `<batch>:<tonnes>` (`3:50`, `CCER-3:50`).
 * An amount of 0 is refused with the compliance contract's own code (ZERO_UNITS).
 */
export function parseUnitItem(kind: "vintage" | "ccer", input: string): UnitItem {
  const text = input.trim();
  const colon = text.lastIndexOf(":");
  const example = kind === "vintage" ? "2014:1000 or TJEA14:1000" : "3:50 or CCER-3:50";
  if (colon <= 0 || colon === text.length - 1) {
    const message = `"${input}" is not ${kind === "vintage" ? "<vintage>:<tonnes>" : "<batch>:<tonnes>"}: give e.g. ${example}.`;
    throw kind === "vintage"
      ? chainCoded("AllowanceInvalidVintage", message, { field: "vintage" })
      : clientError("INVALID_BATCH_ID", message, { field: "batch" });
  }
  const idText = text.slice(0, colon);
  const amountText = text.slice(colon + 1).trim();
  const id = kind === "vintage" ? parseVintage(idText) : parseBatchId(idText);
  const label = kind === "vintage" ? productName(id) : `CCER batch ${id}`;
  if (/^[+]?0*(\.0*)?$/.test(amountText)) {
    throw chainCoded("ComplianceZeroAmount", `The tonnes of ${label} must be at least 1 t; got ${amountText}.`, {
      field: kind,
    });
  }
  return { id, amount: parseAmount(amountText, "tonnes", `tonnes of ${label}`) };
}

/** Parses a hash typed by a person: 0x and 64 hex digits. */
export function parseHash(input: string, what: string): string {
  const text = input.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) {
    throw clientError("INVALID_HASH", `The ${what} "${input}" is not a hash: 0x followed by 64 hex digits.`, {
      field: what,
    });
  }
  return text.toLowerCase();
}

/** Parses a verifier's opinion: positive, qualified or adverse. */
export function parseOpinion(input: string): { value: number; name: OpinionName } {
  const name = input.trim().toLowerCase();
  const value = OPINIONS.indexOf(name as OpinionName);
  if (value <= 0) {
    throw chainCoded("ReportingInvalidOpinion", `The opinion "${input}" must be positive, qualified or adverse.`, {
      field: "opinion",
    });
  }
  return { value, name: name as OpinionName };
}

// ─────────────────────────────────────────── entities ─────────────────────────────────────────

/** A registered entity. */
export interface EntityView {
  entityId: bigint;
  name: string;
  category: number;
  sector: number;
}

/** The entity of an id; ENTITY_NOT_FOUND when none is registered with it. */
export async function readEntity(contracts: Contracts, entityId: bigint): Promise<EntityView> {
  const e = await contracts.registry.entityOf(entityId);
  if (e.category === 0n) {
    throw chainCoded("RegistryUnknownEntity", `No entity is registered with id ${entityId}.`, {
      entityId: entityId.toString(),
    });
  }
  return { entityId, name: e.name, category: Number(e.category), sector: Number(e.sector) };
}

/** The years in which an entity is covered: those of its allocation plans and of new-entrant issues. */
export async function coveredYears(contracts: Contracts, entityId: bigint, fromBlock = 0): Promise<number[]> {
  const a = contracts.allocation;
  const [plans, reserve] = await Promise.all([
    a.queryFilter(a.filters.Allocated(undefined, entityId), fromBlock),
    a.queryFilter(a.filters.ReserveIssued(undefined, entityId), fromBlock),
  ]);
  const candidates = [...new Set([...plans, ...reserve].map((e) => Number(e.args.year)))].sort((x, y) => x - y);
  const covered = await Promise.all(candidates.map((year) => a.isCovered(year, entityId)));
  return candidates.filter((_, i) => covered[i]);
}

// ─────────────────────────────────────────── positions ────────────────────────────────────────

/** Where an entity stands for a compliance year. */
export interface PositionView {
  entityId: bigint;
  year: number;
  covered: boolean;
  /** The reporting contract's state of the year: not opened, open, closed. */
  yearState: YearStateName;
  /** `none` when not covered; `open` until the surrenders reach the obligation; the result once closed. */
  status: ComplianceStatusName;
  obligationSet: boolean;
  /** The approved verified emissions (or the regulator's estimate); 0 until set. */
  obligation: bigint;
  allowancesSurrendered: bigint;
  offsetsSurrendered: bigint;
  surrendered: bigint;
  /** The year's offset cap share, in basis points (1,000 = 10 %). */
  offsetCapBps: number;
  /** ⌊capBps × obligation / 10,000⌋. */
  offsetCap: bigint;
  /** CCER the entity may still surrender for the year: the cap less what it used. */
  offsetCapLeft: bigint;
  /** What the entity still owes: obligation − surrendered (0 until the obligation is set). */
  owed: bigint;
  /** Fixed when the year is closed. */
  shortfall: bigint;
  fine: bigint;
}

/** The CCER cap left: the cap less the CCER already surrendered (never below 0). */
export function offsetCapLeft(p: { offsetCap: bigint; offsetsSurrendered: bigint }): bigint {
  return p.offsetCap > p.offsetsSurrendered ? p.offsetCap - p.offsetsSurrendered : 0n;
}

/** An entity's position for a year, with the cap left and what it still owes. */
export async function readPosition(contracts: Contracts, entityId: bigint, year: number): Promise<PositionView> {
  const [p, rules, covered, yearOf] = await Promise.all([
    contracts.compliance.positionOf(entityId, year),
    contracts.compliance.offsetRules(year),
    contracts.allocation.isCovered(year, entityId),
    contracts.reporting.yearOf(year),
  ]);
  const surrendered = p.allowancesSurrendered + p.offsetsSurrendered;
  return {
    entityId,
    year,
    covered,
    yearState: nameOf(YEAR_STATES, yearOf.state),
    status: nameOf(COMPLIANCE_STATUS, p.status),
    obligationSet: p.obligationSet,
    obligation: p.obligation,
    allowancesSurrendered: p.allowancesSurrendered,
    offsetsSurrendered: p.offsetsSurrendered,
    surrendered,
    offsetCapBps: Number(rules.capBps),
    offsetCap: p.offsetCap,
    offsetCapLeft: offsetCapLeft(p),
    owed: p.obligationSet && p.obligation > surrendered ? p.obligation - surrendered : 0n,
    shortfall: p.shortfall,
    fine: p.fine,
  };
}

// ─────────────────────────────────────────── eligibility ──────────────────────────────────────

/** Whether a CCER batch may be surrendered for a year, and why not in words. */
export interface BatchEligibility {
  batch: bigint;
  year: number;
  eligible: boolean;
  reason: IneligibilityName;
  /** A sentence: "CCER batch 2 (CCER-0002, hydro) is a hydropower project, which 2014's rules exclude." */
  words: string;
}

/** The compliance contract's answer on a batch for a year, explained with the batch and the year's rules. */
export async function batchEligibility(contracts: Contracts, year: number, batchId: bigint): Promise<BatchEligibility> {
  const reason = nameOf(INELIGIBILITY, await contracts.compliance.offsetEligibility(year, batchId));
  const base = { batch: batchId, year, eligible: reason === "eligible", reason };
  if (reason === "unknown-batch") return { ...base, words: `There is no CCER batch ${batchId}.` };
  const [b, rules] = await Promise.all([contracts.offsets.batch(batchId), contracts.compliance.offsetRules(year)]);
  const label = `CCER batch ${batchId} (${b.projectId}, ${b.projectType}${b.hydro && !/hydro/i.test(b.projectType) ? ", hydropower" : ""})`;
  switch (reason) {
    case "eligible":
      return { ...base, words: `${label} is eligible for ${year}.` };
    case "hydro":
      return { ...base, words: `${label} is a hydropower project, which ${year}'s rules exclude.` };
    case "reduction-too-early":
      return {
        ...base,
        words: `${label} has reductions from ${isoDate(b.reductionStart)}, before ${isoDate(rules.earliestReductionStart)}, the earliest ${year}'s rules accept.`,
      };
    case "type-not-allowed":
      return {
        ...base,
        words: `${label} is of project type "${b.projectType}", which is not among the types ${year}'s rules accept.`,
      };
    case "type-excluded":
      return { ...base, words: `${label} is of project type "${b.projectType}", which ${year}'s rules exclude.` };
    default: {
      const never: never = reason;
      throw new Error(`unknown ineligibility ${String(never)}`);
    }
  }
}

// ─────────────────────────────────────────── surrender and cancellation ───────────────────────

/** Checks the lists as `Compliance._checkItems` does: something named, no zero amount. */
function checkItems(items: UnitItems): void {
  if (items.vintages.length + items.batches.length === 0) {
    throw chainCoded(
      "ComplianceInvalidItems",
      "Name at least one vintage or batch with its tonnes: --vintage <vintage>:<tonnes> or --ccer <batch>:<tonnes>.",
    );
  }
  for (const [kind, list] of [
    ["vintage", items.vintages],
    ["batch", items.batches],
  ] as const) {
    for (const item of list) {
      if (item.amount <= 0n) {
        throw chainCoded("ComplianceZeroAmount", `Every amount must be at least 1 t; ${kind} ${item.id} has 0 t.`);
      }
    }
  }
}

/** The total of the amounts. */
const total = (list: readonly UnitItem[]): bigint => list.reduce((acc, i) => acc + i.amount, 0n);

/** Amounts summed per id, in the order ids first appear (a list may name an id twice). */
function perId(list: readonly UnitItem[]): UnitItem[] {
  const sums = new Map<bigint, bigint>();
  for (const item of list) sums.set(item.id, (sums.get(item.id) ?? 0n) + item.amount);
  return [...sums].map(([id, amount]) => ({ id, amount }));
}

/** Requires the holder's units as the token's burn checks them: the vintage exists, held and not locked. */
async function requireUnits(contracts: Contracts, wallet: string, items: UnitItems): Promise<void> {
  const products: [Product, bigint][] = [
    ...perId(items.vintages).map((i): [Product, bigint] => [{ kind: "allowance", vintage: i.id }, i.amount]),
    ...perId(items.batches).map((i): [Product, bigint] => [{ kind: "ccer", batch: i.id }, i.amount]),
  ];
  for (const [product, amount] of products) {
    await requireProductExists(contracts, product);
    await requireAvailable(contracts, wallet, product, amount);
  }
}

/** The entity of a holder that is registered and not closed (`Compliance._holderEntity`). */
async function holderEntity(contracts: Contracts, wallet: string): Promise<bigint> {
  const account = await accountStatus(contracts.registry, wallet);
  if (account.status === "none" || account.status === "closed") {
    throw chainCoded(
      "ComplianceAccountNotRegistered",
      account.status === "none"
        ? `${wallet} has no registry account; only registered accounts surrender or cancel units.`
        : `${wallet} is a closed registry account and can no longer surrender or cancel units.`,
      { account: wallet },
    );
  }
  return account.entityId;
}

/** What a surrender will do, worked out by {@link checkSurrender}. */
export interface SurrenderCheck {
  entityId: bigint;
  year: number;
  /** The position before the surrender. */
  position: PositionView;
  allowances: bigint;
  offsets: bigint;
}

/**
 * Checks a surrender for `year` from `wallet`, in `Compliance.surrender`'s order: something named
 * and no zero amount; the year opened and not closed; a registered holder; its entity covered and
 * its obligation fixed; every vintage ≤ year (banking yes, borrowing no); every batch eligible; the
 * CCER within the cap; not beyond the obligation; then, as the burns check it, every vintage issued
 * and the units held and not locked by pending transfers.
 */
export async function checkSurrender(
  contracts: Contracts,
  wallet: string,
  year: number,
  items: UnitItems,
): Promise<SurrenderCheck> {
  checkItems(items);
  const close = await contracts.compliance.yearClose(year);
  if (!close.opened) {
    throw chainCoded(
      "ComplianceYearNotOpen",
      `Compliance year ${year} was never opened: nothing can be surrendered for it.`,
      {
        year,
      },
    );
  }
  if (close.closed || close.processed !== 0n) {
    throw chainCoded(
      "ComplianceYearClosed",
      close.closed
        ? `Compliance year ${year} is closed: its results are final.`
        : `The regulator has begun closing compliance year ${year}: results are being made final and no surrender changes them.`,
      { year },
    );
  }
  const entityId = await holderEntity(contracts, wallet);
  const position = await readPosition(contracts, entityId, year);
  if (!position.covered) {
    throw chainCoded("ComplianceNotCovered", `Entity ${entityId} is not covered in ${year} and owes nothing for it.`, {
      entityId: entityId.toString(),
      year,
    });
  }
  if (!position.obligationSet) {
    throw chainCoded(
      "ComplianceObligationNotSet",
      `Entity ${entityId} has no approved emissions for ${year} yet: surrender after the regulator approves the verified report (or sets an estimate).`,
      { entityId: entityId.toString(), year },
    );
  }
  for (const item of items.vintages) {
    if (item.id > BigInt(year)) {
      throw chainCoded(
        "ComplianceBorrowingNotAllowed",
        `Allowances of vintage ${item.id} (${productName(item.id)}) cannot be surrendered for ${year}: only vintages up to ${year} count (banking yes, borrowing from later years no).`,
        { vintage: item.id.toString(), year },
      );
    }
  }
  for (const item of items.batches) {
    const e = await batchEligibility(contracts, year, item.id);
    if (!e.eligible) {
      throw chainCoded("ComplianceOffsetNotEligible", `${e.words} It cannot be surrendered for ${year}.`, {
        batch: item.id.toString(),
        reason: e.reason,
      });
    }
  }
  const allowances = total(items.vintages);
  const offsets = total(items.batches);
  if (offsets !== 0n && position.offsetsSurrendered + offsets > position.offsetCap) {
    throw chainCoded(
      "ComplianceOffsetCapExceeded",
      `CCER may cover at most ${t(position.offsetCap)} of entity ${entityId}'s ${year} obligation of ${t(position.obligation)} (${formatBps(position.offsetCapBps)}): ${t(position.offsetsSurrendered)} used, ${t(position.offsetCapLeft)} left, ${t(offsets)} asked.`,
      {
        entityId: entityId.toString(),
        year,
        cap: position.offsetCap.toString(),
        used: position.offsetsSurrendered.toString(),
        requested: offsets.toString(),
      },
    );
  }
  if (position.surrendered + allowances + offsets > position.obligation) {
    throw chainCoded(
      "ComplianceSurrenderExceedsObligation",
      `Entity ${entityId} owes ${t(position.obligation)} for ${year} and surrendered ${t(position.surrendered)}: ${t(position.owed)} are still owed, ${t(allowances + offsets)} would go beyond it.`,
      {
        entityId: entityId.toString(),
        year,
        obligation: position.obligation.toString(),
        surrendered: position.surrendered.toString(),
        requested: (allowances + offsets).toString(),
      },
    );
  }
  await requireUnits(contracts, wallet, items);
  return { entityId, year, position, allowances, offsets };
}

/** The longest beneficiary or purpose of a certificate, in bytes of UTF-8. */
export const MAX_CERTIFICATE_TEXT = 256;

/**
 * Checks a voluntary cancellation, in `Compliance.cancelUnits`'s order: something named and no zero
 * amount; beneficiary and purpose of 1–256 bytes; no emergency suspension; an active holder; every
 * vintage issued and every batch imported; the units held and not locked. Returns the holder's entity.
 */
export async function checkCancellation(
  contracts: Contracts,
  wallet: string,
  items: UnitItems,
  texts: { beneficiary: string; purpose: string },
): Promise<{ entityId: bigint; allowances: bigint; offsets: bigint }> {
  checkItems(items);
  for (const field of ["beneficiary", "purpose"] as const) {
    const bytes = new TextEncoder().encode(texts[field]).length;
    if (bytes === 0 || bytes > MAX_CERTIFICATE_TEXT) {
      throw chainCoded(
        "ComplianceInvalidText",
        `The ${field} must be 1 to ${MAX_CERTIFICATE_TEXT} bytes of UTF-8; it has ${bytes}.`,
        { field },
      );
    }
  }
  if (await contracts.rules.suspended()) {
    throw chainCoded(
      "ComplianceCancellationSuspended",
      "Voluntary cancellation is stopped while the regulator's emergency suspension is on; nothing was sent.",
    );
  }
  const account = await accountStatus(contracts.registry, wallet);
  if (account.status !== "active") {
    throw chainCoded(
      "ComplianceAccountNotActive",
      account.status === "none"
        ? `${wallet} has no registry account; only active accounts cancel units.`
        : `${wallet} is ${account.status}; only active accounts cancel units.`,
      { account: wallet, status: account.status },
    );
  }
  await requireUnits(contracts, wallet, items);
  return { entityId: account.entityId, allowances: total(items.vintages), offsets: total(items.batches) };
}

/** A voluntary cancellation certificate with the units it cancelled and where it was recorded. */
export interface CertificateView {
  id: bigint;
  holder: string;
  entityId: bigint;
  issuedAt: bigint;
  allowances: bigint;
  offsets: bigint;
  beneficiary: string;
  purpose: string;
  /** Each vintage or batch cancelled, from the `UnitsCancelled` events. */
  units: { product: Product; amount: bigint }[];
  tx?: string;
  block?: number;
}

/** A certificate, with its units and transaction (from the events); CERTIFICATE_NOT_FOUND when none. */
export async function readCertificate(contracts: Contracts, id: bigint, fromBlock = 0): Promise<CertificateView> {
  const c = await contracts.compliance.certificate(id);
  if (c.holder === ZeroAddress) {
    const count = await contracts.compliance.certificateCount();
    throw clientError(
      "CERTIFICATE_NOT_FOUND",
      count === 0n
        ? `There is no cancellation certificate ${id}: none was issued yet.`
        : `There is no cancellation certificate ${id}: numbers run from 1 to ${count}.`,
      { certificate: id.toString() },
    );
  }
  const compliance = contracts.compliance;
  const [issued, units] = await Promise.all([
    compliance.queryFilter(compliance.filters.CancellationCertificate(id), fromBlock),
    compliance.queryFilter(compliance.filters.UnitsCancelled(id), fromBlock),
  ]);
  const event = issued[0];
  return {
    id,
    holder: c.holder,
    entityId: c.entityId,
    issuedAt: c.issuedAt,
    allowances: c.allowances,
    offsets: c.offsets,
    beneficiary: c.beneficiary,
    purpose: c.purpose,
    units: units.map((e) => ({
      product: e.args.offset ? { kind: "ccer", batch: e.args.id } : { kind: "allowance", vintage: e.args.id },
      amount: e.args.amount,
    })),
    ...(event ? { tx: event.transactionHash, block: event.blockNumber } : {}),
  };
}

// ─────────────────────────────────────────── reports ──────────────────────────────────────────

/** One submitted version of a report. */
export interface ReportVersionView {
  version: number;
  reportedTotal: bigint;
  contentHash: string;
  documentHash: string;
  uri: string;
  submitter: string;
  submittedAt: bigint;
  /** Submitted after the reporting deadline. */
  late: boolean;
}

/** An entity's report for a year, its versions and the year's calendar. */
export interface ReportView {
  entityId: bigint;
  year: number;
  yearState: YearStateName;
  schedule: { reportingOpens: bigint; reportDeadline: bigint; surrenderDeadline: bigint };
  status: ReportStatusName;
  versions: ReportVersionView[];
  /** The verifier assigned for the year (0 when none). */
  assignedVerifier: bigint;
  /** The verifier that attested (0 when none). */
  verifier: bigint;
  attestedAt: bigint;
  opinion: OpinionName;
  verifiedTotal: bigint;
  statementHash: string;
  obligationSet: boolean;
  obligation: bigint;
  decidedAt: bigint;
}

/** The latest version of a report, if any. */
export function latestVersion(report: ReportView): ReportVersionView | undefined {
  return report.versions[report.versions.length - 1];
}

/** Everything about an entity's report for a year. */
export async function readReport(contracts: Contracts, entityId: bigint, year: number): Promise<ReportView> {
  const r = contracts.reporting;
  const [state, yearOf, assigned] = await Promise.all([
    r.reportOf(entityId, year),
    r.yearOf(year),
    r.assignedVerifier(entityId, year),
  ]);
  const schedule = {
    reportingOpens: yearOf.schedule.reportingOpens,
    reportDeadline: yearOf.schedule.reportDeadline,
    surrenderDeadline: yearOf.schedule.surrenderDeadline,
  };
  const count = Number(state.versions);
  const versions = await Promise.all(
    Array.from({ length: count }, async (_, i): Promise<ReportVersionView> => {
      const v = await r.reportVersion(entityId, year, i + 1);
      return {
        version: i + 1,
        reportedTotal: v.reportedTotal,
        contentHash: v.contentHash,
        documentHash: v.documentHash,
        uri: v.uri,
        submitter: v.submitter,
        submittedAt: v.submittedAt,
        late: v.submittedAt > schedule.reportDeadline,
      };
    }),
  );
  return {
    entityId,
    year,
    yearState: nameOf(YEAR_STATES, yearOf.state),
    schedule,
    status: nameOf(REPORT_STATUS, state.status),
    versions,
    assignedVerifier: assigned,
    verifier: state.verifier,
    attestedAt: state.attestedAt,
    opinion: nameOf(OPINIONS, state.opinion),
    verifiedTotal: state.verifiedTotal,
    statementHash: state.statementHash,
    obligationSet: state.obligationSet,
    obligation: state.obligation,
    decidedAt: state.decidedAt,
  };
}

/** The reporting contract's "year open" check, from `report.yearState` and the time `now`. */
function requireReportingOpen(report: ReportView, now?: bigint): void {
  const { year } = report;
  if (report.yearState === "closed") {
    throw chainCoded("ReportingYearClosed", `Compliance year ${year} is closed: reports and attestations are final.`, {
      year,
    });
  }
  if (report.yearState !== "open") {
    throw chainCoded(
      "ReportingYearNotOpen",
      `Compliance year ${year} is not open: the regulator has not opened it yet.`,
      {
        year,
      },
    );
  }
  if (now !== undefined && now < report.schedule.reportingOpens) {
    throw chainCoded(
      "ReportingYearNotOpen",
      `Reporting for ${year} opens at ${isoTime(report.schedule.reportingOpens)}; it has not started yet.`,
      { year, reportingOpens: report.schedule.reportingOpens.toString() },
    );
  }
}

/** The entity of an active account (`EmissionsReporting._activeEntityOf`). */
async function activeEntity(contracts: Contracts, wallet: string): Promise<bigint> {
  const account = await accountStatus(contracts.registry, wallet);
  if (account.status !== "active") {
    throw chainCoded(
      "ReportingAccountNotActive",
      account.status === "none"
        ? `${wallet} has no registry account; reports and attestations come from active accounts.`
        : `${wallet} is ${account.status}: reports and attestations come from active accounts.`,
      { account: wallet, status: account.status },
    );
  }
  return account.entityId;
}

/** The longest URI of a report version, in bytes. */
export const MAX_REPORT_URI = 512;

/**
 * Checks a report submission from `wallet`, in `EmissionsReporting.submitReport`'s order: an active
 * account — whose entity must be the report's (`entity.entityId`, REPORT_ENTITY_MISMATCH otherwise);
 * the year open and reporting started at `now`; the entity covered; the hashes set and the URI at
 * most 512 bytes; the report not verified, approved or estimated. Returns the report as it stands.
 */
export async function checkReportSubmission(
  contracts: Contracts,
  wallet: string,
  submission: { year: number; reportEntityId: bigint; contentHash: string; documentHash: string; uri: string },
  now?: bigint,
): Promise<ReportView> {
  const entityId = await activeEntity(contracts, wallet);
  const { year } = submission;
  if (entityId !== submission.reportEntityId) {
    throw clientError(
      "REPORT_ENTITY_MISMATCH",
      `The report is entity ${submission.reportEntityId}'s (entity.entityId), but ${wallet} is an account of entity ${entityId}: submit it from an account of entity ${submission.reportEntityId}.`,
      { reportEntityId: submission.reportEntityId.toString(), walletEntityId: entityId.toString() },
    );
  }
  const report = await readReport(contracts, entityId, year);
  requireReportingOpen(report, now);
  if (!(await contracts.allocation.isCovered(year, entityId))) {
    throw chainCoded(
      "ReportingNotCovered",
      `Entity ${entityId} is not covered in ${year}: it has no allocation for that year and reports nothing for it.`,
      { entityId: entityId.toString(), year },
    );
  }
  for (const field of ["contentHash", "documentHash"] as const) {
    if (BigInt(submission[field]) === 0n) {
      throw chainCoded("ReportingInvalidField", `The ${field} must not be zero.`, { field });
    }
  }
  const uriBytes = new TextEncoder().encode(submission.uri).length;
  if (uriBytes > MAX_REPORT_URI) {
    throw chainCoded(
      "ReportingInvalidField",
      `The URI has ${uriBytes} bytes; at most ${MAX_REPORT_URI} are accepted.`,
      {
        field: "uri",
      },
    );
  }
  if (report.status !== "none" && report.status !== "submitted" && report.status !== "returned") {
    throw chainCoded(
      "ReportingReportLocked",
      `Entity ${entityId}'s report for ${year} is ${report.status} and can no longer change.`,
      { entityId: entityId.toString(), year, status: report.status },
    );
  }
  return report;
}

/**
 * Checks an attestation by `wallet`, in `EmissionsReporting.attest`'s order: an active account; the
 * year open; its entity the verifier assigned to the report; accredited; a submitted report waiting;
 * a non-zero statement hash. Returns the report as it stands.
 */
export async function checkAttestation(
  contracts: Contracts,
  wallet: string,
  entityId: bigint,
  year: number,
  statementHash: string,
): Promise<ReportView> {
  const verifier = await activeEntity(contracts, wallet);
  const report = await readReport(contracts, entityId, year);
  requireReportingOpen(report);
  if (report.assignedVerifier !== verifier || verifier === 0n) {
    throw chainCoded(
      "ReportingNotAssignedVerifier",
      report.assignedVerifier === 0n
        ? `No verifier is assigned to entity ${entityId}'s report for ${year}; ${wallet} (entity ${verifier}) may not attest it.`
        : `${wallet} is an account of entity ${verifier}, not of verification body ${report.assignedVerifier}, the one assigned to entity ${entityId}'s report for ${year}.`,
      { entityId: entityId.toString(), year, assigned: report.assignedVerifier.toString() },
    );
  }
  if (!(await contracts.reporting.isAccredited(verifier))) {
    throw chainCoded("ReportingVerifierNotAccredited", `Verification body ${verifier} is not accredited (any more).`, {
      verifier: verifier.toString(),
    });
  }
  if (report.status !== "submitted") {
    throw chainCoded(
      "ReportingNothingToAttest",
      `Entity ${entityId}'s report for ${year} is ${report.status === "none" ? "not submitted" : report.status}: only a submitted report can be attested.`,
      { entityId: entityId.toString(), year, status: report.status },
    );
  }
  if (BigInt(statementHash) === 0n) {
    throw chainCoded("ReportingInvalidField", "The statement hash must not be zero.", { field: "statementHash" });
  }
  return report;
}

// ─────────────────────────────────────────── auctions ─────────────────────────────────────────

/**
 * The commitment of a sealed bid, as `ReserveSales.commitmentOf` computes it:
 * keccak256(abi.encode(auctionId, bidder, price, quantity, salt)). Price in fen per tonne.
 */
export function bidCommitment(
  auctionId: bigint,
  bidder: string,
  price: bigint,
  quantity: bigint,
  salt: string,
): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint256", "address", "uint256", "uint256", "bytes32"],
      [auctionId, bidder, price, quantity, salt],
    ),
  );
}

/** 32 random bytes from the operating system's generator, as hex. */
export function newSalt(): string {
  return hexlify(randomBytes(32));
}

/** Where an auction stands at a time. */
export type AuctionPhase = "bidding" | "reveal" | "awaiting finalisation" | "finalised";

/** An auction of reserve allowances. */
export interface AuctionView {
  id: bigint;
  vintage: number;
  finalised: boolean;
  biddingEnds: bigint;
  revealEnds: bigint;
  bids: number;
  revealed: number;
  quantity: bigint;
  /** Fen per tonne. */
  reservePrice: bigint;
  /** Fen per tonne; meaningful once finalised. */
  clearingPrice: bigint;
  sold: bigint;
  marginalDemand: bigint;
  marginalSupply: bigint;
}

/** An auction; UNKNOWN_AUCTION when there is none with the id. */
export async function readAuction(contracts: Contracts, auctionId: bigint): Promise<AuctionView> {
  const a = await contracts.sales.auction(auctionId);
  if (a.state === 0n) {
    const count = await contracts.sales.auctionCount();
    throw chainCoded(
      "SalesUnknownAuction",
      count === 0n
        ? `There is no auction ${auctionId}: none was created yet.`
        : `There is no auction ${auctionId}: auctions run from 1 to ${count}.`,
      { auctionId: auctionId.toString() },
    );
  }
  return {
    id: auctionId,
    vintage: Number(a.vintage),
    finalised: a.state === 2n,
    biddingEnds: a.biddingEnds,
    revealEnds: a.revealEnds,
    bids: Number(a.bids),
    revealed: Number(a.revealed),
    quantity: a.quantity,
    reservePrice: a.reservePrice,
    clearingPrice: a.clearingPrice,
    sold: a.sold,
    marginalDemand: a.marginalDemand,
    marginalSupply: a.marginalSupply,
  };
}

/** The phase of an auction at `now` (the contract's windows: bidding until biddingEnds, reveal until revealEnds). */
export function auctionPhase(a: AuctionView, now: bigint): AuctionPhase {
  if (a.finalised) return "finalised";
  if (now < a.biddingEnds) return "bidding";
  if (now < a.revealEnds) return "reveal";
  return "awaiting finalisation";
}

/** The phases a participant acts in: bidding (commit), reveal, settlement (once finalised). */
export type AuctionAction = "bidding" | "reveal" | "settlement";

/**
 * Requires the auction to be in the phase an action needs at `now`, as `ReserveSales` checks it:
 * bidding until `biddingEnds`, reveal from then until `revealEnds`, settlement once finalised.
 */
export function requireAuctionPhase(a: AuctionView, needs: AuctionAction, now: bigint): void {
  const current = auctionPhase(a, now);
  const ok =
    needs === "bidding" ? current === "bidding" : needs === "reveal" ? current === "reveal" : current === "finalised";
  if (ok) return;
  const why: Record<AuctionAction, string> = {
    bidding: `bidding closed at ${isoTime(a.biddingEnds)}`,
    reveal:
      current === "bidding"
        ? `bids are revealed from ${isoTime(a.biddingEnds)} until ${isoTime(a.revealEnds)}`
        : `the reveal phase ended at ${isoTime(a.revealEnds)}`,
    settlement:
      current === "awaiting finalisation"
        ? "it settles once finalised (anyone may finalise it now)"
        : `it settles once finalised, which anyone may do after ${isoTime(a.revealEnds)}`,
  };
  throw chainCoded("SalesWrongPhase", `Auction ${a.id} is in its ${current} phase, not ${needs}: ${why[needs]}.`, {
    auctionId: a.id.toString(),
    phase: current,
  });
}

/** One bid of an auction. */
export interface BidView {
  auctionId: bigint;
  bidId: bigint;
  bidder: string;
  commitment: string;
  escrow: bigint;
  price: bigint;
  quantity: bigint;
  revealed: boolean;
  settled: boolean;
}

/** A bid; UNKNOWN_BID when the auction has none with the id. */
export async function readBid(contracts: Contracts, auctionId: bigint, bidId: bigint): Promise<BidView> {
  const b = await contracts.sales.bid(auctionId, bidId);
  if (b.bidder === ZeroAddress) {
    throw chainCoded("SalesUnknownBid", `Auction ${auctionId} has no bid ${bidId}.`, {
      auctionId: auctionId.toString(),
      bidId: bidId.toString(),
    });
  }
  return { auctionId, bidId, ...bidFields(b) };
}

function bidFields(b: Awaited<ReturnType<Contracts["sales"]["bid"]>>) {
  return {
    bidder: b.bidder,
    commitment: b.commitment,
    escrow: b.escrow,
    price: b.price,
    quantity: b.quantity,
    revealed: b.revealed,
    settled: b.settled,
  };
}

/** Every bid of an auction placed by `bidder` (all bids when `bidder` is undefined). */
export async function bidsOf(contracts: Contracts, auction: AuctionView, bidder?: string): Promise<BidView[]> {
  const all = await Promise.all(
    Array.from({ length: auction.bids }, async (_, i): Promise<BidView> => {
      const bidId = BigInt(i + 1);
      return { auctionId: auction.id, bidId, ...bidFields(await contracts.sales.bid(auction.id, bidId)) };
    }),
  );
  return bidder === undefined ? all : all.filter((b) => b.bidder === bidder);
}

/** The cash checks of a payment to the sales contract: transfers open, payer active, cash held and not locked. */
async function requireCash(contracts: Contracts, payer: string, amount: bigint): Promise<void> {
  await requireTransfersOpen(contracts);
  await requireAvailable(contracts, payer, { kind: "cash" }, amount);
}

async function requireActiveBuyer(contracts: Contracts, wallet: string): Promise<void> {
  if (!(await contracts.registry.isActive(wallet))) {
    const { status } = await accountStatus(contracts.registry, wallet);
    throw chainCoded(
      "SalesAccountNotActive",
      status === "none"
        ? `${wallet} has no registry account; only active accounts bid and buy.`
        : `${wallet} is ${status}; only active accounts bid and buy.`,
      { account: wallet, status },
    );
  }
}

/**
 * Checks a sealed bid before it is committed, in `ReserveSales.commitBid`'s order (auction exists,
 * bidding phase at `now`, an active bidder, room for another bid), then what would make the bid fail
 * at reveal (price below the reserve price, escrow short of price × quantity), then the escrow's
 * payment (transfers open, cash held and not locked).
 */
export async function checkBid(
  contracts: Contracts,
  bidder: string,
  bid: { auctionId: bigint; price: bigint; quantity: bigint; escrow: bigint },
  now: bigint,
): Promise<AuctionView> {
  const a = await readAuction(contracts, bid.auctionId);
  requireAuctionPhase(a, "bidding", now);
  await requireActiveBuyer(contracts, bidder);
  const max = await contracts.sales.MAX_BIDS();
  if (BigInt(a.bids) >= max) {
    throw chainCoded("SalesTooManyBids", `Auction ${a.id} has ${a.bids} bids, the most it accepts.`, {
      auctionId: a.id.toString(),
      max: max.toString(),
    });
  }
  if (bid.price < a.reservePrice) {
    throw chainCoded(
      "SalesBidBelowReserve",
      `A bid of ${cny(bid.price)}/t is below auction ${a.id}'s reserve price of ${cny(a.reservePrice)}/t: it would be refused at reveal.`,
      { price: bid.price.toString(), reservePrice: a.reservePrice.toString() },
    );
  }
  const cost = bid.price * bid.quantity;
  if (bid.escrow < cost) {
    throw chainCoded(
      "SalesEscrowInsufficient",
      `The bid costs up to ${cny(cost)} (${t(bid.quantity)} at ${cny(bid.price)}/t) but the escrow is ${cny(bid.escrow)}: it would be refused at reveal.`,
      { required: cost.toString(), escrow: bid.escrow.toString() },
    );
  }
  await requireCash(contracts, bidder, bid.escrow);
  return a;
}

/**
 * Checks a reveal by `caller`, in `ReserveSales.revealBid`'s order: reveal phase at `now`; the bid
 * exists and is the caller's (or, after a key recovery, of another wallet of the caller's entity, the
 * caller being active); not revealed yet; price, quantity and salt match its commitment; price ≥ the
 * reserve price; the escrow covers price × quantity.
 */
export async function checkReveal(
  contracts: Contracts,
  caller: string,
  a: AuctionView,
  secret: { bidId: bigint; price: bigint; quantity: bigint; salt: string },
  now: bigint,
): Promise<BidView> {
  requireAuctionPhase(a, "reveal", now);
  const b = await readBid(contracts, a.id, secret.bidId);
  if (b.bidder !== caller && !(await mayActFor(contracts, caller, b.bidder))) {
    throw chainCoded(
      "SalesNotBidder",
      `Bid ${b.bidId} of auction ${a.id} was placed by ${b.bidder}, which is neither ${caller} nor another wallet of its entity.`,
      { auctionId: a.id.toString(), bidId: b.bidId.toString() },
    );
  }
  if (b.revealed) {
    throw chainCoded("SalesBidAlreadyRevealed", `Bid ${b.bidId} of auction ${a.id} was revealed already.`, {
      auctionId: a.id.toString(),
      bidId: b.bidId.toString(),
    });
  }
  if (bidCommitment(a.id, b.bidder, secret.price, secret.quantity, secret.salt) !== b.commitment) {
    throw chainCoded(
      "SalesCommitmentMismatch",
      `The stored price, quantity and salt do not match the commitment of bid ${b.bidId} of auction ${a.id}.`,
      { auctionId: a.id.toString(), bidId: b.bidId.toString() },
    );
  }
  if (secret.price < a.reservePrice) {
    throw chainCoded(
      "SalesBidBelowReserve",
      `Bid ${b.bidId} of ${cny(secret.price)}/t is below the reserve price of ${cny(a.reservePrice)}/t.`,
      { price: secret.price.toString(), reservePrice: a.reservePrice.toString() },
    );
  }
  const cost = secret.price * secret.quantity;
  if (cost > b.escrow) {
    throw chainCoded(
      "SalesEscrowInsufficient",
      `Bid ${b.bidId} costs up to ${cny(cost)} but only ${cny(b.escrow)} is in escrow.`,
      { required: cost.toString(), escrow: b.escrow.toString() },
    );
  }
  return b;
}

/** Whether `caller` may reveal `bidder`'s bids: an active wallet of the same entity (after a key recovery). */
export async function mayActFor(contracts: Contracts, caller: string, bidder: string): Promise<boolean> {
  return (await contracts.registry.isActive(caller)) && (await contracts.registry.sameEntity(caller, bidder));
}

/** Checks a settlement, in `ReserveSales.settleBid`'s order: finalised; the bid exists; not settled yet. */
export async function checkSettle(contracts: Contracts, a: AuctionView, bidId: bigint, now: bigint): Promise<BidView> {
  requireAuctionPhase(a, "settlement", now);
  const b = await readBid(contracts, a.id, bidId);
  if (b.settled) {
    throw chainCoded("SalesBidAlreadySettled", `Bid ${bidId} of auction ${a.id} was settled already.`, {
      auctionId: a.id.toString(),
      bidId: bidId.toString(),
    });
  }
  return b;
}

/** A fixed-price sale of reserve allowances. */
export interface SaleView {
  id: bigint;
  vintage: number;
  closed: boolean;
  opensAt: bigint;
  closesAt: bigint;
  quantity: bigint;
  /** Fen per tonne. */
  price: bigint;
  /** 0 = no limit. */
  maxPerBuyer: bigint;
  sold: bigint;
}

/** A fixed-price sale; UNKNOWN_SALE when there is none with the id. */
export async function readSale(contracts: Contracts, saleId: bigint): Promise<SaleView> {
  const s = await contracts.sales.fixedSale(saleId);
  if (s.quantity === 0n) {
    throw chainCoded("SalesUnknownSale", `There is no fixed-price sale ${saleId}.`, { saleId: saleId.toString() });
  }
  return {
    id: saleId,
    vintage: Number(s.vintage),
    closed: s.closed,
    opensAt: s.opensAt,
    closesAt: s.closesAt,
    quantity: s.quantity,
    price: s.price,
    maxPerBuyer: s.maxPerBuyer,
    sold: s.sold,
  };
}

/**
 * Checks a purchase in a fixed-price sale, in `ReserveSales.buy`'s order: the sale exists and is open
 * at `now`; an active buyer; the quantity left (and within the per-buyer limit); then the payment.
 */
export async function checkBuy(
  contracts: Contracts,
  buyer: string,
  saleId: bigint,
  quantity: bigint,
  now: bigint,
): Promise<{ sale: SaleView; cost: bigint }> {
  const sale = await readSale(contracts, saleId);
  if (sale.closed || now < sale.opensAt || now >= sale.closesAt) {
    throw chainCoded(
      "SalesSaleNotOpen",
      sale.closed
        ? `Sale ${saleId} is closed.`
        : now < sale.opensAt
          ? `Sale ${saleId} opens at ${isoTime(sale.opensAt)}.`
          : `Sale ${saleId} closed at ${isoTime(sale.closesAt)}.`,
      { saleId: saleId.toString() },
    );
  }
  await requireActiveBuyer(contracts, buyer);
  let available = sale.quantity - sale.sold;
  if (sale.maxPerBuyer !== 0n) {
    const allowed = sale.maxPerBuyer - (await contracts.sales.boughtIn(saleId, buyer));
    if (allowed < available) available = allowed;
  }
  if (quantity > available) {
    throw chainCoded(
      "SalesQuantityUnavailable",
      `Sale ${saleId} has ${t(available)} left for ${buyer}${sale.maxPerBuyer !== 0n ? ` (at most ${t(sale.maxPerBuyer)} per buyer)` : ""}; ${t(quantity)} asked.`,
      { saleId: saleId.toString(), requested: quantity.toString(), available: available.toString() },
    );
  }
  const cost = quantity * sale.price;
  await requireCash(contracts, buyer, cost);
  return { sale, cost };
}

// ─────────────────────────────────────────── bid secrets ──────────────────────────────────────

/**
 * What it takes to reveal a sealed bid. Written before the commitment is sent, so that a crash
 * cannot lose it: without it the bid cannot be revealed, and an unrevealed bid forfeits its escrow.
 */
export interface BidSecret {
  schema: "ets-bid-secret/1";
  chainId: string;
  /** The ReserveSales contract. */
  sales: string;
  auctionId: bigint;
  /** Known once the commitment is mined; undefined while it is being sent. */
  bidId?: bigint;
  bidder: string;
  /** Fen per tonne. */
  price: bigint;
  quantity: bigint;
  salt: string;
  commitment: string;
  /** Fen. */
  escrow: bigint;
  createdAt: string;
  tx?: string;
}

/** The folder of bid secrets: `bids/` next to the keystores. */
export function bidSecretDir(walletDir: string): string {
  return path.join(walletDir, "bids");
}

/** The file of a bid secret: one per commitment. */
export function bidSecretFile(dir: string, secret: Pick<BidSecret, "chainId" | "auctionId" | "commitment">): string {
  return path.join(dir, `chain-${secret.chainId}-auction-${secret.auctionId}-${secret.commitment.slice(2)}.json`);
}

/**
 * Writes a bid secret durably (temporary file, fsync, rename, fsync of the folder) with mode 0600 in
 * a folder of mode 0700 created if needed. Returns the file.
 */
export async function saveBidSecret(dir: string, secret: BidSecret): Promise<string> {
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    await fsyncDir(path.dirname(dir));
  }
  const file = bidSecretFile(dir, secret);
  const json = JSON.stringify(secret, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
  await writeFileDurable(file, `${json}\n`, 0o600);
  fs.chmodSync(file, 0o600);
  return file;
}

/** Removes a bid secret whose commitment was never sent. */
export async function removeBidSecret(file: string): Promise<void> {
  fs.rmSync(file, { force: true });
  await fsyncDir(path.dirname(file));
}

/** The stored secrets for an auction of a ReserveSales contract, of one bidder or all (unreadable files are skipped). */
export function readBidSecrets(
  dir: string,
  filter: { chainId: string; sales: string; auctionId: bigint; bidder?: string },
): { file: string; secret: BidSecret }[] {
  if (!fs.existsSync(dir)) return [];
  const prefix = `chain-${filter.chainId}-auction-${filter.auctionId}-`;
  const out: { file: string; secret: BidSecret }[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.startsWith(prefix) || !name.endsWith(".json")) continue;
    const file = path.join(dir, name);
    const secret = parseBidSecret(fs.readFileSync(file, "utf8"));
    if (
      secret &&
      secret.sales === getAddress(filter.sales) &&
      (filter.bidder === undefined || secret.bidder === getAddress(filter.bidder)) &&
      secret.auctionId === filter.auctionId
    ) {
      out.push({ file, secret });
    }
  }
  return out;
}

function parseBidSecret(text: string): BidSecret | undefined {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    if (j.schema !== "ets-bid-secret/1") return undefined;
    const str = (k: string): string => {
      const v = j[k];
      if (typeof v !== "string") throw new Error(k);
      return v;
    };
    const secret: BidSecret = {
      schema: "ets-bid-secret/1",
      chainId: str("chainId"),
      sales: getAddress(str("sales")),
      auctionId: BigInt(str("auctionId")),
      bidder: getAddress(str("bidder")),
      price: BigInt(str("price")),
      quantity: BigInt(str("quantity")),
      salt: str("salt"),
      commitment: str("commitment"),
      escrow: BigInt(str("escrow")),
      createdAt: str("createdAt"),
    };
    if (typeof j.bidId === "string") secret.bidId = BigInt(j.bidId);
    if (typeof j.tx === "string") secret.tx = j.tx;
    return secret;
  } catch {
    return undefined;
  }
}

/**
 * The on-chain bid a stored secret stands for: by its bid id when known, else the bidder's bid with
 * the same commitment (a crash between sending and recording the id). Undefined when none matches:
 * the commitment never reached the chain.
 */
export async function bidOfSecret(
  contracts: Contracts,
  auction: AuctionView,
  secret: BidSecret,
  bids?: BidView[],
): Promise<BidView | undefined> {
  const mine = bids ?? (await bidsOf(contracts, auction, secret.bidder));
  return mine.find(
    (b) =>
      b.bidder === secret.bidder &&
      b.commitment === secret.commitment &&
      (secret.bidId === undefined || b.bidId === secret.bidId),
  );
}

// ─────────────────────────────────────────── small helpers ────────────────────────────────────

/** Basis points as a percentage: 1,000 → "10 %", 550 → "5.5 %". */
export function formatBps(bps: number): string {
  const whole = Math.trunc(bps / 100);
  const rest = bps % 100;
  return rest === 0 ? `${whole} %` : `${whole}.${String(rest).padStart(2, "0").replace(/0$/, "")} %`;
}

/** Units in words for a list: "1,000 t of TJEA13, 500 t of CCER batch 1". */
export function describeItems(items: UnitItems): string {
  return [
    ...items.vintages.map((i) => describeUnits({ kind: "allowance", vintage: i.id }, i.amount)),
    ...items.batches.map((i) => describeUnits({ kind: "ccer", batch: i.id }, i.amount)),
  ].join(", ");
}
