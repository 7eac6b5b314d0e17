import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { clearingCoded, confirmClearing, tradingAsset } from "../../../../../sdk/clearing";
import { signWithdrawal, type Withdrawal } from "../../../../../sdk/orders";
import { checkTransfer, requireProductExists } from "../../../../../sdk/preflight";
import { ZERO_FEE } from "../../../../../sdk/send";
import { describeUnits, formatAmount, productLabel, productOf, type Product } from "../../../../../sdk/transfers";
import { ActionStatus, AsyncView, Section, Table, useAction, useAsync } from "../../components/ui";
import type { Chain } from "../../lib/chain";
import { exchangeApi } from "../../lib/exchange";
import { when } from "../../lib/format";
import { useWallet, type ConnectedWallet } from "../../wallet/WalletContext";
import {
  amountFor,
  chainNow,
  parseProduct,
  positionOf,
  ProductFields,
  requireTradingAvailable,
  signedContracts,
  tradingChain,
  type ProductInput,
} from "./shared";

/** The product a Clearing asset (token address and id) stands for. */
export function productOfAsset(chain: Chain, token: string, id: bigint): Product {
  const t = token.toLowerCase();
  const c = chain.manifest.contracts;
  if (t === c.AllowanceToken.toLowerCase()) return productOf("allowance", id);
  if (t === c.OffsetToken.toLowerCase()) return productOf("ccer", id);
  return productOf("cash", id);
}

/** The trading account at the exchange, as the exchange counts it and as the Clearing contract holds it. */
export async function readTradingAccount(chain: Chain, address: string) {
  const tc = tradingChain(chain);
  const account = await exchangeApi().account(address);
  const rows = await Promise.all(
    account.positions.map(async (p) => ({
      product: productOfAsset(chain, p.token, p.tokenId),
      position: p,
      onChain: await tc.clearing.balanceOf(address, p.token, p.tokenId),
    })),
  );
  return { account, rows };
}

/** The trading account at the exchange, with a table of its positions. */
export function TradingAccount({ wallet, refresh = 0 }: { wallet: ConnectedWallet; refresh?: number }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const { result, reload } = useAsync(
    () => readTradingAccount(chain, wallet.address),
    [chain, wallet.address, refresh],
    5_000,
  );
  return (
    <Section title={t("funds.account")}>
      <AsyncView result={result} reload={reload}>
        {(a) => (
          <Table
            testId="trading-positions"
            empty={t("funds.empty")}
            head={[
              t("funds.product"),
              t("funds.balance"),
              t("funds.reserved"),
              t("funds.available"),
              t("funds.onChain"),
            ]}
            rows={a.rows.map((r) => [
              r.product.kind === "cash"
                ? t("kind.cash")
                : r.product.kind === "ccer"
                  ? `CCER-${r.product.batch}`
                  : productLabel(r.product),
              formatAmount(r.product, r.position.balance),
              formatAmount(r.product, r.position.reserved),
              formatAmount(r.product, r.position.available),
              formatAmount(r.product, r.onChain),
            ])}
          />
        )}
      </AsyncView>
    </Section>
  );
}

/** Deposit into and withdraw from the trading account at the exchange. */
export function Funds({ wallet }: { wallet: ConnectedWallet }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const [tick, setTick] = useState(0);
  const [dProduct, setDProduct] = useState<ProductInput>({ kind: "cash", id: "" });
  const [dAmount, setDAmount] = useState("");
  const [wProduct, setWProduct] = useState<ProductInput>({ kind: "allowance", id: "" });
  const [wAmount, setWAmount] = useState("");
  const deposit = useAction();
  const withdraw = useAction();

  const submitDeposit = (e: FormEvent) => {
    e.preventDefault();
    void deposit.run(async () => {
      const product = parseProduct(dProduct);
      const amount = amountFor(product.kind, dAmount);
      const tc = tradingChain(chain);
      // A deposit is a transfer to the clearing house: the registry's own checks, in its order.
      await checkTransfer(
        chain.contracts,
        { from: wallet.address, to: tc.address, product, amount },
        await chainNow(chain),
      );
      const signed = signedContracts(chain, wallet);
      const asset = tradingAsset(chain.manifest, product);
      let receipt;
      if (product.kind === "cash") {
        if ((await chain.contracts.cash.allowance(wallet.address, tc.address)) < amount) {
          await confirmClearing(() => signed.cash.approve(tc.address, amount, ZERO_FEE));
        }
        receipt = await confirmClearing(() => tc.clearing.connect(wallet.signer).depositCash(amount, ZERO_FEE));
      } else {
        const token = product.kind === "allowance" ? signed.allowances : signed.offsets;
        receipt = await confirmClearing(() =>
          token.safeTransferFrom(wallet.address, tc.address, asset.tokenId, amount, "0x", ZERO_FEE),
        );
      }
      setDAmount("");
      setTick((x) => x + 1);
      return t("funds.deposited", { what: describeUnits(product, amount), block: receipt.blockNumber });
    });
  };

  const submitWithdraw = (e: FormEvent) => {
    e.preventDefault();
    void withdraw.run(async () => {
      const product = parseProduct(wProduct);
      const amount = amountFor(product.kind, wAmount);
      const tc = tradingChain(chain);
      await requireProductExists(chain.contracts, product);
      const asset = tradingAsset(chain.manifest, product);
      const api = exchangeApi();
      const position = positionOf(await api.account(wallet.address), asset.token, asset.tokenId);
      requireTradingAvailable(
        wallet.address,
        product,
        position,
        amount,
        `Withdrawing ${describeUnits(product, amount)} needs ${formatAmount(product, amount)} available`,
      );
      // Any unused nonce will do (the exchange and the contract each accept one once): the time in ms.
      const withdrawal: Withdrawal = {
        trader: wallet.address,
        token: asset.token,
        tokenId: asset.tokenId,
        amount,
        nonce: BigInt(Date.now()),
        expiry: 0n,
      };
      await api.withdraw(withdrawal, await signWithdrawal(wallet.signer, tc.domain, withdrawal));
      setWAmount("");
      setTick((x) => x + 1);
      return t("funds.withdrawn", { what: describeUnits(product, amount) });
    });
  };

  return (
    <>
      <TradingAccount wallet={wallet} refresh={tick} />
      <div className="grid2">
        <Section title={t("funds.deposit")}>
          <p className="muted">{t("funds.depositIntro")}</p>
          <form onSubmit={submitDeposit} data-testid="deposit-form">
            <ProductFields value={dProduct} onChange={setDProduct} testId="deposit-product" />
            <label>
              {dProduct.kind === "cash" ? t("form.yuan") : t("form.tonnes")}
              <input
                data-testid="deposit-amount"
                inputMode="decimal"
                value={dAmount}
                onChange={(e) => setDAmount(e.target.value)}
              />
            </label>
            <button type="submit" data-testid="deposit-submit" disabled={deposit.busy}>
              {t("funds.depositButton")}
            </button>
          </form>
          <div data-testid="deposit-status">
            <ActionStatus action={deposit} />
          </div>
        </Section>
        <Section title={t("funds.withdraw")}>
          <p className="muted">{t("funds.withdrawIntro")}</p>
          <form onSubmit={submitWithdraw} data-testid="withdraw-form">
            <ProductFields value={wProduct} onChange={setWProduct} testId="withdraw-product" />
            <label>
              {wProduct.kind === "cash" ? t("form.yuan") : t("form.tonnes")}
              <input
                data-testid="withdraw-amount"
                inputMode="decimal"
                value={wAmount}
                onChange={(e) => setWAmount(e.target.value)}
              />
            </label>
            <button type="submit" data-testid="withdraw-submit" disabled={withdraw.busy}>
              {t("funds.withdrawButton")}
            </button>
          </form>
          <div data-testid="withdraw-status">
            <ActionStatus action={withdraw} />
          </div>
        </Section>
      </div>
      <EscapeHatch wallet={wallet} onChange={() => setTick((x) => x + 1)} />
    </>
  );
}

/** The trader's on-chain withdrawal requests (the escape hatch), newest first. */
async function readRequests(chain: Chain, address: string) {
  const { clearing } = tradingChain(chain);
  const [events, now] = await Promise.all([
    clearing.queryFilter(clearing.filters.WithdrawalRequested(undefined, address), chain.manifest.deploymentBlock),
    chainNow(chain),
  ]);
  const rows = await Promise.all(
    events.map(async (e) => {
      const id = e.args.requestId;
      const r = await clearing.withdrawalRequest(id);
      return {
        id,
        product: productOfAsset(chain, e.args.token, e.args.tokenId),
        amount: e.args.amount,
        dueAt: e.args.dueAt,
        done: r.done,
      };
    }),
  );
  return { rows: rows.reverse(), now };
}

/**
 * The escape hatch: a withdrawal asked on chain (Clearing.requestWithdrawal). The exchange pays it in
 * its next settlement batch; if it has not once the withdrawal delay has passed, the trader executes it.
 */
export function EscapeHatch({ wallet, onChange }: { wallet: ConnectedWallet; onChange: () => void }) {
  const { t } = useTranslation("participant");
  const { chain } = useWallet();
  const { result, reload } = useAsync(() => readRequests(chain, wallet.address), [chain, wallet.address], 5_000);
  const [product, setProduct] = useState<ProductInput>({ kind: "allowance", id: "" });
  const [amount, setAmount] = useState("");
  const request = useAction();
  const execute = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void request.run(async () => {
      const p = parseProduct(product);
      const units = amountFor(p.kind, amount);
      const tc = tradingChain(chain);
      await requireProductExists(chain.contracts, p);
      const asset = tradingAsset(chain.manifest, p);
      const held = await tc.clearing.balanceOf(wallet.address, asset.token, asset.tokenId);
      if (held < units) {
        throw clearingCoded(
          "ClearingInsufficientBalance",
          `The trading account of ${wallet.address} holds ${describeUnits(p, held)} on chain; ${formatAmount(p, units)} were requested.`,
          { held: held.toString(), requested: units.toString() },
        );
      }
      const receipt = await confirmClearing(() =>
        tc.clearing.connect(wallet.signer).requestWithdrawal(asset.token, asset.tokenId, units, ZERO_FEE),
      );
      let id = 0n;
      let dueAt = 0n;
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== tc.address.toLowerCase()) continue;
        const parsed = tc.clearing.interface.parseLog(log);
        if (parsed?.name === "WithdrawalRequested") {
          id = parsed.args[0] as bigint;
          dueAt = parsed.args[5] as bigint;
        }
      }
      setAmount("");
      reload();
      onChange();
      return t("funds.requested", { id: id.toString(), what: describeUnits(p, units), at: when(dueAt) });
    });
  };

  const run = (id: bigint) =>
    execute.run(async () => {
      const tc = tradingChain(chain);
      const r = await tc.clearing.withdrawalRequest(id);
      if (r.done) {
        throw clearingCoded("ClearingUnknownWithdrawalRequest", `Withdrawal request ${id} was already paid.`, {
          requestId: id.toString(),
        });
      }
      const dueAt = r.requestedAt + (await tc.clearing.withdrawalDelay());
      if (dueAt > (await chainNow(chain))) {
        throw clearingCoded(
          "ClearingWithdrawalNotDue",
          `Withdrawal request ${id} can be executed by you from ${when(dueAt)}; until then it is the exchange's to pay.`,
          { requestId: id.toString() },
        );
      }
      const receipt = await confirmClearing(() =>
        tc.clearing.connect(wallet.signer).executeWithdrawalRequest(id, ZERO_FEE),
      );
      reload();
      onChange();
      return t("funds.executed", { id: id.toString(), block: receipt.blockNumber });
    });

  return (
    <Section title={t("funds.escape")}>
      <p className="muted">{t("funds.escapeIntro")}</p>
      <form onSubmit={submit} data-testid="escape-form">
        <ProductFields value={product} onChange={setProduct} testId="escape-product" />
        <label>
          {product.kind === "cash" ? t("form.yuan") : t("form.tonnes")}
          <input
            data-testid="escape-amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </label>
        <button type="submit" className="secondary" data-testid="escape-submit" disabled={request.busy}>
          {t("funds.escapeButton")}
        </button>
      </form>
      <div data-testid="escape-status">
        <ActionStatus action={request} />
        <ActionStatus action={execute} />
      </div>
      <AsyncView result={result} reload={reload}>
        {(v) => (
          <Table
            testId="escape-requests"
            empty={t("funds.noRequests")}
            head={[t("funds.request"), t("funds.units"), t("funds.dueAt"), t("funds.state"), ""]}
            rows={v.rows.map((r) => [
              String(r.id),
              describeUnits(r.product, r.amount),
              when(r.dueAt),
              r.done ? t("funds.paid") : t("funds.open"),
              !r.done && r.dueAt <= v.now ? (
                <button
                  type="button"
                  className="secondary"
                  disabled={execute.busy}
                  data-testid={`escape-execute-${r.id}`}
                  onClick={() => void run(r.id)}
                >
                  {t("funds.execute")}
                </button>
              ) : (
                ""
              ),
            ])}
          />
        )}
      </AsyncView>
    </Section>
  );
}
