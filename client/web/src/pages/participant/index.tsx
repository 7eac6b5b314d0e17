import { useTranslation } from "react-i18next";
import { Navigate, Route, Routes } from "react-router";
import { Tabs } from "../../components/Tabs";
import { RoleGate } from "../../wallet/RoleGate";
import { Holdings } from "./Holdings";

/** The participant's area: one tab per task, all for the connected wallet. */
export function ParticipantArea() {
  const { t } = useTranslation("participant");
  const tabs = [{ path: "holdings", label: t("tabs.holdings") }];
  return (
    <RoleGate>
      {(wallet) => (
        <>
          <Tabs base="/participant" tabs={tabs} />
          <Routes>
            <Route path="holdings" element={<Holdings wallet={wallet} />} />
            <Route path="*" element={<Navigate to="holdings" replace />} />
          </Routes>
        </>
      )}
    </RoleGate>
  );
}
