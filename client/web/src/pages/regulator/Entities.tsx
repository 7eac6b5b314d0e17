import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import { CompliancePill, ExportButton, Pager } from "./parts";
import { useRegulatorSession } from "./session";

export const SECTOR_KEYS = ["STEEL", "CHEMICALS", "POWER", "HEAT", "PETROCHEMICALS", "OIL_GAS", "BUILDINGS"] as const;
export const COMPLIANCE_KEYS = ["OPEN", "COMPLIANT", "SHORTFALL", "NONE"] as const;
const ACCOUNT_KEYS = ["ACTIVE", "FROZEN", "CLOSED"] as const;
const PAGE_SIZE = 25;

interface EntityRow {
  id: string;
  name: string;
  category: string;
  sector: string;
  accounts: { wallet: string; status: string }[];
  compliance: { year: number; status: string }[];
}

const LIST = `query Entities($where: EntityWhere, $first: Int, $after: String) {
  entities(where: $where, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name category sector accounts { wallet status } compliance { year status } } }
  }
}`;

const CSV = `query EntitiesCsv($where: EntityWhere) { entities(where: $where, first: 500) { edges { node { id name category sector creditCodeHash registeredBlock } } } }`;

interface Filters {
  name: string;
  sector: string;
  account: string;
  year: string;
  compliance: string;
}

function whereOf(f: Filters): Record<string, unknown> {
  const where: Record<string, unknown> = {};
  if (f.name.trim()) where.name_contains = f.name.trim().slice(0, 100);
  if (f.sector) where.sector = f.sector;
  if (f.account) where.accountStatus = f.account;
  const year = Number(f.year);
  if (f.compliance && Number.isInteger(year) && year >= 2000 && year <= 2100) {
    where.compliance = { year, status_in: [f.compliance] };
  }
  return where;
}

export function Entities() {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const [params] = useSearchParams();
  const initial: Filters = {
    name: params.get("name") ?? "",
    sector: params.get("sector") ?? "",
    account: params.get("account") ?? "",
    year: params.get("year") ?? "",
    compliance: params.get("compliance") ?? "",
  };
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters>(initial);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const where = whereOf(filters);
  const typedYear = Number(filters.year);
  const shownYear = Number.isInteger(typedYear) && typedYear >= 2000 && typedYear <= 2100 ? typedYear : undefined;
  const { result, reload } = useAsync(
    () =>
      session.query<{
        entities: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: EntityRow }[];
        };
      }>(LIST, { where, first: PAGE_SIZE, after }),
    [session, JSON.stringify(where), after],
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([null]);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <>
      <form className="card filters" onSubmit={apply} data-testid="entity-filters">
        <label>
          {t("entities.name")}
          <input value={draft.name} onChange={set("name")} data-testid="entity-search" maxLength={100} />
        </label>
        <label>
          {t("entities.sector")}
          <select value={draft.sector} onChange={set("sector")} data-testid="entity-sector">
            <option value="">{t("any")}</option>
            {SECTOR_KEYS.map((s) => (
              <option key={s} value={s}>
                {t(`sector.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("entities.accountStatus")}
          <select value={draft.account} onChange={set("account")} data-testid="entity-account">
            <option value="">{t("any")}</option>
            {ACCOUNT_KEYS.map((s) => (
              <option key={s} value={s}>
                {t(`accountStatus.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("entities.complianceYear")}
          <input
            type="number"
            min={2000}
            max={2100}
            value={draft.year}
            onChange={set("year")}
            data-testid="entity-year"
          />
        </label>
        <label>
          {t("entities.compliance")}
          <select value={draft.compliance} onChange={set("compliance")} data-testid="entity-compliance">
            <option value="">{t("any")}</option>
            {COMPLIANCE_KEYS.map((s) => (
              <option key={s} value={s}>
                {t(`compliance.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <div className="filter-actions">
          <button type="submit" data-testid="entity-apply">
            {t("apply")}
          </button>
        </div>
      </form>
      <AsyncView result={result} reload={reload}>
        {({ entities }) => (
          <Section
            title={t("entities.count", { count: entities.totalCount })}
            actions={<ExportButton query={CSV} variables={{ where }} file="entities.csv" testId="entities-export" />}
          >
            <Table
              testId="entities-table"
              head={[
                t("entities.id"),
                t("entities.name"),
                t("entities.category"),
                t("entities.sector"),
                t("entities.accounts"),
                ...(shownYear ? [t("entities.complianceOf", { year: shownYear })] : []),
              ]}
              rows={entities.edges.map(({ node: e }) => [
                <Link to={`/regulator/entity/${e.id}`} data-testid={`entity-link-${e.id}`}>
                  {e.id}
                </Link>,
                <Link to={`/regulator/entity/${e.id}`}>{e.name}</Link>,
                t(`category.${e.category}`),
                e.sector === "NONE" ? "—" : t(`sector.${e.sector}`),
                e.accounts.map((a) => (
                  <span key={a.wallet} className={`pill ${a.status === "ACTIVE" ? "" : "bad"}`} title={a.wallet}>
                    {a.wallet.slice(0, 8)}… {t(`accountStatus.${a.status}`)}
                  </span>
                )),
                ...(shownYear
                  ? [<CompliancePill status={e.compliance.find((c) => c.year === shownYear)?.status ?? "NONE"} />]
                  : []),
              ])}
            />
            <Pager
              page={cursors.length}
              hasNext={entities.pageInfo.hasNextPage}
              onNext={() => setCursors([...cursors, entities.pageInfo.endCursor])}
              onPrev={cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined}
            />
          </Section>
        )}
      </AsyncView>
    </>
  );
}
