import { useTranslation } from "react-i18next";
import { Navigate, Route, Routes } from "react-router";
import { Tabs } from "../../components/Tabs";
import { RoleGate } from "../../wallet/RoleGate";
import { Cancellation, Certificate } from "./Cancellation";
import { Compliance } from "./Compliance";
import { Funds } from "./Funds";
import { Holdings } from "./Holdings";
import { Orders } from "./Orders";
import { Trade } from "./Trade";
import { Transfers } from "./Transfers";
import { Trusted } from "./Trusted";

/** The participant's area: one tab per task, all for the connected wallet. */
export function ParticipantArea() {
  const { t } = useTranslation("participant");
  const tabs = [
    { path: "holdings", label: t("tabs.holdings") },
    { path: "transfers", label: t("tabs.transfers") },
    { path: "trusted", label: t("tabs.trusted") },
    { path: "funds", label: t("tabs.funds") },
    { path: "trade", label: t("tabs.trade") },
    { path: "orders", label: t("tabs.orders") },
    { path: "compliance", label: t("tabs.compliance") },
    { path: "cancel", label: t("tabs.cancel") },
  ];
  return (
    <RoleGate>
      {(wallet) => (
        <>
          <Tabs base="/participant" tabs={tabs} />
          <Routes>
            <Route path="holdings" element={<Holdings wallet={wallet} />} />
            <Route path="transfers" element={<Transfers wallet={wallet} />} />
            <Route path="trusted" element={<Trusted wallet={wallet} />} />
            <Route path="funds" element={<Funds wallet={wallet} />} />
            <Route path="trade" element={<Trade wallet={wallet} />} />
            <Route path="orders" element={<Orders wallet={wallet} />} />
            <Route path="compliance" element={<Compliance wallet={wallet} />} />
            <Route path="cancel" element={<Cancellation wallet={wallet} />} />
            <Route path="certificate/:id" element={<Certificate />} />
            <Route path="*" element={<Navigate to="/participant/holdings" replace />} />
          </Routes>
        </>
      )}
    </RoleGate>
  );
}
