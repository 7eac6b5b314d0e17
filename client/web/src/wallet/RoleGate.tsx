import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ConnectPanel } from "./ConnectPanel";
import { useWallet, type ConnectedWallet } from "./WalletContext";

/**
 * Renders `children` for a connected wallet that passes `allowed` (a role check); otherwise the
 * connect panel, or a sentence saying which role is missing.
 */
export function RoleGate({
  role,
  allowed,
  children,
}: {
  role?: "regulator" | "verifier" | "auditor";
  allowed?: (w: ConnectedWallet) => boolean;
  children: (w: ConnectedWallet) => ReactNode;
}) {
  const { t } = useTranslation("wallet");
  const { t: tc } = useTranslation();
  const { wallet } = useWallet();
  if (!wallet)
    return (
      <>
        <p className="muted">{tc("needWallet")}</p>
        <ConnectPanel />
      </>
    );
  const ok = allowed ? allowed(wallet) : role ? wallet.roles[role] : true;
  if (!ok)
    return (
      <div className="error" role="alert" data-code="MISSING_ROLE">
        <strong>MISSING_ROLE</strong>{" "}
        {t("needRole", { role: t(`role.${role ?? "regulator"}`), address: wallet.address })}
      </div>
    );
  return <>{children(wallet)}</>;
}
