import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import { gql } from "../../lib/graphql";
import { tonnes, yuan } from "../../lib/format";
import { Bars, ExportButton, StackedBars, YearField } from "./parts";
import { useRegulatorSession } from "./session";

interface BoardRow {
  sector: string | null;
  covered: number;
  compliant: number;
  inShortfall: number;
  open: number;
  notReported: number;
  reported: number;
  verified: number;
  approved: number;
  estimated: number;
  obligation: string;
  allowancesSurrendered: string;
  offsetsSurrendered: string;
  outstanding: string;
  shortfall: string;
  fines: string;
}

const ROW = `sector covered compliant inShortfall open notReported reported verified approved estimated
  obligation allowancesSurrendered offsetsSurrendered outstanding shortfall fines`;

const BOARD = `query Board($year: Int!) { complianceBoard(year: $year) { year block sectors { ${ROW} } total { ${ROW} } } }`;

/** The board's entities (every covered entity of the year), for the CSV export. */
export const BOARD_ENTITIES_CSV = `query BoardEntities($year: Int!) { complianceBoard(year: $year) { total { entities(first: 500) {
  edges { node { entityId name sector status reportStatus obligation allowancesSurrendered offsetsSurrendered surrendered outstanding shortfall fine } } } } } }`;

/** The latest allowance vintage on chain (public `supplies`), the year the pages open on. */
export function useLatestYear(): number | undefined {
  const [year, setYear] = useState<number>();
  useEffect(() => {
    let live = true;
    gql<{ supplies: { tokenId: string }[] }>("{ supplies { tokenId } }").then(
      (d) => {
        const ids = d.supplies.map((s) => Number(s.tokenId)).filter((y) => y >= 2000 && y <= 2100);
        if (live) setYear(ids.length ? Math.max(...ids) : new Date().getUTCFullYear());
      },
      () => live && setYear(new Date().getUTCFullYear()),
    );
    return () => {
      live = false;
    };
  }, []);
  return year;
}

export function ComplianceBoard() {
  const latest = useLatestYear();
  return latest === undefined ? null : <BoardOfYear initial={latest} />;
}

function BoardOfYear({ initial }: { initial: number }) {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const [year, setYear] = useState(initial);
  const { result, reload } = useAsync(
    () => session.query<{ complianceBoard: { block: number; sectors: BoardRow[]; total: BoardRow } }>(BOARD, { year }),
    [session, year],
  );
  const sectorName = (s: string | null) => (s ? t(`sector.${s}`) : t("board.all"));
  return (
    <>
      <div className="toolbar">
        <YearField value={year} onChange={setYear} testId="board-year" />
        <ExportButton
          query={BOARD_ENTITIES_CSV}
          variables={{ year }}
          file={`compliance-board-${year}.csv`}
          testId="board-export"
        />
      </div>
      <AsyncView result={result} reload={reload}>
        {({ complianceBoard: b }) => (
          <div data-testid="compliance-board">
            <Section
              title={t("board.title", { year })}
              actions={<span className="muted">{t("atBlock", { block: b.block })}</span>}
            >
              <div className="figures">
                <Figure label={t("board.covered")} value={String(b.total.covered)} testId="board-covered" />
                <Figure label={t("board.compliant")} value={String(b.total.compliant)} />
                <Figure label={t("board.inShortfall")} value={String(b.total.inShortfall)} />
                <Figure label={t("board.open")} value={String(b.total.open)} />
                <Figure label={t("board.obligation")} value={t("tonnes", { n: tonnes(b.total.obligation) })} />
                <Figure label={t("board.outstanding")} value={t("tonnes", { n: tonnes(b.total.outstanding) })} />
                <Figure label={t("board.shortfall")} value={t("tonnes", { n: tonnes(b.total.shortfall) })} />
                <Figure label={t("board.fines")} value={`¥${yuan(b.total.fines)}`} />
              </div>
            </Section>
            {b.sectors.length === 0 ? (
              <p className="muted">{t("board.noneCovered", { year })}</p>
            ) : (
              <div className="charts">
                <Section title={t("board.reportsBySector")}>
                  <StackedBars
                    testId="board-chart-reports"
                    segments={[
                      { label: t("board.notReported"), className: "s-none" },
                      { label: t("board.reported"), className: "s-reported" },
                      { label: t("board.verified"), className: "s-verified" },
                      { label: t("board.approved"), className: "s-approved" },
                      { label: t("board.estimated"), className: "s-estimated" },
                    ]}
                    rows={b.sectors.map((s) => ({
                      label: sectorName(s.sector),
                      values: [s.notReported, s.reported, s.verified, s.approved, s.estimated],
                    }))}
                  />
                </Section>
                <Section title={t("board.positionsBySector")}>
                  <StackedBars
                    testId="board-chart-positions"
                    segments={[
                      { label: t("board.open"), className: "s-none" },
                      { label: t("board.compliant"), className: "s-approved" },
                      { label: t("board.inShortfall"), className: "s-bad" },
                    ]}
                    rows={b.sectors.map((s) => ({
                      label: sectorName(s.sector),
                      values: [s.open, s.compliant, s.inShortfall],
                    }))}
                  />
                </Section>
                <Section title={t("board.obligationBySector")}>
                  <Bars
                    testId="board-chart-obligation"
                    format={(v) => t("tonnes", { n: tonnes(v) })}
                    rows={b.sectors.map((s) => ({ label: sectorName(s.sector), value: BigInt(s.obligation) }))}
                  />
                </Section>
                <Section title={t("board.outstandingBySector")}>
                  <Bars
                    format={(v) => t("tonnes", { n: tonnes(v) })}
                    rows={b.sectors.map((s) => ({ label: sectorName(s.sector), value: BigInt(s.outstanding) }))}
                  />
                </Section>
              </div>
            )}
            <Section title={t("board.bySector")}>
              <Table
                testId="board-table"
                head={[
                  t("board.sector"),
                  t("board.covered"),
                  t("board.notReported"),
                  t("board.reported"),
                  t("board.verified"),
                  t("board.approved"),
                  t("board.estimated"),
                  t("board.compliant"),
                  t("board.inShortfall"),
                  t("board.obligation"),
                  t("board.surrendered"),
                  t("board.outstanding"),
                  t("board.shortfall"),
                  t("board.fines"),
                ]}
                rows={[...b.sectors, b.total].map((s) => [
                  s.sector ? (
                    <Link to={`/regulator/entities?sector=${s.sector}&year=${year}`}>{sectorName(s.sector)}</Link>
                  ) : (
                    <strong>{sectorName(null)}</strong>
                  ),
                  s.covered,
                  s.notReported,
                  s.reported,
                  s.verified,
                  s.approved,
                  s.estimated,
                  s.compliant,
                  s.inShortfall,
                  tonnes(s.obligation),
                  tonnes(BigInt(s.allowancesSurrendered) + BigInt(s.offsetsSurrendered)),
                  tonnes(s.outstanding),
                  tonnes(s.shortfall),
                  `¥${yuan(s.fines)}`,
                ])}
              />
            </Section>
          </div>
        )}
      </AsyncView>
      <Oversight year={year} />
    </>
  );
}

interface VerifierRow {
  verifierEntityId: string;
  name: string | null;
  reportsAttested: number;
  meanGap: string;
  meanGapBps: number;
  largestGap: string;
  largestGapBps: number;
  returned: number;
  approved: number;
  late: number;
  adverse: number;
  qualified: number;
}

const OVERSIGHT = `query Oversight($year: Int!) { verifiers(year: $year) {
  verifierEntityId name reportsAttested meanGap meanGapBps largestGap largestGapBps returned approved late adverse qualified } }`;

/** Basis points as a percentage with two decimals, in integers: 1234 → "12.34 %". */
function bps(n: number): string {
  return `${Math.trunc(n / 100)}.${String(n % 100).padStart(2, "0")} %`;
}

/** Verifier oversight: each verification body's attestations of the year and their gaps. */
function Oversight({ year }: { year: number }) {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const { result, reload } = useAsync(
    () => session.query<{ verifiers: VerifierRow[] }>(OVERSIGHT, { year }),
    [session, year],
  );
  return (
    <Section title={t("oversight.title", { year })}>
      <AsyncView result={result} reload={reload}>
        {({ verifiers }) => (
          <Table
            testId="verifier-oversight"
            empty={t("oversight.none")}
            head={[
              t("oversight.verifier"),
              t("oversight.attested"),
              t("oversight.meanGap"),
              t("oversight.largestGap"),
              t("board.approved"),
              t("oversight.returned"),
              t("oversight.late"),
              t("oversight.qualified"),
              t("oversight.adverse"),
            ]}
            rows={verifiers.map((v) => [
              <Link to={`/regulator/entity/${v.verifierEntityId}`}>
                {v.verifierEntityId} {v.name ?? ""}
              </Link>,
              v.reportsAttested,
              `${t("tonnes", { n: tonnes(v.meanGap) })} (${bps(v.meanGapBps)})`,
              `${t("tonnes", { n: tonnes(v.largestGap) })} (${bps(v.largestGapBps)})`,
              v.approved,
              v.returned,
              v.late,
              v.qualified,
              v.adverse,
            ])}
          />
        )}
      </AsyncView>
    </Section>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="figure">
      <span className="muted">{label}</span>
      <strong data-testid={testId}>{value}</strong>
    </div>
  );
}
