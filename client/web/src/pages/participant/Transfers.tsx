import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { clientError } from "../../../../../sdk/client-errors";
import { checkTransfer, isImmediateAt, requireActiveAccount, requireTransfersOpen } from "../../../../../sdk/preflight";
import { confirm, ZERO_FEE } from "../../../../../sdk/send";
import {
  describeUnits,
  formatTransferRef,
  guardedToken,
  openPendingTransfers,
  transferUnits,
  type PendingTransferView,
} from "../../../../../sdk/transfers";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import { shortAddress, when } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import {
  amountFor,
  chainNow,
  parseAccount,
  parseProduct,
  ProductFields,
  signedContracts,
  type ProductInput,
} from "./shared";

/** Transfers: send units (immediate to a trusted account, pending otherwise) and the open pending transfers. */
export function Transfers({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const { result, reload } = useAsync(
    async () => {
      const [pending, now] = await Promise.all([
        openPendingTransfers(chain.contracts, wallet.address, { fromBlock: chain.manifest.deploymentBlock }),
        chainNow(chain),
      ]);
      return { ...pending, now };
    },
    [chain, wallet.address],
    15_000,
  );

  const [product, setProduct] = useState<ProductInput>({ kind: "allowance", id: "" });
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("");
  const send = useAction();
  const row = useAction();
  // What a transfer to the receiver typed would be: immediate (trusted, same entity, the exchange) or held pending.
  const preview = useAsync(async () => {
    let receiver: string;
    try {
      receiver = parseAccount(to, "receiver");
    } catch {
      return undefined;
    }
    if (receiver === wallet.address) return undefined;
    const [immediate, delay] = await Promise.all([
      isImmediateAt(chain.contracts, wallet.address, receiver, await chainNow(chain)),
      chain.contracts.rules.pendingDelay(),
    ]);
    return { immediate, hours: (Number(delay) / 3600).toFixed(1) };
  }, [chain, wallet.address, to]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send.run(async () => {
      const p = parseProduct(product);
      const receiver = parseAccount(to, "receiver");
      const units = amountFor(p.kind, amount);
      if (receiver === wallet.address) {
        throw clientError("TRANSFER_TO_SELF", `The receiver ${receiver} is the connected wallet itself.`);
      }
      await checkTransfer(
        chain.contracts,
        { from: wallet.address, to: receiver, product: p, amount: units },
        await chainNow(chain),
      );
      const { receipt, outcome } = await transferUnits(
        signedContracts(chain, wallet),
        p,
        wallet.address,
        receiver,
        units,
      );
      reload();
      const what = describeUnits(p, units);
      return outcome.kind === "immediate"
        ? t("transfers.immediate", { what, to: receiver, block: receipt.blockNumber })
        : t("transfers.pending", {
            what,
            to: receiver,
            ref: formatTransferRef({ kind: p.kind, id: outcome.transferId }),
            at: when(outcome.releaseAt),
          });
    });
  };

  const cancel = (v: PendingTransferView) =>
    row.run(async () => {
      const receipt = await confirm(() =>
        guardedToken(signedContracts(chain, wallet), v.ref.kind).cancelPending(v.ref.id, ZERO_FEE),
      );
      reload();
      return t("transfers.cancelled", { ref: formatTransferRef(v.ref), block: receipt.blockNumber });
    });

  const execute = (v: PendingTransferView) =>
    row.run(async () => {
      await requireTransfersOpen(chain.contracts);
      await requireActiveAccount(chain.contracts.registry, v.from, "Sender");
      await requireActiveAccount(chain.contracts.registry, v.to, "Receiver");
      const receipt = await confirm(() =>
        guardedToken(signedContracts(chain, wallet), v.ref.kind).executePending(v.ref.id, ZERO_FEE),
      );
      reload();
      return t("transfers.executed", { ref: formatTransferRef(v.ref), block: receipt.blockNumber });
    });

  return (
    <>
      <Section title={t("transfers.send")}>
        <p className="muted">{t("transfers.intro")}</p>
        <form onSubmit={submit} data-testid="transfer-form">
          <ProductFields value={product} onChange={setProduct} testId="transfer-product" />
          <div className="form-row">
            <label className="wide">
              {t("transfers.to")}
              <input
                data-testid="transfer-to"
                value={to}
                placeholder="0x…"
                autoComplete="off"
                onChange={(e) => setTo(e.target.value)}
              />
            </label>
            <label>
              {product.kind === "cash" ? t("form.yuan") : t("form.tonnes")}
              <input
                data-testid="transfer-amount"
                inputMode="decimal"
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
              />
            </label>
          </div>
          {preview.result.value && (
            <p className="muted" data-testid="transfer-preview">
              {preview.result.value.immediate
                ? t("transfers.willBeImmediate")
                : t("transfers.willBePending", { hours: preview.result.value.hours })}
            </p>
          )}
          <button type="submit" data-testid="transfer-submit" disabled={send.busy}>
            {t("transfers.submit")}
          </button>
        </form>
        <div data-testid="transfer-status">
          <ActionStatus action={send} />
        </div>
      </Section>
      <AsyncView result={result} reload={reload}>
        {(p) => (
          <>
            <div data-testid="pending-status">
              <ActionStatus action={row} />
            </div>
            <Section title={t("transfers.outgoing")}>
              <Table
                testId="pending-outgoing"
                head={[t("transfers.ref"), t("transfers.units"), t("transfers.to"), t("transfers.releaseAt"), ""]}
                rows={p.outgoing.map((v) => [
                  formatTransferRef(v.ref),
                  describeUnits(v.product, v.amount),
                  <span className="mono" title={v.to}>
                    {shortAddress(v.to)}
                  </span>,
                  when(v.releaseAt),
                  <span className="row-actions">
                    <button
                      type="button"
                      className="secondary"
                      data-testid={`pending-cancel-${formatTransferRef(v.ref)}`}
                      disabled={row.busy}
                      onClick={() => void cancel(v)}
                    >
                      {t("transfers.cancel")}
                    </button>
                    {v.releaseAt <= p.now && (
                      <button
                        type="button"
                        className="secondary"
                        disabled={row.busy}
                        data-testid={`pending-execute-${formatTransferRef(v.ref)}`}
                        onClick={() => void execute(v)}
                      >
                        {t("transfers.execute")}
                      </button>
                    )}
                  </span>,
                ])}
              />
            </Section>
            <Section title={t("transfers.incoming")}>
              <Table
                testId="pending-incoming"
                head={[t("transfers.ref"), t("transfers.units"), t("transfers.from"), t("transfers.releaseAt"), ""]}
                rows={p.incoming.map((v) => [
                  formatTransferRef(v.ref),
                  describeUnits(v.product, v.amount),
                  <span className="mono" title={v.from}>
                    {shortAddress(v.from)}
                  </span>,
                  when(v.releaseAt),
                  v.releaseAt <= p.now ? (
                    <button
                      type="button"
                      className="secondary"
                      disabled={row.busy}
                      data-testid={`pending-execute-${formatTransferRef(v.ref)}`}
                      onClick={() => void execute(v)}
                    >
                      {t("transfers.execute")}
                    </button>
                  ) : (
                    <span className="muted">{t("transfers.waiting")}</span>
                  ),
                ])}
              />
            </Section>
          </>
        )}
      </AsyncView>
    </>
  );
}
