import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import { when } from "../../lib/format";
import { ExportButton, Pager } from "./parts";
import { useRegulatorSession } from "./session";

export const RULES = [
  "wash_trade",
  "concentration",
  "price_spike",
  "large_trade",
  "recently_trusted",
  "late_report",
  "reconciliation_mismatch",
] as const;
const SEVERITIES = ["INFO", "WARNING", "CRITICAL"] as const;

interface AlertRow {
  id: string;
  rule: string;
  subject: string;
  severity: string;
  entityId: string | null;
  account: string | null;
  product: string | null;
  block: number;
  timestamp: number;
  message: string;
  details: string;
}

const ALERTS = `query Alerts($where: AlertWhere, $first: Int, $after: String) {
  alerts(where: $where, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id rule subject severity entityId account product block timestamp message details } }
  }
}`;
const ALERTS_CSV = `query AlertsCsv($where: AlertWhere) { alerts(where: $where, first: 500) { edges { node {
  id rule severity subject entityId account product block timestamp message details } } } }`;

interface Filters {
  rule: string;
  severity: string;
  entity: string;
}

function whereOf(f: Filters): Record<string, unknown> {
  const where: Record<string, unknown> = {};
  if (f.rule) where.rule = f.rule;
  if (f.severity) where.severity = f.severity;
  if (/^\d{1,20}$/.test(f.entity.trim())) where.entity = f.entity.trim();
  return where;
}

/** Supervision alerts raised by the indexer's rules, newest first, with filters and CSV export. */
export function Alerts() {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const empty: Filters = { rule: "", severity: "", entity: "" };
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const where = whereOf(filters);
  const { result, reload } = useAsync(
    () =>
      session.query<{
        alerts: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: AlertRow }[];
        };
      }>(ALERTS, { where, first: 25, after }),
    [session, JSON.stringify(where), after],
    15_000,
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([null]);
  };
  return (
    <>
      <form className="card filters" onSubmit={apply}>
        <label>
          {t("alerts.rule")}
          <select
            value={draft.rule}
            onChange={(e) => setDraft({ ...draft, rule: e.target.value })}
            data-testid="alert-rule"
          >
            <option value="">{t("any")}</option>
            {RULES.map((r) => (
              <option key={r} value={r}>
                {t(`rule.${r}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("alerts.severity")}
          <select
            value={draft.severity}
            onChange={(e) => setDraft({ ...draft, severity: e.target.value })}
            data-testid="alert-severity"
          >
            <option value="">{t("any")}</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {t(`severity.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("alerts.entity")}
          <input
            inputMode="numeric"
            value={draft.entity}
            onChange={(e) => setDraft({ ...draft, entity: e.target.value })}
            data-testid="alert-entity"
          />
        </label>
        <div className="filter-actions">
          <button type="submit" data-testid="alert-apply">
            {t("apply")}
          </button>
        </div>
      </form>
      <AsyncView result={result} reload={reload}>
        {({ alerts }) => (
          <Section
            title={t("alerts.count", { count: alerts.totalCount })}
            actions={<ExportButton query={ALERTS_CSV} variables={{ where }} file="alerts.csv" testId="alerts-export" />}
          >
            <Table
              testId="alerts-table"
              head={[
                t("alerts.time"),
                t("alerts.severity"),
                t("alerts.rule"),
                t("alerts.entity"),
                t("alerts.product"),
                t("alerts.message"),
              ]}
              rows={alerts.edges.map(({ node: a }) => [
                when(a.timestamp),
                <span className={`pill ${a.severity === "CRITICAL" ? "bad" : a.severity === "WARNING" ? "warn" : ""}`}>
                  {t(`severity.${a.severity}`)}
                </span>,
                <span data-rule={a.rule}>{t(`rule.${a.rule}`, { defaultValue: a.rule })}</span>,
                a.entityId ? <Link to={`/regulator/entity/${a.entityId}`}>{a.entityId}</Link> : "—",
                a.product ?? "—",
                <details className="wrap">
                  <summary>{a.message}</summary>
                  <pre className="mono">{a.details}</pre>
                </details>,
              ])}
            />
            <Pager
              page={cursors.length}
              hasNext={alerts.pageInfo.hasNextPage}
              onNext={() => setCursors([...cursors, alerts.pageInfo.endCursor])}
              onPrev={cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined}
            />
          </Section>
        )}
      </AsyncView>
    </>
  );
}
