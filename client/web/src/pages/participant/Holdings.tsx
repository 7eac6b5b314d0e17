import { useTranslation } from "react-i18next";
import { guardedToken, type TokenKind } from "../../../../../sdk/transfers";
import { AsyncView, Section, Table, useAsync } from "../../components/ui";
import type { Chain } from "../../lib/chain";
import { product, tonnes, yuan } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import { TradingAccount } from "./Funds";

export interface HoldingRow {
  id: bigint;
  available: bigint;
  locked: bigint;
}

/** Balances of one token kind per id: available, and locked by pending transfers. */
export async function readHoldings(chain: Chain, kind: TokenKind, address: string): Promise<HoldingRow[]> {
  const token = guardedToken(chain.contracts, kind);
  const ids = kind === "cash" ? [0n] : [...(await token.heldIds(address))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    ids.map(async (id) => {
      const [available, locked] = await Promise.all([
        token.availableBalanceOf(address, id),
        token.lockedBalanceOf(address, id),
      ]);
      return { id, available, locked };
    }),
  );
}

export function Holdings({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const { result, reload } = useAsync(
    async () => {
      const [allowances, ccer, cash] = await Promise.all([
        readHoldings(chain, "allowance", wallet.address),
        readHoldings(chain, "ccer", wallet.address),
        readHoldings(chain, "cash", wallet.address),
      ]);
      const batches = await Promise.all(ccer.map((h) => chain.contracts.offsets.batch(h.id)));
      return { allowances, ccer, batches, cash: cash[0] ?? { id: 0n, available: 0n, locked: 0n } };
    },
    [chain, wallet.address],
    10_000,
  );
  return (
    <AsyncView result={result} reload={reload}>
      {(h) => (
        <>
          <Section title={t("holdings.allowances")}>
            <Table
              testId="holdings-allowances"
              head={[
                t("holdings.product"),
                t("holdings.vintage"),
                t("holdings.total"),
                t("holdings.available"),
                t("holdings.locked"),
              ]}
              rows={h.allowances.map((r) => [
                product(r.id),
                r.id.toString(),
                tonnes(r.available + r.locked),
                tonnes(r.available),
                tonnes(r.locked),
              ])}
            />
          </Section>
          <Section title={t("holdings.ccer")}>
            <Table
              testId="holdings-ccer"
              head={[
                t("holdings.batch"),
                t("holdings.project"),
                t("holdings.total"),
                t("holdings.available"),
                t("holdings.locked"),
              ]}
              rows={h.ccer.map((r, i) => [
                r.id.toString(),
                `${h.batches[i]?.projectId ?? ""} ${h.batches[i]?.projectType ?? ""}`,
                tonnes(r.available + r.locked),
                tonnes(r.available),
                tonnes(r.locked),
              ])}
            />
          </Section>
          <Section title={t("holdings.cash")}>
            <p data-testid="holdings-cash">
              ¥{yuan(h.cash.available + h.cash.locked)}{" "}
              <span className="muted">
                ({t("holdings.available")} ¥{yuan(h.cash.available)}, {t("holdings.locked")} ¥{yuan(h.cash.locked)})
              </span>
            </p>
          </Section>
          {chain.config.exchange && <TradingAccount wallet={wallet} />}
        </>
      )}
    </AsyncView>
  );
}
