import type { Command } from "commander";
import { categoryLabel, sectorLabel } from "../../sdk/participants";
import { accountStatus } from "../../sdk/preflight";
import { formatAmount, guardedToken, type TokenKind } from "../../sdk/transfers";
import { formatYuan, productName } from "../../sdk/units";
import { named } from "./format";
import type { Action } from "./program";
import type { Chain } from "./session";

/** `ets balance [account]`: holdings per product, spendable vs locked by pending transfers. */
export function registerBalanceCommand(program: Command, action: Action): void {
  program
    .command("balance")
    .description(
      "allowances per vintage, CCER per batch and cash of an account, available vs locked by pending transfers",
    )
    .argument("[account]", "address or wallet name (default: --from)")
    .action(
      action(async (session, [input]) => {
        const who = session.subject(input, "account");
        const chain = await session.chain();
        const { contracts } = chain;
        const account = await accountStatus(contracts.registry, who.address);
        const entity = account.status === "none" ? undefined : await contracts.registry.entityOf(account.entityId);

        const allowances = await holdings(chain, "allowance", who.address);
        const ccer = await holdings(chain, "ccer", who.address);
        const batches = await Promise.all(ccer.map((h) => contracts.offsets.batch(h.id)));
        const [cash] = await holdings(chain, "cash", who.address, true);
        const cashRow = cash ?? { id: 0n, balance: 0n, available: 0n, locked: 0n };

        const sector = entity ? sectorLabel(entity.sector) : undefined;
        const entityText = entity
          ? `entity ${account.entityId} "${entity.name}" (${categoryLabel(entity.category)}${sector ? `, ${sector}` : ""})`
          : "";
        const text = [
          account.status === "none"
            ? `${named(who.address, who.name)}: no registry account.`
            : `${named(who.address, who.name)}: ${account.status} account of ${entityText}.`,
          "Allowances:",
          ...(allowances.length
            ? allowances.map((h) => `  ${productName(h.id)} (vintage ${h.id})  ${row("allowance", h)}`)
            : ["  none"]),
          "CCER:",
          ...(ccer.length
            ? ccer.map(
                (h, i) =>
                  `  batch ${h.id} (${batches[i]?.projectId ?? "?"}, ${batches[i]?.projectType ?? "?"})  ${row("ccer", h)}`,
              )
            : ["  none"]),
          `Cash:  ${row("cash", cashRow)}`,
        ];
        return {
          data: {
            address: who.address,
            ...(who.name ? { wallet: who.name } : {}),
            account: {
              status: account.status,
              ...(entity
                ? {
                    entityId: account.entityId.toString(),
                    entityName: entity.name,
                    category: categoryLabel(entity.category),
                    ...(sector ? { sector } : {}),
                  }
                : {}),
            },
            allowances: allowances.map((h) => ({ vintage: Number(h.id), product: productName(h.id), ...amounts(h) })),
            ccer: ccer.map((h, i) => ({
              batch: h.id.toString(),
              projectId: batches[i]?.projectId,
              projectType: batches[i]?.projectType,
              hydro: batches[i]?.hydro,
              ...amounts(h),
            })),
            cash: {
              unit: "fen",
              ...amounts(cashRow),
              balanceCny: formatYuan(cashRow.balance),
              availableCny: formatYuan(cashRow.available),
              lockedCny: formatYuan(cashRow.locked),
            },
          },
          text,
        };
      }),
    );
}

interface Holding {
  id: bigint;
  balance: bigint;
  available: bigint;
  locked: bigint;
}

async function holdings(chain: Chain, kind: TokenKind, address: string, always = false): Promise<Holding[]> {
  const token = guardedToken(chain.contracts, kind);
  const ids = always ? [0n] : [...(await token.heldIds(address))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    ids.map(async (id) => {
      const [available, locked] = await Promise.all([
        token.availableBalanceOf(address, id),
        token.lockedBalanceOf(address, id),
      ]);
      return { id, balance: available + locked, available, locked };
    }),
  );
}

function row(kind: TokenKind, h: Holding): string {
  const total = formatAmount(kind, h.balance);
  if (h.locked === 0n) return total;
  return `${total}  (available ${formatAmount(kind, h.available)}, locked by pending transfers ${formatAmount(kind, h.locked)})`;
}

function amounts(h: Holding) {
  return { balance: h.balance.toString(), available: h.available.toString(), locked: h.locked.toString() };
}
