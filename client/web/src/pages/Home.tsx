import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { AsyncView, useAsync } from "../components/ui";
import { useWallet } from "../wallet/WalletContext";
import { ConnectPanel } from "../wallet/ConnectPanel";

export function Home() {
  const { t } = useTranslation();
  const { chain, wallet } = useWallet();
  const { result, reload } = useAsync(() => chain.provider.getBlockNumber(), [chain], 5_000);
  const areas = ["participant", "regulator", "verifier"] as const;
  return (
    <div className="home">
      <p className="lead">{t("home.intro")}</p>
      <div className="grid3">
        {areas.map((a) => (
          <Link key={a} to={`/${a}`} className="card area">
            <h2>{t(`nav.${a}`)}</h2>
            <p>{t(`home.${a}`)}</p>
          </Link>
        ))}
      </div>
      {!wallet && <ConnectPanel />}
      <section className="card">
        <p>{t("home.chain", { chainId: chain.config.chainId, block: chain.config.deploymentBlock })}</p>
        <AsyncView result={result} reload={reload}>
          {(head) => <p data-testid="head-block">{t("home.head", { block: head })}</p>}
        </AsyncView>
        <p>{t("home.services")}:</p>
        <ul>
          <li>
            {t("home.exchange")}: {chain.config.exchange ? t("home.up") : t("home.down")}
          </li>
          <li>
            {t("home.indexer")}:{" "}
            {chain.config.indexer ? <a href="/graphql">{t("home.up")} — GraphiQL</a> : t("home.down")}
          </li>
        </ul>
      </section>
    </div>
  );
}
