import { Contract, type ContractRunner, type TransactionReceipt } from "ethers";
import { IGuardedToken__factory, type IGuardedToken } from "../typechain-types";
import { clientError } from "./client-errors";
import type { Contracts } from "./contracts";
import { confirm, ZERO_FEE } from "./send";
import { formatYuan, productName } from "./units";

/** The three registry tokens, by the kind of unit they hold. */
export type TokenKind = "allowance" | "ccer" | "cash";
export const TOKEN_KINDS: readonly TokenKind[] = ["allowance", "ccer", "cash"];

/** What moves: allowances of a vintage, CCER of a batch, or cash. */
export type Product = { kind: "allowance"; vintage: bigint } | { kind: "ccer"; batch: bigint } | { kind: "cash" };

/** The token id of a product (vintage year, batch id, 0 for cash). */
export function tokenId(product: Product): bigint {
  switch (product.kind) {
    case "allowance":
      return product.vintage;
    case "ccer":
      return product.batch;
    case "cash":
      return 0n;
    default:
      return assertNever(product);
  }
}

/** The product a token id of a token stands for. */
export function productOf(kind: TokenKind, id: bigint): Product {
  switch (kind) {
    case "allowance":
      return { kind, vintage: id };
    case "ccer":
      return { kind, batch: id };
    case "cash":
      return { kind };
    default:
      return assertNever(kind);
  }
}

/** A person's name for a product: "TJEA14", "CCER batch 3", "cash". */
export function productLabel(product: Product): string {
  switch (product.kind) {
    case "allowance":
      return productName(product.vintage);
    case "ccer":
      return `CCER batch ${product.batch}`;
    case "cash":
      return "cash";
    default:
      return assertNever(product);
  }
}

/** An amount with its unit: "1,200 t" for allowances and CCER, "CNY 12.50" for cash (in fen). */
export function formatAmount(product: Product | TokenKind, amount: bigint): string {
  const kind = typeof product === "string" ? product : product.kind;
  if (kind === "cash") {
    const [whole = "0", fen = "00"] = formatYuan(amount).split(".");
    return `CNY ${group(whole)}.${fen}`;
  }
  return `${group(amount.toString())} t`;
}

/** Units of a product in words: "50 t of CCER batch 1", "120 t of TJEA14", "CNY 12.30". */
export function describeUnits(product: Product, amount: bigint): string {
  return product.kind === "cash"
    ? formatAmount(product, amount)
    : `${formatAmount(product, amount)} of ${productLabel(product)}`;
}

function group(digits: string): string {
  const neg = digits.startsWith("-");
  const abs = neg ? digits.slice(1) : digits;
  return `${neg ? "-" : ""}${abs.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

let guardedInterface: ReturnType<typeof IGuardedToken__factory.createInterface> | undefined;

/** The token contract of a kind, through the interface every registry token shares. */
export function guardedToken(contracts: Contracts, kind: TokenKind, runner?: ContractRunner): IGuardedToken {
  const contract = tokenContract(contracts, kind);
  // One parsed ABI for every handle (IGuardedToken__factory.connect parses it again each time).
  guardedInterface ??= IGuardedToken__factory.createInterface();
  return new Contract(
    contract.target as string,
    guardedInterface,
    runner ?? contract.runner,
  ) as unknown as IGuardedToken;
}

function tokenContract(contracts: Contracts, kind: TokenKind) {
  switch (kind) {
    case "allowance":
      return contracts.allowances;
    case "ccer":
      return contracts.offsets;
    case "cash":
      return contracts.cash;
    default:
      return assertNever(kind);
  }
}

// ─────────────────────────────────────────── transfers ───────────────────────────────────────────

/** How a transfer went: moved at once, or held pending until `releaseAt` (unix seconds). */
export type TransferOutcome = { kind: "immediate" } | { kind: "pending"; transferId: bigint; releaseAt: bigint };

/** Reads the outcome of a transfer from its receipt: a `TransferPending` event of the token means pending. */
export function transferOutcome(receipt: TransactionReceipt, tokenAddress: string): TransferOutcome {
  guardedInterface ??= IGuardedToken__factory.createInterface();
  const iface = guardedInterface;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== tokenAddress.toLowerCase()) continue;
    const parsed = iface.parseLog(log);
    if (parsed?.name === "TransferPending") {
      return { kind: "pending", transferId: parsed.args[0] as bigint, releaseAt: parsed.args[5] as bigint };
    }
  }
  return { kind: "immediate" };
}

/**
 * Transfers units from the signer of `contracts` (its own wallet, `from`) to `to`: immediate to a
 * trusted account, held pending otherwise. Waits for the receipt.
 */
export async function transferUnits(
  contracts: Contracts,
  product: Product,
  from: string,
  to: string,
  amount: bigint,
): Promise<{ receipt: TransactionReceipt; outcome: TransferOutcome }> {
  let receipt: TransactionReceipt;
  switch (product.kind) {
    case "allowance":
      receipt = await confirm(() =>
        contracts.allowances.safeTransferFrom(from, to, product.vintage, amount, "0x", ZERO_FEE),
      );
      break;
    case "ccer":
      receipt = await confirm(() =>
        contracts.offsets.safeTransferFrom(from, to, product.batch, amount, "0x", ZERO_FEE),
      );
      break;
    case "cash":
      receipt = await confirm(() => contracts.cash.transfer(to, amount, ZERO_FEE));
      break;
    default:
      return assertNever(product);
  }
  return { receipt, outcome: transferOutcome(receipt, tokenContract(contracts, product.kind).target as string) };
}

// ─────────────────────────────────────── pending transfers ───────────────────────────────────────

/**
 * Pending-transfer ids are counted per token, so a reference names the token too: `ccer:3` is the
 * third pending transfer ever made on the CCER token.
 */
export interface TransferRef {
  kind: TokenKind;
  id: bigint;
}

export function formatTransferRef(ref: TransferRef): string {
  return `${ref.kind}:${ref.id}`;
}

/** Parses `allowance:3`, `ccer:3`, `cash:3`, or a plain `3` (token to be found). */
export function parseTransferRef(input: string): { kind?: TokenKind; id: bigint } {
  const m = /^(?:(allowance|ccer|cash)[:#/])?#?(\d+)$/i.exec(input.trim());
  const id = m ? BigInt(m[2] ?? "0") : 0n;
  if (!m || id === 0n) {
    throw clientError(
      "INVALID_TRANSFER_ID",
      `"${input}" is not a pending-transfer reference: give one such as ccer:3 (or 3 when only one token has it).`,
      { field: "transfer id" },
    );
  }
  const kind = m[1]?.toLowerCase() as TokenKind | undefined;
  return kind ? { kind, id } : { id };
}

export const PENDING_STATUS = ["none", "pending", "cancelled", "blocked", "executed"] as const;
export type PendingStatusName = (typeof PENDING_STATUS)[number];

/** A pending transfer as read from its token. */
export interface PendingTransferView {
  ref: TransferRef;
  from: string;
  to: string;
  product: Product;
  amount: bigint;
  releaseAt: bigint;
  status: PendingStatusName;
}

/** Reads a pending transfer; undefined when the token never had one with that id. */
export async function readPendingTransfer(
  contracts: Contracts,
  ref: TransferRef,
): Promise<PendingTransferView | undefined> {
  const p = await guardedToken(contracts, ref.kind).pendingTransfer(ref.id);
  const status = PENDING_STATUS[Number(p.status)] ?? "none";
  if (status === "none") return undefined;
  return {
    ref,
    from: p.from,
    to: p.to,
    product: productOf(ref.kind, p.id),
    amount: p.amount,
    releaseAt: p.releaseAt,
    status,
  };
}

/**
 * The open pending transfers of an account, on every token: outgoing ones from the token's own
 * list, incoming ones by scanning `TransferPending` events to the account from `fromBlock` (in
 * chunks of `chunk` blocks) and keeping those still pending.
 */
export async function openPendingTransfers(
  contracts: Contracts,
  account: string,
  opts: { fromBlock: number; toBlock?: number; chunk?: number },
): Promise<{ outgoing: PendingTransferView[]; incoming: PendingTransferView[] }> {
  const outgoing: PendingTransferView[] = [];
  const incoming: PendingTransferView[] = [];
  const runner = contracts.registry.runner;
  const provider = runner?.provider;
  if (!provider) throw new Error("openPendingTransfers needs contracts connected to a provider");
  const toBlock = opts.toBlock ?? (await provider.getBlockNumber());
  const chunk = opts.chunk ?? 50_000;
  for (const kind of TOKEN_KINDS) {
    const token = guardedToken(contracts, kind);
    for (const id of await token.pendingTransfersOf(account)) {
      const view = await readPendingTransfer(contracts, { kind, id });
      if (view?.status === "pending") outgoing.push(view);
    }
    const seen = new Set<bigint>();
    for (let start = opts.fromBlock; start <= toBlock; start += chunk) {
      const end = Math.min(start + chunk - 1, toBlock);
      const logs = await token.queryFilter(token.filters.TransferPending(undefined, undefined, account), start, end);
      for (const log of logs) {
        const id = log.args.transferId;
        if (seen.has(id)) continue;
        seen.add(id);
        const view = await readPendingTransfer(contracts, { kind, id });
        if (view?.status === "pending") incoming.push(view);
      }
    }
  }
  return { outgoing, incoming };
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}
