import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import {
  id as selectorHash,
  keccak256,
  toUtf8Bytes,
  type ContractTransactionResponse,
  type TransactionReceipt,
} from "ethers";
import {
  allocationInputInvalid,
  computeAllocationPlan,
  DEFAULT_COVERAGE_RULE,
  listCoveredEntities,
  readAllocationInput,
  type AllocationInput,
  type AllocationPlan,
  type EmissionsHistory,
} from "../../sdk/allocation";
import { chainCoded, clientError } from "../../sdk/client-errors";
import type { Contracts } from "../../sdk/contracts";
import { parseAmount, parseDate, parseDuration, parseWholeNumber, requireText } from "../../sdk/input";
import { ISSUE_CHUNK, issueAllocationPlan } from "../../sdk/issuance";
import type { KeystoreEntry } from "../../sdk/keystore";
import { categoryLabel, SECTORS } from "../../sdk/participants";
import { PERMISSIONS, type ContractName } from "../../sdk/permissions";
import { confirm, ZERO_FEE } from "../../sdk/send";
import { formatAmount } from "../../sdk/transfers";
import { formatYuan, parseVintage, productName } from "../../sdk/units";
import { named, timeJson, txData, txLine, when } from "./format";
import { adminSend, explainRole, type Needs } from "./admin";
import type { Action } from "./program";
import type { AccountRef, Chain, Session } from "./session";
import { nameOf } from "./shared";

/**
 * `ets admin cap|coverage|allocate|adjust|clawback|open-year|offset-rules|penalties|accredit|assign|
 * approve|return|estimate|close-year|auction …|sale …`: the management centre's compliance cycle —
 * cap and allocation, the compliance year and its offset rules, verifiers and reports, the year
 * close, and sales from the government reserve. Subcommands of the `admin` group of `admin.ts`.
 *
 * Every check the contract makes is made first, in the contract's order and with its error code,
 * so that a command that cannot succeed sends nothing and asks for no password.
 */

const UINT64_MAX = 2n ** 64n - 1n;
const BPS = 10_000n;
/** Government reserve share when `ets admin cap` is not told (Tianjin 2021: 6 %). */
const DEFAULT_RESERVE = "6%";
/** Offset cap when `ets admin open-year` is not told (Tianjin: 10 % of the verified emissions). */
const DEFAULT_OFFSET_CAP = "10%";
/** Covered entities closed per `closeYear` transaction when `--batch` is not given. */
const DEFAULT_CLOSE_BATCH = "50";
/** Most entities `--batch` accepts: well inside a block. */
const MAX_CLOSE_BATCH = 500n;
/** Allocation reasons (issueFromReserve, clawback): 1-256 bytes. */
const MAX_ALLOCATION_REASON = 256;
/** Reporting reasons (return, estimate): 1-512 bytes. */
const MAX_REPORTING_REASON = 512;
/** Project types an offset rule may list (accepted, refused), each. */
const MAX_PROJECT_TYPES = 32;

const REPORT_STATUS = ["not submitted", "submitted", "verified", "approved", "returned", "estimated"] as const;
const OPINION = ["none", "positive", "qualified", "adverse"] as const;
const RESULT_STATUS = ["not covered", "open", "compliant", "shortfall"] as const;
const VERIFIER_CATEGORY = 4;
const COVERED_CATEGORY = 1;

/** The functions these commands call, with the signature `sdk/permissions.ts` knows them by. */
const FN = {
  setCap: ["Allocation", "setCap(uint16,uint256,uint16)"],
  registerPlan: ["Allocation", "registerPlan(uint16,bytes32,bytes32,uint32,uint256,string)"],
  issue: ["Allocation", "issue(uint16,(uint64,address,uint256)[])"],
  issueFromReserve: ["Allocation", "issueFromReserve(uint16,uint64,address,uint256,string)"],
  clawback: ["Allocation", "clawback(uint16,address,uint256,string)"],
  openYear: ["Compliance", "openYear(uint16,(uint64,uint64,uint64),(uint16,uint64,bool,bytes32[],bytes32[]))"],
  setOffsetRules: ["Compliance", "setOffsetRules(uint16,(uint16,uint64,bool,bytes32[],bytes32[]))"],
  setPenalties: ["Compliance", "setPenalties(uint16,uint256)"],
  closeYear: ["Compliance", "closeYear(uint16,uint256)"],
  setAccreditation: ["EmissionsReporting", "setAccreditation(uint64,bool)"],
  assignVerifier: ["EmissionsReporting", "assignVerifier(uint64,uint16,uint64)"],
  approve: ["EmissionsReporting", "approve(uint64,uint16)"],
  returnReport: ["EmissionsReporting", "returnReport(uint64,uint16,string)"],
  setEstimate: ["EmissionsReporting", "setEstimate(uint64,uint16,uint256,string)"],
  createAuction: ["ReserveSales", "createAuction(uint16,uint256,uint256,uint64,uint64)"],
  createFixedSale: ["ReserveSales", "createFixedSale(uint16,uint256,uint256,uint64,uint64,uint256)"],
} as const satisfies Record<string, Needs>;

/** Registers the compliance commands under `ets admin` (call after `registerAdminCommands`). */
export function registerComplianceAdminCommands(program: Command, action: Action): void {
  const admin = program.commands.find((c) => c.name() === "admin");
  if (!admin) throw new Error("registerAdminCommands must run before registerComplianceAdminCommands");
  registerAllocation(admin, action);
  registerYear(admin, action);
  registerReports(admin, action);
  registerClose(admin, action);
  registerSales(admin, action);
}

// ───────────────────────────────────── cap and allocation ──────────────────────────────────────

function registerAllocation(admin: Command, action: Action): void {
  admin
    .command("cap")
    .description("set a year's cap and the share of it kept as the government reserve [REGULATOR]")
    .argument("<year>", "compliance year and vintage, 2000-2100")
    .argument("<capTonnes>", "the year's cap, whole tonnes")
    .option(
      "--reserve <share>",
      "government reserve: a percentage (6%, 6.25%) or basis points (600bps)",
      DEFAULT_RESERVE,
    )
    .action(
      action(async (session, [yearInput, capInput], o) => {
        const year = parseYear(yearInput);
        const cap = parseAmount(capInput ?? "", "tonnes", "cap");
        const reserveBps = parseShare(o.reserve as string, "reserve share");
        if (reserveBps > BPS) {
          throw chainCoded(
            "AllocationInvalidReserveShare",
            `A reserve of ${percent(reserveBps)} is more than the whole cap; give at most 100% (10000bps).`,
            { reserveBps: reserveBps.toString() },
          );
        }
        const reserve = (cap * reserveBps) / BPS;
        const freePool = cap - reserve;
        const sender = session.sender();
        const chain = await session.chain();
        await requireRole(chain, sender, FN.setCap);
        const info = await chain.contracts.allocation.yearInfo(year);
        const committed = info.planTotal > info.grossIssued ? info.planTotal : info.grossIssued;
        if (freePool < committed) {
          throw chainCoded(
            "AllocationCapBelowIssued",
            `A cap of ${tonnes(cap)} with a ${percent(reserveBps)} reserve leaves a free pool of ${tonnes(freePool)} for ${year}, but ${tonnes(committed)} are already planned or issued from it.`,
            { year, freePool: freePool.toString(), committed: committed.toString() },
          );
        }
        if (reserve < info.reserveUsed) {
          throw chainCoded(
            "AllocationCapBelowIssued",
            `A cap of ${tonnes(cap)} with a ${percent(reserveBps)} reserve leaves a reserve of ${tonnes(reserve)} for ${year}, but ${tonnes(info.reserveUsed)} of it are already given out.`,
            { year, reserve: reserve.toString(), reserveUsed: info.reserveUsed.toString() },
          );
        }
        const previous = info.cap === 0n ? null : { cap: info.cap, reserveBps: info.reserveBps };
        const unchanged = previous !== null && previous.cap === cap && previous.reserveBps === reserveBps;
        const receipt = unchanged
          ? undefined
          : await send(session, sender, FN.setCap, (c) => c.allocation.setCap(year, cap, reserveBps, ZERO_FEE));
        const summary = `${tonnes(cap)}, of which the government reserve ${percent(reserveBps)} = ${tonnes(reserve)} and the free pool ${tonnes(freePool)}`;
        return {
          data: {
            year,
            cap: cap.toString(),
            reserveBps: Number(reserveBps),
            reserve: reserve.toString(),
            freePool: freePool.toString(),
            previous: previous && { cap: previous.cap.toString(), reserveBps: Number(previous.reserveBps) },
            changed: !unchanged,
            ...(receipt ? txData(receipt) : {}),
          },
          text: unchanged
            ? [`The cap of ${year} is already ${summary}; nothing was sent.`]
            : [
                `Cap of ${year} set: ${summary}.`,
                ...(previous
                  ? [`It replaces ${tonnes(previous.cap)} with a ${percent(previous.reserveBps)} reserve.`]
                  : []),
                txLine(receipt as TransactionReceipt),
              ],
        };
      }),
    );

  admin
    .command("coverage")
    .description(
      "list the entities an emissions history brings into the scheme, and whether each holds an active account on chain (read-only)",
    )
    .argument(
      "<history.json>",
      'emissions by entity: a JSON array of { entityId, sector, emissions: { "2009": t, … } }, an allocation input file, or the demo\'s entities.json',
    )
    .option(
      "--threshold <tonnes>",
      "tonnes CO2 in one year that bring an entity into scope",
      DEFAULT_COVERAGE_RULE.thresholdTonnes.toString(),
    )
    .option("--since <year>", "first year that counts", String(DEFAULT_COVERAGE_RULE.sinceYear))
    .action(
      action(async (session, [fileInput], o) => {
        const thresholdTonnes = parseAmount(o.threshold as string, "tonnes", "threshold");
        const sinceYear = parseYear(o.since as string, "first year (--since)");
        const file = path.resolve(session.deps.cwd, requireText(fileInput, "history file"));
        const covered = listCoveredEntities(readHistories(file), { thresholdTonnes, sinceYear });
        const { contracts } = await session.chain();
        const rows = await Promise.all(
          covered.map(async (entry) => {
            const entityId = BigInt(entry.entityId);
            const holder = await entityHolder(contracts, entityId);
            const first = entry.qualifyingYears[0] as { year: number; tonnes: bigint };
            return { entry, entityId, holder, first };
          }),
        );
        const withAccount = rows.filter((r) => r.holder.state === "active").length;
        const lines = rows.map((r) => {
          const years = `from ${r.first.year} (${tonnes(r.first.tonnes)})`;
          return `  ${String(r.entityId).padEnd(8)} ${r.entry.sector.padEnd(15)} ${years.padEnd(24)} ${holderText(session, r.holder)}`;
        });
        return {
          data: {
            rule: { thresholdTonnes: thresholdTonnes.toString(), sinceYear },
            file,
            covered: rows.length,
            withActiveAccount: withAccount,
            missing: rows.length - withAccount,
            entities: rows.map((r) => ({
              entityId: r.entityId.toString(),
              sector: r.entry.sector,
              qualifyingYears: r.entry.qualifyingYears.map((y) => ({ year: y.year, tonnes: y.tonnes.toString() })),
              status: r.holder.state,
              ...(r.holder.name !== undefined ? { registeredName: r.holder.name } : {}),
              ...(r.holder.category !== undefined ? { category: categoryLabel(r.holder.category) } : {}),
              ...(r.holder.wallet ? { wallet: r.holder.wallet } : {}),
            })),
          },
          text: [
            `${rows.length} ${rows.length === 1 ? "entity" : "entities"} emitted at least ${tonnes(thresholdTonnes)} CO2 in a year since ${sinceYear} and must hold an account:`,
            ...(lines.length ? lines : ["  none"]),
            `${withAccount} of ${rows.length} hold an active account as a covered entity; ${rows.length - withAccount} ${rows.length - withAccount === 1 ? "needs" : "need"} attention (register with ets admin register, open or unfreeze an account).`,
          ],
        };
      }),
    );

  admin
    .command("allocate")
    .description(
      "compute a year's allocation plan from its input file and issue it: cap, plan, then the entries; run it again to continue an interrupted issue [REGULATOR]",
    )
    .argument("<input.json>", "allocation input file (ets-allocation/1, see docs/allocation.md)")
    .option("--uri <url>", "where the input file is published, recorded on chain with the plan (default: none)")
    .option("--dry-run", "compute the plan and run every check, send nothing")
    .option("--chunk <n>", "plan entries per transaction (1-500)", String(ISSUE_CHUNK))
    .action(
      action(async (session, [fileInput], o) => {
        const dryRun = o.dryRun === true;
        const file = path.resolve(session.deps.cwd, requireText(fileInput, "allocation input file"));
        const input = readAllocationInput(file);
        const plan = computeAllocationPlan(input);
        const uri = o.uri === undefined ? "" : requireText(o.uri as string, "plan URI");
        const chunk = Number(parseWholeNumber(o.chunk as string, "chunk size (--chunk)", 1n, 500n));
        const sender = dryRun ? undefined : session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        const year = plan.year;
        const info = await contracts.allocation.yearInfo(year);
        const capOnChain = info.cap !== 0n;
        const planOnChain = info.planEntries !== 0n;
        if (sender) {
          if (!capOnChain) await requireRole(chain, sender, FN.setCap);
          if (!planOnChain) await requireRole(chain, sender, FN.registerPlan);
          await requireRole(chain, sender, FN.issue);
        }
        if (capOnChain && (info.cap !== plan.cap || Number(info.reserveBps) !== plan.reserveBps)) {
          throw chainCoded(
            "AllocationCapBelowIssued",
            `The cap of ${year} on chain is ${tonnes(info.cap)} with a ${percent(info.reserveBps)} reserve, but the input file says ${tonnes(plan.cap)} with ${percent(BigInt(plan.reserveBps))}: set the cap to the file's first (ets admin cap ${year} ${plan.cap} --reserve ${plan.reserveBps}bps) or correct the file.`,
            { year, cap: info.cap.toString(), planCap: plan.cap.toString() },
          );
        }
        if (planOnChain && (info.planHash !== plan.planHash || info.inputsHash !== plan.inputsHash)) {
          throw chainCoded(
            "AllocationPlanExists",
            `${year} already has a different allocation plan on chain (${info.planEntries} entries, ${tonnes(info.planTotal)}, plan hash ${info.planHash}); this file's plan hashes to ${plan.planHash}${info.planHash === plan.planHash ? " too, but its inputs differ" : ""}. A registered plan is never replaced: correct it with ets admin adjust and ets admin clawback.`,
            {
              year,
              onChain: { planHash: info.planHash, inputsHash: info.inputsHash },
              local: { planHash: plan.planHash, inputsHash: plan.inputsHash },
            },
          );
        }
        const alreadyIssued = planOnChain ? Number(info.entriesIssued) : 0;
        const recipients = await checkRecipients(contracts, plan, input, alreadyIssued);
        const sectors = sectorTotals(plan, input);
        const head = planLines(plan, file, sectors);
        const base = {
          year,
          file,
          uri: planOnChain ? info.planUri : uri,
          cap: plan.cap.toString(),
          reserveBps: plan.reserveBps,
          reserve: plan.reserve.toString(),
          freePool: plan.freePool.toString(),
          total: plan.total.toString(),
          entries: plan.entries.length,
          inputsHash: plan.inputsHash,
          planHash: plan.planHash,
          sectors: sectors.map((s) => ({ sector: s.sector, entities: s.entities, total: s.total.toString() })),
          allocations: plan.entries.map((e) => ({
            entityId: String(e.entityId),
            sector: sectorOf(input, e.entityId),
            method: e.method,
            base: e.base.toString(),
            adjustment: e.adjustment.toString(),
            newFacility: e.newFacility.toString(),
            amount: e.amount.toString(),
            ...(recipients.wallets.has(e.entityId) ? { wallet: recipients.wallets.get(e.entityId) } : {}),
          })),
          warnings: recipients.warnings,
        };
        const warningLines = recipients.warnings.map((w) => `Warning: ${w}`);

        if (dryRun) {
          const steps = [
            capOnChain
              ? "the cap is set already"
              : `would set the cap (${tonnes(plan.cap)}, ${percent(BigInt(plan.reserveBps))} reserve)`,
            planOnChain ? "the plan is registered already" : "would register the plan",
            info.planComplete
              ? "every entry is issued already"
              : `would issue ${plan.entries.length - alreadyIssued} of ${plan.entries.length} entries in ${Math.ceil((plan.entries.length - alreadyIssued) / chunk)} transaction(s)`,
          ];
          return {
            data: {
              ...base,
              dryRun: true,
              onChain: {
                capSet: capOnChain,
                planRegistered: planOnChain,
                entriesIssued: alreadyIssued,
                complete: info.planComplete,
              },
            },
            text: [
              ...head,
              ...plan.entries.map(
                (e) =>
                  `  ${String(e.entityId).padEnd(8)} ${sectorOf(input, e.entityId).padEnd(15)} ${e.method.padEnd(15)} ${tonnes(e.amount).padStart(16)}  ${recipients.wallets.has(e.entityId) ? `to ${named(recipients.wallets.get(e.entityId) as string, nameOf(session, recipients.wallets.get(e.entityId) as string))}` : "(issued)"}`,
              ),
              ...warningLines,
              `Dry run, nothing was sent: ${steps.join("; ")}.`,
            ],
          };
        }

        if (info.planComplete) {
          return {
            data: {
              ...base,
              dryRun: false,
              onChain: { capSet: true, planRegistered: true, entriesIssued: plan.entries.length, complete: true },
              capSet: false,
              planRegistered: false,
              issued: 0,
              transactions: [],
            },
            text: [
              ...head,
              ...warningLines,
              `The plan of ${year} is already issued in full (${plan.entries.length} entries); nothing was sent.`,
            ],
          };
        }

        const signer = sender as KeystoreEntry;
        const { contracts: signed } = await session.signer(signer);
        const steps: { step: string; tx: string; block: number }[] = [];
        let result: Awaited<ReturnType<typeof issueAllocationPlan>>;
        try {
          result = await issueAllocationPlan(signed, plan, {
            uri,
            chunk,
            onStep: (step, receipt) => steps.push({ step, ...txData(receipt) }),
          });
        } catch (err) {
          throw explainRole(err, signer, FN.issue, "call");
        }
        const lines = [...head, ...warningLines];
        if (result.capSet) lines.push(`Set the cap of ${year}: ${tonnes(plan.cap)}, reserve ${tonnes(plan.reserve)}.`);
        if (result.planRegistered) {
          lines.push(
            `Registered the plan: ${plan.entries.length} entries, ${tonnes(plan.total)}${uri ? `, published at ${uri}` : ""}.`,
          );
        }
        if (alreadyIssued > 0)
          lines.push(`Resumed: ${alreadyIssued} of ${plan.entries.length} entries were issued before.`);
        lines.push(
          `Issued ${result.issued} ${result.issued === 1 ? "entry" : "entries"}; ${result.entriesIssued} of ${plan.entries.length} are on chain${result.complete ? ": the plan is complete and its hash checks out" : ""}.`,
        );
        for (const s of steps) lines.push(`Transaction ${s.tx} (block ${s.block}, ${s.step}).`);
        return {
          data: {
            ...base,
            dryRun: false,
            onChain: {
              capSet: true,
              planRegistered: true,
              entriesIssued: result.entriesIssued,
              complete: result.complete,
            },
            capSet: result.capSet,
            planRegistered: result.planRegistered,
            issued: result.issued,
            transactions: steps,
          },
          text: lines,
        };
      }),
    );

  admin
    .command("adjust")
    .description(
      "issue allowances of a year from the government reserve to a covered entity: an ex-post adjustment, or a new entrant's allocation [REGULATOR]",
    )
    .argument("<year>", "the year (and vintage) whose reserve pays")
    .argument(
      "<entity>",
      "entity id, or a wallet of it (name or address): the allowances go to that wallet, else to the entity's first active account",
    )
    .argument("<tonnes>", "whole tonnes")
    .requiredOption("--reason <text>", "why (1-256 bytes, recorded on chain)")
    .action(
      action(async (session, [yearInput, entityInput, amountInput], o) => {
        const year = parseYear(yearInput);
        const entityRef = parseEntity(session, entityInput, "entity");
        const amount = parseAmount(amountInput ?? "", "tonnes");
        const reason = parseReason(o.reason as string, MAX_ALLOCATION_REASON, "AllocationInvalidReason");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.issueFromReserve);
        const info = await contracts.allocation.yearInfo(year);
        if (info.cap === 0n) {
          throw chainCoded(
            "AllocationCapNotSet",
            `The cap of ${year} is not set, so it has no reserve yet: set it first with ets admin cap.`,
            { year },
          );
        }
        const entity = await lookupEntity(contracts, entityRef, "entity");
        const wallet = await receivingWallet(contracts, entity);
        if (entity.category !== COVERED_CATEGORY) {
          throw chainCoded(
            "AllocationNotCoveredEntity",
            `${entityLabel(entity)} is registered as ${article(categoryLabel(entity.category))}, not as a covered entity: only covered entities receive allowances.`,
            { entityId: entity.entityId.toString() },
          );
        }
        const remaining = await contracts.allocation.reserveRemaining(year);
        if (amount > remaining) {
          throw chainCoded(
            "AllocationReserveExhausted",
            `${tonnes(amount)} asked of the ${year} reserve, but only ${tonnes(remaining)} of its ${tonnes(info.reserve)} remain.`,
            { year, requested: amount.toString(), remaining: remaining.toString() },
          );
        }
        const newEntrant = !(await contracts.allocation.isCovered(year, entity.entityId));
        const receipt = await send(session, sender, FN.issueFromReserve, (c) =>
          c.allocation.issueFromReserve(year, entity.entityId, wallet, amount, reason, ZERO_FEE),
        );
        const left = remaining - amount;
        return {
          data: {
            year,
            entityId: entity.entityId.toString(),
            entityName: entity.name,
            wallet,
            amount: amount.toString(),
            product: productName(year),
            newEntrant,
            reason,
            reserveRemaining: left.toString(),
            ...txData(receipt),
          },
          text: [
            `Issued ${tonnes(amount)} of ${productName(year)} from the ${year} reserve to ${entityLabel(entity)} at ${named(wallet, nameOf(session, wallet))}${newEntrant ? `, a new entrant: it is covered for ${year} from now on` : ""}; reason: ${reason}.`,
            `The ${year} reserve has ${tonnes(left)} left.`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("clawback")
    .description("take allowances of a vintage back from a holder and burn them [REGULATOR]")
    .argument("<vintage>", "2014 or TJEA14")
    .argument("<account>", "the holder: address or wallet name")
    .argument("<tonnes>", "whole tonnes, at most what the holder can spend (not locked by pending transfers)")
    .requiredOption("--reason <text>", "why (1-256 bytes, recorded on chain)")
    .action(
      action(async (session, [vintageInput, accountInput, amountInput], o) => {
        const vintage = parseVintage(vintageInput ?? "");
        const account = session.resolveAccount(accountInput ?? "", "account");
        const amount = parseAmount(amountInput ?? "", "tonnes");
        const reason = parseReason(o.reason as string, MAX_ALLOCATION_REASON, "AllocationInvalidReason");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.clawback);
        const [available, locked] = await Promise.all([
          contracts.allowances.availableBalanceOf(account.address, vintage),
          contracts.allowances.lockedBalanceOf(account.address, vintage),
        ]);
        if (amount > available) {
          throw chainCoded(
            "AllocationClawbackExceedsBalance",
            `${named(account.address, account.name)} holds ${tonnes(available + locked)} of ${productName(vintage)}${locked ? `, of which ${tonnes(locked)} are locked by its pending transfers` : ""}: ${tonnes(available)} can be clawed back, ${tonnes(amount)} were requested.`,
            {
              account: account.address,
              available: available.toString(),
              locked: locked.toString(),
              requested: amount.toString(),
            },
          );
        }
        const receipt = await send(session, sender, FN.clawback, (c) =>
          c.allocation.clawback(vintage, account.address, amount, reason, ZERO_FEE),
        );
        return {
          data: {
            vintage: Number(vintage),
            product: productName(vintage),
            account: account.address,
            amount: amount.toString(),
            reason,
            remaining: (available + locked - amount).toString(),
            ...txData(receipt),
          },
          text: [
            `Clawed back and burned ${tonnes(amount)} of ${productName(vintage)} from ${named(account.address, account.name)} (reason: ${reason}); it holds ${tonnes(available + locked - amount)} of it now.`,
            txLine(receipt),
          ],
        };
      }),
    );
}

// ─────────────────────────────── the compliance year and its rules ──────────────────────────────

function registerYear(admin: Command, action: Action): void {
  admin
    .command("open-year")
    .description("open a compliance year: its reporting calendar and offset rules [REGULATOR]")
    .argument("<year>", "the compliance year, 2000-2100")
    .requiredOption(
      "--reports-due <date>",
      "deadline of reports and their verification: YYYY-MM-DD (the end of that day, UTC) or an ISO 8601 time",
    )
    .requiredOption(
      "--surrender-due <date>",
      "surrender deadline (a date: the end of that day, UTC), not before --reports-due",
    )
    .option(
      "--reporting-opens <date>",
      "when reports may be submitted (a date: its start, UTC); default: 1 January after the year",
    )
    .option(
      "--offset-cap <share>",
      "CCER may cover at most this share of an obligation: 10% or 1000bps",
      DEFAULT_OFFSET_CAP,
    )
    .option(
      "--earliest-reduction <date>",
      "CCER count only if their reduction period starts on or after this date; default: any",
    )
    .option("--allow-hydro", "accept CCER of hydropower projects (refused by default, as in Tianjin)")
    .option(
      "--allowed-types <types>",
      "comma-separated project types accepted, as the batches record them (wind,solar); default: every type",
    )
    .option("--excluded-types <types>", "comma-separated project types refused; default: none")
    .action(
      action(async (session, [yearInput], o) => {
        const year = parseYear(yearInput);
        const reportDeadline = parseMoment(o.reportsDue as string, "report deadline (--reports-due)", "end");
        const surrenderDeadline = parseMoment(o.surrenderDue as string, "surrender deadline (--surrender-due)", "end");
        const reportingOpens =
          o.reportingOpens === undefined
            ? BigInt(Date.UTC(year + 1, 0, 1) / 1000)
            : parseMoment(o.reportingOpens as string, "reporting start (--reporting-opens)", "start");
        const capBps = parseOffsetCap(o.offsetCap as string);
        const earliest =
          o.earliestReduction === undefined
            ? 0n
            : parseMoment(o.earliestReduction as string, "earliest reduction start", "start");
        const allowed = parseTypes(o.allowedTypes as string | undefined, "--allowed-types");
        const excluded = parseTypes(o.excludedTypes as string | undefined, "--excluded-types");
        if (!(reportingOpens < reportDeadline && reportDeadline <= surrenderDeadline)) {
          throw chainCoded(
            "ReportingInvalidSchedule",
            `The calendar must run reporting opens (${when(reportingOpens)}) < report deadline (${when(reportDeadline)}) ≤ surrender deadline (${when(surrenderDeadline)}).`,
          );
        }
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.openYear);
        const { state } = await contracts.reporting.yearOf(year);
        if (state !== 0n) {
          throw chainCoded(
            "ReportingYearAlreadyOpen",
            `Compliance year ${year} was opened already${state === 2n ? " and is closed" : ""}; change its offset rules with ets admin offset-rules.`,
            { year },
          );
        }
        const rules = {
          capBps,
          earliestReductionStart: earliest,
          excludeHydro: o.allowHydro !== true,
          allowedTypes: allowed.map((t) => t.hash),
          excludedTypes: excluded.map((t) => t.hash),
        };
        const schedule = { reportingOpens, reportDeadline, surrenderDeadline };
        const receipt = await send(session, sender, FN.openYear, (c) =>
          c.compliance.openYear(year, schedule, rules, ZERO_FEE),
        );
        const covered = await contracts.allocation.coveredCount(year);
        const names = typeNames([...allowed, ...excluded]);
        return {
          data: {
            year,
            schedule: {
              reportingOpens: timeJson(reportingOpens),
              reportDeadline: timeJson(reportDeadline),
              surrenderDeadline: timeJson(surrenderDeadline),
            },
            offsetRules: rulesJson(rules, names),
            covered: Number(covered),
            ...txData(receipt),
          },
          text: [
            `Opened compliance year ${year}.`,
            `Reports may be submitted from ${when(reportingOpens)}; reports and their verification are due ${when(reportDeadline)}; surrender is due ${when(surrenderDeadline)}.`,
            ...rulesLines(rules, names),
            covered === 0n
              ? `No entity is covered in ${year} yet: issue the allocation (ets admin allocate) before reports are due.`
              : `${covered} ${covered === 1n ? "entity is" : "entities are"} covered in ${year}.`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("offset-rules")
    .description(
      "show the CCER rules of a compliance year; change them with the options, the others stay as they are [REGULATOR]",
    )
    .argument("<year>", "an open compliance year")
    .option("--offset-cap <share>", "CCER may cover at most this share of an obligation: 10% or 1000bps")
    .option("--earliest-reduction <date>", 'reduction periods must start on or after this date; "any" for no limit')
    .option("--allow-hydro", "accept hydropower projects")
    .option("--exclude-hydro", "refuse hydropower projects")
    .option("--allowed-types <types>", 'comma-separated project types accepted; "any" (or "") for every type')
    .option("--excluded-types <types>", 'comma-separated project types refused; "none" (or "") for none')
    .action(
      action(async (session, [yearInput], o) => {
        const year = parseYear(yearInput);
        if (o.allowHydro === true && o.excludeHydro === true) {
          throw clientError(
            "INVALID_USAGE",
            "Give --allow-hydro or --exclude-hydro, not both. Run the command with --help.",
          );
        }
        const capBps = o.offsetCap === undefined ? undefined : parseOffsetCap(o.offsetCap as string);
        const earliest =
          o.earliestReduction === undefined
            ? undefined
            : (o.earliestReduction as string).trim().toLowerCase() === "any"
              ? 0n
              : parseMoment(o.earliestReduction as string, "earliest reduction start", "start");
        const allowed =
          o.allowedTypes === undefined ? undefined : parseTypes(o.allowedTypes as string, "--allowed-types", "any");
        const excluded =
          o.excludedTypes === undefined ? undefined : parseTypes(o.excludedTypes as string, "--excluded-types", "none");
        const hydro = o.allowHydro === true ? false : o.excludeHydro === true ? true : undefined;
        const change = [capBps, earliest, allowed, excluded, hydro].some((v) => v !== undefined);
        const sender = change ? session.sender() : undefined;
        const chain = await session.chain();
        const { contracts } = chain;
        if (sender) await requireRole(chain, sender, FN.setOffsetRules);
        const close = await contracts.compliance.yearClose(year);
        if (!close.opened) {
          throw chainCoded(
            "ComplianceYearNotOpen",
            `Compliance year ${year} was never opened: open it with ets admin open-year.`,
            { year },
          );
        }
        const current = toRules(await contracts.compliance.offsetRules(year));
        const names = typeNames([...(allowed ?? []), ...(excluded ?? []), ...(await batchTypes(contracts))]);
        if (!change) {
          return {
            data: { year, closed: close.closed, offsetRules: rulesJson(current, names) },
            text: [
              `Offset rules of compliance year ${year}${close.closed ? " (closed)" : ""}:`,
              ...rulesLines(current, names),
            ],
          };
        }
        if (close.closed) {
          throw chainCoded(
            "ComplianceYearClosed",
            `Compliance year ${year} is closed: its results, and its rules, are final.`,
            { year },
          );
        }
        const next: OffsetRules = {
          capBps: capBps ?? current.capBps,
          earliestReductionStart: earliest ?? current.earliestReductionStart,
          excludeHydro: hydro ?? current.excludeHydro,
          allowedTypes: allowed ? allowed.map((t) => t.hash) : current.allowedTypes,
          excludedTypes: excluded ? excluded.map((t) => t.hash) : current.excludedTypes,
        };
        if (sameRules(current, next)) {
          return {
            data: { year, changed: false, offsetRules: rulesJson(current, names) },
            text: [`The offset rules of ${year} are already so; nothing was sent.`, ...rulesLines(current, names)],
          };
        }
        const receipt = await send(session, sender as KeystoreEntry, FN.setOffsetRules, (c) =>
          c.compliance.setOffsetRules(year, next, ZERO_FEE),
        );
        return {
          data: { year, changed: true, offsetRules: rulesJson(next, names), ...txData(receipt) },
          text: [
            `Offset rules of compliance year ${year} changed (surrenders already made stand):`,
            ...rulesLines(next, names),
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("penalties")
    .description("show the consequences of a compliance shortfall; change them with the options [REGULATOR]")
    .option("--flag-years <n>", "years an entity stays flagged after a shortfall, 0-100")
    .option("--fine <CNY>", "fine recorded per tonne of shortfall, CNY with at most two decimals (0 for none)")
    .action(
      action(async (session, _args, o) => {
        let flagYears: bigint | undefined;
        if (o.flagYears !== undefined) {
          flagYears = parseWholeNumber(o.flagYears as string, "number of years flagged (--flag-years)", 0n, 65_535n);
          if (flagYears > 100n) {
            throw chainCoded(
              "ComplianceInvalidPenalties",
              `Flagging an entity for ${flagYears} years is more than the 100 allowed.`,
              {
                flagYears: flagYears.toString(),
              },
            );
          }
        }
        const fine = o.fine === undefined ? undefined : parseFine(o.fine as string);
        const change = flagYears !== undefined || fine !== undefined;
        const sender = change ? session.sender() : undefined;
        const chain = await session.chain();
        if (sender) await requireRole(chain, sender, FN.setPenalties);
        const [currentYears, currentFine] = await chain.contracts.compliance.penalties();
        const nextYears = flagYears ?? currentYears;
        const nextFine = fine ?? currentFine;
        const unchanged = nextYears === currentYears && nextFine === currentFine;
        const receipt =
          change && !unchanged
            ? await send(session, sender as KeystoreEntry, FN.setPenalties, (c) =>
                c.compliance.setPenalties(nextYears, nextFine, ZERO_FEE),
              )
            : undefined;
        const sentence = `After a shortfall an entity is flagged for ${nextYears} ${nextYears === 1n ? "year" : "years"} (ineligible for preferential support) and fined ${formatAmount("cash", nextFine)} per tonne short; the shortfall itself is deducted from its next allocation.`;
        return {
          data: {
            flagYears: Number(nextYears),
            finePerTonne: nextFine.toString(),
            finePerTonneCny: formatYuan(nextFine),
            changed: receipt !== undefined,
            ...(receipt ? txData(receipt) : {}),
          },
          text: receipt
            ? ["Penalties changed; they apply to the years closed from now on.", sentence, txLine(receipt)]
            : [change ? `The penalties are already so; nothing was sent.` : "Penalties:", sentence],
        };
      }),
    );
}

// ─────────────────────────────────── verifiers and reports ─────────────────────────────────────

function registerReports(admin: Command, action: Action): void {
  admin
    .command("accredit")
    .description("accredit a verification body, or with --withdraw withdraw its accreditation [REGULATOR]")
    .argument("<verifierEntity>", "the verification body's entity id, or a wallet of it")
    .option("--withdraw", "withdraw the accreditation")
    .action(
      action(async (session, [input], o) => {
        const ref = parseEntity(session, input, "verifier");
        const accredit = o.withdraw !== true;
        const sender = session.sender();
        const chain = await session.chain();
        await requireRole(chain, sender, FN.setAccreditation);
        const verifier = await lookupEntity(chain.contracts, ref, "verifier");
        if (verifier.category !== VERIFIER_CATEGORY) {
          throw chainCoded(
            "ReportingNotVerifier",
            `${entityLabel(verifier)} is registered as ${article(categoryLabel(verifier.category))}, not as a verification body.`,
            { entityId: verifier.entityId.toString() },
          );
        }
        const current = await chain.contracts.reporting.isAccredited(verifier.entityId);
        const receipt =
          current === accredit
            ? undefined
            : await send(session, sender, FN.setAccreditation, (c) =>
                c.reporting.setAccreditation(verifier.entityId, accredit, ZERO_FEE),
              );
        const state = accredit ? "accredited" : "not accredited";
        return {
          data: {
            entityId: verifier.entityId.toString(),
            name: verifier.name,
            accredited: accredit,
            changed: receipt !== undefined,
            ...(receipt ? txData(receipt) : {}),
          },
          text: receipt
            ? [
                accredit
                  ? `Accredited ${entityLabel(verifier)}: it may be assigned to reports.`
                  : `Withdrew the accreditation of ${entityLabel(verifier)}: it can no longer be assigned or attest.`,
                txLine(receipt),
              ]
            : [`${capitalise(entityLabel(verifier))} is already ${state}; nothing was sent.`],
        };
      }),
    );

  admin
    .command("assign")
    .description("assign an accredited verifier to a covered entity's report for a year [REGULATOR]")
    .argument("<entity>", "the covered entity's id, or a wallet of it")
    .argument("<year>", "an open compliance year")
    .argument("<verifierEntity>", "the verification body's entity id, or a wallet of it")
    .action(
      action(async (session, [entityInput, yearInput, verifierInput]) => {
        const entityRef = parseEntity(session, entityInput, "entity");
        const year = parseYear(yearInput);
        const verifierRef = parseEntity(session, verifierInput, "verifier");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.assignVerifier);
        const entity = await lookupEntity(contracts, entityRef, "entity");
        const verifier = await lookupEntity(contracts, verifierRef, "verifier");
        await requireReportingOpen(contracts, year);
        if (!(await contracts.allocation.isCovered(year, entity.entityId))) {
          throw chainCoded(
            "ReportingNotCovered",
            `${capitalise(entityLabel(entity))} is not covered in ${year}: it has no allocation for that year, so it reports nothing.`,
            { entityId: entity.entityId.toString(), year },
          );
        }
        if (!(await contracts.reporting.isAccredited(verifier.entityId))) {
          throw chainCoded(
            "ReportingVerifierNotAccredited",
            verifier.category === VERIFIER_CATEGORY
              ? `Verification body ${verifier.entityId} "${verifier.name}" is not accredited: accredit it first (ets admin accredit ${verifier.entityId}).`
              : `${capitalise(entityLabel(verifier))} is ${article(categoryLabel(verifier.category))}, not a verification body: it cannot be accredited or assigned.`,
            { verifierEntityId: verifier.entityId.toString() },
          );
        }
        const report = await contracts.reporting.reportOf(entity.entityId, year);
        if (![0n, 1n, 4n].includes(report.status)) {
          throw chainCoded(
            "ReportingReportLocked",
            `${capitalise(entityLabel(entity))}'s report for ${year} is ${reportStatus(report.status)}: its verifier can no longer change.`,
            { entityId: entity.entityId.toString(), year },
          );
        }
        const previous = await contracts.reporting.assignedVerifier(entity.entityId, year);
        if (previous !== verifier.entityId) await requireRotation(contracts, entity, year, verifier);
        const receipt =
          previous === verifier.entityId
            ? undefined
            : await send(session, sender, FN.assignVerifier, (c) =>
                c.reporting.assignVerifier(entity.entityId, year, verifier.entityId, ZERO_FEE),
              );
        return {
          data: {
            entityId: entity.entityId.toString(),
            year,
            verifierEntityId: verifier.entityId.toString(),
            verifierName: verifier.name,
            previousVerifier: previous === 0n ? null : previous.toString(),
            changed: receipt !== undefined,
            ...(receipt ? txData(receipt) : {}),
          },
          text: receipt
            ? [
                `Assigned verification body ${verifier.entityId} "${verifier.name}" to ${entityLabel(entity)}'s report for ${year}${previous !== 0n ? ` (replacing ${previous})` : ""}.`,
                txLine(receipt),
              ]
            : [
                `Verification body ${verifier.entityId} is already assigned to ${entityLabel(entity)}'s report for ${year}; nothing was sent.`,
              ],
        };
      }),
    );

  admin
    .command("approve")
    .description(
      "approve a verified report: its verified total becomes the entity's obligation for the year [REGULATOR]",
    )
    .argument("<entity>", "the covered entity's id, or a wallet of it")
    .argument("<year>", "an open compliance year")
    .action(
      action(async (session, [entityInput, yearInput]) => {
        const entityRef = parseEntity(session, entityInput, "entity");
        const year = parseYear(yearInput);
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.approve);
        const entity = await lookupEntity(contracts, entityRef, "entity");
        await requireReportingOpen(contracts, year);
        const report = await contracts.reporting.reportOf(entity.entityId, year);
        requireUndecided(entity, year, report);
        if (report.status !== 2n) {
          const hint =
            report.status === 1n
              ? " it waits for the assigned verifier's attestation"
              : report.status === 4n
                ? " it was returned and waits for the entity to submit it again"
                : " the entity has not submitted it";
          throw chainCoded(
            "ReportingNotVerified",
            `${capitalise(entityLabel(entity))}'s report for ${year} is ${reportStatus(report.status)}: only a verified report can be approved, and${hint}.`,
            { entityId: entity.entityId.toString(), year },
          );
        }
        if (report.opinion === 3n) {
          throw chainCoded(
            "ReportingAdverseOpinion",
            `The verifier gave an adverse opinion on ${entityLabel(entity)}'s report for ${year}: return it (ets admin return ${entity.entityId} ${year} --reason "…") instead of approving it.`,
            { entityId: entity.entityId.toString(), year },
          );
        }
        const version = await contracts.reporting.reportVersion(entity.entityId, year, report.versions);
        const receipt = await send(session, sender, FN.approve, (c) =>
          c.reporting.approve(entity.entityId, year, ZERO_FEE),
        );
        return {
          data: {
            entityId: entity.entityId.toString(),
            year,
            version: Number(report.versions),
            reportedTotal: version.reportedTotal.toString(),
            verifiedTotal: report.verifiedTotal.toString(),
            obligation: report.verifiedTotal.toString(),
            verifierEntityId: report.verifier.toString(),
            opinion: OPINION[Number(report.opinion)] ?? "unknown",
            ...txData(receipt),
          },
          text: [
            `Approved ${entityLabel(entity)}'s report for ${year} (version ${report.versions}, verified by entity ${report.verifier} with a ${OPINION[Number(report.opinion)] ?? "?"} opinion): its obligation is ${tonnes(report.verifiedTotal)} (reported ${tonnes(version.reportedTotal)}).`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("return")
    .description("return a submitted or verified report to the entity, with a reason [REGULATOR]")
    .argument("<entity>", "the covered entity's id, or a wallet of it")
    .argument("<year>", "an open compliance year")
    .requiredOption("--reason <text>", "what to correct (1-512 bytes, recorded on chain)")
    .action(
      action(async (session, [entityInput, yearInput], o) => {
        const entityRef = parseEntity(session, entityInput, "entity");
        const year = parseYear(yearInput);
        const reason = parseReason(o.reason as string, MAX_REPORTING_REASON, "ReportingInvalidField");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.returnReport);
        const entity = await lookupEntity(contracts, entityRef, "entity");
        await requireReportingOpen(contracts, year);
        const report = await contracts.reporting.reportOf(entity.entityId, year);
        if (report.status !== 1n && report.status !== 2n) {
          throw chainCoded(
            "ReportingNothingToReturn",
            `${capitalise(entityLabel(entity))}'s report for ${year} is ${reportStatus(report.status)}: only a submitted or verified report can be returned.`,
            { entityId: entity.entityId.toString(), year },
          );
        }
        const receipt = await send(session, sender, FN.returnReport, (c) =>
          c.reporting.returnReport(entity.entityId, year, reason, ZERO_FEE),
        );
        return {
          data: {
            entityId: entity.entityId.toString(),
            year,
            version: Number(report.versions),
            reason,
            ...txData(receipt),
          },
          text: [
            `Returned ${entityLabel(entity)}'s report for ${year} (version ${report.versions}, ${reportStatus(report.status)}): ${reason}. The entity submits it again and the verifier attests again.`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("estimate")
    .description(
      "set a conservative estimate as an entity's obligation when no report was approved by the report deadline [REGULATOR]",
    )
    .argument("<entity>", "the covered entity's id, or a wallet of it")
    .argument("<year>", "an open compliance year whose report deadline has passed")
    .argument("<tonnes>", "the estimated emissions, whole tonnes")
    .requiredOption("--reason <text>", "the basis of the estimate (1-512 bytes, recorded on chain)")
    .action(
      action(async (session, [entityInput, yearInput, amountInput], o) => {
        const entityRef = parseEntity(session, entityInput, "entity");
        const year = parseYear(yearInput);
        const amount = parseAmount(amountInput ?? "", "tonnes", "estimate");
        const reason = parseReason(o.reason as string, MAX_REPORTING_REASON, "ReportingInvalidField");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.setEstimate);
        const entity = await lookupEntity(contracts, entityRef, "entity");
        const schedule = await requireReportingOpen(contracts, year);
        const now = await session.chainNow();
        if (now <= schedule.reportDeadline) {
          throw chainCoded(
            "ReportingDeadlineNotPassed",
            `An estimate for ${year} is allowed only after the report deadline, ${when(schedule.reportDeadline)}: until then ${entityLabel(entity)} may still report.`,
            { year, reportDeadline: timeJson(schedule.reportDeadline) },
          );
        }
        if (!(await contracts.allocation.isCovered(year, entity.entityId))) {
          throw chainCoded(
            "ReportingNotCovered",
            `${capitalise(entityLabel(entity))} is not covered in ${year}: it owes nothing for that year.`,
            { entityId: entity.entityId.toString(), year },
          );
        }
        requireUndecided(entity, year, await contracts.reporting.reportOf(entity.entityId, year));
        const receipt = await send(session, sender, FN.setEstimate, (c) =>
          c.reporting.setEstimate(entity.entityId, year, amount, reason, ZERO_FEE),
        );
        return {
          data: {
            entityId: entity.entityId.toString(),
            year,
            obligation: amount.toString(),
            reason,
            ...txData(receipt),
          },
          text: [
            `Set ${entityLabel(entity)}'s obligation for ${year} to the estimate of ${tonnes(amount)} (${reason}).`,
            txLine(receipt),
          ],
        };
      }),
    );
}

// ───────────────────────────────────────── the close ─────────────────────────────────────────

function registerClose(admin: Command, action: Action): void {
  admin
    .command("close-year")
    .description(
      "close a compliance year after its surrender deadline: every covered entity is compliant or in shortfall; resumable [REGULATOR]",
    )
    .argument("<year>", "the compliance year")
    .option("--batch <n>", `covered entities closed per transaction (1-${MAX_CLOSE_BATCH})`, DEFAULT_CLOSE_BATCH)
    .action(
      action(async (session, [yearInput], o) => {
        const year = parseYear(yearInput);
        const batch = parseWholeNumber(o.batch as string, "batch size (--batch)", 0n, MAX_CLOSE_BATCH);
        if (batch === 0n)
          throw chainCoded(
            "ComplianceInvalidBatchSize",
            "Close at least one entity per transaction: --batch 1 or more.",
          );
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.closeYear);
        const before = await contracts.compliance.yearClose(year);
        if (!before.opened) {
          throw chainCoded(
            "ComplianceYearNotOpen",
            `Compliance year ${year} was never opened: open it with ets admin open-year.`,
            { year },
          );
        }
        const covered = [...(await contracts.allocation.coveredEntities(year))];
        const transactions: { tx: string; block: number }[] = [];
        if (!before.closed) {
          const { schedule } = await contracts.reporting.yearOf(year);
          const now = await session.chainNow();
          if (now < schedule.surrenderDeadline) {
            throw chainCoded(
              "ComplianceDeadlineNotPassed",
              `${year} can be closed only after its surrender deadline, ${when(schedule.surrenderDeadline)}: entities may still surrender.`,
              { year, surrenderDeadline: timeJson(schedule.surrenderDeadline) },
            );
          }
          await requireObligations(contracts, year, covered.slice(Number(before.processed)));
          const { contracts: signed } = await session.signer(sender);
          let state = before;
          // Each call closes `batch` entities; the last one closes the year.
          for (let guard = 0; !state.closed && guard <= covered.length / Number(batch) + 1; guard++) {
            let receipt: TransactionReceipt;
            try {
              receipt = await confirm(() => signed.compliance.closeYear(year, batch, ZERO_FEE));
            } catch (err) {
              throw explainRole(err, sender, FN.closeYear, "call");
            }
            transactions.push(txData(receipt));
            state = await contracts.compliance.yearClose(year);
          }
        }
        const close = await contracts.compliance.yearClose(year);
        const results = await Promise.all(
          covered.map(async (entityId) => {
            const [p, entity, flagged] = await Promise.all([
              contracts.compliance.positionOf(entityId, year),
              contracts.registry.entityOf(entityId),
              contracts.compliance.flaggedUntil(entityId),
            ]);
            return { entityId, name: entity.name, p, flagged };
          }),
        );
        // The flag an entity in shortfall carries (none when the penalties flag for 0 years).
        const flaggedFor = (r: (typeof results)[number]): number | undefined =>
          r.p.status === 3n && r.flagged >= BigInt(year) ? Number(r.flagged) : undefined;
        const table = results.map((r) => {
          const surrendered = r.p.allowancesSurrendered + r.p.offsetsSurrendered;
          return (
            `  ${String(r.entityId).padEnd(8)} ${(RESULT_STATUS[Number(r.p.status)] ?? "?").padEnd(10)} ` +
            `${tonnes(r.p.obligation).padStart(14)} ${tonnes(surrendered).padStart(14)} ${tonnes(r.p.shortfall).padStart(12)} ` +
            `${formatAmount("cash", r.p.fine).padStart(16)}  ${(flaggedFor(r) ?? "").toString().padEnd(7)} ${r.name}`
          );
        });
        const summary = `${close.compliant} compliant, ${close.inShortfall} in shortfall, total shortfall ${tonnes(close.totalShortfall)}`;
        return {
          data: {
            year,
            closed: close.closed,
            alreadyClosed: before.closed,
            compliant: Number(close.compliant),
            inShortfall: Number(close.inShortfall),
            totalShortfall: close.totalShortfall.toString(),
            entities: results.map((r) => ({
              entityId: r.entityId.toString(),
              name: r.name,
              status: RESULT_STATUS[Number(r.p.status)] ?? "unknown",
              obligation: r.p.obligation.toString(),
              allowancesSurrendered: r.p.allowancesSurrendered.toString(),
              offsetsSurrendered: r.p.offsetsSurrendered.toString(),
              shortfall: r.p.shortfall.toString(),
              fine: r.p.fine.toString(),
              flaggedUntil: flaggedFor(r) ?? null,
            })),
            transactions,
          },
          text: [
            before.closed
              ? `Compliance year ${year} was closed already: ${summary}; nothing was sent.`
              : `Compliance year ${year} is closed: ${summary}.`,
            `  ${"entity".padEnd(8)} ${"status".padEnd(10)} ${"obligation".padStart(14)} ${"surrendered".padStart(14)} ${"shortfall".padStart(12)} ${"fine".padStart(16)}  ${"flagged".padEnd(7)} name`,
            ...table,
            ...(close.inShortfall > 0n
              ? [
                  "Each shortfall is deducted from the entity's next allocation; the entity stays flagged until the year shown.",
                ]
              : []),
            ...transactions.map((t) => `Transaction ${t.tx} (block ${t.block}).`),
          ],
        };
      }),
    );
}

// ─────────────────────────────────── sales from the reserve ────────────────────────────────────

function registerSales(admin: Command, action: Action): void {
  const auction = admin
    .command("auction")
    .description("auctions of reserve allowances: create and finalise (bidders use ets auction …)");

  auction
    .command("create")
    .description("create a sealed-bid, uniform-price auction of reserve allowances of a vintage [REGULATOR]")
    .argument("<vintage>", "2014 or TJEA14; its reserve supplies the units")
    .argument("<quantity>", "whole tonnes offered")
    .requiredOption("--reserve-price <CNY>", "lowest price accepted, CNY per tonne (at most two decimals)")
    .requiredOption(
      "--bidding-ends <when>",
      "end of the sealed bidding: a date or time, or a duration from now (90s, 15m, 26h, 2d)",
    )
    .requiredOption(
      "--reveal-ends <when>",
      "end of the reveal phase, after the bidding: a date or time, or a duration from now",
    )
    .action(
      action(async (session, [vintageInput, quantityInput], o) => {
        const vintage = parseVintage(vintageInput ?? "");
        const quantity = parseAmount(quantityInput ?? "", "tonnes", "quantity");
        const reservePrice = parseAmount(o.reservePrice as string, "yuan", "reserve price");
        const biddingSpec = parseWhen(o.biddingEnds as string, "end of bidding (--bidding-ends)", "end");
        const revealSpec = parseWhen(o.revealEnds as string, "end of the reveal phase (--reveal-ends)", "end");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.createAuction);
        const now = await session.chainNow();
        const biddingEnds = resolveWhen(biddingSpec, now);
        const revealEnds = resolveWhen(revealSpec, now);
        if (biddingEnds <= now) {
          throw chainCoded(
            "SalesInvalidParameters",
            `The bidding must end in the future; ${when(biddingEnds)} is not after the chain's time, ${when(now)}.`,
          );
        }
        if (revealEnds <= biddingEnds) {
          throw chainCoded(
            "SalesInvalidParameters",
            `The reveal phase must end after the bidding: ${when(revealEnds)} is not after ${when(biddingEnds)}.`,
          );
        }
        await requireReserve(contracts, vintage, quantity);
        const receipt = await send(session, sender, FN.createAuction, (c) =>
          c.sales.createAuction(vintage, quantity, reservePrice, biddingEnds, revealEnds, ZERO_FEE),
        );
        const auctionId = eventArg(contracts.sales.interface, receipt, "AuctionCreated", 0);
        return {
          data: {
            auctionId: auctionId.toString(),
            vintage: Number(vintage),
            product: productName(vintage),
            quantity: quantity.toString(),
            reservePrice: reservePrice.toString(),
            reservePriceCny: formatYuan(reservePrice),
            biddingEnds: timeJson(biddingEnds),
            revealEnds: timeJson(revealEnds),
            ...txData(receipt),
          },
          text: [
            `Created auction ${auctionId}: ${tonnes(quantity)} of ${productName(vintage)} from the ${vintage} reserve, reserve price ${formatAmount("cash", reservePrice)}/t.`,
            `Sealed bids until ${when(biddingEnds)}; reveals until ${when(revealEnds)}; then anyone may finalise it: ets admin auction finalise ${auctionId}`,
            txLine(receipt),
          ],
        };
      }),
    );

  auction
    .command("finalise")
    .alias("finalize")
    .description("fix the clearing price of an auction whose reveal phase is over (anyone may)")
    .argument("<auctionId>", "the auction's number")
    .action(
      action(async (session, [idInput]) => {
        const auctionId = parseWholeNumber(idInput ?? "", "auction id", 1n, UINT64_MAX);
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        if (auctionId > (await contracts.sales.auctionCount())) {
          throw chainCoded("SalesUnknownAuction", `There is no auction ${auctionId}.`, {
            auctionId: auctionId.toString(),
          });
        }
        const a = await contracts.sales.auction(auctionId);
        if (a.state === 2n) {
          throw chainCoded(
            "SalesWrongPhase",
            `Auction ${auctionId} is finalised already: ${tonnes(a.sold)} sold at ${formatAmount("cash", a.clearingPrice)}/t.`,
            { auctionId: auctionId.toString() },
          );
        }
        const now = await session.chainNow();
        if (now < a.revealEnds) {
          throw chainCoded(
            "SalesWrongPhase",
            `Auction ${auctionId} can be finalised only after its reveal phase, which ends ${when(a.revealEnds)}.`,
            { auctionId: auctionId.toString(), revealEnds: timeJson(a.revealEnds) },
          );
        }
        const receipt = await send(session, sender, undefined, (c) => c.sales.finalise(auctionId, ZERO_FEE));
        const f = await contracts.sales.auction(auctionId);
        const unsold = f.quantity - f.sold;
        const proRata = f.sold > 0n && f.marginalSupply < f.marginalDemand;
        return {
          data: {
            auctionId: auctionId.toString(),
            vintage: Number(f.vintage),
            product: productName(f.vintage),
            quantity: f.quantity.toString(),
            bids: Number(f.bids),
            revealed: Number(f.revealed),
            clearingPrice: f.clearingPrice.toString(),
            clearingPriceCny: formatYuan(f.clearingPrice),
            sold: f.sold.toString(),
            unsold: unsold.toString(),
            marginalDemand: f.marginalDemand.toString(),
            marginalSupply: f.marginalSupply.toString(),
            ...txData(receipt),
          },
          text: [
            f.sold === 0n
              ? `Auction ${auctionId} (${productName(f.vintage)}) finalised with no sale (${f.revealed} of ${f.bids} bids revealed); its ${tonnes(f.quantity)} go back to the reserve.`
              : `Auction ${auctionId} (${productName(f.vintage)}) finalised: ${tonnes(f.sold)} of ${tonnes(f.quantity)} sold at a clearing price of ${formatAmount("cash", f.clearingPrice)}/t (${f.revealed} of ${f.bids} bids revealed)${unsold > 0n ? `; ${tonnes(unsold)} go back to the reserve` : ""}.`,
            ...(proRata
              ? [
                  `Bids at the clearing price share ${tonnes(f.marginalSupply)} pro rata (${tonnes(f.marginalDemand)} were bid at it).`,
                ]
              : []),
            ...(f.bids > 0n
              ? ["Each bid can now be settled by anyone: its units, its payment and its refund (ets auction settle)."]
              : []),
            txLine(receipt),
          ],
        };
      }),
    );

  const sale = admin.command("sale").description("fixed-price sales of reserve allowances (market stabilisation)");

  sale
    .command("create")
    .description("offer reserve allowances of a vintage at one price, first come first served [REGULATOR]")
    .argument("<vintage>", "2014 or TJEA14; its reserve supplies the units")
    .argument("<quantity>", "whole tonnes offered")
    .requiredOption("--price <CNY>", "price per tonne, CNY (at most two decimals)")
    .requiredOption("--opens <when>", 'start: a date (its start, UTC) or time, a duration from now, or "now"')
    .requiredOption("--closes <when>", "end: a date (its end, UTC) or time, or a duration from now")
    .option("--max-per-buyer <tonnes>", "most one buyer may buy; default: no limit")
    .action(
      action(async (session, [vintageInput, quantityInput], o) => {
        const vintage = parseVintage(vintageInput ?? "");
        const quantity = parseAmount(quantityInput ?? "", "tonnes", "quantity");
        const price = parseAmount(o.price as string, "yuan", "price");
        const opensSpec = parseWhen(o.opens as string, "opening (--opens)", "start");
        const closesSpec = parseWhen(o.closes as string, "closing (--closes)", "end");
        const maxPerBuyer =
          o.maxPerBuyer === undefined ? 0n : parseAmount(o.maxPerBuyer as string, "tonnes", "maximum per buyer");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireRole(chain, sender, FN.createFixedSale);
        const now = await session.chainNow();
        const opensAt = resolveWhen(opensSpec, now);
        const closesAt = resolveWhen(closesSpec, now);
        if (closesAt <= opensAt || closesAt <= now) {
          throw chainCoded(
            "SalesInvalidParameters",
            closesAt <= opensAt
              ? `The sale must close after it opens: ${when(closesAt)} is not after ${when(opensAt)}.`
              : `The sale must close in the future; ${when(closesAt)} is not after the chain's time, ${when(now)}.`,
          );
        }
        await requireReserve(contracts, vintage, quantity);
        const receipt = await send(session, sender, FN.createFixedSale, (c) =>
          c.sales.createFixedSale(vintage, quantity, price, opensAt, closesAt, maxPerBuyer, ZERO_FEE),
        );
        const saleId = eventArg(contracts.sales.interface, receipt, "FixedSaleCreated", 0);
        return {
          data: {
            saleId: saleId.toString(),
            vintage: Number(vintage),
            product: productName(vintage),
            quantity: quantity.toString(),
            price: price.toString(),
            priceCny: formatYuan(price),
            opensAt: timeJson(opensAt),
            closesAt: timeJson(closesAt),
            maxPerBuyer: maxPerBuyer === 0n ? null : maxPerBuyer.toString(),
            ...txData(receipt),
          },
          text: [
            `Created fixed-price sale ${saleId}: ${tonnes(quantity)} of ${productName(vintage)} from the ${vintage} reserve at ${formatAmount("cash", price)}/t${maxPerBuyer ? `, at most ${tonnes(maxPerBuyer)} per buyer` : ""}.`,
            `Open from ${when(opensAt)} until ${when(closesAt)}; what is not sold then goes back to the reserve.`,
            txLine(receipt),
          ],
        };
      }),
    );
}

// ─────────────────────────────────────────── helpers ───────────────────────────────────────────

/**
 * Checks before anything is unlocked that `sender` may call the function now (the AccessManager's
 * `canCall`), so that a wallet without the role gets UNAUTHORISED_ROLE naming it, and no prompt.
 */
async function requireRole(chain: Chain, sender: KeystoreEntry, needs: Needs): Promise<void> {
  const [contract, fn] = needs;
  const target = chain.manifest.contracts[contract];
  const [immediate] = await chain.contracts.authority.canCall(sender.address, target, selectorHash(fn).slice(0, 10));
  if (!immediate) {
    throw chainCoded("AccessManagedUnauthorized", roleSentence(sender, needs), {
      account: sender.address,
      role: roleOf(needs),
    });
  }
}

/**
 * Unlocks the sender, sends one call and waits for it. A revert for a missing role (a race with the
 * check above) keeps its code and names the role the call needs (from `sdk/permissions.ts`).
 */
async function send(
  session: Session,
  sender: KeystoreEntry,
  needs: Needs | undefined,
  call: (c: Contracts) => Promise<ContractTransactionResponse>,
): Promise<TransactionReceipt> {
  if (needs) return adminSend(session, sender, needs, call);
  const { contracts } = await session.signer(sender);
  return confirm(() => call(contracts));
}

function roleOf([contract, fn]: Needs): string {
  return (PERMISSIONS as Partial<Record<ContractName, Record<string, string>>>)[contract]?.[fn] ?? "required";
}

function roleSentence(sender: KeystoreEntry, needs: Needs): string {
  const [contract, fn] = needs;
  return `Wallet ${named(sender.address, sender.name)} does not hold the ${roleOf(needs)} role that ${fn.slice(0, fn.indexOf("("))} on ${contract} needs.`;
}

/** A compliance year or vintage, 2000-2100, as the contracts accept it. */
function parseYear(input: string | undefined, what = "year"): number {
  const text = (input ?? "").trim();
  const year = /^\d{4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(year >= 2000 && year <= 2100)) {
    throw chainCoded(
      "AllocationInvalidYear",
      `The ${what} "${input ?? ""}" is not a year of the scheme: give 2000 to 2100, e.g. 2014.`,
      {
        field: what,
      },
    );
  }
  return year;
}

/** A share typed as a percentage ("6%", "6.25%", "6") or in basis points ("600bps"), in basis points. */
function parseShare(input: string, what: string): bigint {
  const text = input.trim().toLowerCase();
  const bps = /^(\d{1,9})\s*(?:bps?|bp)$/.exec(text);
  if (bps) return BigInt(bps[1] ?? "0");
  const pct = /^(\d{1,7})(?:\.(\d{1,2}))?\s*%?$/.exec(text);
  if (pct) return BigInt(pct[1] ?? "0") * 100n + BigInt((pct[2] ?? "").padEnd(2, "0"));
  throw clientError(
    "INVALID_SHARE",
    `The ${what} "${input}" is not a share: give a percentage with at most two decimals (6%, 6.25%) or basis points (600bps).`,
    { field: what },
  );
}

function parseOffsetCap(input: string): bigint {
  const capBps = parseShare(input, "offset cap");
  if (capBps > BPS) {
    throw chainCoded(
      "ComplianceInvalidOffsetCap",
      `An offset cap of ${percent(capBps)} is more than the whole obligation; give at most 100% (10000bps).`,
      { capBps: capBps.toString() },
    );
  }
  return capBps;
}

/** A fine per tonne in CNY; unlike an amount, 0 is allowed (no fine, as in Tianjin 2013). */
function parseFine(input: string): bigint {
  if (/^\s*0*(\.0*)?\s*$/.test(input) && /\d/.test(input)) return 0n;
  return parseAmount(input, "yuan", "fine per tonne");
}

/** A reason recorded on chain: not empty, at most `max` bytes of UTF-8 (else the contract's error). */
function parseReason(input: string, max: number, error: "AllocationInvalidReason" | "ReportingInvalidField"): string {
  const reason = requireText(input, "reason");
  const bytes = Buffer.byteLength(reason, "utf8");
  if (bytes > max) {
    throw chainCoded(error, `The reason must be 1 to ${max} bytes of UTF-8; it has ${bytes}.`, { field: "reason" });
  }
  return reason;
}

interface ProjectType {
  name: string;
  hash: string;
}

/**
 * A comma-separated list of CCER project types, each hashed as the Compliance contract compares them:
 * keccak256 of its UTF-8 text, exactly as the batch records it. `clear` (or "") is the empty list.
 */
function parseTypes(input: string | undefined, flag: string, clear?: string): ProjectType[] {
  if (input === undefined) return [];
  const text = input.trim();
  if (text === "" || (clear !== undefined && text.toLowerCase() === clear)) return [];
  const names = text.split(",").map((t) => t.trim());
  if (names.some((n) => n === "")) {
    throw clientError(
      "MISSING_VALUE",
      `A project type in ${flag} is empty: give names separated by single commas, e.g. wind,solar.`,
      {
        field: flag,
      },
    );
  }
  const unique = [...new Set(names)];
  if (unique.length > MAX_PROJECT_TYPES) {
    throw chainCoded(
      "ComplianceInvalidText",
      `${flag} lists ${unique.length} project types; at most ${MAX_PROJECT_TYPES} are allowed.`,
      {
        field: flag,
      },
    );
  }
  return unique.map((name) => ({ name, hash: keccak256(toUtf8Bytes(name)) }));
}

/** Common CCER project types, to show a rule's hashes by name when no batch on chain has the type yet. */
const COMMON_PROJECT_TYPES = [
  "wind",
  "solar",
  "hydro",
  "biomass",
  "methane",
  "landfill gas",
  "coal mine methane",
  "waste heat",
  "energy efficiency",
  "fuel switch",
  "geothermal",
  "forestry",
];

/** Names of project-type hashes: those typed, common ones, and (when given) the types of the batches on chain. */
function typeNames(types: readonly ProjectType[]): Map<string, string> {
  const common = COMMON_PROJECT_TYPES.map((name) => ({ name, hash: keccak256(toUtf8Bytes(name)) }));
  return new Map([...common, ...types].map((t) => [t.hash, t.name]));
}

async function batchTypes(contracts: Contracts): Promise<ProjectType[]> {
  const count = Number(await contracts.offsets.batchCount());
  const ids = Array.from({ length: Math.min(count, 500) }, (_, i) => i + 1);
  const types = await Promise.all(ids.map(async (i) => (await contracts.offsets.batch(i)).projectType));
  return [...new Set(types)].map((name) => ({ name, hash: keccak256(toUtf8Bytes(name)) }));
}

interface OffsetRules {
  capBps: bigint;
  earliestReductionStart: bigint;
  excludeHydro: boolean;
  allowedTypes: string[];
  excludedTypes: string[];
}

function toRules(r: {
  capBps: bigint;
  earliestReductionStart: bigint;
  excludeHydro: boolean;
  allowedTypes: readonly string[];
  excludedTypes: readonly string[];
}): OffsetRules {
  return {
    capBps: r.capBps,
    earliestReductionStart: r.earliestReductionStart,
    excludeHydro: r.excludeHydro,
    allowedTypes: [...r.allowedTypes],
    excludedTypes: [...r.excludedTypes],
  };
}

function sameRules(a: OffsetRules, b: OffsetRules): boolean {
  const list = (l: readonly string[]) =>
    [...l]
      .map((h) => h.toLowerCase())
      .sort()
      .join();
  return (
    a.capBps === b.capBps &&
    a.earliestReductionStart === b.earliestReductionStart &&
    a.excludeHydro === b.excludeHydro &&
    list(a.allowedTypes) === list(b.allowedTypes) &&
    list(a.excludedTypes) === list(b.excludedTypes)
  );
}

function rulesJson(r: OffsetRules, names: Map<string, string>) {
  const types = (l: readonly string[]) => l.map((hash) => ({ hash, name: names.get(hash) ?? null }));
  return {
    offsetCapBps: Number(r.capBps),
    offsetCap: percent(r.capBps),
    earliestReductionStart: r.earliestReductionStart === 0n ? null : timeJson(r.earliestReductionStart),
    excludeHydro: r.excludeHydro,
    allowedTypes: types(r.allowedTypes),
    excludedTypes: types(r.excludedTypes),
  };
}

function rulesLines(r: OffsetRules, names: Map<string, string>): string[] {
  const list = (l: readonly string[]) => l.map((h) => names.get(h) ?? `${h.slice(0, 10)}…`).join(", ");
  return [
    `  CCER may cover at most ${percent(r.capBps)} of an entity's obligation.`,
    `  ${r.earliestReductionStart === 0n ? "Reduction periods may start at any time" : `Reduction periods must start on or after ${when(r.earliestReductionStart)}`}; hydropower is ${r.excludeHydro ? "refused" : "accepted"}.`,
    `  Project types accepted: ${r.allowedTypes.length ? list(r.allowedTypes) : "every type"}; refused: ${r.excludedTypes.length ? list(r.excludedTypes) : "none"}.`,
  ];
}

/** A point in time: a date (the start or the end of that day, UTC) or a full ISO 8601 time. */
function parseMoment(input: string, what: string, part: "start" | "end"): bigint {
  const text = input.trim();
  const start = parseDate(text, what);
  return part === "end" && /^\d{4}-\d{2}-\d{2}$/.test(text) ? start + 86_399n : start;
}

type When = { at: bigint } | { after: bigint };

/** A point in time typed as a date or time ({@link parseMoment}), a duration from now (2d), or "now". */
function parseWhen(input: string, what: string, part: "start" | "end"): When {
  const text = input.trim();
  if (text.toLowerCase() === "now") return { after: 0n };
  if (/^\d+\s*[smhd]$/i.test(text)) return { after: parseDuration(text, what) };
  try {
    return { at: parseMoment(text, what, part) };
  } catch {
    throw clientError(
      "INVALID_DATE",
      `The ${what} "${input}" is neither a date or time (2014-06-30, 2014-06-30T15:00:00+08:00) nor a duration from now (90s, 15m, 26h, 2d).`,
      { field: what },
    );
  }
}

function resolveWhen(w: When, now: bigint): bigint {
  return "at" in w ? w.at : now + w.after;
}

type EntityInput = { kind: "id"; entityId: bigint } | { kind: "wallet"; account: AccountRef };

interface EntityView {
  entityId: bigint;
  name: string;
  category: number;
  sector: number;
  /** The wallet the entity was named by, if it was. */
  wallet?: AccountRef;
}

/** An entity typed as its registry id (digits) or as one of its wallets (name or address). */
function parseEntity(session: Session, input: string | undefined, what: string): EntityInput {
  const text = (input ?? "").trim();
  if (/^\d+$/.test(text)) return { kind: "id", entityId: parseWholeNumber(text, `${what} id`, 1n, UINT64_MAX) };
  return { kind: "wallet", account: session.resolveAccount(text, what) };
}

async function lookupEntity(contracts: Contracts, ref: EntityInput, what: string): Promise<EntityView> {
  let entityId: bigint;
  let wallet: AccountRef | undefined;
  if (ref.kind === "id") {
    entityId = ref.entityId;
  } else {
    const account = await contracts.registry.accountOf(ref.account.address);
    if (account.status === 0n) {
      throw chainCoded(
        "RegistryUnknownAccount",
        `The ${what} ${named(ref.account.address, ref.account.name)} has no registry account, so it names no entity: give an entity id or a registered wallet.`,
        { account: ref.account.address },
      );
    }
    entityId = account.entityId;
    wallet = ref.account;
  }
  const entity = await contracts.registry.entityOf(entityId);
  if (entity.category === 0n) {
    throw chainCoded("RegistryUnknownEntity", `No entity is registered with id ${entityId}.`, {
      entityId: entityId.toString(),
    });
  }
  return {
    entityId,
    name: entity.name,
    category: Number(entity.category),
    sector: Number(entity.sector),
    ...(wallet ? { wallet } : {}),
  };
}

/** Where allowances for an entity go: the wallet it was named by (if active), else its first active account. */
async function receivingWallet(contracts: Contracts, entity: EntityView): Promise<string> {
  if (entity.wallet) {
    if (!(await contracts.registry.isActive(entity.wallet.address))) {
      throw chainCoded(
        "AllocationWalletNotOfEntity",
        `${named(entity.wallet.address, entity.wallet.name)} is not an active account of ${entityLabel(entity)}: it is frozen or closed.`,
        { wallet: entity.wallet.address, entityId: entity.entityId.toString() },
      );
    }
    return entity.wallet.address;
  }
  for (const wallet of await contracts.registry.walletsOf(entity.entityId)) {
    if (await contracts.registry.isActive(wallet)) return wallet;
  }
  throw chainCoded(
    "AllocationWalletNotOfEntity",
    `${capitalise(entityLabel(entity))} has no active account to receive allowances; open or unfreeze one first.`,
    { entityId: entity.entityId.toString() },
  );
}

function entityLabel(e: { entityId: bigint; name: string }): string {
  return `entity ${e.entityId} "${e.name}"`;
}

/**
 * The rotation rule of `assignVerifier`: the years next to `year` (before it, then after it) that
 * the same verifier is assigned to for the entity, counted as the contract counts them, must stay
 * below the maximum of consecutive years. Names those years.
 */
async function requireRotation(
  contracts: Contracts,
  entity: EntityView,
  year: number,
  verifier: EntityView,
): Promise<void> {
  const max = Number(await contracts.reporting.maxConsecutiveYears());
  const years: number[] = [];
  const same = async (y: number) =>
    (await contracts.reporting.assignedVerifier(entity.entityId, y)) === verifier.entityId;
  for (let y = year - 1; y >= 2000 && years.length < max && (await same(y)); y--) years.unshift(y);
  for (let y = year + 1; y <= 2100 && years.length < max && (await same(y)); y++) years.push(y);
  if (years.length < max) return;
  const list =
    years.length === 1 ? String(years[0]) : `${years.slice(0, -1).join(", ")} and ${years[years.length - 1]}`;
  throw chainCoded(
    "ReportingVerifierRotationRequired",
    `Verification body ${verifier.entityId} "${verifier.name}" is assigned to ${entityLabel(entity)} for ${list}: with ${year} that would make ${years.length + 1} consecutive years, more than the ${max} allowed. Assign another verifier for ${year}.`,
    {
      entityId: entity.entityId.toString(),
      verifierEntityId: verifier.entityId.toString(),
      consecutiveYears: years.length,
      max,
    },
  );
}

/** Requires the reporting year open (the contract's `_requireOpen`); returns its calendar. */
async function requireReportingOpen(
  contracts: Contracts,
  year: number,
): Promise<{ reportingOpens: bigint; reportDeadline: bigint; surrenderDeadline: bigint }> {
  const { schedule, state } = await contracts.reporting.yearOf(year);
  if (state === 2n) {
    throw chainCoded("ReportingYearClosed", `Compliance year ${year} is closed: its reports and decisions are final.`, {
      year,
    });
  }
  if (state !== 1n) {
    throw chainCoded(
      "ReportingYearNotOpen",
      `Compliance year ${year} was never opened: open it with ets admin open-year.`,
      { year },
    );
  }
  return schedule;
}

function requireUndecided(
  entity: EntityView,
  year: number,
  report: { obligationSet: boolean; status: bigint; obligation: bigint },
): void {
  if (report.obligationSet) {
    throw chainCoded(
      "ReportingAlreadyDecided",
      `${capitalise(entityLabel(entity))}'s obligation for ${year} is fixed already: ${tonnes(report.obligation)} (${reportStatus(report.status)}).`,
      { entityId: entity.entityId.toString(), year },
    );
  }
}

/** Every covered entity left to close must have its obligation fixed; names those that do not. */
async function requireObligations(contracts: Contracts, year: number, entityIds: readonly bigint[]): Promise<void> {
  const missing = (
    await Promise.all(
      entityIds.map(async (entityId) => {
        const [report, entity] = await Promise.all([
          contracts.reporting.reportOf(entityId, year),
          contracts.registry.entityOf(entityId),
        ]);
        return { entityId, name: entity.name, report };
      }),
    )
  ).filter((e) => !e.report.obligationSet);
  if (missing.length === 0) return;
  const list = some(
    missing.map((e) => `${e.entityId} "${e.name}" (report ${reportStatus(e.report.status)})`),
    ", ",
  );
  throw chainCoded(
    "ComplianceObligationNotSet",
    `${missing.length} covered ${missing.length === 1 ? "entity has" : "entities have"} no obligation for ${year} yet and ${missing.length === 1 ? "blocks" : "block"} the close: ${list}. Approve their reports (ets admin approve <entity> ${year}) or set estimates (ets admin estimate <entity> ${year} <tonnes> --reason "…") first.`,
    { year, entities: missing.map((e) => e.entityId.toString()) },
  );
}

/** Requires the vintage's reserve to hold `quantity` (a sale draws it at creation). */
async function requireReserve(contracts: Contracts, vintage: bigint, quantity: bigint): Promise<void> {
  const info = await contracts.allocation.yearInfo(vintage);
  if (info.cap === 0n) {
    throw chainCoded(
      "AllocationCapNotSet",
      `The cap of ${vintage} is not set, so it has no reserve to sell: set it first with ets admin cap.`,
      {
        year: Number(vintage),
      },
    );
  }
  const remaining = await contracts.allocation.reserveRemaining(vintage);
  if (quantity > remaining) {
    throw chainCoded(
      "AllocationReserveExhausted",
      `${tonnes(quantity)} asked of the ${vintage} reserve, but only ${tonnes(remaining)} of its ${tonnes(info.reserve)} remain.`,
      { year: Number(vintage), requested: quantity.toString(), remaining: remaining.toString() },
    );
  }
}

function eventArg(
  iface: Contracts["sales"]["interface"],
  receipt: TransactionReceipt,
  event: "AuctionCreated" | "FixedSaleCreated",
  index: number,
): bigint {
  for (const log of receipt.logs) {
    const parsed = iface.parseLog(log);
    if (parsed?.name === event) return parsed.args[index] as bigint;
  }
  return 0n;
}

/** Reads an emissions history file: an array, an allocation input (`entities`) or the demo data (`coveredEntities`). */
function readHistories(file: string): EmissionsHistory[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw clientError("FILE_UNREADABLE", `Cannot read the emissions history ${file}: ${(err as Error).message}`, {
      file,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw allocationInputInvalid(`emissions history ${file}`, [
      { path: "(file)", message: `not JSON (${(err as Error).message})` },
    ]);
  }
  if (Array.isArray(value)) return value as EmissionsHistory[];
  const obj = value as { entities?: unknown; coveredEntities?: unknown } | null;
  const list = obj?.entities ?? obj?.coveredEntities;
  if (Array.isArray(list)) return list as EmissionsHistory[];
  throw allocationInputInvalid(`emissions history ${file}`, [
    {
      path: "(file)",
      message: "expected an array of entities, or an object with an entities or coveredEntities array",
    },
  ]);
}

type Holder =
  | { state: "active"; name: string; category: number; sector: number; wallet: string }
  | { state: "not-registered"; name?: undefined; category?: undefined; wallet?: undefined }
  | { state: "not-a-covered-entity"; name: string; category: number; wallet?: undefined }
  | { state: "no-active-account"; name: string; category: number; wallet?: undefined };

/** Whether an entity id is registered as a covered entity with an active account. */
async function entityHolder(contracts: Contracts, entityId: bigint): Promise<Holder> {
  const entity = await contracts.registry.entityOf(entityId);
  const category = Number(entity.category);
  if (category === 0) return { state: "not-registered" };
  if (category !== COVERED_CATEGORY) return { state: "not-a-covered-entity", name: entity.name, category };
  for (const wallet of await contracts.registry.walletsOf(entityId)) {
    if (await contracts.registry.isActive(wallet)) {
      return { state: "active", name: entity.name, category, sector: Number(entity.sector), wallet };
    }
  }
  return { state: "no-active-account", name: entity.name, category };
}

function holderText(session: Session, h: Holder): string {
  switch (h.state) {
    case "active":
      return `active account ${named(h.wallet, nameOf(session, h.wallet))}, "${h.name}"`;
    case "not-registered":
      return "NOT REGISTERED";
    case "not-a-covered-entity":
      return `REGISTERED AS ${article(categoryLabel(h.category)).toUpperCase()}, "${h.name}"`;
    case "no-active-account":
      return `NO ACTIVE ACCOUNT (frozen or closed), "${h.name}"`;
    default: {
      const never: never = h;
      return String(never);
    }
  }
}

interface Recipients {
  /** Entity id → the wallet its entry goes to, for the entries not issued yet. */
  wallets: Map<number, string>;
  warnings: string[];
}

/**
 * Checks, before anything is sent, that every entry not issued yet can be: its entity is registered
 * as a covered entity with an active account (the Allocation contract's own checks, in its order).
 * Names every entity that fails, not just the first.
 */
async function checkRecipients(
  contracts: Contracts,
  plan: AllocationPlan,
  input: AllocationInput,
  alreadyIssued: number,
): Promise<Recipients> {
  const pending = plan.entries.slice(alreadyIssued);
  const checked = await Promise.all(
    pending.map(async (e) => ({ entityId: e.entityId, holder: await entityHolder(contracts, BigInt(e.entityId)) })),
  );
  const problems: {
    entityId: number;
    error: "AllocationWalletNotOfEntity" | "AllocationNotCoveredEntity";
    text: string;
  }[] = [];
  const wallets = new Map<number, string>();
  const warnings: string[] = [];
  for (const { entityId, holder } of checked) {
    switch (holder.state) {
      case "active": {
        wallets.set(entityId, holder.wallet);
        const registered = SECTORS.find((s) => s.value === holder.sector)?.key;
        const planned = sectorOf(input, entityId);
        if (registered !== planned) {
          warnings.push(
            `entity ${entityId} "${holder.name}" is registered in sector ${registered ?? "none"}, but the input file says ${planned}.`,
          );
        }
        break;
      }
      case "not-registered":
        problems.push({
          entityId,
          error: "AllocationWalletNotOfEntity",
          text: `${entityId} is not registered (ets admin register)`,
        });
        break;
      case "no-active-account":
        problems.push({
          entityId,
          error: "AllocationWalletNotOfEntity",
          text: `${entityId} "${holder.name}" has no active account (open or unfreeze one)`,
        });
        break;
      case "not-a-covered-entity":
        problems.push({
          entityId,
          error: "AllocationNotCoveredEntity",
          text: `${entityId} "${holder.name}" is registered as ${article(categoryLabel(holder.category))}, not as a covered entity`,
        });
        break;
    }
  }
  const first = problems[0];
  if (first) {
    throw chainCoded(
      first.error,
      `${problems.length} ${problems.length === 1 ? "entity" : "entities"} of the ${plan.year} plan cannot receive allowances, so nothing was sent: ${some(
        problems.map((p) => p.text),
        "; ",
      )}.`,
      { year: plan.year, entities: problems.map((p) => ({ entityId: String(p.entityId), error: p.error })) },
    );
  }
  return { wallets, warnings };
}

function sectorOf(input: AllocationInput, entityId: number): string {
  return input.entities.find((e) => e.entityId === entityId)?.sector ?? "?";
}

function sectorTotals(
  plan: AllocationPlan,
  input: AllocationInput,
): { sector: string; entities: number; total: bigint }[] {
  const bySector = new Map<string, { entities: number; total: bigint }>();
  for (const e of plan.entries) {
    const key = sectorOf(input, e.entityId);
    const s = bySector.get(key) ?? { entities: 0, total: 0n };
    bySector.set(key, { entities: s.entities + 1, total: s.total + e.amount });
  }
  const order = SECTORS.map((s) => s.key as string);
  return [...bySector.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([sector, s]) => ({ sector, ...s }));
}

function planLines(plan: AllocationPlan, file: string, sectors: ReturnType<typeof sectorTotals>): string[] {
  return [
    `Allocation plan ${plan.year} from ${file}: ${plan.entries.length} ${plan.entries.length === 1 ? "entity" : "entities"}, ${tonnes(plan.total)} of a free pool of ${tonnes(plan.freePool)} (cap ${tonnes(plan.cap)}, reserve ${percent(BigInt(plan.reserveBps))} = ${tonnes(plan.reserve)}).`,
    "By sector:",
    ...sectors.map(
      (s) =>
        `  ${s.sector.padEnd(15)} ${String(s.entities).padStart(4)} ${s.entities === 1 ? "entity  " : "entities"} ${tonnes(s.total).padStart(16)}`,
    ),
    `Inputs hash ${plan.inputsHash}`,
    `Plan hash   ${plan.planHash}`,
  ];
}

/** The first items of a list joined, and how many more there are: an error sentence stays short. */
function some(items: readonly string[], separator: string, max = 8): string {
  const shown = items.slice(0, max).join(separator);
  return items.length > max ? `${shown}${separator}and ${items.length - max} more` : shown;
}

function tonnes(amount: bigint): string {
  return formatAmount("allowance", amount);
}

/** Basis points as a percentage: 600 → "6%", 625 → "6.25%". */
function percent(bps: bigint): string {
  const whole = bps / 100n;
  const rest = bps % 100n;
  return rest === 0n ? `${whole}%` : `${whole}.${rest.toString().padStart(2, "0").replace(/0$/, "")}%`;
}

function reportStatus(status: bigint): string {
  return REPORT_STATUS[Number(status)] ?? `status ${status}`;
}

function article(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
