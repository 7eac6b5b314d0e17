import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { getAddress, keccak256, type ContractTransactionReceipt } from "ethers";
import { chainCoded, clientError } from "../../sdk/client-errors";
import {
  auctionPhase,
  bidCommitment,
  bidOfSecret,
  bidSecretDir,
  bidsOf,
  checkAttestation,
  checkBid,
  checkBuy,
  checkCancellation,
  checkReportSubmission,
  checkReveal,
  checkSettle,
  checkSurrender,
  coveredYears,
  describeItems,
  formatBps,
  latestVersion,
  mayActFor,
  newSalt,
  parseHash,
  parseOpinion,
  parseUnitItem,
  parseYear,
  readAuction,
  readBidSecrets,
  readCertificate,
  readEntity,
  readPosition,
  readReport,
  readSale,
  removeBidSecret,
  requireAuctionPhase,
  saveBidSecret,
  type AuctionView,
  type BidSecret,
  type BidView,
  type CertificateView,
  type PositionView,
  type ReportView,
  type UnitItems,
} from "../../sdk/compliance";
import type { Contracts } from "../../sdk/contracts";
import { DomainError, toDomainError as decodeError } from "../../sdk/errors";
import { parseAmount, parseWholeNumber } from "../../sdk/input";
import { computeReport, readReportFile, reportHash, type EmissionsReport, type ReportEmissions } from "../../sdk/mrv";
import { accountStatus } from "../../sdk/preflight";
import { confirm, ZERO_FEE } from "../../sdk/send";
import { describeUnits, formatAmount, productLabel } from "../../sdk/transfers";
import { formatYuan, productName } from "../../sdk/units";
import { named, timeJson, txData, txLine, when } from "./format";
import type { Action } from "./program";
import type { Chain, Session } from "./session";
import { nameOf } from "./shared";

const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * The participant's compliance year: `ets report …`, `ets verify`, `ets surrender`, `ets status`,
 * `ets cancel-units`, `ets certificate`, `ets auction …` and `ets sale …`. The regulator's side
 * (caps, plans, opening and closing years, approvals, creating auctions and sales) is under `ets admin`.
 */
export function registerComplianceCommands(program: Command, action: Action): void {
  registerReportCommands(program, action);
  registerSurrenderCommands(program, action);
  registerCancellationCommands(program, action);
  registerAuctionCommands(program, action);
  registerSaleCommands(program, action);
}

// ─────────────────────────────────────────── reports ──────────────────────────────────────────

function registerReportCommands(program: Command, action: Action): void {
  const report = program
    .command("report")
    .description("the annual emissions report (MRV): submit your entity's, show any entity's");

  report
    .command("submit")
    .description(
      "validate an ets-report/1 file, compute its total and submit it (content hash on chain) for your entity (--from)",
    )
    .argument("<report.json>", "the report file (docs/mrv.md)")
    .option(
      "--document <file>",
      "the signed report document; its keccak256 is recorded (default: the canonical report JSON)",
    )
    .option("--uri <uri>", "where the document can be fetched (at most 512 bytes)")
    .action(
      action(async (session, [fileInput], o) => {
        const opts = o as { document?: string; uri?: string };
        const file = path.resolve(session.deps.cwd, fileInput ?? "");
        const report = await readReportInput(file, fileInput ?? "");
        const emissions = computeReport(report);
        const contentHash = reportHash(report);
        const document = opts.document === undefined ? undefined : readBytes(session, opts.document, "document");
        const documentHash = document ? keccak256(document.bytes) : contentHash;
        const uri = (opts.uri ?? "").trim();
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        const before = await checkReportSubmission(
          contracts,
          sender.address,
          {
            year: report.year,
            reportEntityId: BigInt(report.entity.entityId),
            contentHash,
            documentHash,
            uri,
          },
          await session.chainNow(),
        );
        const entity = await readEntity(contracts, BigInt(report.entity.entityId));
        const signed = await session.signer(sender);
        const receipt = await confirm(() =>
          signed.contracts.reporting.submitReport(
            report.year,
            emissions.totalTonnes,
            contentHash,
            documentHash,
            uri,
            ZERO_FEE,
          ),
        );
        let version = before.versions.length + 1;
        let late = false;
        for (const log of receipt.logs) {
          const parsed = contracts.reporting.interface.parseLog(log);
          if (parsed?.name === "ReportSubmitted") {
            version = Number(parsed.args.version);
            late = parsed.args.late as boolean;
          }
        }
        const verifier =
          before.assignedVerifier === 0n ? undefined : await readEntity(contracts, before.assignedVerifier);
        return {
          data: {
            entityId: entity.entityId.toString(),
            entityName: entity.name,
            year: report.year,
            version,
            status: "submitted",
            late,
            file,
            ...emissionsJson(emissions),
            reportedTotal: emissions.totalTonnes.toString(),
            contentHash,
            documentHash,
            document: document ? document.file : "canonical report JSON",
            uri,
            ...(verifier
              ? { assignedVerifier: verifier.entityId.toString(), assignedVerifierName: verifier.name }
              : {}),
            ...txData(receipt),
          },
          text: [
            `Emissions report of entity ${entity.entityId} "${entity.name}" for ${report.year} (${fileInput}):`,
            ...emissionsLines(report, emissions),
            `Content hash   ${contentHash}  (keccak256 of the RFC 8785 canonical JSON)`,
            `Document hash  ${documentHash}  (${document ? `keccak256 of ${document.typed}` : "the canonical report JSON itself"})`,
            ...(uri ? [`Document URI   ${uri}`] : []),
            `Submitted version ${version} of entity ${entity.entityId}'s report for ${report.year}: ${formatAmount("allowance", emissions.totalTonnes)} reported${late ? ", LATE (after the report deadline)" : ""}.`,
            verifier
              ? `Next: verification by entity ${verifier.entityId} "${verifier.name}", the verifier assigned for ${report.year}.`
              : `Next: verification; no verifier is assigned for ${report.year} yet (the regulator assigns one).`,
            txLine(receipt),
          ],
        };
      }),
    );

  report
    .command("show")
    .description("an entity's report for a year: status, versions, verifier, opinion, obligation")
    .argument("<entity>", "entity id, or an account of it (address or wallet name)")
    .argument("<year>", "compliance year, e.g. 2014")
    .action(
      action(async (session, [entityInput, yearInput]) => {
        const year = parseYear(yearInput ?? "");
        const chain = await session.chain();
        const entityId = await entityOf(session, chain, entityInput);
        const entity = await readEntity(chain.contracts, entityId);
        const r = await readReport(chain.contracts, entityId, year);
        const [assigned, attested] = await Promise.all([
          r.assignedVerifier === 0n ? undefined : readEntity(chain.contracts, r.assignedVerifier),
          r.verifier === 0n ? undefined : readEntity(chain.contracts, r.verifier),
        ]);
        const latest = latestVersion(r);
        return {
          data: {
            entityId: entityId.toString(),
            entityName: entity.name,
            ...reportJson(r),
            ...(assigned ? { assignedVerifierName: assigned.name } : {}),
            ...(attested ? { verifierName: attested.name } : {}),
          },
          text: [
            `Emissions report of entity ${entityId} "${entity.name}" for ${year}: ${r.status === "none" ? "not submitted" : r.status}.`,
            calendarLine(r),
            r.versions.length ? "Versions:" : "Versions: none",
            ...r.versions.map(
              (v) =>
                `  ${v.version}  ${formatAmount("allowance", v.reportedTotal)}  submitted ${when(v.submittedAt)} by ${named(v.submitter, nameOf(session, v.submitter))}${v.late ? "  LATE" : ""}\n` +
                `     content ${v.contentHash}  document ${v.documentHash}${v.uri ? `  ${v.uri}` : ""}`,
            ),
            assigned
              ? `Verifier assigned: entity ${assigned.entityId} "${assigned.name}".`
              : "Verifier assigned: none yet.",
            ...(attested
              ? [
                  `Attested ${when(r.attestedAt)} by entity ${attested.entityId} "${attested.name}": opinion ${r.opinion}, verified total ${formatAmount("allowance", r.verifiedTotal)}${latest ? ` (${difference(latest.reportedTotal, r.verifiedTotal)} against version ${latest.version})` : ""}.`,
                  `Statement hash ${r.statementHash}.`,
                ]
              : []),
            obligationLine(r),
          ],
        };
      }),
    );

  program
    .command("verify")
    .description(
      "attest an entity's submitted report as its assigned verifier (--from): verified total, opinion, statement hash",
    )
    .argument("<entity>", "the reporting entity: id, or an account of it")
    .argument("<year>", "compliance year, e.g. 2014")
    .requiredOption("--total <tonnes>", "verified emissions, whole tonnes")
    .requiredOption("--opinion <opinion>", "positive, qualified or adverse")
    .option("--statement <file>", "the verification statement; its keccak256 is recorded")
    .option("--statement-hash <hash>", "the statement's keccak256 (0x + 64 hex digits), instead of --statement")
    .option(
      "--report <report.json>",
      "the report file you verified: its total is recomputed and its hash checked against the latest version on chain",
    )
    .action(
      action(async (session, [entityInput, yearInput], o) => {
        const opts = o as {
          total: string;
          opinion: string;
          statement?: string;
          statementHash?: string;
          report?: string;
        };
        const year = parseYear(yearInput ?? "");
        const verifiedTotal = parseAmount(opts.total, "tonnes", "verified total");
        const opinion = parseOpinion(opts.opinion);
        if ((opts.statement === undefined) === (opts.statementHash === undefined)) {
          throw clientError(
            "INVALID_USAGE",
            "Give the verification statement: exactly one of --statement <file> and --statement-hash <0x…>.",
          );
        }
        const statement = opts.statement === undefined ? undefined : readBytes(session, opts.statement, "statement");
        const statementHash = statement
          ? keccak256(statement.bytes)
          : parseHash(opts.statementHash ?? "", "statement hash");
        const file = opts.report === undefined ? undefined : path.resolve(session.deps.cwd, opts.report);
        const checked = file ? await readReportInput(file, opts.report ?? "") : undefined;
        const recomputed = checked ? computeReport(checked) : undefined;
        const fileHash = checked ? reportHash(checked) : undefined;
        const sender = session.sender();
        const chain = await session.chain();
        const entityId = await entityOf(session, chain, entityInput);
        const { contracts } = chain;
        const r = await checkAttestation(contracts, sender.address, entityId, year, statementHash);
        const latest = latestVersion(r);
        if (!latest) throw new Error("a submitted report has a version");
        if (fileHash !== undefined && fileHash !== latest.contentHash) {
          throw clientError(
            "REPORT_HASH_MISMATCH",
            `The report file ${opts.report} hashes to ${fileHash}, not to ${latest.contentHash}, the content hash of version ${latest.version} on chain: it is not the report entity ${entityId} submitted.`,
            { fileHash, contentHash: latest.contentHash, version: latest.version },
          );
        }
        const entity = await readEntity(contracts, entityId);
        const signed = await session.signer(sender);
        const receipt = await confirm(() =>
          signed.contracts.reporting.attest(entityId, year, verifiedTotal, statementHash, opinion.value, ZERO_FEE),
        );
        const diff = verifiedTotal - latest.reportedTotal;
        const recomputedNote =
          recomputed === undefined
            ? []
            : [
                `The report file matches version ${latest.version} (content hash ${latest.contentHash}); recomputed total ${formatAmount("allowance", recomputed.totalTonnes)}${recomputed.totalTonnes === latest.reportedTotal ? ", as reported" : `, but ${formatAmount("allowance", latest.reportedTotal)} were reported`}.`,
              ];
        return {
          data: {
            entityId: entityId.toString(),
            entityName: entity.name,
            year,
            version: latest.version,
            status: "verified",
            opinion: opinion.name,
            verifiedTotal: verifiedTotal.toString(),
            reportedTotal: latest.reportedTotal.toString(),
            difference: diff.toString(),
            statementHash,
            ...(statement ? { statement: statement.file } : {}),
            ...(recomputed && fileHash
              ? { reportFile: file, recomputedTotal: recomputed.totalTonnes.toString(), contentHash: fileHash }
              : {}),
            ...txData(receipt),
          },
          text: [
            ...recomputedNote,
            `Attested version ${latest.version} of the ${year} report of entity ${entityId} "${entity.name}": verified total ${formatAmount("allowance", verifiedTotal)}, reported ${formatAmount("allowance", latest.reportedTotal)} (${difference(latest.reportedTotal, verifiedTotal)}), opinion ${opinion.name}.`,
            `Statement hash ${statementHash}${statement ? ` (keccak256 of ${statement.typed})` : ""}.`,
            opinion.name === "adverse"
              ? "With an adverse opinion the regulator returns the report to the entity."
              : "Next: the regulator approves it; the verified total then becomes the obligation.",
            txLine(receipt),
          ],
        };
      }),
    );
}

/**
 * Reads and validates a report file. An invalid report's sentence names every offending field first
 * (a long list of problems may be shortened on one line, never the list of fields).
 */
async function readReportInput(file: string, typed: string): Promise<EmissionsReport> {
  try {
    return await readReportFile(file);
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== "REPORT_INVALID") throw err;
    const issues = (err.details.issues ?? []) as { path: string; message: string }[];
    const fields = [...new Set(issues.map((i) => i.path))];
    throw new DomainError(
      err.code,
      `The report ${typed} is invalid in ${fields.length === 1 ? "1 field" : `${fields.length} fields`}: ${fields.join(", ")}. ` +
        `${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`,
      err.kind,
      err.details,
      { cause: err },
    );
  }
}

/** A file named on the command line, read whole. */
function readBytes(session: Session, input: string, what: string): { file: string; typed: string; bytes: Uint8Array } {
  const file = path.resolve(session.deps.cwd, input);
  try {
    return { file, typed: input, bytes: fs.readFileSync(file) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? "unknown";
    throw clientError("FILE_UNREADABLE", `The ${what} file ${input} cannot be read (${code}).`, { file, code });
  }
}

function emissionsJson(e: ReportEmissions) {
  return {
    sources: e.sources.map((s) => ({
      id: s.id,
      kind: s.kind,
      tonnes: s.tonnes,
      ...(s.factor ? { factor: s.factor.value, factorSource: s.factor.source } : {}),
    })),
    exactTotal: e.total,
  };
}

function emissionsLines(report: EmissionsReport, e: ReportEmissions): string[] {
  const idWidth = Math.max(...e.sources.map((s) => s.id.length));
  const amounts = e.sources.map((s) => groupDecimal(s.tonnes));
  const width = Math.max(...amounts.map((a) => a.length), groupDecimal(e.total).length);
  return [
    ...e.sources.map((s, i) => {
      const line = report.sources[i];
      const factor = s.factor
        ? `  (factor ${s.factor.value}, ${s.factor.source === "report" ? "stated" : "default"})`
        : "";
      return `  ${s.id.padEnd(idWidth)}  ${s.kind.padEnd(11)}  ${(amounts[i] ?? "").padStart(width)} t CO2  ${line?.description ?? ""}${factor}`;
    }),
    `  ${"exact sum".padEnd(idWidth)}  ${"".padEnd(11)}  ${groupDecimal(e.total).padStart(width)} t CO2`,
    `  Total (rounded half up to whole tonnes): ${formatAmount("allowance", e.totalTonnes)}`,
  ];
}

/** "236026.565" → "236,026.565". */
function groupDecimal(text: string): string {
  const [whole = "0", fraction] = text.split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** The verified total against the reported one: "+1 t, +0.0004 %" or "as reported". */
function difference(reported: bigint, verified: bigint): string {
  const diff = verified - reported;
  if (diff === 0n) return "as reported";
  const abs = diff < 0n ? -diff : diff;
  const sign = diff < 0n ? "−" : "+";
  if (reported === 0n) return `${sign}${formatAmount("allowance", abs)}`;
  // Ten-thousandths of a percent (parts per million), rounded half up; trailing zeros dropped.
  const ppm = (abs * 1_000_000n * 2n + reported) / (reported * 2n);
  const fraction = (ppm % 10_000n).toString().padStart(4, "0").replace(/0+$/, "");
  return `${sign}${formatAmount("allowance", abs)}, ${sign}${ppm / 10_000n}${fraction ? `.${fraction}` : ""} %`;
}

function calendarLine(r: ReportView): string {
  if (r.yearState === "not opened") return `Compliance year ${r.year} is not opened yet.`;
  const s = r.schedule;
  return `Year ${r.year} ${r.yearState}: reporting from ${when(s.reportingOpens)}, report and verification due ${when(s.reportDeadline)}, surrender due ${when(s.surrenderDeadline)}.`;
}

function obligationLine(r: ReportView): string {
  if (!r.obligationSet)
    return "Obligation: not fixed yet (the regulator approves the verified report or sets an estimate).";
  return `Obligation: ${formatAmount("allowance", r.obligation)} (${r.status === "estimated" ? "the regulator's estimate" : "approved verified emissions"}, ${when(r.decidedAt)}).`;
}

function reportJson(r: ReportView) {
  return {
    year: r.year,
    yearState: r.yearState,
    schedule: {
      reportingOpens: timeJson(r.schedule.reportingOpens),
      reportDeadline: timeJson(r.schedule.reportDeadline),
      surrenderDeadline: timeJson(r.schedule.surrenderDeadline),
    },
    status: r.status,
    versions: r.versions.map((v) => ({
      version: v.version,
      reportedTotal: v.reportedTotal.toString(),
      contentHash: v.contentHash,
      documentHash: v.documentHash,
      uri: v.uri,
      submitter: v.submitter,
      submittedAt: timeJson(v.submittedAt),
      late: v.late,
    })),
    assignedVerifier: r.assignedVerifier.toString(),
    verifier: r.verifier.toString(),
    ...(r.attestedAt !== 0n ? { attestedAt: timeJson(r.attestedAt) } : {}),
    opinion: r.opinion,
    verifiedTotal: r.verifiedTotal.toString(),
    statementHash: r.statementHash,
    obligationSet: r.obligationSet,
    obligation: r.obligation.toString(),
    ...(r.decidedAt !== 0n ? { decidedAt: timeJson(r.decidedAt) } : {}),
  };
}

/**
 * The entity a command is about: an entity id, or an account (address or wallet name) whose entity
 * it is; without the argument, the entity of `--from`.
 */
async function entityOf(session: Session, chain: Chain, input: string | undefined): Promise<bigint> {
  if (input !== undefined && /^\d+$/.test(input.trim())) {
    const id = parseWholeNumber(input, "entity id", 1n, UINT64_MAX);
    await readEntity(chain.contracts, id);
    return id;
  }
  const who = session.subject(input, "entity");
  const account = await accountStatus(chain.contracts.registry, who.address);
  if (account.status === "none") {
    throw chainCoded(
      "TokenAccountNotRegistered",
      `${named(who.address, who.name)} has no registry account, so it belongs to no entity.`,
      { account: who.address },
    );
  }
  return account.entityId;
}

// ─────────────────────────────────────────── surrender and status ─────────────────────────────

function registerSurrenderCommands(program: Command, action: Action): void {
  program
    .command("surrender")
    .description(
      "surrender allowances (vintage ≤ year) and eligible CCER (within the offset cap) for a compliance year, from --from",
    )
    .argument("<year>", "compliance year, e.g. 2014")
    .option("--vintage <vintage:tonnes>", "allowances of a vintage, e.g. 2013:1000 or TJEA14:500 (repeatable)", collect)
    .option("--ccer <batch:tonnes>", "CCER of a batch, e.g. 3:200 or CCER-3:200 (repeatable)", collect)
    .action(
      action(async (session, [yearInput], o) => {
        const year = parseYear(yearInput ?? "");
        const items = unitItems(o);
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        const check = await checkSurrender(contracts, sender.address, year, items);
        const signed = await session.signer(sender);
        const receipt = await confirm(() =>
          signed.contracts.compliance.surrender(
            year,
            items.vintages.map((i) => i.id),
            items.vintages.map((i) => i.amount),
            items.batches.map((i) => i.id),
            items.batches.map((i) => i.amount),
            ZERO_FEE,
          ),
        );
        const met = receipt.logs.some((log) => contracts.compliance.interface.parseLog(log)?.name === "ObligationMet");
        const entity = await readEntity(contracts, check.entityId);
        const after = await readPosition(contracts, check.entityId, year);
        return {
          data: {
            entityId: check.entityId.toString(),
            entityName: entity.name,
            year,
            surrendered: itemsJson(items),
            allowances: check.allowances.toString(),
            offsets: check.offsets.toString(),
            obligationMet: met,
            position: positionJson(after),
            ...txData(receipt),
          },
          text: [
            `Surrendered for ${year} from ${named(sender.address, sender.name)} (entity ${check.entityId} "${entity.name}"): ${describeItems(items)}.`,
            ...positionLines(after),
            ...(met ? [`The ${year} obligation is met: entity ${check.entityId} is compliant for ${year}.`] : []),
            txLine(receipt),
          ],
        };
      }),
    );

  program
    .command("status")
    .description(
      "compliance status of an entity for a year, or for every year it is covered in: obligation, surrendered, CCER cap left, flag and fines",
    )
    .argument("[entity]", "entity id, or an account of it (default: the entity of --from)")
    .option("--year <year>", "one compliance year (default: every year the entity is covered in)")
    .action(
      action(async (session, [entityInput], o) => {
        const only = o.year === undefined ? undefined : parseYear(o.year as string);
        const chain = await session.chain();
        const { contracts } = chain;
        const entityId = await entityOf(session, chain, entityInput);
        const entity = await readEntity(contracts, entityId);
        const years =
          only === undefined ? await coveredYears(contracts, entityId, chain.manifest.deploymentBlock) : [only];
        const rows = await Promise.all(
          years.map(async (year) => ({
            position: await readPosition(contracts, entityId, year),
            report: await readReport(contracts, entityId, year),
          })),
        );
        const [flaggedUntil, finesOwed] = await Promise.all([
          contracts.compliance.flaggedUntil(entityId),
          contracts.compliance.finesOwed(entityId),
        ]);
        const flag = Number(flaggedUntil);
        return {
          data: {
            entityId: entityId.toString(),
            entityName: entity.name,
            flaggedUntil: flag === 0 ? null : flag,
            finesOwed: finesOwed.toString(),
            finesOwedCny: formatYuan(finesOwed),
            years: rows.map(({ position, report }) => ({
              ...positionJson(position),
              reportStatus: report.status,
              ...(report.yearState !== "not opened"
                ? { surrenderDeadline: timeJson(report.schedule.surrenderDeadline) }
                : {}),
            })),
          },
          text: [
            `Compliance of entity ${entityId} "${entity.name}":`,
            ...(rows.length === 0 ? ["  not covered in any year yet."] : []),
            ...rows.flatMap(({ position, report }) => [
              `${position.year}: ${statusWord(position)}${yearNote(position, report)}`,
              ...positionLines(position, report).map((l) => `  ${l}`),
            ]),
            flag === 0
              ? "Flag: none (never in shortfall)."
              : `Flag: in shortfall before; ineligible for preferential support until the end of ${flag}.`,
            `Fines owed: ${formatAmount("cash", finesOwed)}.`,
          ],
        };
      }),
    );
}

/** The options `--vintage v:t …` and `--ccer b:t …`, parsed. */
function unitItems(o: Record<string, unknown>): UnitItems {
  return {
    vintages: ((o.vintage as string[] | undefined) ?? []).map((v) => parseUnitItem("vintage", v)),
    batches: ((o.ccer as string[] | undefined) ?? []).map((b) => parseUnitItem("ccer", b)),
  };
}

function itemsJson(items: UnitItems) {
  return {
    vintages: items.vintages.map((i) => ({
      vintage: Number(i.id),
      product: productName(i.id),
      amount: i.amount.toString(),
    })),
    batches: items.batches.map((i) => ({ batch: i.id.toString(), amount: i.amount.toString() })),
  };
}

function statusWord(p: PositionView): string {
  if (!p.covered) return "not covered";
  if (p.yearState === "not opened") return "covered, year not opened yet";
  return p.status;
}

function yearNote(p: PositionView, r: ReportView): string {
  if (!p.covered || p.yearState === "not opened") return "";
  if (p.yearState === "closed") return " (year closed)";
  return ` (surrender due ${when(r.schedule.surrenderDeadline)})`;
}

function positionLines(p: PositionView, r?: ReportView): string[] {
  if (!p.covered) return [];
  if (p.yearState === "not opened") {
    return ["The regulator has not opened the year: reports and surrenders for it come once it does."];
  }
  const t = (n: bigint) => formatAmount("allowance", n);
  const obligation = p.obligationSet
    ? `${t(p.obligation)}${r ? ` (${r.status === "estimated" ? "the regulator's estimate" : "approved verified emissions"})` : ""}`
    : `not fixed yet${r ? ` (report ${r.status === "none" ? "not submitted" : r.status})` : ""}`;
  const lines = [
    `Obligation   ${obligation}`,
    `Surrendered  ${t(p.surrendered)}: allowances ${t(p.allowancesSurrendered)}, CCER ${t(p.offsetsSurrendered)}`,
    p.obligationSet
      ? `CCER         ${t(p.offsetsSurrendered)} used of a cap of ${t(p.offsetCap)} (${formatBps(p.offsetCapBps)} of the obligation): ${t(p.offsetCapLeft)} left`
      : `CCER cap     ${formatBps(p.offsetCapBps)} of the obligation, once it is fixed`,
  ];
  if (p.obligationSet) lines.push(`Still owed   ${t(p.owed)}`);
  lines.push(`Status       ${p.status}`);
  if (p.status === "shortfall") {
    lines.push(
      `Shortfall    ${t(p.shortfall)}, deducted from the next allocation; fine ${formatAmount("cash", p.fine)}`,
    );
  }
  return lines;
}

function positionJson(p: PositionView) {
  return {
    year: p.year,
    covered: p.covered,
    yearState: p.yearState,
    status: p.covered ? p.status : "not covered",
    obligationSet: p.obligationSet,
    obligation: p.obligation.toString(),
    allowancesSurrendered: p.allowancesSurrendered.toString(),
    offsetsSurrendered: p.offsetsSurrendered.toString(),
    surrendered: p.surrendered.toString(),
    offsetCapBps: p.offsetCapBps,
    offsetCap: p.offsetCap.toString(),
    offsetCapLeft: p.offsetCapLeft.toString(),
    owed: p.owed.toString(),
    shortfall: p.shortfall.toString(),
    fine: p.fine.toString(),
  };
}

// ─────────────────────────────────────────── cancellation ─────────────────────────────────────

function registerCancellationCommands(program: Command, action: Action): void {
  program
    .command("cancel-units")
    .description(
      "cancel units voluntarily (e.g. for a carbon-neutral claim) from --from; they can never be used again, and a numbered certificate is issued",
    )
    .option("--vintage <vintage:tonnes>", "allowances of a vintage, e.g. 2014:100 (repeatable)", collect)
    .option("--ccer <batch:tonnes>", "CCER of a batch, e.g. 3:50 (repeatable)", collect)
    .requiredOption("--beneficiary <text>", "on whose behalf the units are cancelled (1-256 bytes)")
    .requiredOption("--purpose <text>", "what the cancellation is for (1-256 bytes)")
    .action(
      action(async (session, _args, o) => {
        const items = unitItems(o);
        const beneficiary = (o.beneficiary as string).trim();
        const purpose = (o.purpose as string).trim();
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await checkCancellation(contracts, sender.address, items, { beneficiary, purpose });
        const signed = await session.signer(sender);
        const receipt = await confirm(() =>
          signed.contracts.compliance.cancelUnits(
            items.vintages.map((i) => i.id),
            items.vintages.map((i) => i.amount),
            items.batches.map((i) => i.id),
            items.batches.map((i) => i.amount),
            beneficiary,
            purpose,
            ZERO_FEE,
          ),
        );
        let id = 0n;
        for (const log of receipt.logs) {
          const parsed = contracts.compliance.interface.parseLog(log);
          if (parsed?.name === "CancellationCertificate") id = parsed.args.certificateId as bigint;
        }
        const cert = await readCertificate(contracts, id, receipt.blockNumber);
        return {
          data: { ...(await certificateJson(session, chain, cert)) },
          text: [
            `Cancelled ${describeItems(items)} from ${named(sender.address, sender.name)}: certificate ${id}.`,
            "",
            ...(await certificateText(session, chain, cert)),
          ],
        };
      }),
    );

  program
    .command("certificate")
    .description("a voluntary cancellation certificate, in a printable form")
    .argument("<id>", "certificate number")
    .action(
      action(async (session, [idInput]) => {
        const id = parseWholeNumber(idInput ?? "", "certificate number", 1n, UINT256_MAX);
        const chain = await session.chain();
        const cert = await readCertificate(chain.contracts, id, chain.manifest.deploymentBlock);
        return { data: await certificateJson(session, chain, cert), text: await certificateText(session, chain, cert) };
      }),
    );
}

async function batchNote(contracts: Contracts, batch: bigint): Promise<string> {
  const b = await contracts.offsets.batch(batch);
  return `${b.projectId}, ${b.projectType}${b.hydro ? ", hydro" : ""}`;
}

async function certificateJson(session: Session, chain: Chain, c: CertificateView) {
  const entity = await readEntity(chain.contracts, c.entityId);
  return {
    certificate: c.id.toString(),
    holder: c.holder,
    ...(nameOf(session, c.holder) ? { holderWallet: nameOf(session, c.holder) } : {}),
    entityId: c.entityId.toString(),
    entityName: entity.name,
    beneficiary: c.beneficiary,
    purpose: c.purpose,
    allowances: c.allowances.toString(),
    offsets: c.offsets.toString(),
    total: (c.allowances + c.offsets).toString(),
    units: c.units.map((u) => ({
      product: productLabel(u.product),
      ...(u.product.kind === "allowance" ? { vintage: Number(u.product.vintage) } : {}),
      ...(u.product.kind === "ccer" ? { batch: u.product.batch.toString() } : {}),
      amount: u.amount.toString(),
    })),
    issuedAt: timeJson(c.issuedAt),
    ...(c.tx ? { tx: c.tx, block: c.block } : {}),
  };
}

async function certificateText(session: Session, chain: Chain, c: CertificateView): Promise<string[]> {
  const entity = await readEntity(chain.contracts, c.entityId);
  const rule = "═".repeat(72);
  const units = await Promise.all(
    c.units.map(async (u) => {
      const note = u.product.kind === "ccer" ? ` (${await batchNote(chain.contracts, u.product.batch)})` : "";
      return `                 ${describeUnits(u.product, u.amount)}${note}`;
    }),
  );
  return [
    rule,
    `  VOLUNTARY CANCELLATION CERTIFICATE  No. ${c.id}`,
    "  自愿注销证明",
    rule,
    `  Holder:        ${named(c.holder, nameOf(session, c.holder))}`,
    `                 entity ${c.entityId} "${entity.name}"`,
    `  Beneficiary:   ${c.beneficiary}`,
    `  Purpose:       ${c.purpose}`,
    "  Units:",
    ...units,
    `  Total:         ${formatAmount("allowance", c.allowances + c.offsets)} CO2e (allowances ${formatAmount("allowance", c.allowances)}, CCER ${formatAmount("allowance", c.offsets)})`,
    `  Cancelled at:  ${when(c.issuedAt)}${c.block !== undefined ? `, block ${c.block}` : ""}`,
    ...(c.tx ? [`  Transaction:   ${c.tx}`] : []),
    `  Registry:      Compliance contract ${chain.manifest.contracts.Compliance}, chain ${chain.chainId}`,
    rule,
    "  These units were cancelled for good in the registry: they can no longer be",
    "  transferred, surrendered or cancelled again, and count for no one's obligation.",
    rule,
  ];
}

// ─────────────────────────────────────────── auctions ─────────────────────────────────────────

function registerAuctionCommands(program: Command, action: Action): void {
  const auction = program
    .command("auction")
    .description("sealed-bid auctions of reserve allowances: bid, reveal, settle, show");

  auction
    .command("bid")
    .description(
      "commit a sealed bid with cash in escrow from --from; the secret (price, quantity, salt) is stored in bids/ next to the keystores",
    )
    .argument("<auctionId>", "auction number")
    .requiredOption("--price <CNY>", "price per tonne, CNY with at most two decimals")
    .requiredOption("--quantity <tonnes>", "whole tonnes")
    .option("--escrow <CNY>", "cash put in escrow (default price × quantity; more hides the size of the bid)")
    .action(
      action(async (session, [idInput], o) => {
        const auctionId = parseWholeNumber(idInput ?? "", "auction id", 1n, UINT256_MAX);
        const price = parseAmount(o.price as string, "yuan", "price");
        const quantity = parseAmount(o.quantity as string, "tonnes", "quantity");
        const escrow = o.escrow === undefined ? price * quantity : parseAmount(o.escrow as string, "yuan", "escrow");
        const sender = session.sender();
        const chain = await session.chain();
        const a = await checkBid(
          chain.contracts,
          sender.address,
          { auctionId, price, quantity, escrow },
          await session.chainNow(),
        );
        const salesAddress = getAddress(chain.manifest.contracts.ReserveSales);
        const { contracts } = await session.signer(sender);
        let approval: ContractTransactionReceipt | undefined;
        if ((await contracts.cash.allowance(sender.address, salesAddress)) < escrow) {
          approval = await confirm(() => contracts.cash.approve(salesAddress, escrow, ZERO_FEE));
        }

        // The secret goes to disk, durably, before the commitment is sent: without it the bid
        // could not be revealed.
        const salt = newSalt();
        const secret: BidSecret = {
          schema: "ets-bid-secret/1",
          chainId: chain.chainId.toString(),
          sales: salesAddress,
          auctionId,
          bidder: sender.address,
          price,
          quantity,
          salt,
          commitment: bidCommitment(auctionId, sender.address, price, quantity, salt),
          escrow,
          createdAt: new Date().toISOString(),
        };
        const dir = bidSecretDir(session.config.walletDir);
        const file = await saveBidSecret(dir, secret);
        let sent = false;
        let receipt: ContractTransactionReceipt;
        try {
          receipt = await confirm(async () => {
            const tx = await contracts.sales.commitBid(auctionId, secret.commitment, escrow, ZERO_FEE);
            sent = true;
            return tx;
          });
        } catch (err) {
          const e = err instanceof DomainError ? err : decodeError(err);
          // Refused before it was sent: no bid exists, so the secret is of no use.
          if (!sent && e.kind !== "retryable" && e.code !== "UNEXPECTED") await removeBidSecret(file);
          throw e;
        }
        for (const log of receipt.logs) {
          const parsed = contracts.sales.interface.parseLog(log);
          if (parsed?.name === "BidCommitted") secret.bidId = parsed.args.bidId as bigint;
        }
        secret.tx = receipt.hash;
        await saveBidSecret(dir, secret);
        const bidId = secret.bidId ?? 0n;
        return {
          data: {
            auctionId: auctionId.toString(),
            bidId: bidId.toString(),
            bidder: sender.address,
            vintage: a.vintage,
            product: productName(a.vintage),
            price: price.toString(),
            priceCny: formatYuan(price),
            quantity: quantity.toString(),
            escrow: escrow.toString(),
            escrowCny: formatYuan(escrow),
            commitment: secret.commitment,
            secretFile: file,
            revealFrom: timeJson(a.biddingEnds),
            revealUntil: timeJson(a.revealEnds),
            ...(approval ? { approval: txData(approval) } : {}),
            ...txData(receipt),
          },
          text: [
            `Bid ${bidId} in auction ${auctionId} (${productName(a.vintage)}): ${formatAmount("allowance", quantity)} at ${perTonne(price)}, sealed; ${formatAmount("cash", escrow)} in escrow.`,
            `Secret (price, quantity, salt) stored in ${file} (readable by you only): keep it until the bid is revealed.`,
            `Reveal it between ${when(a.biddingEnds)} and ${when(a.revealEnds)} with: ets auction reveal ${auctionId}`,
            ...(approval ? [`Approval: ${txLine(approval)}`] : []),
            txLine(receipt),
          ],
        };
      }),
    );

  auction
    .command("reveal")
    .description("reveal your sealed bids in an auction (--from), from the secrets stored when they were placed")
    .argument("<auctionId>", "auction number")
    .action(
      action(async (session, [idInput]) => {
        const auctionId = parseWholeNumber(idInput ?? "", "auction id", 1n, UINT256_MAX);
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        const a = await readAuction(contracts, auctionId);
        const now = await session.chainNow();
        requireAuctionPhase(a, "reveal", now);
        const dir = bidSecretDir(session.config.walletDir);
        const stored = await revealableSecrets(contracts, dir, chain, auctionId, sender.address);
        const all = await bidsOf(contracts, a);
        const mine = all.filter((b) => b.bidder === sender.address);
        const matched: { file: string; secret: BidSecret; bid: BidView }[] = [];
        for (const s of stored) {
          const bid = await bidOfSecret(contracts, a, s.secret, all);
          if (bid) matched.push({ ...s, bid });
        }
        if (matched.length === 0) {
          throw clientError(
            "BID_SECRET_NOT_FOUND",
            stored.length === 0
              ? `No bid secret of ${named(sender.address, sender.name)} for auction ${auctionId} is stored in ${dir}${mine.length ? ` (it has ${mine.length} bid(s) on chain: they cannot be revealed without their secret)` : ""}.`
              : `The ${stored.length} stored secret(s) of ${sender.address} for auction ${auctionId} in ${dir} match no bid on chain: their commitments were never mined.`,
            { auctionId: auctionId.toString(), dir },
          );
        }
        const open = matched.filter((m) => !m.bid.revealed);
        if (open.length === 0) {
          throw chainCoded(
            "SalesBidAlreadyRevealed",
            `Every stored bid of ${sender.address} in auction ${auctionId} was revealed already (bid ${matched.map((m) => m.bid.bidId).join(", ")}).`,
            { auctionId: auctionId.toString() },
          );
        }
        for (const m of open) {
          await checkReveal(contracts, sender.address, a, { ...m.secret, bidId: m.bid.bidId }, now);
        }
        const signed = await session.signer(sender);
        const revealed: { bid: BidView; secret: BidSecret; receipt: ContractTransactionReceipt }[] = [];
        for (const m of open) {
          const receipt = await confirm(() =>
            signed.contracts.sales.revealBid(
              auctionId,
              m.bid.bidId,
              m.secret.price,
              m.secret.quantity,
              m.secret.salt,
              ZERO_FEE,
            ),
          );
          if (m.secret.bidId === undefined) await saveBidSecret(dir, { ...m.secret, bidId: m.bid.bidId });
          revealed.push({ bid: m.bid, secret: m.secret, receipt });
        }
        return {
          data: {
            auctionId: auctionId.toString(),
            bidder: sender.address,
            revealed: revealed.map((r) => ({
              bidId: r.bid.bidId.toString(),
              price: r.secret.price.toString(),
              priceCny: formatYuan(r.secret.price),
              quantity: r.secret.quantity.toString(),
              escrow: r.bid.escrow.toString(),
              ...txData(r.receipt),
            })),
            alreadyRevealed: matched.filter((m) => m.bid.revealed).map((m) => m.bid.bidId.toString()),
          },
          text: [
            ...revealed.flatMap((r) => [
              `Revealed bid ${r.bid.bidId} in auction ${auctionId}: ${formatAmount("allowance", r.secret.quantity)} at ${perTonne(r.secret.price)} (escrow ${formatAmount("cash", r.bid.escrow)}).`,
              txLine(r.receipt),
            ]),
            `The auction can be finalised after ${when(a.revealEnds)}; then settle with: ets auction settle ${auctionId}`,
          ],
        };
      }),
    );

  auction
    .command("settle")
    .description(
      "settle your bids (--from) in a finalised auction: units won at the clearing price, payment, refund of the rest of the escrow",
    )
    .argument("<auctionId>", "auction number")
    .option("--bid <n>", "settle this bid (anyone's) instead of all of yours")
    .action(
      action(async (session, [idInput], o) => {
        const auctionId = parseWholeNumber(idInput ?? "", "auction id", 1n, UINT256_MAX);
        const only = o.bid === undefined ? undefined : parseWholeNumber(o.bid as string, "bid number", 1n, UINT256_MAX);
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        const a = await readAuction(contracts, auctionId);
        const now = await session.chainNow();
        requireAuctionPhase(a, "settlement", now);
        let bidIds: bigint[];
        if (only !== undefined) {
          bidIds = [only];
        } else {
          const mine = await bidsOf(contracts, a, sender.address);
          if (mine.length === 0) {
            throw chainCoded("SalesUnknownBid", `${sender.address} has no bid in auction ${auctionId}.`, {
              auctionId: auctionId.toString(),
            });
          }
          bidIds = mine.filter((b) => !b.settled).map((b) => b.bidId);
          if (bidIds.length === 0) {
            throw chainCoded(
              "SalesBidAlreadySettled",
              `Every bid of ${sender.address} in auction ${auctionId} was settled already (bid ${mine.map((b) => b.bidId).join(", ")}).`,
              { auctionId: auctionId.toString() },
            );
          }
        }
        const toSettle: BidView[] = [];
        for (const bidId of bidIds) toSettle.push(await checkSettle(contracts, a, bidId, now));
        const signed = await session.signer(sender);
        const settled: {
          bidId: bigint;
          bidder: string;
          forfeited: boolean;
          quantity: bigint;
          paid: bigint;
          refund: bigint;
          tx: ContractTransactionReceipt;
        }[] = [];
        for (const bid of toSettle) {
          const bidId = bid.bidId;
          const receipt = await confirm(() => signed.contracts.sales.settleBid(auctionId, bidId, ZERO_FEE));
          for (const log of receipt.logs) {
            const parsed = contracts.sales.interface.parseLog(log);
            if (parsed?.name === "BidSettled") {
              settled.push({
                bidId,
                forfeited: !bid.revealed,
                bidder: parsed.args.bidder as string,
                quantity: parsed.args.quantity as bigint,
                paid: parsed.args.paid as bigint,
                refund: parsed.args.refund as bigint,
                tx: receipt,
              });
            }
          }
        }
        return {
          data: {
            auctionId: auctionId.toString(),
            vintage: a.vintage,
            product: productName(a.vintage),
            clearingPrice: a.clearingPrice.toString(),
            clearingPriceCny: formatYuan(a.clearingPrice),
            settled: settled.map((s) => ({
              bidId: s.bidId.toString(),
              bidder: s.bidder,
              revealed: !s.forfeited,
              won: s.quantity.toString(),
              paid: s.paid.toString(),
              paidCny: formatYuan(s.paid),
              refund: s.refund.toString(),
              refundCny: formatYuan(s.refund),
              ...txData(s.tx),
            })),
          },
          text: settled.flatMap((s) => [
            s.forfeited
              ? `Settled bid ${s.bidId} of ${named(s.bidder, nameOf(session, s.bidder))} in auction ${auctionId}: it was not revealed, so its escrow of ${formatAmount("cash", s.paid)} is forfeited to the treasury.`
              : `Settled bid ${s.bidId} of ${named(s.bidder, nameOf(session, s.bidder))} in auction ${auctionId}: won ${describeUnits({ kind: "allowance", vintage: BigInt(a.vintage) }, s.quantity)} at ${perTonne(a.clearingPrice)}, paid ${formatAmount("cash", s.paid)}, refund ${formatAmount("cash", s.refund)}.`,
            txLine(s.tx),
          ]),
        };
      }),
    );

  auction
    .command("show")
    .description("an auction: phase, quantity, reserve price, clearing price once final, and the bids of --from")
    .argument("<auctionId>", "auction number")
    .action(
      action(async (session, [idInput]) => {
        const auctionId = parseWholeNumber(idInput ?? "", "auction id", 1n, UINT256_MAX);
        const chain = await session.chain();
        const { contracts } = chain;
        const a = await readAuction(contracts, auctionId);
        const now = await session.chainNow();
        const phase = auctionPhase(a, now);
        const me = session.config.from ? session.subject(undefined, "bidder") : undefined;
        const mine = me ? await bidsOf(contracts, a, me.address) : [];
        const secrets = me
          ? readBidSecrets(bidSecretDir(session.config.walletDir), secretFilter(chain, auctionId, me.address)).map(
              (s) => s.secret,
            )
          : [];
        const bids = await Promise.all(mine.map((b) => bidRow(contracts, a, b, secrets)));
        const product = productName(a.vintage);
        return {
          data: {
            auctionId: auctionId.toString(),
            vintage: a.vintage,
            product,
            phase,
            quantity: a.quantity.toString(),
            reservePrice: a.reservePrice.toString(),
            reservePriceCny: formatYuan(a.reservePrice),
            biddingEnds: timeJson(a.biddingEnds),
            revealEnds: timeJson(a.revealEnds),
            bids: a.bids,
            revealed: a.revealed,
            ...(a.finalised
              ? {
                  clearingPrice: a.clearingPrice.toString(),
                  clearingPriceCny: formatYuan(a.clearingPrice),
                  sold: a.sold.toString(),
                  unsold: (a.quantity - a.sold).toString(),
                }
              : {}),
            ...(me ? { bidder: me.address, yourBids: bids.map((b) => b.json) } : {}),
          },
          text: [
            `Auction ${auctionId}: ${formatAmount("allowance", a.quantity)} of ${product} from the reserve, reserve price ${perTonne(a.reservePrice)}.`,
            `Phase: ${phase}. Bidding until ${when(a.biddingEnds)}; reveal until ${when(a.revealEnds)}.`,
            `Bids: ${a.bids} committed, ${a.revealed} revealed.`,
            ...(a.finalised
              ? [
                  a.sold === 0n
                    ? "Final: nothing sold; the units went back to the reserve."
                    : `Final: clearing price ${perTonne(a.clearingPrice)}, ${formatAmount("allowance", a.sold)} sold${a.sold < a.quantity ? `, ${formatAmount("allowance", a.quantity - a.sold)} back to the reserve` : ""}.`,
                ]
              : []),
            ...(me
              ? [
                  `Bids of ${named(me.address, me.name)}:`,
                  ...(bids.length ? bids.map((b) => `  ${b.text}`) : ["  none"]),
                ]
              : []),
          ],
        };
      }),
    );
}

/**
 * The stored secrets `caller` may reveal: its own, and those of a closed wallet of its entity (a key
 * recovery moved the entity to the caller's wallet; the contract lets it reveal the old wallet's bids).
 */
async function revealableSecrets(
  contracts: Contracts,
  dir: string,
  chain: Chain,
  auctionId: bigint,
  caller: string,
): Promise<{ file: string; secret: BidSecret }[]> {
  const all = readBidSecrets(dir, {
    chainId: chain.chainId.toString(),
    sales: chain.manifest.contracts.ReserveSales,
    auctionId,
  });
  const out: { file: string; secret: BidSecret }[] = [];
  for (const s of all) {
    if (s.secret.bidder === caller) out.push(s);
    else if (
      (await accountStatus(contracts.registry, s.secret.bidder)).status === "closed" &&
      (await mayActFor(contracts, caller, s.secret.bidder))
    ) {
      out.push(s);
    }
  }
  return out;
}

function secretFilter(chain: Chain, auctionId: bigint, bidder: string) {
  return { chainId: chain.chainId.toString(), sales: chain.manifest.contracts.ReserveSales, auctionId, bidder };
}

/** A price in CNY per tonne: "CNY 30.25/t". */
function perTonne(fen: bigint): string {
  return `${formatAmount("cash", fen)}/t`;
}

async function bidRow(
  contracts: Contracts,
  a: AuctionView,
  b: BidView,
  secrets: BidSecret[],
): Promise<{ text: string; json: Record<string, unknown> }> {
  const secret = secrets.find((s) => s.commitment === b.commitment);
  const price = b.revealed ? b.price : secret?.price;
  const quantity = b.revealed ? b.quantity : secret?.quantity;
  const terms =
    price !== undefined && quantity !== undefined
      ? `${formatAmount("allowance", quantity)} at ${perTonne(price)}${b.revealed ? "" : " (sealed; known from your stored secret)"}`
      : "sealed (no stored secret)";
  let state = b.revealed ? "revealed" : "not revealed";
  const json: Record<string, unknown> = {
    bidId: b.bidId.toString(),
    escrow: b.escrow.toString(),
    revealed: b.revealed,
    settled: b.settled,
    secretStored: secret !== undefined,
    ...(price !== undefined ? { price: price.toString() } : {}),
    ...(quantity !== undefined ? { quantity: quantity.toString() } : {}),
  };
  if (a.finalised) {
    const settle = b.settled ? ", settled" : `, to settle: ets auction settle ${a.id}`;
    if (b.revealed) {
      const [won, cost] = await contracts.sales.allocationOf(a.id, b.bidId);
      Object.assign(json, { won: won.toString(), cost: cost.toString(), refund: (b.escrow - cost).toString() });
      state = `won ${formatAmount("allowance", won)} for ${formatAmount("cash", cost)}, refund ${formatAmount("cash", b.escrow - cost)}${settle}`;
    } else {
      Object.assign(json, { won: "0", cost: b.escrow.toString(), refund: "0", forfeited: true });
      state = `not revealed: escrow forfeited to the treasury${settle}`;
    }
  }
  return { text: `bid ${b.bidId}  ${terms}  escrow ${formatAmount("cash", b.escrow)}  ${state}`, json };
}

// ─────────────────────────────────────────── fixed-price sales ────────────────────────────────

function registerSaleCommands(program: Command, action: Action): void {
  const sale = program.command("sale").description("fixed-price sales of reserve allowances: show, buy");

  sale
    .command("buy")
    .description("buy allowances in a fixed-price sale with cash from --from (approves the payment, then buys)")
    .argument("<saleId>", "sale number")
    .argument("<tonnes>", "whole tonnes")
    .action(
      action(async (session, [idInput, tonnesInput]) => {
        const saleId = parseWholeNumber(idInput ?? "", "sale id", 1n, UINT256_MAX);
        const quantity = parseAmount(tonnesInput ?? "", "tonnes", "quantity");
        const sender = session.sender();
        const chain = await session.chain();
        const { sale: s, cost } = await checkBuy(
          chain.contracts,
          sender.address,
          saleId,
          quantity,
          await session.chainNow(),
        );
        const salesAddress = getAddress(chain.manifest.contracts.ReserveSales);
        const { contracts } = await session.signer(sender);
        let approval: ContractTransactionReceipt | undefined;
        if ((await contracts.cash.allowance(sender.address, salesAddress)) < cost) {
          approval = await confirm(() => contracts.cash.approve(salesAddress, cost, ZERO_FEE));
        }
        const receipt = await confirm(() => contracts.sales.buy(saleId, quantity, ZERO_FEE));
        const after = await readSale(chain.contracts, saleId);
        const product = productName(s.vintage);
        return {
          data: {
            saleId: saleId.toString(),
            buyer: sender.address,
            vintage: s.vintage,
            product,
            quantity: quantity.toString(),
            price: s.price.toString(),
            priceCny: formatYuan(s.price),
            paid: cost.toString(),
            paidCny: formatYuan(cost),
            left: (after.quantity - after.sold).toString(),
            ...(approval ? { approval: txData(approval) } : {}),
            ...txData(receipt),
          },
          text: [
            `Bought ${formatAmount("allowance", quantity)} of ${product} in sale ${saleId} at ${perTonne(s.price)}: paid ${formatAmount("cash", cost)}.`,
            `Left in the sale: ${formatAmount("allowance", after.quantity - after.sold)}.`,
            ...(approval ? [`Approval: ${txLine(approval)}`] : []),
            txLine(receipt),
          ],
        };
      }),
    );

  sale
    .command("show")
    .description("a fixed-price sale: vintage, price, window, what is left (and what --from bought)")
    .argument("<saleId>", "sale number")
    .action(
      action(async (session, [idInput]) => {
        const saleId = parseWholeNumber(idInput ?? "", "sale id", 1n, UINT256_MAX);
        const chain = await session.chain();
        const s = await readSale(chain.contracts, saleId);
        const now = await session.chainNow();
        const state = s.closed
          ? "closed"
          : now < s.opensAt
            ? "not open yet"
            : now < s.closesAt
              ? "open"
              : "window over";
        const me = session.config.from ? session.subject(undefined, "buyer") : undefined;
        const bought = me ? await chain.contracts.sales.boughtIn(saleId, me.address) : undefined;
        const product = productName(s.vintage);
        return {
          data: {
            saleId: saleId.toString(),
            vintage: s.vintage,
            product,
            state,
            quantity: s.quantity.toString(),
            sold: s.sold.toString(),
            left: (s.quantity - s.sold).toString(),
            price: s.price.toString(),
            priceCny: formatYuan(s.price),
            maxPerBuyer: s.maxPerBuyer.toString(),
            opensAt: timeJson(s.opensAt),
            closesAt: timeJson(s.closesAt),
            ...(me && bought !== undefined ? { buyer: me.address, bought: bought.toString() } : {}),
          },
          text: [
            `Sale ${saleId}: ${formatAmount("allowance", s.quantity)} of ${product} at ${perTonne(s.price)}, ${state}; ${formatAmount("allowance", s.quantity - s.sold)} left.`,
            `Window: ${when(s.opensAt)} to ${when(s.closesAt)}. Per buyer: ${s.maxPerBuyer === 0n ? "no limit" : `at most ${formatAmount("allowance", s.maxPerBuyer)}`}.`,
            ...(me && bought !== undefined
              ? [`${named(me.address, me.name)} bought ${formatAmount("allowance", bought)}.`]
              : []),
          ],
        };
      }),
    );
}
