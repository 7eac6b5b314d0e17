import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { checkCancellation, describeItems, readCertificate, readEntity } from "../../../../../sdk/compliance";
import { parseWholeNumber } from "../../../../../sdk/input";
import { confirm, ZERO_FEE } from "../../../../../sdk/send";
import { describeUnits, formatAmount } from "../../../../../sdk/transfers";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import { tonnes, when } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import { ItemsEditor, parseItems, signedContracts, type ItemLine } from "./shared";

/** Voluntary cancellation: units cancelled for good, with a numbered certificate; and the holder's certificates. */
export function Cancellation({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const navigate = useNavigate();
  const { compliance } = chain.contracts;
  const { result, reload } = useAsync(async () => {
    const events = await compliance.queryFilter(
      compliance.filters.CancellationCertificate(undefined, wallet.address),
      chain.manifest.deploymentBlock,
    );
    const ids = events.map((e) => e.args.certificateId).reverse();
    return Promise.all(ids.map(async (id) => ({ id, c: await compliance.certificate(id) })));
  }, [chain, wallet.address]);
  const [lines, setLines] = useState<ItemLine[]>([{ kind: "allowance", id: "", tonnes: "" }]);
  const [beneficiary, setBeneficiary] = useState("");
  const [purpose, setPurpose] = useState("");
  const action = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const items = parseItems(lines);
      const texts = { beneficiary: beneficiary.trim(), purpose: purpose.trim() };
      await checkCancellation(chain.contracts, wallet.address, items, texts);
      const signed = signedContracts(chain, wallet);
      const receipt = await confirm(() =>
        signed.compliance.cancelUnits(
          items.vintages.map((i) => i.id),
          items.vintages.map((i) => i.amount),
          items.batches.map((i) => i.id),
          items.batches.map((i) => i.amount),
          texts.beneficiary,
          texts.purpose,
          ZERO_FEE,
        ),
      );
      let id = 0n;
      for (const log of receipt.logs) {
        const parsed = compliance.interface.parseLog(log);
        if (parsed?.name === "CancellationCertificate") id = parsed.args.certificateId as bigint;
      }
      void navigate(`/participant/certificate/${id}`);
      return t("cancel.done", { what: describeItems(items), id: id.toString() });
    });
  };

  return (
    <>
      <Section title={t("cancel.title")}>
        <p className="muted">{t("cancel.intro")}</p>
        <form onSubmit={submit} data-testid="cancel-form">
          <ItemsEditor lines={lines} onChange={setLines} testId="cancel-items" />
          <div className="form-row">
            <label className="wide">
              {t("cancel.beneficiary")}
              <input
                data-testid="cancel-beneficiary"
                value={beneficiary}
                maxLength={256}
                onChange={(e) => setBeneficiary(e.target.value)}
              />
            </label>
            <label className="wide">
              {t("cancel.purpose")}
              <input
                data-testid="cancel-purpose"
                value={purpose}
                maxLength={256}
                onChange={(e) => setPurpose(e.target.value)}
              />
            </label>
          </div>
          <button type="submit" data-testid="cancel-submit" disabled={action.busy}>
            {t("cancel.button")}
          </button>
        </form>
        <div data-testid="cancel-status">
          <ActionStatus action={action} />
        </div>
      </Section>
      <Section title={t("cancel.mine")}>
        <AsyncView result={result} reload={reload}>
          {(list) => (
            <Table
              testId="my-certificates"
              head={[t("cancel.number"), t("cancel.issuedAt"), t("cancel.total"), t("cancel.beneficiary")]}
              rows={list.map(({ id, c }) => [
                <Link to={`/participant/certificate/${id}`}>No. {id.toString()}</Link>,
                when(c.issuedAt),
                `${tonnes(c.allowances + c.offsets)} t`,
                c.beneficiary,
              ])}
            />
          )}
        </AsyncView>
      </Section>
    </>
  );
}

/** A voluntary cancellation certificate, print-friendly. */
export function Certificate() {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const { id: idParam = "" } = useParams();
  const { result, reload } = useAsync(async () => {
    const id = parseWholeNumber(idParam, "certificate number", 1n);
    const cert = await readCertificate(chain.contracts, id, chain.manifest.deploymentBlock);
    const entity = await readEntity(chain.contracts, cert.entityId);
    const units = await Promise.all(
      cert.units.map(async (u) => {
        if (u.product.kind !== "ccer") return { ...u, note: "" };
        const b = await chain.contracts.offsets.batch(u.product.batch);
        return { ...u, note: `${b.projectId}, ${b.projectType}${b.hydro ? ", hydro" : ""}` };
      }),
    );
    return { cert, entity, units };
  }, [chain, idParam]);
  return (
    <AsyncView result={result} reload={reload}>
      {({ cert, entity, units }) => (
        <article className="card certificate" data-testid="certificate">
          <header className="certificate-head">
            <h1>{t("certificate.title")}</h1>
            <p className="certificate-no" data-testid="certificate-number">
              No. {cert.id.toString()}
            </p>
          </header>
          <dl className="certificate-fields">
            <dt>{t("certificate.holder")}</dt>
            <dd>
              {entity.name} ({t("certificate.entity", { id: cert.entityId.toString() })})
              <br />
              <span className="mono">{cert.holder}</span>
            </dd>
            <dt>{t("cancel.beneficiary")}</dt>
            <dd data-testid="certificate-beneficiary">{cert.beneficiary}</dd>
            <dt>{t("cancel.purpose")}</dt>
            <dd>{cert.purpose}</dd>
            <dt>{t("certificate.units")}</dt>
            <dd>
              <ul>
                {units.map((u, i) => (
                  <li key={i}>
                    {describeUnits(u.product, u.amount)}
                    {u.note && ` (${u.note})`}
                  </li>
                ))}
              </ul>
            </dd>
            <dt>{t("cancel.total")}</dt>
            <dd data-testid="certificate-total">
              {t("certificate.total", {
                total: formatAmount("allowance", cert.allowances + cert.offsets),
                allowances: formatAmount("allowance", cert.allowances),
                offsets: formatAmount("allowance", cert.offsets),
              })}
            </dd>
            <dt>{t("cancel.issuedAt")}</dt>
            <dd>
              {when(cert.issuedAt)}
              {cert.block !== undefined && `, ${t("certificate.block", { block: cert.block })}`}
            </dd>
            {cert.tx && (
              <>
                <dt>{t("certificate.tx")}</dt>
                <dd className="mono">{cert.tx}</dd>
              </>
            )}
            <dt>{t("certificate.registry")}</dt>
            <dd className="mono">
              {chain.manifest.contracts.Compliance} (chain {chain.config.chainId})
            </dd>
          </dl>
          <p className="certificate-note">{t("certificate.note")}</p>
          <div className="no-print form-row">
            <button type="button" data-testid="certificate-print" onClick={() => window.print()}>
              {t("certificate.print")}
            </button>
            <Link to="/participant/cancel">{t("certificate.back")}</Link>
          </div>
        </article>
      )}
    </AsyncView>
  );
}
