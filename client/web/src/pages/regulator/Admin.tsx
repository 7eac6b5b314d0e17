import { useState, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ActionStatus, AsyncView, ErrorNote, Section, useAction, useAsync } from "../../components/ui";
import { describeError } from "../../lib/errors";
import { tonnes } from "../../lib/format";
import { clientError } from "../../../../../sdk/client-errors";
import { CATEGORIES, SECTORS } from "../../../../../sdk/participants";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import * as admin from "./admin-actions";

type Permission = Parameters<typeof admin.mayCall>[2];

/** The administrator's actions of `ets admin`, each with the CLI's checks before anything is sent. */
export function Admin({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("regulator");
  const { chain } = useWallet();
  const { result, reload } = useAsync(async () => {
    const names: Permission[] = ["registerEntity", "openAccount", "issue", "issueFromReserve", "approve", "closeYear"];
    const allowed = await Promise.all(names.map((n) => admin.mayCall(chain, wallet.address, n)));
    return Object.fromEntries(names.map((n, i) => [n, allowed[i]])) as Record<Permission, boolean>;
  }, [chain, wallet.address]);
  return (
    <AsyncView result={result} reload={reload}>
      {(may) => (
        <>
          <p className="muted">{t("admin.intro")}</p>
          <div className="grid2">
            <Register allowed={may.registerEntity} />
            <OpenAccount allowed={may.openAccount} />
            <Allocate allowed={may.issue} />
            <Adjust allowed={may.issueFromReserve} />
            <Approve allowed={may.approve} />
            <CloseYear allowed={may.closeYear} />
          </div>
        </>
      )}
    </AsyncView>
  );
}

function AdminForm({
  title,
  help,
  allowed,
  action,
  onSubmit,
  testId,
  submitLabel,
  children,
}: {
  title: string;
  help: string;
  allowed: boolean;
  action: ReturnType<typeof useAction>;
  onSubmit: () => Promise<string>;
  testId: string;
  submitLabel?: string;
  children: ReactNode;
}) {
  const { t } = useTranslation("regulator");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(onSubmit);
  };
  return (
    <Section title={title}>
      <form onSubmit={submit} data-testid={testId}>
        <p className="muted">{help}</p>
        {!allowed && <p className="pill warn">{t("admin.notAllowed")}</p>}
        <fieldset disabled={!allowed || action.busy}>
          {children}
          <button type="submit" data-testid={`${testId}-submit`}>
            {submitLabel ?? t("admin.send")}
          </button>
        </fieldset>
        <div data-testid={`${testId}-status`}>
          <ActionStatus action={action} />
        </div>
      </form>
    </Section>
  );
}

function Field({
  label,
  value,
  onChange,
  testId,
  ...rest
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  testId: string;
  inputMode?: "numeric" | "text";
  placeholder?: string;
}) {
  return (
    <label>
      {label}
      <input value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} {...rest} />
    </label>
  );
}

function useTx() {
  const { t } = useTranslation("regulator");
  return (r: admin.ActionResult) =>
    r.blocks.length === 0 ? t("admin.nothingSent") : t("admin.confirmed", { blocks: r.blocks.join(", ") });
}

function Register({ allowed }: { allowed: boolean }) {
  const { t } = useTranslation("regulator");
  const { chain, wallet } = useWallet();
  const action = useAction();
  const tx = useTx();
  const [f, setF] = useState<admin.Registration>({
    entityId: "",
    category: "covered-entity",
    sector: "steel",
    name: "",
    creditCode: "",
    wallet: "",
  });
  const set = (k: keyof admin.Registration) => (v: string) => setF({ ...f, [k]: v });
  return (
    <AdminForm
      title={t("admin.register.title")}
      help={t("admin.register.help")}
      allowed={allowed}
      action={action}
      testId="admin-register"
      onSubmit={async () => {
        const r = await admin.registerEntity(chain, wallet!.signer, f);
        return `${t("admin.register.done", { id: f.entityId.trim(), name: f.name.trim() })} ${tx(r)}`;
      }}
    >
      <Field
        label={t("admin.entityId")}
        value={f.entityId}
        onChange={set("entityId")}
        testId="register-id"
        inputMode="numeric"
      />
      <label>
        {t("entities.category")}
        <select
          value={f.category}
          data-testid="register-category"
          onChange={(e) =>
            setF({ ...f, category: e.target.value, sector: e.target.value === "covered-entity" ? "steel" : "" })
          }
        >
          {CATEGORIES.map((c) => (
            <option key={c.key} value={c.key}>
              {t(`categoryKey.${c.key}`)}
            </option>
          ))}
        </select>
      </label>
      {f.category === "covered-entity" && (
        <label>
          {t("entities.sector")}
          <select value={f.sector} onChange={(e) => set("sector")(e.target.value)} data-testid="register-sector">
            {SECTORS.map((s) => (
              <option key={s.key} value={s.key}>
                {t(`sectorKey.${s.key}`)}
              </option>
            ))}
          </select>
        </label>
      )}
      <Field label={t("admin.register.name")} value={f.name} onChange={set("name")} testId="register-name" />
      <Field
        label={t("admin.register.creditCode")}
        value={f.creditCode}
        onChange={set("creditCode")}
        testId="register-credit-code"
        placeholder="91120116MA05K00001"
      />
      <Field
        label={t("admin.wallet")}
        value={f.wallet}
        onChange={set("wallet")}
        testId="register-wallet"
        placeholder="0x…"
      />
    </AdminForm>
  );
}

function OpenAccount({ allowed }: { allowed: boolean }) {
  const { t } = useTranslation("regulator");
  const { chain, wallet } = useWallet();
  const action = useAction();
  const tx = useTx();
  const [id, setId] = useState("");
  const [address, setAddress] = useState("");
  return (
    <AdminForm
      title={t("admin.openAccount.title")}
      help={t("admin.openAccount.help")}
      allowed={allowed}
      action={action}
      testId="admin-open-account"
      onSubmit={async () => {
        const r = await admin.openAccount(chain, wallet!.signer, id, address);
        return `${t("admin.openAccount.done", { id: id.trim() })} ${tx(r)}`;
      }}
    >
      <Field label={t("admin.entityId")} value={id} onChange={setId} testId="open-id" inputMode="numeric" />
      <Field label={t("admin.wallet")} value={address} onChange={setAddress} testId="open-wallet" placeholder="0x…" />
    </AdminForm>
  );
}

function Allocate({ allowed }: { allowed: boolean }) {
  const { t } = useTranslation("regulator");
  const { chain, wallet } = useWallet();
  const action = useAction();
  const tx = useTx();
  const [text, setText] = useState<string>();
  const [uri, setUri] = useState("");
  const [progress, setProgress] = useState<number>();
  const preview = (() => {
    if (text === undefined) return undefined;
    try {
      return { plan: admin.planOf(text).plan };
    } catch (err) {
      return { error: describeError(err) };
    }
  })();
  return (
    <AdminForm
      title={t("admin.allocate.title")}
      help={t("admin.allocate.help")}
      allowed={allowed}
      action={action}
      testId="admin-allocate"
      onSubmit={async () => {
        if (text === undefined) throw clientError("MISSING_VALUE", t("admin.allocate.chooseFile"));
        const { plan } = admin.planOf(text);
        try {
          const r = await admin.allocate(chain, wallet!.signer, plan, uri, setProgress);
          return r.blocks.length === 0
            ? t("admin.allocate.complete", { year: plan.year })
            : `${t("admin.allocate.done", { year: plan.year, issued: r.issued, entries: plan.entries.length })} ${tx(r)}`;
        } finally {
          setProgress(undefined);
        }
      }}
    >
      <label>
        {t("admin.allocate.file")}
        <input
          type="file"
          accept=".json,application/json"
          data-testid="allocate-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void file.text().then(setText);
            else setText(undefined);
          }}
        />
      </label>
      <Field label={t("admin.allocate.uri")} value={uri} onChange={setUri} testId="allocate-uri" />
      {preview && "plan" in preview && preview.plan && (
        <p className="muted" data-testid="allocate-preview">
          {t("admin.allocate.preview", {
            year: preview.plan.year,
            entries: preview.plan.entries.length,
            total: tonnes(preview.plan.total),
            cap: tonnes(preview.plan.cap),
            reserve: tonnes(preview.plan.reserve),
          })}
        </p>
      )}
      {preview && "error" in preview && preview.error && <ErrorNote problem={preview.error} />}
      {progress !== undefined && <p className="status">{t("admin.allocate.progress", { issued: progress })}</p>}
    </AdminForm>
  );
}

function Adjust({ allowed }: { allowed: boolean }) {
  const { t } = useTranslation("regulator");
  const { chain, wallet } = useWallet();
  const action = useAction();
  const tx = useTx();
  const [f, setF] = useState({ year: "", entityId: "", tonnes: "", reason: "" });
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  return (
    <AdminForm
      title={t("admin.adjust.title")}
      help={t("admin.adjust.help")}
      allowed={allowed}
      action={action}
      testId="admin-adjust"
      onSubmit={async () => {
        const r = await admin.adjust(chain, wallet!.signer, f);
        return `${t(r.newEntrant ? "admin.adjust.doneNew" : "admin.adjust.done", { n: f.tonnes.trim(), id: f.entityId.trim(), year: f.year.trim() })} ${tx(r)}`;
      }}
    >
      <Field label={t("year")} value={f.year} onChange={set("year")} testId="adjust-year" inputMode="numeric" />
      <Field
        label={t("admin.entityId")}
        value={f.entityId}
        onChange={set("entityId")}
        testId="adjust-id"
        inputMode="numeric"
      />
      <Field
        label={t("admin.tonnes")}
        value={f.tonnes}
        onChange={set("tonnes")}
        testId="adjust-tonnes"
        inputMode="numeric"
      />
      <Field label={t("admin.reason")} value={f.reason} onChange={set("reason")} testId="adjust-reason" />
    </AdminForm>
  );
}

function Approve({ allowed }: { allowed: boolean }) {
  const { t } = useTranslation("regulator");
  const { chain, wallet } = useWallet();
  const action = useAction();
  const tx = useTx();
  const [id, setId] = useState("");
  const [year, setYear] = useState("");
  return (
    <AdminForm
      title={t("admin.approve.title")}
      help={t("admin.approve.help")}
      allowed={allowed}
      action={action}
      testId="admin-approve"
      onSubmit={async () => {
        const r = await admin.approve(chain, wallet!.signer, id, year);
        return `${t("admin.approve.done", { id: id.trim(), year: year.trim(), n: tonnes(r.obligation) })} ${tx(r)}`;
      }}
    >
      <Field label={t("admin.entityId")} value={id} onChange={setId} testId="approve-id" inputMode="numeric" />
      <Field label={t("year")} value={year} onChange={setYear} testId="approve-year" inputMode="numeric" />
    </AdminForm>
  );
}

function CloseYear({ allowed }: { allowed: boolean }) {
  const { t } = useTranslation("regulator");
  const { chain, wallet } = useWallet();
  const action = useAction();
  const tx = useTx();
  const [year, setYear] = useState("");
  const [batch, setBatch] = useState("50");
  return (
    <AdminForm
      title={t("admin.close.title")}
      help={t("admin.close.help")}
      allowed={allowed}
      action={action}
      testId="admin-close"
      onSubmit={async () => {
        const r = await admin.closeYear(chain, wallet!.signer, year, batch);
        const summary = t("admin.close.summary", {
          compliant: r.compliant.toString(),
          shortfall: r.inShortfall.toString(),
          total: tonnes(r.totalShortfall),
        });
        return r.alreadyClosed
          ? `${t("admin.close.already", { year: year.trim() })} ${summary}`
          : `${t("admin.close.done", { year: year.trim() })} ${summary} ${tx(r)}`;
      }}
    >
      <Field label={t("year")} value={year} onChange={setYear} testId="close-year" inputMode="numeric" />
      <Field
        label={t("admin.close.batch")}
        value={batch}
        onChange={setBatch}
        testId="close-batch"
        inputMode="numeric"
      />
    </AdminForm>
  );
}
