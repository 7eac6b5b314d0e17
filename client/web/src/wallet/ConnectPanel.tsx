import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ActionStatus, useAction } from "../components/ui";
import { webError } from "../lib/errors";
import { useWallet } from "./WalletContext";

/** Connect a wallet: a keystore file unlocked in the browser, or an injected wallet. */
export function ConnectPanel() {
  const { t } = useTranslation("wallet");
  const { connectKeystore, connectInjected, switchInjectedChain } = useWallet();
  const [file, setFile] = useState<File>();
  const [password, setPassword] = useState("");
  const [progress, setProgress] = useState<number>();
  const keystore = useAction();
  const injected = useAction();

  const unlock = (e: FormEvent) => {
    e.preventDefault();
    void keystore.run(async () => {
      if (!file) throw webError("KEYSTORE_INVALID", t("chooseFile"));
      const json = await file.text();
      setProgress(0);
      try {
        await connectKeystore(json, password, (p) => setProgress(Math.round(p * 100)));
      } finally {
        setProgress(undefined);
        setPassword("");
      }
    });
  };

  return (
    <div className="connect" data-testid="connect-panel">
      <form className="card" onSubmit={unlock}>
        <h3>{t("keystore")}</h3>
        <p className="muted">{t("keystoreHelp")}</p>
        <label>
          {t("chooseFile")}
          <input
            type="file"
            accept=".json,application/json"
            data-testid="keystore-file"
            onChange={(e) => setFile(e.target.files?.[0])}
          />
        </label>
        <label>
          {t("password")}
          <input
            type="password"
            autoComplete="current-password"
            data-testid="keystore-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" disabled={keystore.busy || !file} data-testid="keystore-unlock">
          {progress !== undefined ? t("unlocking", { pct: progress }) : t("unlock")}
        </button>
        {!keystore.busy && <ActionStatus action={keystore} />}
      </form>
      <div className="card">
        <h3>{t("injected")}</h3>
        <p className="muted">{t("injectedHelp")}</p>
        <button type="button" disabled={injected.busy} onClick={() => void injected.run(connectInjected)}>
          {t("useInjected")}
        </button>
        <ActionStatus action={injected} />
        {injected.problem?.code === "WRONG_CHAIN" && (
          <button
            type="button"
            className="secondary"
            onClick={() =>
              void injected.run(async () => {
                await switchInjectedChain();
                await connectInjected();
              })
            }
          >
            {t("switchChain")}
          </button>
        )}
      </div>
    </div>
  );
}

/** The wallet line of the header: address, entity and roles, and disconnect. */
export function WalletBadge() {
  const { t } = useTranslation("wallet");
  const { wallet, disconnect } = useWallet();
  if (!wallet) return null;
  const roles = (Object.keys(wallet.roles) as (keyof typeof wallet.roles)[]).filter((r) => wallet.roles[r]);
  return (
    <div className="wallet-badge" data-testid="wallet-badge">
      <span className="mono" title={wallet.address}>
        {wallet.address.slice(0, 8)}…{wallet.address.slice(-6)}
      </span>
      {wallet.entityName && <span className="pill">{wallet.entityName}</span>}
      {roles.map((r) => (
        <span className="pill role" key={r}>
          {t(`role.${r}`)}
        </span>
      ))}
      <button type="button" className="link" onClick={disconnect}>
        {t("disconnect")}
      </button>
    </div>
  );
}
