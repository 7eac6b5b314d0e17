import type { Command } from "commander";
import { chainCoded, clientError } from "../../sdk/client-errors";
import { checkTransfer, requireActiveAccount, requireTransfersOpen } from "../../sdk/preflight";
import { confirm, ZERO_FEE } from "../../sdk/send";
import {
  describeUnits,
  formatTransferRef,
  guardedToken,
  openPendingTransfers,
  productLabel,
  tokenId,
  transferUnits,
  type PendingTransferView,
} from "../../sdk/transfers";
import { duration, named, timeJson, txData, txLine, when } from "./format";
import type { Action } from "./program";
import {
  amountFor,
  findPending,
  nameOf,
  pendingJson,
  pendingLine,
  productFromOptions,
  requireOpen,
  type ProductOptions,
} from "./shared";

/** `ets transfer …`: send units, and cancel, execute or list pending transfers. */
export function registerTransferCommands(program: Command, action: Action): void {
  const transfer = program
    .command("transfer")
    .description(
      "transfer units (immediate to trusted accounts, pending otherwise); cancel, execute or list pending transfers",
    );

  transfer
    .command("send", { isDefault: true })
    .description(
      "transfer allowances, CCER or cash from --from to an account (the default: `ets transfer <to> <amount> …`)",
    )
    .argument("<to>", "receiver: address or wallet name")
    .argument("<amount>", "whole tonnes, or CNY with at most two decimals for --cash")
    .option("--vintage <year>", "allowances of a vintage: 2014 or TJEA14")
    .option("--ccer <batch>", "CCER of an issuance batch: 3 or CCER-3")
    .option("--cash", "cash, amount in CNY")
    .action(
      action(async (session, [toInput, amountInput], opts) => {
        const product = productFromOptions(opts as ProductOptions);
        const amount = amountFor(product, amountInput ?? "");
        const to = session.resolveAccount(toInput ?? "", "receiver");
        const sender = session.sender();
        if (to.address === sender.address) {
          throw clientError("TRANSFER_TO_SELF", `The receiver ${to.address} is the sending wallet itself.`);
        }
        const chain = await session.chain();
        await checkTransfer(
          chain.contracts,
          { from: sender.address, to: to.address, product, amount },
          await session.chainNow(),
        );

        const { contracts } = await session.signer(sender);
        const { receipt, outcome } = await transferUnits(contracts, product, sender.address, to.address, amount);
        const what = describeUnits(product, amount);
        const base = {
          from: sender.address,
          to: to.address,
          product: productLabel(product),
          token: product.kind,
          tokenId: tokenId(product).toString(),
          amount: amount.toString(),
          unit: product.kind === "cash" ? "fen" : "t",
          ...txData(receipt),
        };
        if (outcome.kind === "immediate") {
          return {
            data: { status: "immediate", ...base },
            text: [`Transferred ${what} to ${named(to.address, to.name)}: immediate.`, txLine(receipt)],
          };
        }
        const ref = formatTransferRef({ kind: product.kind, id: outcome.transferId });
        return {
          data: { status: "pending", transferId: ref, releaseAt: timeJson(outcome.releaseAt), ...base },
          text: [
            `Transfer ${ref} of ${what} to ${named(to.address, to.name)} is PENDING: the receiver is not on your trusted list.`,
            `It can be executed from ${when(outcome.releaseAt)} by anyone: ets transfer execute ${ref}`,
            `Until then the units stay locked in your account; cancel with: ets transfer cancel ${ref}`,
            txLine(receipt),
          ],
        };
      }),
    );

  transfer
    .command("cancel")
    .description("cancel one of your pending transfers and unlock its units")
    .argument("<transferId>", "pending transfer, e.g. ccer:3 (or 3 when unambiguous)")
    .action(
      action(async (session, [input]) => {
        const sender = session.sender();
        const chain = await session.chain();
        const view = await findPending(chain, input ?? "", (v) => v.from === sender.address);
        requireOpen(view);
        const ref = formatTransferRef(view.ref);
        if (view.from !== sender.address) {
          throw chainCoded(
            "TokenNotPendingSender",
            `Only the sender ${view.from} can cancel pending transfer ${ref}; ${sender.address} is not.`,
            {
              transferId: ref,
            },
          );
        }
        const { contracts } = await session.signer(sender);
        const receipt = await confirm(() =>
          guardedToken(contracts, view.ref.kind).cancelPending(view.ref.id, ZERO_FEE),
        );
        return {
          data: { ...pendingJson(view, 0n), status: "cancelled", releasable: false, ...txData(receipt) },
          text: [
            `Cancelled pending transfer ${ref}: ${describe(view)} to ${view.to} stays with you, unlocked.`,
            txLine(receipt),
          ],
        };
      }),
    );

  transfer
    .command("execute")
    .description("execute a pending transfer once its hold period has passed (anyone may)")
    .argument("<transferId>", "pending transfer, e.g. ccer:3 (or 3 when unambiguous)")
    .action(
      action(async (session, [input]) => {
        const sender = session.sender();
        const chain = await session.chain();
        const view = await findPending(chain, input ?? "");
        requireOpen(view);
        const ref = formatTransferRef(view.ref);
        const now = await session.chainNow();
        if (view.releaseAt > now) {
          throw chainCoded(
            "TokenPendingTransferNotReleased",
            `Pending transfer ${ref} can be executed from ${when(view.releaseAt)}, in ${duration(view.releaseAt - now)}.`,
            { transferId: ref, releaseAt: timeJson(view.releaseAt) },
          );
        }
        await requireTransfersOpen(chain.contracts);
        await requireActiveAccount(chain.contracts.registry, view.from, "Sender");
        await requireActiveAccount(chain.contracts.registry, view.to, "Receiver");
        const { contracts } = await session.signer(sender);
        const receipt = await confirm(() =>
          guardedToken(contracts, view.ref.kind).executePending(view.ref.id, ZERO_FEE),
        );
        return {
          data: { ...pendingJson(view, now), status: "executed", ...txData(receipt) },
          text: [
            `Executed pending transfer ${ref}: ${describe(view)} moved from ${view.from} to ${view.to}.`,
            txLine(receipt),
          ],
        };
      }),
    );

  transfer
    .command("list")
    .description("open pending transfers of an account, outgoing and incoming")
    .argument("[account]", "address or wallet name (default: --from)")
    .action(
      action(async (session, [input]) => {
        const who = session.subject(input, "account");
        const chain = await session.chain();
        const { outgoing, incoming } = await openPendingTransfers(chain.contracts, who.address, {
          fromBlock: chain.manifest.deploymentBlock,
        });
        const now = await session.chainNow();
        const lines = (list: PendingTransferView[], direction: "to" | "from") =>
          list.length ? list.map((v) => pendingLine(session, v, now, direction)) : ["  none"];
        return {
          data: {
            address: who.address,
            outgoing: outgoing.map((v) => ({ ...pendingJson(v, now), toWallet: nameOf(session, v.to) })),
            incoming: incoming.map((v) => ({ ...pendingJson(v, now), fromWallet: nameOf(session, v.from) })),
          },
          text: [
            `Open pending transfers of ${named(who.address, who.name)}:`,
            "Outgoing (you can cancel them until executed):",
            ...lines(outgoing, "to"),
            "Incoming:",
            ...lines(incoming, "from"),
          ],
        };
      }),
    );
}

function describe(view: PendingTransferView): string {
  return describeUnits(view.product, view.amount);
}
