import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import {
  checkSurrender,
  coveredYears,
  describeItems,
  formatBps,
  readPosition,
  type PositionView,
} from "../../../../../sdk/compliance";
import { confirm, ZERO_FEE } from "../../../../../sdk/send";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import { tonnes, when, yuan } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import { ItemsEditor, parseItems, signedContracts, type ItemLine } from "./shared";

function StatusPill({ p }: { p: PositionView }) {
  const { t } = useTranslation("participant");
  if (!p.covered) return <span className="pill">{t("compliance.notCovered")}</span>;
  if (p.yearState === "not opened") return <span className="pill">{t("compliance.notOpened")}</span>;
  const cls = p.status === "compliant" ? "pill" : p.status === "shortfall" ? "pill bad" : "pill warn";
  return <span className={cls}>{t(`compliance.status.${p.status}`)}</span>;
}

/** Compliance status for each covered year, and the surrender form with the CCER that may still be used. */
export function Compliance({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const entityId = wallet.account.entityId;
  const { result, reload } = useAsync(
    async () => {
      if (entityId === 0n) return { years: [] as PositionView[], due: [] as bigint[], fines: 0n, flaggedUntil: 0 };
      const years = await coveredYears(chain.contracts, entityId, chain.manifest.deploymentBlock);
      const [positions, due, fines, flaggedUntil] = await Promise.all([
        Promise.all(years.map((y) => readPosition(chain.contracts, entityId, y))),
        Promise.all(years.map(async (y) => (await chain.contracts.reporting.yearOf(y)).schedule.surrenderDeadline)),
        chain.contracts.compliance.finesOwed(entityId),
        chain.contracts.compliance.flaggedUntil(entityId),
      ]);
      return { years: positions, due, fines, flaggedUntil: Number(flaggedUntil) };
    },
    [chain, entityId],
    15_000,
  );
  const [year, setYear] = useState<number>();
  const [lines, setLines] = useState<ItemLine[]>([{ kind: "allowance", id: "", tonnes: "" }]);
  const action = useAction();

  return (
    <AsyncView result={result} reload={reload}>
      {(v) => {
        const open = v.years.filter((p) => p.covered && p.yearState === "open");
        const selected = open.find((p) => p.year === year) ?? open[0];
        const submit = (e: FormEvent) => {
          e.preventDefault();
          void action.run(async () => {
            const items = parseItems(lines);
            const y = selected?.year ?? 0;
            const check = await checkSurrender(chain.contracts, wallet.address, y, items);
            const signed = signedContracts(chain, wallet);
            const receipt = await confirm(() =>
              signed.compliance.surrender(
                y,
                items.vintages.map((i) => i.id),
                items.vintages.map((i) => i.amount),
                items.batches.map((i) => i.id),
                items.batches.map((i) => i.amount),
                ZERO_FEE,
              ),
            );
            const met = receipt.logs.some(
              (log) => chain.contracts.compliance.interface.parseLog(log)?.name === "ObligationMet",
            );
            reload();
            return `${t("compliance.surrendered", { year: y, what: describeItems(items), entity: check.entityId.toString() })}${met ? ` ${t("compliance.met", { year: y })}` : ""}`;
          });
        };
        return (
          <>
            <Section title={t("compliance.title")}>
              {entityId === 0n ? (
                <p className="muted">{t("compliance.noEntity")}</p>
              ) : (
                <>
                  <Table
                    testId="compliance-years"
                    empty={t("compliance.noYears")}
                    head={[
                      t("compliance.year"),
                      t("compliance.statusHead"),
                      t("compliance.obligation"),
                      t("compliance.allowances"),
                      t("compliance.ccer"),
                      t("compliance.ccerLeft"),
                      t("compliance.owed"),
                      t("compliance.due"),
                    ]}
                    rows={v.years.map((p, i) => [
                      String(p.year),
                      <StatusPill p={p} />,
                      p.obligationSet ? tonnes(p.obligation) : t("compliance.notSet"),
                      tonnes(p.allowancesSurrendered),
                      tonnes(p.offsetsSurrendered),
                      p.obligationSet
                        ? t("compliance.capLeft", {
                            left: tonnes(p.offsetCapLeft),
                            cap: tonnes(p.offsetCap),
                            bps: formatBps(p.offsetCapBps),
                          })
                        : t("compliance.capShare", { bps: formatBps(p.offsetCapBps) }),
                      p.obligationSet ? tonnes(p.owed) : "—",
                      p.yearState === "open" ? when(v.due[i] ?? 0n) : "—",
                    ])}
                  />
                  <p className="muted" data-testid="compliance-fines">
                    {t("compliance.fines", { v: yuan(v.fines) })}{" "}
                    {v.flaggedUntil > 0 ? t("compliance.flagged", { year: v.flaggedUntil }) : ""}
                  </p>
                </>
              )}
            </Section>
            <Section title={t("compliance.surrender")}>
              {!selected ? (
                <p className="muted">{t("compliance.nothingOpen")}</p>
              ) : (
                <form onSubmit={submit} data-testid="surrender-form">
                  <div className="form-row">
                    <label>
                      {t("compliance.year")}
                      <select
                        data-testid="surrender-year"
                        value={selected.year}
                        onChange={(e) => setYear(Number(e.target.value))}
                      >
                        {open.map((p) => (
                          <option key={p.year} value={p.year}>
                            {p.year}
                          </option>
                        ))}
                      </select>
                    </label>
                  </div>
                  <p data-testid="surrender-summary">
                    {selected.obligationSet
                      ? t("compliance.summary", {
                          owed: tonnes(selected.owed),
                          left: tonnes(selected.offsetCapLeft),
                          year: selected.year,
                        })
                      : t("compliance.obligationPending", { year: selected.year })}
                  </p>
                  <p className="muted">{t("compliance.rules", { year: selected.year })}</p>
                  <ItemsEditor lines={lines} onChange={setLines} testId="surrender-items" />
                  <button type="submit" data-testid="surrender-submit" disabled={action.busy}>
                    {t("compliance.surrenderButton")}
                  </button>
                </form>
              )}
              <div data-testid="surrender-status">
                <ActionStatus action={action} />
              </div>
            </Section>
          </>
        );
      }}
    </AsyncView>
  );
}
