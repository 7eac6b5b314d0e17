import { useTranslation } from "react-i18next";
import { Navigate, Route, Routes } from "react-router";
import { Tabs } from "../../components/Tabs";
import { RoleGate } from "../../wallet/RoleGate";

/** The verifier's area (VERIFIER role). */
export function VerifierArea() {
  const { t } = useTranslation("verifier");
  const tabs: { path: string; label: string }[] = [];
  return (
    <RoleGate role="verifier">
      {() => (
        <>
          <h1>{t("title")}</h1>
          <Tabs base="/verifier" tabs={tabs} />
          <Routes>
            <Route path="*" element={tabs[0] ? <Navigate to={tabs[0].path} replace /> : null} />
          </Routes>
        </>
      )}
    </RoleGate>
  );
}
