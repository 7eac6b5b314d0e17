import { useTranslation } from "react-i18next";
import { Navigate, Route, Routes } from "react-router";
import { Tabs } from "../../components/Tabs";
import { RoleGate } from "../../wallet/RoleGate";
import { AssignedReports } from "./Assigned";
import { ReportCheck } from "./ReportCheck";

/** The verifier's area (VERIFIER role). */
export function VerifierArea() {
  const { t } = useTranslation("verifier");
  const tabs = [{ path: "reports", label: t("tabs.reports") }];
  return (
    <RoleGate role="verifier">
      {(wallet) => (
        <>
          <h1>{t("title")}</h1>
          <Tabs base="/verifier" tabs={tabs} />
          <Routes>
            <Route path="reports" element={<AssignedReports wallet={wallet} />} />
            <Route path="report/:entity/:year" element={<ReportCheck wallet={wallet} />} />
            <Route path="*" element={<Navigate to="/verifier/reports" replace />} />
          </Routes>
        </>
      )}
    </RoleGate>
  );
}
