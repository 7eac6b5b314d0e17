import { useTranslation } from "react-i18next";
import { Navigate, Route, Routes } from "react-router";
import { Tabs } from "../../components/Tabs";
import { RoleGate } from "../../wallet/RoleGate";

/** The regulator's area (REGULATOR, or AUDITOR for the read-only pages). */
export function RegulatorArea() {
  const { t } = useTranslation("regulator");
  const tabs: { path: string; label: string }[] = [];
  return (
    <RoleGate allowed={(w) => w.roles.regulator || w.roles.auditor} role="regulator">
      {() => (
        <>
          <h1>{t("title")}</h1>
          <Tabs base="/regulator" tabs={tabs} />
          <Routes>
            <Route path="*" element={tabs[0] ? <Navigate to={tabs[0].path} replace /> : null} />
          </Routes>
        </>
      )}
    </RoleGate>
  );
}
