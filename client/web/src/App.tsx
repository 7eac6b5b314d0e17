import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { HashRouter, NavLink, Route, Routes } from "react-router";
import { AsyncView, useAsync } from "./components/ui";
import { setLanguage } from "./i18n";
import { connectChain } from "./lib/chain";
import { loadPortalConfig } from "./lib/config";
import { Home } from "./pages/Home";
import { ParticipantArea } from "./pages/participant";
import { RegulatorArea } from "./pages/regulator";
import { VerifierArea } from "./pages/verifier";
import { WalletBadge } from "./wallet/ConnectPanel";
import { WalletProvider } from "./wallet/WalletContext";

function Header() {
  const { t, i18n } = useTranslation();
  return (
    <header className="top">
      <div className="brand">
        <strong>{t("title")}</strong>
        <span className="muted">{t("subtitle")}</span>
      </div>
      <nav className="main-nav">
        <NavLink to="/" end>
          {t("nav.home")}
        </NavLink>
        <NavLink to="/participant">{t("nav.participant")}</NavLink>
        <NavLink to="/regulator">{t("nav.regulator")}</NavLink>
        <NavLink to="/verifier">{t("nav.verifier")}</NavLink>
      </nav>
      <WalletBadge />
      <button
        type="button"
        className="lang"
        data-testid="language-switch"
        onClick={() => setLanguage(i18n.language === "en" ? "zh-CN" : "en")}
      >
        {t("language")}
      </button>
    </header>
  );
}

const queryClient = new QueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <Portal />
    </QueryClientProvider>
  );
}

function Portal() {
  const { result, reload } = useAsync(async () => connectChain(await loadPortalConfig()), []);
  return (
    <AsyncView result={result} reload={reload}>
      {(chain) => (
        <WalletProvider chain={chain}>
          <HashRouter>
            <Header />
            <main>
              <Routes>
                <Route path="/" element={<Home />} />
                <Route path="/participant/*" element={<ParticipantArea />} />
                <Route path="/regulator/*" element={<RegulatorArea />} />
                <Route path="/verifier/*" element={<VerifierArea />} />
              </Routes>
            </main>
          </HashRouter>
        </WalletProvider>
      )}
    </AsyncView>
  );
}
