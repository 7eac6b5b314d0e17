import { Fragment } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { AsyncView, ErrorNote, Section, Table, useAsync } from "../../components/ui";
import { tonnes, when, yuan } from "../../lib/format";
import { CompliancePill } from "./parts";
import { useRegulatorSession } from "./session";

interface HistoryRow {
  status: string;
  version: number;
  reportedTotal: string | null;
  verifiedTotal: string | null;
  opinion: string | null;
  obligation: string | null;
  reason: string | null;
  submittedLate: boolean;
  verifiedLate: boolean;
  fromBlock: number;
  toBlock: number | null;
}

interface ReportRow {
  entityId: string;
  year: number;
  status: string;
  version: number;
  reportedTotal: string | null;
  verifierEntityId: string | null;
  verifierName: string | null;
  verifiedTotal: string | null;
  opinion: string | null;
  obligation: string | null;
  reason: string | null;
  submittedLate: boolean;
  history: HistoryRow[];
}

interface EntityDetail {
  id: string;
  name: string;
  category: string;
  sector: string;
  creditCodeHash: string;
  registeredBlock: number;
  accounts: { wallet: string; status: string; openedBlock: number }[];
  holdings: { account: string; token: string; product: string; balance: string; locked: string }[];
  compliance: {
    year: number;
    status: string;
    closed: boolean;
    obligation: string | null;
    allowancesSurrendered: string;
    offsetsSurrendered: string;
    shortfall: string;
    fine: string;
    flaggedUntil: number;
  }[];
  reports: ReportRow[];
  verifications: ReportRow[];
  allocations: {
    id: string;
    kind: string;
    year: number;
    gross: string;
    deducted: string;
    amount: string;
    newEntrant: boolean;
    reason: string | null;
    timestamp: number;
  }[];
  surrenders: { id: string; year: number; kind: string; product: string; amount: string; timestamp: number }[];
}

const HISTORY = `status version reportedTotal verifiedTotal opinion obligation reason submittedLate verifiedLate fromBlock toBlock`;
const REPORT = `entityId year status version reportedTotal verifierEntityId verifierName verifiedTotal opinion obligation reason submittedLate history { ${HISTORY} }`;

const ENTITY = `query Entity($id: BigInt!) { entity(id: $id) {
  id name category sector creditCodeHash registeredBlock
  accounts { wallet status openedBlock }
  holdings { account token product balance locked }
  compliance { year status closed obligation allowancesSurrendered offsetsSurrendered shortfall fine flaggedUntil }
  reports { ${REPORT} }
  verifications { ${REPORT} }
  allocations { id kind year gross deducted amount newEntrant reason timestamp }
  surrenders { id year kind product amount timestamp }
}
trades(where: { entity: $id }, first: 20) { totalCount edges { node {
  id product buyerEntityId sellerEntityId quantity price notional timestamp } } } }`;

interface EntityTrade {
  id: string;
  product: string;
  buyerEntityId: string | null;
  sellerEntityId: string | null;
  quantity: string;
  price: string;
  notional: string;
  timestamp: number;
}

function amount(token: string, v: string): string {
  return token === "CASH" ? `¥${yuan(v)}` : tonnes(v);
}

const opt = (v: string | null | undefined, f: (x: string) => string = tonnes) =>
  v === null || v === undefined ? "—" : f(v);

export function EntityPage() {
  const { t } = useTranslation("regulator");
  const { id = "" } = useParams();
  const session = useRegulatorSession();
  const valid = /^\d{1,20}$/.test(id);
  const { result, reload } = useAsync(
    async () =>
      valid
        ? session.query<{
            entity: EntityDetail | null;
            trades: { totalCount: number; edges: { node: EntityTrade }[] };
          }>(ENTITY, { id })
        : null,
    [session, id],
  );
  if (!valid) return <ErrorNote problem={{ code: "INVALID_NUMBER", message: t("entity.badId", { id }) }} />;
  return (
    <AsyncView result={result} reload={reload}>
      {(data) =>
        data?.entity ? (
          <EntityView e={data.entity} trades={data.trades} />
        ) : (
          <ErrorNote problem={{ code: "ENTITY_NOT_FOUND", message: t("entity.notFound", { id }) }} />
        )
      }
    </AsyncView>
  );
}

function EntityView({
  e,
  trades,
}: {
  e: EntityDetail;
  trades: { totalCount: number; edges: { node: EntityTrade }[] };
}) {
  const { t } = useTranslation("regulator");
  return (
    <div data-testid="entity-page">
      <p>
        <Link to="/regulator/entities">← {t("tabs.entities")}</Link>
      </p>
      <Section title={`${e.id} · ${e.name}`}>
        <dl className="facts">
          <dt>{t("entities.category")}</dt>
          <dd>{t(`category.${e.category}`)}</dd>
          <dt>{t("entities.sector")}</dt>
          <dd>{e.sector === "NONE" ? "—" : t(`sector.${e.sector}`)}</dd>
          <dt>{t("entity.creditCodeHash")}</dt>
          <dd className="mono">{e.creditCodeHash}</dd>
          <dt>{t("entity.registered")}</dt>
          <dd>{t("atBlock", { block: e.registeredBlock })}</dd>
        </dl>
        <Table
          testId="entity-accounts"
          head={[t("entity.wallet"), t("entities.accountStatus"), t("entity.opened")]}
          rows={e.accounts.map((a) => [
            <span className="mono">{a.wallet}</span>,
            t(`accountStatus.${a.status}`),
            a.openedBlock,
          ])}
        />
      </Section>
      <Section title={t("entity.holdings")}>
        <Table
          testId="entity-holdings"
          head={[t("entity.product"), t("entity.wallet"), t("entity.balance"), t("entity.locked")]}
          rows={e.holdings.map((h) => [
            h.product,
            <span className="mono">{h.account.slice(0, 10)}…</span>,
            amount(h.token, h.balance),
            amount(h.token, h.locked),
          ])}
        />
      </Section>
      <Section title={t("entity.compliance")}>
        <Table
          testId="entity-compliance"
          head={[
            t("year"),
            t("entities.compliance"),
            t("board.obligation"),
            t("entity.allowancesSurrendered"),
            t("entity.offsetsSurrendered"),
            t("board.shortfall"),
            t("entity.fine"),
            t("entity.flaggedUntil"),
          ]}
          rows={e.compliance.map((c) => [
            c.year,
            <CompliancePill status={c.status} suffix={c.closed ? ` · ${t("entity.closed")}` : ""} />,
            opt(c.obligation),
            tonnes(c.allowancesSurrendered),
            tonnes(c.offsetsSurrendered),
            tonnes(c.shortfall),
            `¥${yuan(c.fine)}`,
            c.flaggedUntil || "—",
          ])}
        />
      </Section>
      <Reports title={t("entity.reports")} reports={e.reports} testId="entity-reports" />
      {e.category === "VERIFIER" && (
        <Reports title={t("entity.verifications")} reports={e.verifications} testId="entity-verifications" />
      )}
      <Section title={t("entity.allocations")}>
        <Table
          testId="entity-allocations"
          head={[
            t("year"),
            t("entity.kind"),
            t("entity.gross"),
            t("entity.deducted"),
            t("entity.amount"),
            t("entity.reason"),
            t("entity.time"),
          ]}
          rows={e.allocations.map((a) => [
            a.year,
            `${t(`allocationKind.${a.kind}`)}${a.newEntrant ? ` · ${t("entity.newEntrant")}` : ""}`,
            tonnes(a.gross),
            tonnes(a.deducted),
            tonnes(a.amount),
            a.reason ?? "",
            when(a.timestamp),
          ])}
        />
      </Section>
      <Section title={t("entity.surrenders")}>
        <Table
          testId="entity-surrenders"
          head={[t("year"), t("entity.product"), t("entity.amount"), t("entity.time")]}
          rows={e.surrenders.map((s) => [s.year, s.product, tonnes(s.amount), when(s.timestamp)])}
        />
      </Section>
      <Section title={t("entity.trades", { count: trades.totalCount })}>
        <Table
          testId="entity-trades"
          head={[
            t("market.tradeId"),
            t("market.time"),
            t("market.product"),
            t("entity.side"),
            t("market.quantity"),
            t("market.price"),
            t("market.notional"),
          ]}
          rows={trades.edges.map(({ node: tr }) => [
            tr.id,
            when(tr.timestamp),
            tr.product,
            tr.buyerEntityId === e.id ? t("entity.buy") : t("entity.sell"),
            tonnes(tr.quantity),
            yuan(tr.price),
            `¥${yuan(tr.notional)}`,
          ])}
        />
      </Section>
    </div>
  );
}

function Reports({ title, reports, testId }: { title: string; reports: ReportRow[]; testId: string }) {
  const { t } = useTranslation("regulator");
  return (
    <Section title={title}>
      {reports.length === 0 ? (
        <p className="muted">{t("none")}</p>
      ) : (
        <div className="table-wrap">
          <table data-testid={testId}>
            <thead>
              <tr>
                <th>{t("year")}</th>
                <th>{t("entity.entity")}</th>
                <th>{t("entity.version")}</th>
                <th>{t("entity.status")}</th>
                <th>{t("entity.reported")}</th>
                <th>{t("entity.verifier")}</th>
                <th>{t("entity.verified")}</th>
                <th>{t("entity.opinion")}</th>
                <th>{t("board.obligation")}</th>
                <th>{t("entity.reason")}</th>
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <Fragment key={`${r.entityId}:${r.year}`}>
                  <tr>
                    <td>
                      <strong>{r.year}</strong>
                    </td>
                    <td>
                      <Link to={`/regulator/entity/${r.entityId}`}>{r.entityId}</Link>
                    </td>
                    <td>{r.version}</td>
                    <td>
                      <span className="pill">{t(`reportStatus.${r.status}`)}</span>
                      {r.submittedLate && <span className="pill warn">{t("entity.late")}</span>}
                    </td>
                    <td>{opt(r.reportedTotal)}</td>
                    <td>{r.verifierName ?? r.verifierEntityId ?? "—"}</td>
                    <td>{opt(r.verifiedTotal)}</td>
                    <td>{r.opinion ? t(`opinion.${r.opinion}`) : "—"}</td>
                    <td>{opt(r.obligation)}</td>
                    <td>{r.reason ?? ""}</td>
                  </tr>
                  {r.history.length > 1 &&
                    r.history.map((h, i) => (
                      <tr key={i} className="history">
                        <td />
                        <td className="muted">{t("entity.fromBlock", { block: h.fromBlock })}</td>
                        <td className="muted">{h.version}</td>
                        <td className="muted">{t(`reportStatus.${h.status}`)}</td>
                        <td className="muted">{opt(h.reportedTotal)}</td>
                        <td />
                        <td className="muted">{opt(h.verifiedTotal)}</td>
                        <td className="muted">{h.opinion ? t(`opinion.${h.opinion}`) : ""}</td>
                        <td className="muted">{opt(h.obligation)}</td>
                        <td className="muted">{h.reason ?? ""}</td>
                      </tr>
                    ))}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
