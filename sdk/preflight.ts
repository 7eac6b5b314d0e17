import { chainCoded } from "./client-errors";
import type { Contracts, ParticipantRegistry } from "./contracts";
import { describeUnits, formatAmount, guardedToken, tokenId, type Product } from "./transfers";
import { productName } from "./units";

/**
 * Checks a client runs before it sends a transaction, in the contract's own order, so that a
 * person gets a precise sentence (with product names and units) and nothing is sent. Each failure
 * carries the code the contract would give (the contract checks again anyway: a check here that
 * passes on a stale read still ends in a decoded revert).
 */

export const ACCOUNT_STATUS = ["none", "active", "frozen", "closed"] as const;
export type AccountStatusName = (typeof ACCOUNT_STATUS)[number];

export async function accountStatus(
  registry: ParticipantRegistry,
  wallet: string,
): Promise<{ status: AccountStatusName; entityId: bigint; openedAt: bigint }> {
  const a = await registry.accountOf(wallet);
  return { status: ACCOUNT_STATUS[Number(a.status)] ?? "none", entityId: a.entityId, openedAt: a.openedAt };
}

/** Requires an active registry account; `who` names the party in the sentence ("Sender", "Receiver"). */
export async function requireActiveAccount(registry: ParticipantRegistry, wallet: string, who: string): Promise<void> {
  const { status } = await accountStatus(registry, wallet);
  if (status === "none") {
    throw chainCoded(
      "TokenAccountNotRegistered",
      `${who} ${wallet} has no registry account; only registered accounts hold and receive units.`,
      {
        account: wallet,
      },
    );
  }
  if (status !== "active") {
    throw chainCoded(
      "TokenAccountNotActive",
      `${who} ${wallet} is ${status}${status === "frozen" ? " by the registry operator" : " for good"} and can neither send nor receive.`,
      { account: wallet, status },
    );
  }
}

/** Requires that the product exists: a vintage ever issued, a CCER batch ever imported. */
export async function requireProductExists(contracts: Contracts, product: Product): Promise<void> {
  switch (product.kind) {
    case "allowance":
      if (!(await contracts.allowances.vintageExists(product.vintage))) {
        throw chainCoded(
          "AllowanceUnknownVintage",
          `No allowances of vintage ${product.vintage} (${productName(product.vintage)}) were ever issued.`,
          { vintage: product.vintage.toString() },
        );
      }
      return;
    case "ccer":
      if (product.batch > (await contracts.offsets.batchCount())) {
        throw chainCoded("OffsetUnknownBatch", `There is no CCER batch ${product.batch}.`, {
          batch: product.batch.toString(),
        });
      }
      return;
    case "cash":
      return;
  }
}

/** Requires that transfers are not suspended by the regulator. */
export async function requireTransfersOpen(contracts: Contracts): Promise<void> {
  if (await contracts.rules.suspended()) {
    throw chainCoded(
      "TokenTransfersSuspended",
      "Transfers are suspended by the regulator; only allocation and surrender go on. Nothing was sent.",
    );
  }
}

/** Requires `amount` spendable units: held, and not locked by the account's pending transfers. */
export async function requireAvailable(
  contracts: Contracts,
  wallet: string,
  product: Product,
  amount: bigint,
): Promise<void> {
  const token = guardedToken(contracts, product.kind);
  const id = tokenId(product);
  const [available, locked] = await Promise.all([
    token.availableBalanceOf(wallet, id),
    token.lockedBalanceOf(wallet, id),
  ]);
  const held = available + locked;
  if (held < amount) {
    throw chainCoded(
      "TokenInsufficientBalance",
      `${wallet} holds ${describeUnits(product, held)}; ${formatAmount(product, amount)} were requested.`,
      { account: wallet, held: held.toString(), requested: amount.toString() },
    );
  }
  if (available < amount) {
    throw chainCoded(
      "TokenBalanceLocked",
      `${wallet} holds ${describeUnits(product, held)} but ${formatAmount(product, locked)} are locked by its pending transfers: ` +
        `${formatAmount(product, available)} can be spent now, ${formatAmount(product, amount)} were requested.`,
      { account: wallet, available: available.toString(), locked: locked.toString(), requested: amount.toString() },
    );
  }
}

/**
 * Whether a transfer from `from` to `to` will be immediate at time `now` (unix seconds): the
 * contract's own answer, or a trusted-list entry whose delay has passed by `now`. (A view runs at
 * the last block's time; on a chain that mines only when it gets a transaction, that time can be
 * well behind the time the transfer will be mined at.)
 */
export async function isImmediateAt(contracts: Contracts, from: string, to: string, now?: bigint): Promise<boolean> {
  if (await contracts.rules.isImmediate(from, to)) return true;
  if (now === undefined) return false;
  const entry = (await contracts.rules.trustedAccounts(from)).find((e) => e.account === to);
  return entry !== undefined && entry.activeFrom <= now;
}

/**
 * Everything a holder's transfer needs, in the contract's order: the product exists, transfers are
 * not suspended, both accounts are active, the units are spendable and, for a transfer to an
 * untrusted account, the holder's per-transfer maximum allows it. Returns whether it will be
 * immediate (at `now`, see {@link isImmediateAt}).
 */
export async function checkTransfer(
  contracts: Contracts,
  t: { from: string; to: string; product: Product; amount: bigint },
  now?: bigint,
): Promise<{ immediate: boolean }> {
  await requireProductExists(contracts, t.product);
  await requireTransfersOpen(contracts);
  await requireActiveAccount(contracts.registry, t.from, "Sender");
  await requireActiveAccount(contracts.registry, t.to, "Receiver");
  await requireAvailable(contracts, t.from, t.product, t.amount);
  const immediate = await isImmediateAt(contracts, t.from, t.to, now);
  if (!immediate) {
    const [limit] = await guardedToken(contracts, t.product.kind).untrustedLimitOf(t.from);
    if (limit !== 0n && t.amount > limit) {
      throw chainCoded(
        "TokenUntrustedLimitExceeded",
        `${t.to} is not on the trusted list of ${t.from}, and ${formatAmount(t.product, t.amount)} is more than its per-transfer maximum of ${formatAmount(t.product, limit)} to untrusted accounts.`,
        { limit: limit.toString() },
      );
    }
  }
  return { immediate };
}
