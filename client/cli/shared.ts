import { chainCoded, clientError } from "../../sdk/client-errors";
import { parseAmount } from "../../sdk/input";
import {
  describeUnits,
  formatTransferRef,
  parseTransferRef,
  productLabel,
  readPendingTransfer,
  TOKEN_KINDS,
  type PendingTransferView,
  type Product,
} from "../../sdk/transfers";
import { parseBatchId, parseVintage } from "../../sdk/units";
import { isoTime, named, timeJson, when } from "./format";
import type { Chain, Session } from "./session";

/** The product options a transfer takes: exactly one of them. */
export interface ProductOptions {
  vintage?: string;
  ccer?: string;
  cash?: boolean;
}

/** The product named by `--vintage <year>`, `--ccer <batch>` or `--cash` (exactly one). */
export function productFromOptions(opts: ProductOptions): Product {
  const given = [opts.vintage !== undefined, opts.ccer !== undefined, opts.cash === true].filter(Boolean).length;
  if (given !== 1) {
    throw clientError(
      "PRODUCT_REQUIRED",
      given === 0
        ? "Say what to move: --vintage <year> (allowances), --ccer <batch> (CCER) or --cash."
        : "Give only one of --vintage, --ccer and --cash.",
    );
  }
  if (opts.vintage !== undefined) return { kind: "allowance", vintage: parseVintage(opts.vintage) };
  if (opts.ccer !== undefined) return { kind: "ccer", batch: parseBatchId(opts.ccer) };
  return { kind: "cash" };
}

/** An amount typed for a product: whole tonnes, or CNY with at most two decimals for cash (→ fen). */
export function amountFor(product: Product, input: string): bigint {
  return parseAmount(input, product.kind === "cash" ? "yuan" : "tonnes");
}

/**
 * Finds the pending transfer a person means: `ccer:3`, or a plain `3` when only one token has an
 * open transfer with that number (`prefer` narrows further, e.g. to the caller's own transfers).
 */
export async function findPending(
  chain: Chain,
  input: string,
  prefer: (v: PendingTransferView) => boolean = () => true,
): Promise<PendingTransferView> {
  const ref = parseTransferRef(input);
  const kinds = ref.kind ? [ref.kind] : TOKEN_KINDS;
  const found = (
    await Promise.all(kinds.map((kind) => readPendingTransfer(chain.contracts, { kind, id: ref.id })))
  ).filter((v): v is PendingTransferView => v !== undefined);
  const label = ref.kind ? formatTransferRef({ kind: ref.kind, id: ref.id }) : `#${ref.id}`;
  if (found.length === 0) {
    throw chainCoded("TokenUnknownPendingTransfer", `There is no pending transfer ${label}.`, { transferId: label });
  }
  if (found.length === 1) return found[0] as PendingTransferView;
  const open = found.filter((v) => v.status === "pending" && prefer(v));
  if (open.length === 1) return open[0] as PendingTransferView;
  throw clientError(
    "TRANSFER_ID_AMBIGUOUS",
    `Several tokens have a pending transfer #${ref.id} (${found.map((v) => formatTransferRef(v.ref)).join(", ")}); say which, e.g. ${formatTransferRef((found[0] as PendingTransferView).ref)}.`,
    { transferId: label },
  );
}

/** Requires a pending transfer to be still open. */
export function requireOpen(view: PendingTransferView): void {
  if (view.status !== "pending") {
    throw chainCoded(
      "TokenPendingTransferClosed",
      `Pending transfer ${formatTransferRef(view.ref)} is already ${view.status}.`,
      {
        transferId: formatTransferRef(view.ref),
        status: view.status,
      },
    );
  }
}

/** A pending transfer for JSON. */
export function pendingJson(view: PendingTransferView, now: bigint) {
  return {
    transferId: formatTransferRef(view.ref),
    token: view.ref.kind,
    number: view.ref.id.toString(),
    from: view.from,
    to: view.to,
    product: productLabel(view.product),
    amount: view.amount.toString(),
    unit: view.product.kind === "cash" ? "fen" : "t",
    status: view.status,
    releaseAt: timeJson(view.releaseAt),
    releasable: view.releaseAt <= now,
  };
}

/** A pending transfer on one line. */
export function pendingLine(
  session: Session,
  view: PendingTransferView,
  now: bigint,
  direction: "to" | "from",
): string {
  const other = direction === "to" ? view.to : view.from;
  const otherName = nameOf(session, other);
  const release =
    view.releaseAt <= now
      ? `executable now (since ${isoTime(view.releaseAt)})`
      : `executable from ${when(view.releaseAt)}`;
  return `  ${formatTransferRef(view.ref).padEnd(14)} ${describeUnits(view.product, view.amount)} ${direction} ${named(other, otherName)}, ${release}`;
}

/** The wallet name of an address in the folder, if any. */
export function nameOf(session: Session, address: string): string | undefined {
  try {
    return session.resolveAccount(address, "account").name;
  } catch {
    return undefined;
  }
}
