/** What the participant's pages share: signed contract handles, the trading chain, product fields and unit lists. */
import type { TypedDataDomain } from "ethers";
import { useTranslation } from "react-i18next";
import { clearingAddress, connectClearing, type Clearing } from "../../../../../sdk/clearing";
import { clientError } from "../../../../../sdk/client-errors";
import type { UnitItems } from "../../../../../sdk/compliance";
import { connectContracts, type DeploymentContracts } from "../../../../../sdk/contracts";
import type { TradedProduct } from "../../../../../sdk/exchange-api";
import { parseAmount } from "../../../../../sdk/input";
import { clearingDomain } from "../../../../../sdk/orders";
import type { Product, TokenKind } from "../../../../../sdk/transfers";
import { parseAddress, parseBatchId, parseVintage } from "../../../../../sdk/units";
import type { Chain } from "../../lib/chain";
import type { ConnectedWallet } from "../../wallet/WalletContext";

/** The registry's contracts bound to the connected wallet's signer (for transactions). */
export function signedContracts(chain: Chain, wallet: ConnectedWallet): DeploymentContracts {
  return connectContracts(chain.manifest, wallet.signer);
}

/** The Clearing contract (read-only), its address and the EIP-712 domain of orders and withdrawals. */
export interface TradingChain {
  clearing: Clearing;
  address: string;
  domain: TypedDataDomain;
}

export function tradingChain(chain: Chain): TradingChain {
  const address = clearingAddress(chain.manifest);
  return {
    clearing: connectClearing(chain.manifest, chain.provider),
    address,
    domain: clearingDomain(chain.config.chainId, address),
  };
}

/** The time of the chain's latest block (unix seconds). */
export async function chainNow(chain: Chain): Promise<bigint> {
  const block = await chain.provider.getBlock("latest");
  return BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
}

export { positionOf, requireTradingAvailable } from "../../../../../sdk/trading-account";

/** A product as typed in a form: the kind and, for allowances and CCER, the vintage or batch. */
export interface ProductInput {
  kind: TokenKind;
  id: string;
}

export function parseProduct(input: ProductInput): Product {
  if (input.kind === "allowance") return { kind: "allowance", vintage: parseVintage(input.id) };
  if (input.kind === "ccer") return { kind: "ccer", batch: parseBatchId(input.id) };
  return { kind: "cash" };
}

export function parseTraded(input: ProductInput): TradedProduct {
  const p = parseProduct(input);
  if (p.kind === "cash") throw clientError("INVALID_PRODUCT", "Cash is not traded; choose allowances or CCER.");
  return p;
}

/** An amount typed for a product: whole tonnes, or CNY with at most two decimals for cash (→ fen). */
export function amountFor(kind: TokenKind, input: string, what = "amount"): bigint {
  return parseAmount(input, kind === "cash" ? "yuan" : "tonnes", what);
}

export function parseAccount(input: string, what = "account"): string {
  return parseAddress(input, what);
}

/** Kind select and vintage/batch field of a form. */
export function ProductFields({
  value,
  onChange,
  kinds = ["allowance", "ccer", "cash"],
  testId,
}: {
  value: ProductInput;
  onChange: (v: ProductInput) => void;
  kinds?: TokenKind[];
  testId: string;
}) {
  const { t } = useTranslation("participant");
  return (
    <div className="form-row">
      <label>
        {t("form.kind")}
        <select
          data-testid={`${testId}-kind`}
          value={value.kind}
          onChange={(e) => onChange({ ...value, kind: e.target.value as TokenKind })}
        >
          {kinds.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </select>
      </label>
      {value.kind !== "cash" && (
        <label>
          {value.kind === "allowance" ? t("form.vintage") : t("form.batch")}
          <input
            data-testid={`${testId}-id`}
            value={value.id}
            placeholder={value.kind === "allowance" ? "2013" : "1"}
            onChange={(e) => onChange({ ...value, id: e.target.value })}
          />
        </label>
      )}
    </div>
  );
}

/** One line of a surrender or cancellation: allowances of a vintage or CCER of a batch, and tonnes. */
export interface ItemLine {
  kind: "allowance" | "ccer";
  id: string;
  tonnes: string;
}

/** Parses the lines into the SDK's unit lists (the same parsers as the CLI's `--vintage v:t`). */
export function parseItems(lines: ItemLine[]): UnitItems {
  const items: UnitItems = { vintages: [], batches: [] };
  for (const line of lines) {
    if (line.kind === "allowance") {
      const id = parseVintage(line.id);
      items.vintages.push({ id, amount: parseAmount(line.tonnes, "tonnes", `tonnes of vintage ${id}`) });
    } else {
      const id = parseBatchId(line.id);
      items.batches.push({ id, amount: parseAmount(line.tonnes, "tonnes", `tonnes of CCER batch ${id}`) });
    }
  }
  return items;
}

/** Editable list of unit lines. */
export function ItemsEditor({
  lines,
  onChange,
  testId,
}: {
  lines: ItemLine[];
  onChange: (lines: ItemLine[]) => void;
  testId: string;
}) {
  const { t } = useTranslation("participant");
  const set = (i: number, patch: Partial<ItemLine>) =>
    onChange(lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  return (
    <div className="items" data-testid={testId}>
      {lines.map((line, i) => (
        <div className="form-row item-line" key={i}>
          <label>
            {t("form.kind")}
            <select
              data-testid={`${testId}-kind-${i}`}
              value={line.kind}
              onChange={(e) => set(i, { kind: e.target.value as ItemLine["kind"] })}
            >
              <option value="allowance">{t("kind.allowance")}</option>
              <option value="ccer">{t("kind.ccer")}</option>
            </select>
          </label>
          <label>
            {line.kind === "allowance" ? t("form.vintage") : t("form.batch")}
            <input data-testid={`${testId}-id-${i}`} value={line.id} onChange={(e) => set(i, { id: e.target.value })} />
          </label>
          <label>
            {t("form.tonnes")}
            <input
              data-testid={`${testId}-tonnes-${i}`}
              inputMode="numeric"
              value={line.tonnes}
              onChange={(e) => set(i, { tonnes: e.target.value })}
            />
          </label>
          {lines.length > 1 && (
            <button type="button" className="secondary" onClick={() => onChange(lines.filter((_, j) => j !== i))}>
              {t("form.removeLine")}
            </button>
          )}
        </div>
      ))}
      <button
        type="button"
        className="secondary"
        data-testid={`${testId}-add`}
        onClick={() => onChange([...lines, { kind: "allowance", id: "", tonnes: "" }])}
      >
        {t("form.addLine")}
      </button>
    </div>
  );
}
