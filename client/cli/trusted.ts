import type { Command } from "commander";
import { chainCoded } from "../../sdk/client-errors";
import { accountStatus } from "../../sdk/preflight";
import { confirm, ZERO_FEE } from "../../sdk/send";
import { duration, named, timeJson, txData, txLine, when } from "./format";
import type { Action } from "./program";
import { nameOf } from "./shared";

/** `ets trusted add|remove|list`: the holder's trusted account list. */
export function registerTrustedCommands(program: Command, action: Action): void {
  const trusted = program
    .command("trusted")
    .description(
      "your trusted account list: transfers to a trusted account are immediate once its trust delay has passed",
    );

  trusted
    .command("add")
    .description("trust an account; it counts after the regulator's trust delay")
    .argument("<account>", "address or wallet name")
    .action(
      action(async (session, [input]) => {
        const account = session.resolveAccount(input ?? "", "account to trust");
        const sender = session.sender();
        const { contracts: read } = await session.chain();
        if (account.address === sender.address) {
          throw chainCoded(
            "RulesInvalidTrustedAccount",
            "Your own wallet cannot be on your trusted list (your own accounts are always immediate).",
            {
              account: account.address,
            },
          );
        }
        const holder = await accountStatus(read.registry, sender.address);
        if (holder.status !== "active") {
          throw chainCoded(
            "RulesHolderNotActive",
            `Your wallet ${sender.address} has no active registry account (it is ${holder.status}).`,
            {
              account: sender.address,
            },
          );
        }
        const target = await accountStatus(read.registry, account.address);
        if (target.status !== "active") {
          throw chainCoded(
            "RulesTrustedAccountNotActive",
            `${named(account.address, account.name)} has no active registry account (${target.status === "none" ? "not registered" : target.status}) and cannot be trusted.`,
            { account: account.address },
          );
        }
        const list = await read.rules.trustedAccounts(sender.address);
        const existing = list.find((e) => e.account === account.address);
        if (existing) {
          throw chainCoded(
            "RulesAlreadyTrusted",
            `${named(account.address, account.name)} is already on your trusted list (counting from ${when(existing.activeFrom)}).`,
            { account: account.address },
          );
        }
        const { contracts } = await session.signer(sender);
        const receipt = await confirm(() => contracts.rules.addTrusted(account.address, ZERO_FEE));
        let activeFrom = 0n;
        for (const log of receipt.logs) {
          const parsed = contracts.rules.interface.parseLog(log);
          if (parsed?.name === "TrustedAccountAdded") activeFrom = parsed.args[2] as bigint;
        }
        const delay = await read.rules.trustDelay();
        return {
          data: {
            holder: sender.address,
            account: account.address,
            activeFrom: timeJson(activeFrom),
            ...txData(receipt),
          },
          text: [
            `Trusted ${named(account.address, account.name)}. Transfers to it are immediate from ${when(activeFrom)} (trust delay ${duration(delay)}); until then they are held pending.`,
            txLine(receipt),
          ],
        };
      }),
    );

  trusted
    .command("remove")
    .description("remove an account from your trusted list, at once")
    .argument("<account>", "address or wallet name")
    .action(
      action(async (session, [input]) => {
        const account = session.resolveAccount(input ?? "", "account");
        const sender = session.sender();
        const { contracts: read } = await session.chain();
        const list = await read.rules.trustedAccounts(sender.address);
        if (!list.some((e) => e.account === account.address)) {
          throw chainCoded("RulesNotTrusted", `${named(account.address, account.name)} is not on your trusted list.`, {
            account: account.address,
          });
        }
        const { contracts } = await session.signer(sender);
        const receipt = await confirm(() => contracts.rules.removeTrusted(account.address, ZERO_FEE));
        return {
          data: { holder: sender.address, account: account.address, ...txData(receipt) },
          text: [
            `Removed ${named(account.address, account.name)} from your trusted list; transfers to it are pending again.`,
            txLine(receipt),
          ],
        };
      }),
    );

  trusted
    .command("list")
    .description("the trusted list of an account, with the time each entry counts from")
    .argument("[account]", "address or wallet name (default: --from)")
    .action(
      action(async (session, [input]) => {
        const who = session.subject(input, "account");
        const { contracts } = await session.chain();
        const list = await contracts.rules.trustedAccounts(who.address);
        const now = await session.chainNow();
        const entries = list.map((e) => ({
          account: e.account,
          wallet: nameOf(session, e.account),
          activeFrom: timeJson(e.activeFrom),
          active: e.activeFrom <= now,
        }));
        return {
          data: { holder: who.address, trusted: entries },
          text: [
            `Trusted accounts of ${named(who.address, who.name)}:`,
            ...(entries.length
              ? list.map(
                  (e) =>
                    `  ${named(e.account, nameOf(session, e.account))}  ${e.activeFrom <= now ? `trusted since ${when(e.activeFrom)}` : `counts from ${when(e.activeFrom)}`}`,
                )
              : ["  none"]),
          ],
        };
      }),
    );
}
