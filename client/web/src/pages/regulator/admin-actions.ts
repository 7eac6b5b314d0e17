/**
 * The administrator's actions of `ets admin` (client/cli/admin.ts, client/cli/compliance-admin.ts)
 * for the portal: the same checks before anything is sent, in the same order and with the same
 * error codes, then the same contract calls through `confirm` with `ZERO_FEE`. Reads go through the
 * portal's provider, transactions through the connected wallet's signer.
 */
import { getAddress, id as selectorHash, isAddress, type Signer, type TransactionReceipt } from "ethers";
import {
  computeAllocationPlan,
  parseAllocationInput,
  type AllocationInput,
  type AllocationPlan,
} from "../../../../../sdk/allocation";
import { chainCoded, clientError } from "../../../../../sdk/client-errors";
import { connectContracts, type Contracts } from "../../../../../sdk/contracts";
import { creditCodeHash, parseAmount, parseWholeNumber, requireText } from "../../../../../sdk/input";
import { firstActiveWallet, issueAllocationPlan } from "../../../../../sdk/issuance";
import { CATEGORIES, SECTORS, categoryLabel } from "../../../../../sdk/participants";
import { PERMISSIONS, type ContractName } from "../../../../../sdk/permissions";
import { confirm, ZERO_FEE } from "../../../../../sdk/send";
import type { Chain } from "../../lib/chain";

const UINT64_MAX = 2n ** 64n - 1n;
const COVERED_CATEGORY = 1;
const MAX_ALLOCATION_REASON = 256;
const MAX_CLOSE_BATCH = 500n;
const REPORT_STATUS = ["not submitted", "submitted", "verified", "approved", "returned", "estimated"] as const;

type Needs = [ContractName, string];

const FN = {
  registerEntity: ["ParticipantRegistry", "registerEntity(uint64,uint8,uint8,string,bytes32,address)"],
  openAccount: ["ParticipantRegistry", "openAccount(uint64,address)"],
  setCap: ["Allocation", "setCap(uint16,uint256,uint16)"],
  registerPlan: ["Allocation", "registerPlan(uint16,bytes32,bytes32,uint32,uint256,string)"],
  issue: ["Allocation", "issue(uint16,(uint64,address,uint256)[])"],
  issueFromReserve: ["Allocation", "issueFromReserve(uint16,uint64,address,uint256,string)"],
  approve: ["EmissionsReporting", "approve(uint64,uint16)"],
  closeYear: ["Compliance", "closeYear(uint16,uint256)"],
} as const satisfies Record<string, Needs>;

/** What an action reports: a sentence's facts and the transactions it sent. */
export interface ActionResult {
  blocks: number[];
  txs: string[];
}

function done(receipts: TransactionReceipt[]): ActionResult {
  return { blocks: receipts.map((r) => r.blockNumber), txs: receipts.map((r) => r.hash) };
}

function roleOf([contract, fn]: Needs): string {
  return (PERMISSIONS as Partial<Record<ContractName, Record<string, string>>>)[contract]?.[fn] ?? "required";
}

/** The role check of the CLI's `requireRole`: `canCall` on the AccessManager, immediately. */
async function requireRole(chain: Chain, sender: string, needs: Needs): Promise<void> {
  const [contract, fn] = needs;
  const target = chain.manifest.contracts[contract];
  const [immediate] = await chain.contracts.authority.canCall(sender, target, selectorHash(fn).slice(0, 10));
  if (!immediate) {
    throw chainCoded(
      "AccessManagedUnauthorized",
      `Wallet ${sender} does not hold the ${roleOf(needs)} role that ${fn.slice(0, fn.indexOf("("))} on ${contract} needs.`,
      { account: sender, role: roleOf(needs) },
    );
  }
}

/** Whether `sender` may call `needs` now (to show or hide a form). */
export async function mayCall(chain: Chain, sender: string, needs: keyof typeof FN): Promise<boolean> {
  const [contract, fn] = FN[needs];
  const [immediate] = await chain.contracts.authority.canCall(
    sender,
    chain.manifest.contracts[contract],
    selectorHash(fn).slice(0, 10),
  );
  return immediate;
}

async function signed(chain: Chain, signer: Signer): Promise<Contracts> {
  return connectContracts(chain.manifest, signer);
}

function parseYear(input: string, what = "year"): number {
  const text = input.trim();
  const year = /^\d{4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(year >= 2000 && year <= 2100)) {
    throw chainCoded(
      "AllocationInvalidYear",
      `The ${what} "${input}" is not a year of the scheme: give 2000 to 2100, e.g. 2014.`,
      { field: what },
    );
  }
  return year;
}

function parseAddress(input: string, what: string): string {
  const text = input.trim();
  if (!isAddress(text)) {
    throw clientError("INVALID_ADDRESS", `The ${what} "${input}" is not an address (0x followed by 40 hex digits).`, {
      field: what,
    });
  }
  return getAddress(text);
}

function parseReason(input: string, max: number, code: string): string {
  const reason = requireText(input, "reason");
  const bytes = new TextEncoder().encode(reason).length;
  if (bytes > max)
    throw chainCoded(code, `The reason has ${bytes} bytes; at most ${max} are accepted.`, { field: "reason" });
  return reason;
}

async function requireNewWallet(contracts: Contracts, wallet: string): Promise<void> {
  const account = await contracts.registry.accountOf(wallet);
  if (account.status !== 0n) {
    throw chainCoded(
      "RegistryAccountExists",
      `Wallet ${wallet} already has a registry account (entity ${account.entityId}); wallets are never reused.`,
      { wallet },
    );
  }
}

async function lookupEntity(contracts: Contracts, entityId: bigint) {
  const entity = await contracts.registry.entityOf(entityId);
  if (entity.category === 0n) {
    throw chainCoded("RegistryUnknownEntity", `No entity is registered with id ${entityId}.`, {
      entityId: entityId.toString(),
    });
  }
  return { entityId, name: entity.name, category: Number(entity.category), sector: Number(entity.sector) };
}

function entityId(input: string): bigint {
  return parseWholeNumber(input.trim(), "entity id", 1n, UINT64_MAX);
}

// ── registration (`ets admin register`, `ets admin open-account`) ─────────────────────────────────

export interface Registration {
  entityId: string;
  category: string;
  sector: string;
  name: string;
  creditCode: string;
  wallet: string;
}

export async function registerEntity(chain: Chain, signer: Signer, r: Registration): Promise<ActionResult> {
  const id = entityId(r.entityId);
  const category = CATEGORIES.find((c) => c.key === r.category)?.value;
  if (category === undefined) {
    throw clientError("INVALID_CHOICE", `"${r.category}" is not a category.`, { field: "category" });
  }
  const sector = r.sector === "" ? 0 : (SECTORS.find((s) => s.key === r.sector)?.value ?? -1);
  if (sector < 0) throw clientError("INVALID_CHOICE", `"${r.sector}" is not a sector.`, { field: "sector" });
  const covered = category === COVERED_CATEGORY;
  if (covered && sector === 0) {
    throw chainCoded("RegistryInvalidSector", "A covered entity needs a sector.");
  }
  if (!covered && sector !== 0) {
    throw chainCoded(
      "RegistryInvalidSector",
      `Only covered entities have a sector; a ${categoryLabel(category)} has none.`,
    );
  }
  const name = requireText(r.name, "entity name");
  const nameBytes = new TextEncoder().encode(name).length;
  if (nameBytes > 200) {
    throw chainCoded("RegistryInvalidName", `The entity name must be 1 to 200 bytes of UTF-8; it has ${nameBytes}.`);
  }
  const codeHash = creditCodeHash(r.creditCode);
  const wallet = parseAddress(r.wallet, "wallet");
  const sender = await signer.getAddress();
  const { contracts } = chain;
  await requireRole(chain, sender, FN.registerEntity);
  const existing = await contracts.registry.entityOf(id);
  if (existing.category !== 0n) {
    throw chainCoded("RegistryEntityExists", `Entity id ${id} is already registered ("${existing.name}").`, {
      entityId: id.toString(),
    });
  }
  await requireNewWallet(contracts, wallet);
  const c = await signed(chain, signer);
  const receipt = await confirm(() =>
    c.registry.registerEntity(id, category, sector, name, codeHash, wallet, ZERO_FEE),
  );
  return done([receipt]);
}

export async function openAccount(
  chain: Chain,
  signer: Signer,
  idInput: string,
  walletInput: string,
): Promise<ActionResult> {
  const id = entityId(idInput);
  const wallet = parseAddress(walletInput, "wallet");
  const sender = await signer.getAddress();
  await requireRole(chain, sender, FN.openAccount);
  const entity = await chain.contracts.registry.entityOf(id);
  if (entity.category === 0n) {
    throw chainCoded("RegistryUnknownEntity", `No entity is registered with id ${id}; register it first.`);
  }
  await requireNewWallet(chain.contracts, wallet);
  const c = await signed(chain, signer);
  return done([await confirm(() => c.registry.openAccount(id, wallet, ZERO_FEE))]);
}

// ── allocation (`ets admin allocate`, `ets admin adjust`) ─────────────────────────────────────────

/** An allocation input file's text, checked against `ets-allocation/1` and computed into its plan. */
export function planOf(text: string): { input: AllocationInput; plan: AllocationPlan } {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw clientError(
      "ALLOCATION_INPUT_INVALID",
      `The allocation input is not JSON (${err instanceof Error ? err.message : String(err)}).`,
      {},
    );
  }
  const input = parseAllocationInput(value);
  return { input, plan: computeAllocationPlan(input) };
}

/** The CLI's checks of `allocate` before anything is sent: roles, cap and plan on chain, every recipient. */
export async function checkAllocation(chain: Chain, sender: string, plan: AllocationPlan) {
  const { contracts } = chain;
  const year = plan.year;
  const info = await contracts.allocation.yearInfo(year);
  const capOnChain = info.cap !== 0n;
  const planOnChain = info.planEntries !== 0n;
  if (!capOnChain) await requireRole(chain, sender, FN.setCap);
  if (!planOnChain) await requireRole(chain, sender, FN.registerPlan);
  await requireRole(chain, sender, FN.issue);
  if (capOnChain && (info.cap !== plan.cap || Number(info.reserveBps) !== plan.reserveBps)) {
    throw chainCoded(
      "AllocationCapBelowIssued",
      `The cap of ${year} on chain is ${info.cap} t with a ${info.reserveBps} bp reserve, but the input file says ${plan.cap} t with ${plan.reserveBps} bp: set the cap to the file's first or correct the file.`,
      { year, cap: info.cap.toString(), planCap: plan.cap.toString() },
    );
  }
  if (planOnChain && (info.planHash !== plan.planHash || info.inputsHash !== plan.inputsHash)) {
    throw chainCoded(
      "AllocationPlanExists",
      `${year} already has a different allocation plan on chain (${info.planEntries} entries, plan hash ${info.planHash}); this file's plan hashes to ${plan.planHash}. A registered plan is never replaced.`,
      { year },
    );
  }
  const alreadyIssued = planOnChain ? Number(info.entriesIssued) : 0;
  const pending = plan.entries.slice(alreadyIssued);
  const problems: string[] = [];
  let code: "AllocationWalletNotOfEntity" | "AllocationNotCoveredEntity" | undefined;
  await Promise.all(
    pending.map(async (e) => {
      const entity = await contracts.registry.entityOf(e.entityId);
      if (entity.category === 0n) {
        problems.push(`${e.entityId} is not registered`);
        code ??= "AllocationWalletNotOfEntity";
      } else if (Number(entity.category) !== COVERED_CATEGORY) {
        problems.push(`${e.entityId} "${entity.name}" is not a covered entity`);
        code ??= "AllocationNotCoveredEntity";
      } else {
        try {
          await firstActiveWallet(contracts, BigInt(e.entityId));
        } catch {
          problems.push(`${e.entityId} "${entity.name}" has no active account`);
          code ??= "AllocationWalletNotOfEntity";
        }
      }
    }),
  );
  if (code) {
    throw chainCoded(
      code,
      `${problems.length} ${problems.length === 1 ? "entity" : "entities"} of the ${year} plan cannot receive allowances, so nothing was sent: ${problems.slice(0, 8).join("; ")}${problems.length > 8 ? `; and ${problems.length - 8} more` : ""}.`,
      { year },
    );
  }
  return { capOnChain, planOnChain, alreadyIssued, complete: info.planComplete };
}

export async function allocate(
  chain: Chain,
  signer: Signer,
  plan: AllocationPlan,
  uri: string,
  onStep?: (issued: number) => void,
): Promise<ActionResult & { issued: number; complete: boolean }> {
  const sender = await signer.getAddress();
  const state = await checkAllocation(chain, sender, plan);
  if (state.complete) return { blocks: [], txs: [], issued: 0, complete: true };
  const c = await signed(chain, signer);
  const result = await issueAllocationPlan(c, plan, { uri: uri.trim(), onStep: (_s, _r, n) => onStep?.(n) });
  return { ...done(result.receipts), issued: result.issued, complete: result.complete };
}

export async function adjust(
  chain: Chain,
  signer: Signer,
  a: { year: string; entityId: string; tonnes: string; reason: string },
): Promise<ActionResult & { newEntrant: boolean; wallet: string }> {
  const year = parseYear(a.year);
  const id = entityId(a.entityId);
  const amount = parseAmount(a.tonnes, "tonnes");
  const reason = parseReason(a.reason, MAX_ALLOCATION_REASON, "AllocationInvalidReason");
  const sender = await signer.getAddress();
  const { contracts } = chain;
  await requireRole(chain, sender, FN.issueFromReserve);
  const info = await contracts.allocation.yearInfo(year);
  if (info.cap === 0n) {
    throw chainCoded("AllocationCapNotSet", `The cap of ${year} is not set, so it has no reserve yet.`, { year });
  }
  const entity = await lookupEntity(contracts, id);
  const wallet = await firstActiveWallet(contracts, id);
  if (entity.category !== COVERED_CATEGORY) {
    throw chainCoded(
      "AllocationNotCoveredEntity",
      `Entity ${id} "${entity.name}" is registered as a ${categoryLabel(entity.category)}, not as a covered entity.`,
    );
  }
  const remaining = await contracts.allocation.reserveRemaining(year);
  if (amount > remaining) {
    throw chainCoded(
      "AllocationReserveExhausted",
      `${amount} t asked of the ${year} reserve, but only ${remaining} t of its ${info.reserve} t remain.`,
      { year },
    );
  }
  const newEntrant = !(await contracts.allocation.isCovered(year, id));
  const c = await signed(chain, signer);
  const receipt = await confirm(() => c.allocation.issueFromReserve(year, id, wallet, amount, reason, ZERO_FEE));
  return { ...done([receipt]), newEntrant, wallet };
}

// ── reports and the close (`ets admin approve`, `ets admin close-year`) ───────────────────────────

async function requireReportingOpen(contracts: Contracts, year: number) {
  const { schedule, state } = await contracts.reporting.yearOf(year);
  if (state === 2n) {
    throw chainCoded("ReportingYearClosed", `Compliance year ${year} is closed: its reports and decisions are final.`);
  }
  if (state !== 1n) throw chainCoded("ReportingYearNotOpen", `Compliance year ${year} was never opened.`);
  return schedule;
}

export async function approve(
  chain: Chain,
  signer: Signer,
  idInput: string,
  yearInput: string,
): Promise<ActionResult & { obligation: bigint }> {
  const id = entityId(idInput);
  const year = parseYear(yearInput);
  const sender = await signer.getAddress();
  const { contracts } = chain;
  await requireRole(chain, sender, FN.approve);
  const entity = await lookupEntity(contracts, id);
  await requireReportingOpen(contracts, year);
  const report = await contracts.reporting.reportOf(id, year);
  const label = `Entity ${id} "${entity.name}"`;
  if (report.obligationSet) {
    throw chainCoded(
      "ReportingAlreadyDecided",
      `${label}'s obligation for ${year} is fixed already: ${report.obligation} t (${REPORT_STATUS[Number(report.status)] ?? "?"}).`,
    );
  }
  if (report.status !== 2n) {
    throw chainCoded(
      "ReportingNotVerified",
      `${label}'s report for ${year} is ${REPORT_STATUS[Number(report.status)] ?? "?"}: only a verified report can be approved.`,
    );
  }
  if (report.opinion === 3n) {
    throw chainCoded(
      "ReportingAdverseOpinion",
      `The verifier gave an adverse opinion on ${label}'s report for ${year}: return it instead of approving it.`,
    );
  }
  const c = await signed(chain, signer);
  const receipt = await confirm(() => c.reporting.approve(id, year, ZERO_FEE));
  return { ...done([receipt]), obligation: report.verifiedTotal };
}

export async function closeYear(
  chain: Chain,
  signer: Signer,
  yearInput: string,
  batchInput = "50",
): Promise<ActionResult & { compliant: bigint; inShortfall: bigint; totalShortfall: bigint; alreadyClosed: boolean }> {
  const year = parseYear(yearInput);
  const batch = parseWholeNumber(batchInput, "batch size", 0n, MAX_CLOSE_BATCH);
  if (batch === 0n) throw chainCoded("ComplianceInvalidBatchSize", "Close at least one entity per transaction.");
  const sender = await signer.getAddress();
  const { contracts } = chain;
  await requireRole(chain, sender, FN.closeYear);
  const before = await contracts.compliance.yearClose(year);
  if (!before.opened) throw chainCoded("ComplianceYearNotOpen", `Compliance year ${year} was never opened.`, { year });
  const receipts: TransactionReceipt[] = [];
  if (!before.closed) {
    const covered = [...(await contracts.allocation.coveredEntities(year))];
    const { schedule } = await contracts.reporting.yearOf(year);
    const now = BigInt((await chain.provider.getBlock("latest"))?.timestamp ?? 0);
    if (now < schedule.surrenderDeadline) {
      throw chainCoded(
        "ComplianceDeadlineNotPassed",
        `${year} can be closed only after its surrender deadline, ${new Date(Number(schedule.surrenderDeadline) * 1000).toISOString()}: entities may still surrender.`,
        { year },
      );
    }
    const left = covered.slice(Number(before.processed));
    const missing = (
      await Promise.all(left.map(async (e) => ({ e, report: await contracts.reporting.reportOf(e, year) })))
    ).filter((m) => !m.report.obligationSet);
    if (missing.length > 0) {
      throw chainCoded(
        "ComplianceObligationNotSet",
        `${missing.length} covered ${missing.length === 1 ? "entity has" : "entities have"} no obligation for ${year} yet and block the close: ${missing
          .slice(0, 8)
          .map((m) => m.e.toString())
          .join(
            ", ",
          )}${missing.length > 8 ? ` and ${missing.length - 8} more` : ""}. Approve their reports or set estimates first.`,
        { year, entities: missing.map((m) => m.e.toString()) },
      );
    }
    const c = await signed(chain, signer);
    let state = before;
    for (let guard = 0; !state.closed && guard <= covered.length / Number(batch) + 1; guard++) {
      receipts.push(await confirm(() => c.compliance.closeYear(year, batch, ZERO_FEE)));
      state = await contracts.compliance.yearClose(year);
    }
  }
  const close = await contracts.compliance.yearClose(year);
  return {
    ...done(receipts),
    compliant: close.compliant,
    inShortfall: close.inShortfall,
    totalShortfall: close.totalShortfall,
    alreadyClosed: before.closed,
  };
}
