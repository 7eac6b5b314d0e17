import { useTranslation } from "react-i18next";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import { tonnes } from "../../lib/format";
import { Bars } from "./parts";
import { useRegulatorSession } from "./session";

interface SupplyRow {
  tokenId: string;
  product: string;
  minted: string;
  burned: string;
  surrendered: string;
  cancelled: string;
  clawedBack: string;
  circulating: string;
  inTradingAccounts: string;
  pending: string;
}

const FIELDS = "tokenId product minted burned surrendered cancelled clawedBack circulating inTradingAccounts pending";
const SUPPLY = `{ allowances: supplies(token: ALLOWANCE) { ${FIELDS} } ccer: supplies(token: CCER) { ${FIELDS} } }`;

/** The supply of every allowance vintage and CCER batch: minted, burned, circulating, at the exchange. */
export function Supply() {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const { result, reload } = useAsync(
    () => session.query<{ allowances: SupplyRow[]; ccer: SupplyRow[] }>(SUPPLY),
    [session],
    30_000,
  );
  const table = (rows: SupplyRow[], testId: string) => (
    <Table
      testId={testId}
      head={[
        t("supply.product"),
        t("supply.minted"),
        t("supply.surrendered"),
        t("supply.cancelled"),
        t("supply.clawedBack"),
        t("supply.circulating"),
        t("supply.inTrading"),
        t("supply.pending"),
      ]}
      rows={rows.map((s) => [
        s.product,
        tonnes(s.minted),
        tonnes(s.surrendered),
        tonnes(s.cancelled),
        tonnes(s.clawedBack),
        tonnes(s.circulating),
        tonnes(s.inTradingAccounts),
        tonnes(s.pending),
      ])}
    />
  );
  return (
    <AsyncView result={result} reload={reload}>
      {({ allowances, ccer }) => (
        <>
          <Section title={t("supply.title")}>
            <Bars
              testId="supply-chart"
              format={(v) => t("tonnes", { n: tonnes(v) })}
              rows={allowances.map((s) => ({ label: s.product, value: BigInt(s.circulating) }))}
            />
            <p className="muted">{t("supply.chartNote")}</p>
            {table(allowances, "supply-table")}
          </Section>
          <Section title={t("supply.ccer")}>{table(ccer, "supply-ccer")}</Section>
        </>
      )}
    </AsyncView>
  );
}
