import { keccak256 } from "ethers";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { clientError } from "../../../../../sdk/client-errors";
import {
  checkAttestation,
  latestVersion,
  parseHash,
  parseOpinion,
  readReport,
  type ReportView,
} from "../../../../../sdk/compliance";
import { parseAmount } from "../../../../../sdk/input";
import {
  computeReport,
  parseReport,
  reportHash,
  type EmissionsReport,
  type ReportEmissions,
} from "../../../../../sdk/mrv";
import { confirm, ZERO_FEE } from "../../../../../sdk/send";
import { connectContracts } from "../../../../../sdk/contracts";
import { ActionStatus, AsyncView, ErrorNote, Section, Table, useAction, useAsync } from "../../components/ui";
import { describeError, type Problem } from "../../lib/errors";
import { tonnes, when } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";

/** A report file read in the browser: validated, hashed as on chain, recomputed with the SDK's calculator. */
interface Checked {
  fileName: string;
  report: EmissionsReport;
  hash: string;
  emissions: ReportEmissions;
}

/** Reads a report document as `ets verify --report` does: the ets-report/1 schema, its content hash, its lines. */
function checkFile(fileName: string, text: string): Checked {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw clientError("REPORT_INVALID", `The report file ${fileName} is not JSON (${(err as Error).message}).`, {
      issues: [],
    });
  }
  const report = parseReport(json);
  return { fileName, report, hash: reportHash(report), emissions: computeReport(report) };
}

/** "236026.565" → "236,026.565" (an exact decimal as text; never a float). */
function groupDecimal(text: string): string {
  const [whole = "0", fraction] = text.split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction === undefined ? "" : `.${fraction}`}`;
}

export function ReportCheck({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("verifier");
  const { chain } = useWallet();
  const params = useParams();
  const entityText = params.entity ?? "";
  const yearText = params.year ?? "";
  const valid = /^\d{1,20}$/.test(entityText) && /^\d{4}$/.test(yearText);
  const entityId = valid ? BigInt(entityText) : 0n;
  const year = Number(yearText);
  const { result, reload } = useAsync(async () => {
    if (!valid) return null; // a query's answer is never undefined
    const [report, entity] = await Promise.all([
      readReport(chain.contracts, entityId, year),
      chain.contracts.registry.entityOf(entityId),
    ]);
    return { report, name: entity.name };
  }, [chain, entityText, yearText]);
  const [checked, setChecked] = useState<Checked>();
  const [fileProblem, setFileProblem] = useState<Problem>();

  if (!valid) return <ErrorNote problem={{ code: "INVALID_USAGE", message: t("badPath") }} />;

  const onFile = (file: File | undefined) => {
    setChecked(undefined);
    setFileProblem(undefined);
    if (!file) return;
    file.text().then(
      (text) => {
        try {
          setChecked(checkFile(file.name, text));
        } catch (err) {
          setFileProblem(describeError(err));
        }
      },
      (err: unknown) => setFileProblem(describeError(err)),
    );
  };

  return (
    <AsyncView result={result} reload={reload}>
      {(data) =>
        data && (
          <div data-testid="report-check">
            <p>
              <Link to="/verifier/reports">← {t("tabs.reports")}</Link>
            </p>
            <OnChain report={data.report} name={data.name} />
            <Section title={t("check.title")}>
              <p className="muted">{t("check.help")}</p>
              <label className="file">
                {t("check.file")}
                <input
                  type="file"
                  accept=".json,application/json"
                  data-testid="report-file"
                  onChange={(e) => onFile(e.target.files?.[0])}
                />
              </label>
              {fileProblem && <ErrorNote problem={fileProblem} />}
              {checked && <Recomputed checked={checked} report={data.report} />}
            </Section>
            <Attest wallet={wallet} report={data.report} checked={checked} onDone={reload} />
          </div>
        )
      }
    </AsyncView>
  );
}

function OnChain({ report, name }: { report: ReportView; name: string }) {
  const { t } = useTranslation("verifier");
  return (
    <Section title={t("onChain.title", { id: report.entityId.toString(), name, year: report.year })}>
      <p>
        <span className="pill" data-testid="report-status">
          {t(`reportStatus.${report.status}`)}
        </span>{" "}
        <span className="muted">
          {t("onChain.calendar", {
            state: t(`yearState.${report.yearState}`),
            deadline: when(report.schedule.reportDeadline),
          })}
        </span>
      </p>
      <Table
        testId="report-versions"
        head={[t("version"), t("reported"), t("submitted"), t("onChain.contentHash"), t("onChain.uri")]}
        rows={report.versions.map((v) => [
          v.version,
          t("tonnes", { n: tonnes(v.reportedTotal) }),
          `${when(v.submittedAt)}${v.late ? ` · ${t("late")}` : ""}`,
          <span className="mono">{v.contentHash}</span>,
          v.uri ? (
            /^https?:\/\//.test(v.uri) ? (
              <a href={v.uri} target="_blank" rel="noreferrer">
                {v.uri}
              </a>
            ) : (
              v.uri
            )
          ) : (
            "—"
          ),
        ])}
      />
      {report.verifier !== 0n && (
        <p data-testid="report-attested">
          {t("onChain.attested", {
            opinion: t(`opinion.${report.opinion}`),
            n: tonnes(report.verifiedTotal),
            at: when(report.attestedAt),
          })}
        </p>
      )}
      {report.obligationSet && <p>{t("onChain.obligation", { n: tonnes(report.obligation) })}</p>}
    </Section>
  );
}

function Recomputed({ checked, report }: { checked: Checked; report: ReportView }) {
  const { t } = useTranslation("verifier");
  const latest = latestVersion(report);
  const matches = latest !== undefined && latest.contentHash.toLowerCase() === checked.hash.toLowerCase();
  const e = checked.emissions;
  const sameTotal = latest !== undefined && latest.reportedTotal === e.totalTonnes;
  return (
    <div data-testid="recomputed">
      {matches ? (
        <p className="ok" data-testid="hash-match">
          {t("check.hashMatches", { version: latest.version, hash: checked.hash })}
        </p>
      ) : (
        <ErrorNote
          problem={{
            code: "REPORT_HASH_MISMATCH",
            message: t("check.hashMismatch", {
              file: checked.fileName,
              hash: checked.hash,
              onChain: latest?.contentHash ?? "—",
            }),
          }}
        />
      )}
      <Table
        testId="recomputed-lines"
        head={[t("check.source"), t("check.kind"), t("check.description"), t("check.factor"), t("check.emissions")]}
        rows={e.sources.map((s, i) => [
          <span className="mono">{s.id}</span>,
          t(`kind.${s.kind}`),
          <span className="wrap">{checked.report.sources[i]?.description ?? ""}</span>,
          s.factor ? `${s.factor.value} (${t(`factor.${s.factor.source}`)})` : "—",
          <span className="num">{groupDecimal(s.tonnes)}</span>,
        ])}
      />
      <dl className="facts">
        <dt>{t("check.exactSum")}</dt>
        <dd>{t("check.tco2", { n: groupDecimal(e.total) })}</dd>
        <dt>{t("check.recomputedTotal")}</dt>
        <dd>
          <strong data-testid="recomputed-total">{t("tonnes", { n: tonnes(e.totalTonnes) })}</strong>
        </dd>
        <dt>{t("check.submittedTotal")}</dt>
        <dd data-testid="submitted-total">{latest ? t("tonnes", { n: tonnes(latest.reportedTotal) }) : "—"}</dd>
      </dl>
      {latest &&
        (sameTotal ? (
          <p className="ok" data-testid="totals-agree">
            {t("check.totalsAgree")}
          </p>
        ) : (
          <p className="error" data-testid="totals-differ">
            {t("check.totalsDiffer", {
              diff: tonnes(
                e.totalTonnes > latest.reportedTotal
                  ? e.totalTonnes - latest.reportedTotal
                  : latest.reportedTotal - e.totalTonnes,
              ),
            })}
          </p>
        ))}
    </div>
  );
}

function Attest({
  wallet,
  report,
  checked,
  onDone,
}: {
  wallet: ConnectedWallet;
  report: ReportView;
  checked?: Checked;
  onDone: () => void;
}) {
  const { t } = useTranslation("verifier");
  const { chain } = useWallet();
  const action = useAction();
  const [total, setTotal] = useState("");
  const [opinion, setOpinion] = useState("positive");
  const [statementHash, setStatementHash] = useState("");
  const [statementFile, setStatementFile] = useState<{ name: string; hash: string }>();
  const suggested = checked ? checked.emissions.totalTonnes.toString() : "";
  if (report.status !== "submitted") {
    // After an attestation the report reloads as verified: the result stays in view.
    return (
      <Section title={t("attest.title")}>
        <p className="muted" data-testid="attest-closed">
          {t("attest.notWaiting", { status: t(`reportStatus.${report.status}`) })}
        </p>
        <div data-testid="attest-status">
          <ActionStatus action={action} />
        </div>
      </Section>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const verifiedTotal = parseAmount(total || suggested, "tonnes", "verified total");
      const op = parseOpinion(opinion);
      if ((statementFile === undefined) === (statementHash.trim() === "")) {
        throw clientError("INVALID_USAGE", t("attest.statementNeeded"));
      }
      const hash = statementFile ? statementFile.hash : parseHash(statementHash, "statement hash");
      const r = await checkAttestation(chain.contracts, wallet.address, report.entityId, report.year, hash);
      const latest = latestVersion(r);
      if (!latest) throw new Error("a submitted report has a version");
      if (checked && checked.hash.toLowerCase() !== latest.contentHash.toLowerCase()) {
        throw clientError(
          "REPORT_HASH_MISMATCH",
          `The report file ${checked.fileName} hashes to ${checked.hash}, not to ${latest.contentHash}, the content hash of version ${latest.version} on chain: it is not the report entity ${report.entityId} submitted.`,
          { fileHash: checked.hash, contentHash: latest.contentHash, version: latest.version },
        );
      }
      const signed = connectContracts(chain.manifest, wallet.signer);
      const receipt = await confirm(() =>
        signed.reporting.attest(report.entityId, report.year, verifiedTotal, hash, op.value, ZERO_FEE),
      );
      onDone();
      return t("attest.done", {
        version: latest.version,
        n: tonnes(verifiedTotal),
        opinion: t(`opinion.${op.name}`),
        block: receipt.blockNumber,
      });
    });
  };
  return (
    <Section title={t("attest.title")}>
      <form onSubmit={submit} data-testid="attest-form">
        {!checked && <p className="pill warn">{t("attest.noFile")}</p>}
        <label>
          {t("attest.total")}
          <input
            inputMode="numeric"
            value={total}
            placeholder={suggested}
            onChange={(e) => setTotal(e.target.value)}
            data-testid="attest-total"
          />
        </label>
        <label>
          {t("attest.opinion")}
          <select value={opinion} onChange={(e) => setOpinion(e.target.value)} data-testid="attest-opinion">
            {(["positive", "qualified", "adverse"] as const).map((o) => (
              <option key={o} value={o}>
                {t(`opinion.${o}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("attest.statementFile")}
          <input
            type="file"
            data-testid="attest-statement-file"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (!file) return setStatementFile(undefined);
              void file
                .arrayBuffer()
                .then((b) => setStatementFile({ name: file.name, hash: keccak256(new Uint8Array(b)) }));
            }}
          />
        </label>
        {statementFile && <p className="muted mono">{statementFile.hash}</p>}
        <label>
          {t("attest.statementHash")}
          <input
            value={statementHash}
            placeholder="0x…"
            onChange={(e) => setStatementHash(e.target.value)}
            data-testid="attest-statement-hash"
          />
        </label>
        <button type="submit" disabled={action.busy} data-testid="attest-submit">
          {t("attest.submit")}
        </button>
        <div data-testid="attest-status">
          <ActionStatus action={action} />
        </div>
      </form>
    </Section>
  );
}
