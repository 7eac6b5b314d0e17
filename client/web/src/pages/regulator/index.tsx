import { useTranslation } from "react-i18next";
import { Navigate, Route, Routes } from "react-router";
import { Tabs } from "../../components/Tabs";
import { RoleGate } from "../../wallet/RoleGate";
import { Admin } from "./Admin";
import { Alerts } from "./Alerts";
import { ComplianceBoard } from "./Board";
import { Entities } from "./Entities";
import { EntityPage } from "./EntityPage";
import { Market } from "./Market";
import { RegulatorSessionProvider } from "./session";
import { Supply } from "./Supply";

/** The regulator's area (REGULATOR, or AUDITOR for the read-only pages). */
export function RegulatorArea() {
  const { t } = useTranslation("regulator");
  return (
    <RoleGate allowed={(w) => w.roles.regulator || w.roles.auditor} role="regulator">
      {(wallet) => {
        // An auditor reads; only a regulator sees the administrator's actions.
        const canAdmin = wallet.roles.regulator;
        const tabs = [
          { path: "board", label: t("tabs.board") },
          { path: "entities", label: t("tabs.entities") },
          { path: "supply", label: t("tabs.supply") },
          { path: "market", label: t("tabs.market") },
          { path: "alerts", label: t("tabs.alerts") },
          ...(canAdmin ? [{ path: "admin", label: t("tabs.admin") }] : []),
        ];
        return (
          <RegulatorSessionProvider key={wallet.address}>
            <div className="area-head">
              <h1>{t("title")}</h1>
              {!canAdmin && (
                <span className="pill warn" data-testid="read-only">
                  {t("readOnly")}
                </span>
              )}
              <a className="graphiql" href="/graphql" target="_blank" rel="noreferrer" data-testid="graphiql-link">
                {t("graphiql")}
              </a>
            </div>
            <Tabs base="/regulator" tabs={tabs} />
            <Routes>
              <Route path="board" element={<ComplianceBoard />} />
              <Route path="entities" element={<Entities />} />
              <Route path="entity/:id" element={<EntityPage />} />
              <Route path="supply" element={<Supply />} />
              <Route path="market" element={<Market />} />
              <Route path="alerts" element={<Alerts />} />
              {canAdmin && <Route path="admin" element={<Admin wallet={wallet} />} />}
              <Route path="*" element={<Navigate to="/regulator/board" replace />} />
            </Routes>
          </RegulatorSessionProvider>
        );
      }}
    </RoleGate>
  );
}
