/** Small pieces of the regulator's pages: bar charts, the CSV button, the year field. */
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ActionStatus, useAction } from "../../components/ui";
import { useRegulatorSession } from "./session";

/** Width of `value` in a bar whose full length is `max`, in per mille (integers, never floats). */
function permille(value: bigint, max: bigint): number {
  if (max <= 0n || value <= 0n) return 0;
  return Number((value * 1000n) / max);
}

/** A horizontal bar per row, scaled to the largest value; the figure is shown as text beside it. */
export function Bars({
  rows,
  format,
  testId,
}: {
  rows: { label: ReactNode; value: bigint; title?: string }[];
  format: (v: bigint) => string;
  testId?: string;
}) {
  const max = rows.reduce((m, r) => (r.value > m ? r.value : m), 0n);
  return (
    <div className="bars" data-testid={testId}>
      {rows.map((r, i) => (
        <div className="bar-row" key={i} title={r.title}>
          <span className="bar-label">{r.label}</span>
          <span className="bar-track">
            <span className="bar" style={{ width: `${permille(r.value, max) / 10}%` }} />
          </span>
          <span className="bar-value">{format(r.value)}</span>
        </div>
      ))}
    </div>
  );
}

/** Bars split in coloured segments (e.g. report stages), each row scaled to its own total. */
export function StackedBars({
  rows,
  segments,
  testId,
}: {
  rows: { label: ReactNode; values: number[] }[];
  segments: { label: string; className: string }[];
  testId?: string;
}) {
  return (
    <div className="bars" data-testid={testId}>
      <div className="legend">
        {segments.map((s) => (
          <span key={s.className}>
            <span className={`swatch ${s.className}`} /> {s.label}
          </span>
        ))}
      </div>
      {rows.map((r, i) => {
        const total = r.values.reduce((a, b) => a + b, 0);
        return (
          <div className="bar-row" key={i}>
            <span className="bar-label">{r.label}</span>
            <span className="bar-track stacked">
              {r.values.map((v, j) =>
                v > 0 && total > 0 ? (
                  <span
                    key={j}
                    className={`seg ${segments[j]?.className ?? ""}`}
                    style={{ width: `${(v * 100) / total}%` }}
                    title={`${segments[j]?.label ?? ""}: ${v}`}
                  />
                ) : null,
              )}
            </span>
            <span className="bar-value">{total}</span>
          </div>
        );
      })}
    </div>
  );
}

/** "Export CSV": the list of `query` through `/export.csv`, with the session. */
export function ExportButton({
  query,
  variables,
  file,
  testId,
}: {
  query: string;
  variables: Record<string, unknown>;
  file: string;
  testId?: string;
}) {
  const { t } = useTranslation("regulator");
  const session = useRegulatorSession();
  const action = useAction();
  return (
    <span className="export">
      <button
        type="button"
        className="secondary"
        data-testid={testId}
        disabled={action.busy}
        onClick={() => void action.run(async () => session.exportCsv(query, variables, file))}
      >
        {t("exportCsv")}
      </button>
      {action.problem && <ActionStatus action={action} />}
    </span>
  );
}

/** A compliance year or vintage typed as four digits (2000–2100). */
export function YearField({
  value,
  onChange,
  testId,
  label,
}: {
  value: number;
  onChange: (y: number) => void;
  testId?: string;
  label?: string;
}) {
  const { t } = useTranslation("regulator");
  return (
    <label className="stacked">
      {label ?? t("year")}
      <input
        type="number"
        min={2000}
        max={2100}
        step={1}
        value={value}
        data-testid={testId}
        onChange={(e) => {
          const y = Number(e.target.value);
          if (Number.isInteger(y) && y >= 2000 && y <= 2100) onChange(y);
        }}
      />
    </label>
  );
}

/** A page of a cursor-paged list: previous pages are kept as a stack of cursors. */
export function Pager({
  hasNext,
  onNext,
  onPrev,
  page,
}: {
  hasNext: boolean;
  onNext: () => void;
  onPrev?: () => void;
  page: number;
}) {
  const { t } = useTranslation("regulator");
  return (
    <div className="pager">
      <button type="button" className="secondary" disabled={!onPrev} onClick={onPrev} data-testid="page-prev">
        {t("prev")}
      </button>
      <span className="muted">{t("page", { n: page })}</span>
      <button type="button" className="secondary" disabled={!hasNext} onClick={onNext} data-testid="page-next">
        {t("next")}
      </button>
    </div>
  );
}

/** A compliance status as a coloured pill: open (amber), shortfall (red), else green. */
export function CompliancePill({ status, suffix }: { status: string; suffix?: string }) {
  const { t } = useTranslation("regulator");
  return (
    <span className={`pill ${status === "SHORTFALL" ? "bad" : status === "OPEN" ? "warn" : ""}`}>
      {t(`compliance.${status}`)}
      {suffix}
    </span>
  );
}
