import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { latestVersion, readReport, type ReportView } from "../../../../../sdk/compliance";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import type { Chain } from "../../lib/chain";
import { tonnes, when } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";

export interface Assignment {
  entityId: bigint;
  entityName: string;
  report: ReportView;
}

/**
 * The reports assigned to a verification body: its `VerifierAssigned` events on chain, kept when the
 * body is still the one assigned, each read as `ets report show` reads it.
 */
export async function readAssignments(chain: Chain, verifierEntityId: bigint): Promise<Assignment[]> {
  const reporting = chain.contracts.reporting;
  const events = await reporting.queryFilter(
    reporting.filters.VerifierAssigned(undefined, undefined, verifierEntityId),
    chain.config.deploymentBlock,
  );
  const seen = new Map<string, { entityId: bigint; year: number }>();
  for (const e of events) {
    const entityId = e.args.entityId;
    const year = Number(e.args.year);
    seen.set(`${entityId}:${year}`, { entityId, year });
  }
  const rows = await Promise.all(
    [...seen.values()].map(async ({ entityId, year }) => {
      const report = await readReport(chain.contracts, entityId, year);
      if (report.assignedVerifier !== verifierEntityId) return undefined;
      const entity = await chain.contracts.registry.entityOf(entityId);
      return { entityId, entityName: entity.name, report };
    }),
  );
  return rows
    .filter((r): r is Assignment => r !== undefined)
    .sort((a, b) => b.report.year - a.report.year || (a.entityId < b.entityId ? -1 : 1));
}

export function AssignedReports({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("verifier");
  const { chain } = useWallet();
  const verifier = wallet.account.entityId;
  const { result, reload } = useAsync(() => readAssignments(chain, verifier), [chain, verifier], 20_000);
  if (wallet.account.status !== "active" || verifier === 0n) {
    return (
      <div className="error" role="alert" data-code="ACCOUNT_NOT_ACTIVE">
        <strong>ACCOUNT_NOT_ACTIVE</strong> {t("noAccount", { address: wallet.address })}
      </div>
    );
  }
  return (
    <AsyncView result={result} reload={reload}>
      {(rows) => (
        <Section title={t("assigned.title", { name: wallet.entityName ?? "", id: verifier.toString() })}>
          <Table
            testId="assigned-reports"
            empty={t("assigned.none")}
            head={[t("year"), t("entity"), t("status"), t("version"), t("reported"), t("submitted"), t("deadline"), ""]}
            rows={rows.map((r) => {
              const latest = latestVersion(r.report);
              return [
                r.report.year,
                `${r.entityId} · ${r.entityName}`,
                <span className={`pill ${r.report.status === "submitted" ? "warn" : ""}`}>
                  {t(`reportStatus.${r.report.status}`)}
                </span>,
                latest?.version ?? "—",
                latest ? t("tonnes", { n: tonnes(latest.reportedTotal) }) : "—",
                latest ? when(latest.submittedAt) : "—",
                when(r.report.schedule.reportDeadline),
                <Link
                  to={`/verifier/report/${r.entityId}/${r.report.year}`}
                  data-testid={`open-report-${r.entityId}-${r.report.year}`}
                >
                  {r.report.status === "submitted" ? t("assigned.verify") : t("assigned.open")}
                </Link>,
              ];
            })}
          />
        </Section>
      )}
    </AsyncView>
  );
}
