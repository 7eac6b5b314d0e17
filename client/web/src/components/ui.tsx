/** Small building blocks shared by every page: loading and error states, sections, tables, actions. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useCallback, useId, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { describeError, type Problem } from "../lib/errors";

export type Async<T> =
  { state: "loading"; value?: T } | { state: "ready"; value: T } | { state: "error"; problem: Problem; value?: T };

let nextObjectId = 1;
const objectIds = new WeakMap<object, number>();

/** A query-key part for any dependency: objects by identity, bigints as text. */
function keyPart(d: unknown): unknown {
  if (typeof d === "bigint") return `${d}n`;
  if ((typeof d === "object" && d !== null) || typeof d === "function") {
    let id = objectIds.get(d);
    if (id === undefined) {
      id = nextObjectId++;
      objectIds.set(d, id);
    }
    return `#${id}`;
  }
  return d;
}

/**
 * Runs `load` (through TanStack Query) when `deps` change and on `reload()`, keeping the last
 * value while it reloads; `intervalMs` re-runs it periodically (live pages). Each component's
 * query is its own: two components with the same dependencies never share an answer.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], intervalMs?: number) {
  const id = useId();
  const query = useQuery({
    queryKey: [id, ...deps.map(keyPart)],
    queryFn: load,
    placeholderData: keepPreviousData,
    refetchInterval: intervalMs ?? false,
    retry: false,
    refetchOnWindowFocus: false,
    gcTime: 0,
  });
  const value = query.data;
  const result: Async<T> = query.isError
    ? { state: "error", problem: describeError(query.error), value }
    : query.isSuccess && !query.isPlaceholderData
      ? { state: "ready", value: query.data }
      : { state: "loading", value };
  const { refetch } = query;
  const reload = useCallback(() => void refetch(), [refetch]);
  return { result, reload };
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status">
      {t("loading")}
    </p>
  );
}

export function ErrorNote({ problem, onRetry }: { problem: Problem; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="error" role="alert" data-code={problem.code}>
      <strong>{problem.code}</strong> {problem.message}
      {onRetry && (
        <button type="button" className="link" onClick={onRetry}>
          {t("retry")}
        </button>
      )}
    </div>
  );
}

/** Renders the value of an Async, with loading and error states a person understands. */
export function AsyncView<T>({
  result,
  reload,
  children,
}: {
  result: Async<T>;
  reload?: () => void;
  children: (value: T) => ReactNode;
}) {
  return (
    <>
      {result.state === "error" && <ErrorNote problem={result.problem} onRetry={reload} />}
      {result.value !== undefined ? children(result.value) : result.state === "loading" ? <Loading /> : null}
    </>
  );
}

export function Section({
  title,
  actions,
  children,
  id,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  return (
    <section className="card" id={id}>
      <header className="card-head">
        <h2>{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

/** A table that scrolls sideways on a narrow screen instead of overflowing the page. */
export function Table({
  head,
  rows,
  empty,
  testId,
}: {
  head: ReactNode[];
  rows: ReactNode[][];
  empty?: ReactNode;
  testId?: string;
}) {
  const { t } = useTranslation();
  if (rows.length === 0) return <p className="muted">{empty ?? t("none")}</p>;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The state of one action (signing, sending, waiting for the chain): `run` shows progress, then
 * the result or the error, and refuses a second click while the first runs.
 */
export function useAction() {
  const [state, setState] = useState<{ busy: boolean; problem?: Problem; message?: string }>({ busy: false });
  const busyRef = useRef(false);
  const run = useCallback(async (action: () => Promise<string | void>) => {
    if (busyRef.current) return;
    busyRef.current = true;
    setState({ busy: true });
    try {
      const message = await action();
      setState({ busy: false, message: message ?? undefined });
    } catch (err) {
      setState({ busy: false, problem: describeError(err) });
    } finally {
      busyRef.current = false;
    }
  }, []);
  const clear = useCallback(() => setState({ busy: false }), []);
  return { ...state, run, clear };
}

/** Shows what `useAction` reports under a form. */
export function ActionStatus({ action }: { action: ReturnType<typeof useAction> }) {
  const { t } = useTranslation();
  if (action.busy)
    return (
      <p className="status" role="status">
        {t("sending")}
      </p>
    );
  if (action.problem) return <ErrorNote problem={action.problem} />;
  if (action.message)
    return (
      <p className="ok" role="status">
        {action.message}
      </p>
    );
  return null;
}
