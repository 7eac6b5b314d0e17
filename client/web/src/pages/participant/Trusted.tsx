import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { chainCoded } from "../../../../../sdk/client-errors";
import { accountStatus } from "../../../../../sdk/preflight";
import { confirm, ZERO_FEE } from "../../../../../sdk/send";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import { when } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import { chainNow, parseAccount, signedContracts } from "./shared";

/** The trusted account list: transfers to a trusted account are immediate once its trust delay has passed. */
export function Trusted({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const { rules } = chain.contracts;
  const { result, reload } = useAsync(
    async () => {
      const [list, delay, now] = await Promise.all([
        rules.trustedAccounts(wallet.address),
        rules.trustDelay(),
        chainNow(chain),
      ]);
      return { list: list.map((e) => ({ account: e.account, activeFrom: e.activeFrom })), delay, now };
    },
    [chain, wallet.address],
    15_000,
  );
  const [input, setInput] = useState("");
  const add = useAction();
  const remove = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void add.run(async () => {
      const account = parseAccount(input, "account to trust");
      if (account === wallet.address) {
        throw chainCoded(
          "RulesInvalidTrustedAccount",
          "Your own wallet cannot be on your trusted list (your own accounts are always immediate).",
          { account },
        );
      }
      const holder = await accountStatus(chain.contracts.registry, wallet.address);
      if (holder.status !== "active") {
        throw chainCoded(
          "RulesHolderNotActive",
          `Your wallet ${wallet.address} has no active registry account (it is ${holder.status}).`,
        );
      }
      const target = await accountStatus(chain.contracts.registry, account);
      if (target.status !== "active") {
        throw chainCoded(
          "RulesTrustedAccountNotActive",
          `${account} has no active registry account (${target.status === "none" ? "not registered" : target.status}) and cannot be trusted.`,
          { account },
        );
      }
      const existing = (await rules.trustedAccounts(wallet.address)).find((x) => x.account === account);
      if (existing) {
        throw chainCoded(
          "RulesAlreadyTrusted",
          `${account} is already on your trusted list (counting from ${when(existing.activeFrom)}).`,
          { account },
        );
      }
      const signed = signedContracts(chain, wallet);
      const receipt = await confirm(() => signed.rules.addTrusted(account, ZERO_FEE));
      let activeFrom = 0n;
      for (const log of receipt.logs) {
        const parsed = signed.rules.interface.parseLog(log);
        if (parsed?.name === "TrustedAccountAdded") activeFrom = parsed.args[2] as bigint;
      }
      setInput("");
      reload();
      return t("trusted.added", { account, at: when(activeFrom) });
    });
  };

  const drop = (account: string) =>
    remove.run(async () => {
      const list = await rules.trustedAccounts(wallet.address);
      if (!list.some((e) => e.account === account)) {
        throw chainCoded("RulesNotTrusted", `${account} is not on your trusted list.`, { account });
      }
      const signed = signedContracts(chain, wallet);
      await confirm(() => signed.rules.removeTrusted(account, ZERO_FEE));
      reload();
      return t("trusted.removed", { account });
    });

  return (
    <>
      <AsyncView result={result} reload={reload}>
        {(v) => (
          <Section title={t("trusted.title")}>
            <p className="muted">{t("trusted.intro", { hours: (Number(v.delay) / 3600).toFixed(1) })}</p>
            <div data-testid="trusted-remove-status">
              <ActionStatus action={remove} />
            </div>
            <Table
              testId="trusted-list"
              head={[t("trusted.account"), t("trusted.from"), t("trusted.state"), ""]}
              rows={v.list.map((e) => [
                <span className="mono">{e.account}</span>,
                when(e.activeFrom),
                e.activeFrom <= v.now ? (
                  <span className="pill">{t("trusted.active")}</span>
                ) : (
                  <span className="pill warn">{t("trusted.waiting")}</span>
                ),
                <button
                  type="button"
                  className="secondary"
                  disabled={remove.busy}
                  data-testid={`trusted-remove-${e.account}`}
                  onClick={() => void drop(e.account)}
                >
                  {t("trusted.remove")}
                </button>,
              ])}
            />
          </Section>
        )}
      </AsyncView>
      <Section title={t("trusted.add")}>
        <form onSubmit={submit} data-testid="trusted-form">
          <div className="form-row">
            <label className="wide">
              {t("trusted.account")}
              <input
                data-testid="trusted-account"
                value={input}
                placeholder="0x…"
                autoComplete="off"
                onChange={(e) => setInput(e.target.value)}
              />
            </label>
          </div>
          <button type="submit" data-testid="trusted-submit" disabled={add.busy}>
            {t("trusted.addButton")}
          </button>
        </form>
        <div data-testid="trusted-status">
          <ActionStatus action={add} />
        </div>
      </Section>
    </>
  );
}
