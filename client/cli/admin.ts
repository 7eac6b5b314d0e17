import type { Command } from "commander";
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import { chainCoded, clientError } from "../../sdk/client-errors";
import type { Contracts } from "../../sdk/contracts";
import { DomainError } from "../../sdk/errors";
import {
  creditCodeHash,
  parseDate,
  parseDuration,
  parseWholeNumber,
  referenceHash,
  requireText,
} from "../../sdk/input";
import type { KeystoreEntry } from "../../sdk/keystore";
import { CATEGORIES, SECTORS, categoryLabel, parseCategory, parseSector, sectorLabel } from "../../sdk/participants";
import { PERMISSIONS, type ContractName } from "../../sdk/permissions";
import { accountStatus, requireActiveAccount, requireAvailable, requireProductExists } from "../../sdk/preflight";
import { executeCall, scheduleCall, scheduleState } from "../../sdk/scheduled";
import { confirm, ZERO_FEE } from "../../sdk/send";
import {
  describeUnits,
  formatAmount,
  formatTransferRef,
  guardedToken,
  productLabel,
  tokenId,
  TOKEN_KINDS,
  type Product,
} from "../../sdk/transfers";
import { MAX_AMOUNT } from "../../sdk/units";
import { duration, named, timeJson, txData, txLine, when, type CommandResult } from "./format";
import type { Action } from "./program";
import { registerRoleCommands } from "./roles";
import type { AccountRef, Chain, Session } from "./session";
import { amountFor, findPending, pendingJson, productFromOptions, requireOpen, type ProductOptions } from "./shared";

const MAX_DELAY = 30n * 86400n;
const UINT64_MAX = 2n ** 64n - 1n;

/** `ets admin …`: the regulator's, registry operator's, offset registrar's and clearing bank's tools. */
export function registerAdminCommands(program: Command, action: Action): void {
  const admin = program
    .command("admin")
    .description("registry administration; each command needs the role named in its help, held by the --from wallet");

  // ── accounts ─────────────────────────────────────────────────────────────────────────────────
  admin
    .command("register")
    .description("register an entity and open its first account [REGISTRY_OPERATOR]")
    .argument("<wallet>", "the entity's first wallet: address or wallet name")
    .requiredOption("--entity-id <id>", "the entity's registry id (a positive number)")
    .requiredOption("--category <category>", `one of ${CATEGORIES.map((c) => c.key).join(", ")}`)
    .option("--sector <sector>", `covered entities only: ${SECTORS.map((s) => s.key).join(", ")}`)
    .requiredOption("--name <name>", "registered name (1-200 bytes)")
    .requiredOption(
      "--credit-code <code>",
      "18-character unified social credit code (stored as the keccak256 of its UTF-8 text)",
    )
    .action(
      action(async (session, [walletInput], o) => {
        const opts = o as { entityId: string; category: string; sector?: string; name: string; creditCode: string };
        const entityId = parseWholeNumber(opts.entityId, "entity id", 1n, UINT64_MAX);
        const category = parseCategory(opts.category);
        const sector = opts.sector === undefined ? 0 : parseSector(opts.sector);
        const covered = category === 1;
        if (covered && sector === 0) {
          throw chainCoded(
            "RegistryInvalidSector",
            `A covered entity needs --sector, one of ${SECTORS.map((s) => s.key).join(", ")}.`,
          );
        }
        if (!covered && sector !== 0) {
          throw chainCoded(
            "RegistryInvalidSector",
            `Only covered entities have a sector; a ${categoryLabel(category)} has none: drop --sector.`,
          );
        }
        const name = requireText(opts.name, "entity name");
        const nameBytes = Buffer.byteLength(name, "utf8");
        if (nameBytes > 200)
          throw chainCoded(
            "RegistryInvalidName",
            `The entity name must be 1 to 200 bytes of UTF-8; it has ${nameBytes}.`,
          );
        const codeHash = creditCodeHash(opts.creditCode);
        const wallet = session.resolveAccount(walletInput ?? "", "wallet");
        const sender = session.sender();
        const { contracts } = await session.chain();
        const existing = await contracts.registry.entityOf(entityId);
        if (existing.category !== 0n) {
          throw chainCoded(
            "RegistryEntityExists",
            `Entity id ${entityId} is already registered ("${existing.name}").`,
            { entityId: entityId.toString() },
          );
        }
        await requireNewWallet(contracts, wallet);
        const receipt = await adminSend(
          session,
          sender,
          ["ParticipantRegistry", "registerEntity(uint64,uint8,uint8,string,bytes32,address)"],
          (c) => c.registry.registerEntity(entityId, category, sector, name, codeHash, wallet.address, ZERO_FEE),
        );
        const sectorText = sectorLabel(sector);
        return {
          data: {
            entityId: entityId.toString(),
            category: categoryLabel(category),
            ...(sectorText ? { sector: sectorText } : {}),
            name,
            creditCodeHash: codeHash,
            wallet: wallet.address,
            ...txData(receipt),
          },
          text: [
            `Registered entity ${entityId} "${name}" (${categoryLabel(category)}${sectorText ? `, ${sectorText}` : ""}) with its first account ${named(wallet.address, wallet.name)}.`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("open-account")
    .description("open another account (wallet) for a registered entity [REGISTRY_OPERATOR]")
    .argument("<entityId>", "the entity's registry id")
    .argument("<wallet>", "the new wallet: address or wallet name")
    .action(
      action(async (session, [idInput, walletInput]) => {
        const entityId = parseWholeNumber(idInput ?? "", "entity id", 1n, UINT64_MAX);
        const wallet = session.resolveAccount(walletInput ?? "", "wallet");
        const sender = session.sender();
        const { contracts } = await session.chain();
        const entity = await contracts.registry.entityOf(entityId);
        if (entity.category === 0n) {
          throw chainCoded(
            "RegistryUnknownEntity",
            `No entity is registered with id ${entityId}; register it first with ets admin register.`,
          );
        }
        await requireNewWallet(contracts, wallet);
        const receipt = await adminSend(session, sender, ["ParticipantRegistry", "openAccount(uint64,address)"], (c) =>
          c.registry.openAccount(entityId, wallet.address, ZERO_FEE),
        );
        return {
          data: { entityId: entityId.toString(), wallet: wallet.address, ...txData(receipt) },
          text: [
            `Opened account ${named(wallet.address, wallet.name)} for entity ${entityId} "${entity.name}".`,
            txLine(receipt),
          ],
        };
      }),
    );

  const statusChanges = [
    {
      name: "freeze",
      fn: "freeze(address)",
      from: ["active"],
      verb: "Froze",
      help: "freeze an active account: it can neither send nor receive",
    },
    {
      name: "unfreeze",
      fn: "unfreeze(address)",
      from: ["frozen"],
      verb: "Unfroze",
      help: "make a frozen account active again",
    },
    {
      name: "close",
      fn: "close(address)",
      from: ["active", "frozen"],
      verb: "Closed",
      help: "close an empty account for good",
    },
  ] as const;
  for (const change of statusChanges) {
    admin
      .command(change.name)
      .description(`${change.help} [REGISTRY_OPERATOR]`)
      .argument("<account>", "address or wallet name")
      .action(
        action(async (session, [input]) => {
          const account = session.resolveAccount(input ?? "", "account");
          const sender = session.sender();
          const { contracts } = await session.chain();
          const { status } = await accountStatus(contracts.registry, account.address);
          if (status === "none") {
            throw chainCoded(
              "RegistryUnknownAccount",
              `${named(account.address, account.name)} has no registry account.`,
              { account: account.address },
            );
          }
          if (!(change.from as readonly string[]).includes(status)) {
            throw chainCoded(
              "RegistryInvalidStatus",
              `${named(account.address, account.name)} is ${status}; ${change.name} needs an account that is ${change.from.join(" or ")}.`,
              { account: account.address, status },
            );
          }
          if (change.name === "close") await requireEmpty(contracts, account);
          const receipt = await adminSend(session, sender, ["ParticipantRegistry", change.fn], (c) =>
            c.registry[change.name](account.address, ZERO_FEE),
          );
          return {
            data: { account: account.address, action: change.name, ...txData(receipt) },
            text: [`${change.verb} account ${named(account.address, account.name)}.`, txLine(receipt)],
          };
        }),
      );
  }

  admin
    .command("recover")
    .description(
      "replace a lost wallet and move its holdings: schedules; with --execute, executes once the delay has passed [RECOVERY, delayed]",
    )
    .argument("<oldWallet>", "the lost wallet: address or wallet name")
    .argument("<newWallet>", "the replacement wallet (never registered): address or wallet name")
    .option("--execute", "execute the scheduled recovery (after its delay)")
    .action(
      action(async (session, [oldInput, newInput], o) => {
        const oldWallet = session.resolveAccount(oldInput ?? "", "old wallet");
        const newWallet = session.resolveAccount(newInput ?? "", "new wallet");
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        const { status } = await accountStatus(contracts.registry, oldWallet.address);
        if (status === "none")
          throw chainCoded(
            "RegistryUnknownAccount",
            `${named(oldWallet.address, oldWallet.name)} has no registry account.`,
          );
        if (status === "closed")
          throw chainCoded(
            "RegistryInvalidStatus",
            `${named(oldWallet.address, oldWallet.name)} is closed already; it cannot be recovered.`,
          );
        await requireNewWallet(contracts, newWallet);
        return delayedCall(session, chain, sender, {
          contract: "ParticipantRegistry",
          fn: "recover(address,address)",
          target: chain.manifest.contracts.ParticipantRegistry,
          data: contracts.registry.interface.encodeFunctionData("recover", [oldWallet.address, newWallet.address]),
          what: `Recovery of ${oldWallet.address} to ${newWallet.address}`,
          command: `ets admin recover ${oldWallet.address} ${newWallet.address}`,
          execute: o.execute === true,
          facts: { oldWallet: oldWallet.address, newWallet: newWallet.address },
        });
      }),
    );

  // ── transfers ────────────────────────────────────────────────────────────────────────────────
  admin
    .command("block")
    .description("block a pending transfer during its hold period and unlock its units [REGISTRY_OPERATOR]")
    .argument("<transferId>", "pending transfer, e.g. ccer:3 (or 3 when unambiguous)")
    .requiredOption("--case <ref>", "case reference of the decision (recorded in the event)")
    .action(
      action(async (session, [input], o) => {
        const caseRef = requireText(o.case as string, "case reference");
        const sender = session.sender();
        const chain = await session.chain();
        const view = await findPending(chain, input ?? "", (v) => v.status === "pending");
        requireOpen(view);
        const ref = formatTransferRef(view.ref);
        const receipt = await adminSend(
          session,
          sender,
          [tokenContractName(view.ref.kind), "blockPending(uint256,string)"],
          (c) => guardedToken(c, view.ref.kind).blockPending(view.ref.id, caseRef, ZERO_FEE),
        );
        return {
          data: { ...pendingJson(view, 0n), status: "blocked", releasable: false, caseRef, ...txData(receipt) },
          text: [
            `Blocked pending transfer ${ref} (${describeUnits(view.product, view.amount)} from ${view.from} to ${view.to}), case ${caseRef}.`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("force-transfer")
    .description(
      "move units by a decision of the regulator: schedules; with --execute, executes after the delay [ENFORCEMENT, delayed]",
    )
    .argument("<from>", "account debited: address or wallet name")
    .argument("<to>", "account credited: address or wallet name")
    .argument("<amount>", "whole tonnes, or CNY for --cash")
    .option("--vintage <year>", "allowances of a vintage")
    .option("--ccer <batch>", "CCER of a batch")
    .option("--cash", "cash, amount in CNY")
    .requiredOption("--case <ref>", "case reference of the decision (recorded in the event)")
    .option("--execute", "execute the scheduled forced transfer (after its delay)")
    .action(
      action(async (session, [fromInput, toInput, amountInput], o) => {
        const product = productFromOptions(o as ProductOptions);
        const amount = amountFor(product, amountInput ?? "");
        const caseRef = requireText(o.case as string, "case reference");
        const from = session.resolveAccount(fromInput ?? "", "account debited");
        const to = session.resolveAccount(toInput ?? "", "account credited");
        if (from.address === to.address) {
          throw chainCoded("TokenForcedTransferToSelf", `A forced transfer cannot go from ${from.address} to itself.`);
        }
        const sender = session.sender();
        const chain = await session.chain();
        const { contracts } = chain;
        await requireProductExists(contracts, product);
        if ((await accountStatus(contracts.registry, from.address)).status === "none") {
          throw chainCoded("TokenAccountNotRegistered", `Account debited ${from.address} has no registry account.`);
        }
        await requireActiveAccount(contracts.registry, to.address, "Account credited");
        await requireAvailable(contracts, from.address, product, amount);
        const token = guardedToken(contracts, product.kind);
        return delayedCall(session, chain, sender, {
          contract: tokenContractName(product.kind),
          fn: "forceTransfer(address,address,uint256,uint256,string)",
          target: token.target as string,
          data: token.interface.encodeFunctionData("forceTransfer", [
            from.address,
            to.address,
            tokenId(product),
            amount,
            caseRef,
          ]),
          what: `Forced transfer of ${describeUnits(product, amount)} from ${from.address} to ${to.address} (case ${caseRef})`,
          command: `ets admin force-transfer ${from.address} ${to.address} ${amountInput ?? ""} ${productFlag(product)} --case "${caseRef}"`,
          execute: o.execute === true,
          facts: {
            from: from.address,
            to: to.address,
            product: productLabel(product),
            amount: amount.toString(),
            caseRef,
          },
        });
      }),
    );

  admin
    .command("suspend")
    .description("suspend all transfers but allocation and surrender [REGULATOR]")
    .argument("<reason>", "why (recorded in the event)")
    .action(
      action(async (session, [reasonInput]) => {
        const reason = requireText(reasonInput, "reason");
        const sender = session.sender();
        const { contracts } = await session.chain();
        if (await contracts.rules.suspended())
          throw chainCoded("RulesSuspensionUnchanged", "Transfers are already suspended.");
        const receipt = await adminSend(session, sender, ["TransferRules", "suspend(string)"], (c) =>
          c.rules.suspend(reason, ZERO_FEE),
        );
        return {
          data: { suspended: true, reason, ...txData(receipt) },
          text: [`Suspended all transfers: ${reason}. Lift with: ets admin resume`, txLine(receipt)],
        };
      }),
    );

  admin
    .command("resume")
    .description("lift the suspension of transfers [REGULATOR]")
    .action(
      action(async (session) => {
        const sender = session.sender();
        const { contracts } = await session.chain();
        if (!(await contracts.rules.suspended()))
          throw chainCoded("RulesSuspensionUnchanged", "Transfers are not suspended.");
        const receipt = await adminSend(session, sender, ["TransferRules", "resume()"], (c) =>
          c.rules.resume(ZERO_FEE),
        );
        return { data: { suspended: false, ...txData(receipt) }, text: ["Transfers resumed.", txLine(receipt)] };
      }),
    );

  admin
    .command("delays")
    .description(
      "show the hold period of transfers to untrusted accounts and the trust delay; set them with the options [REGULATOR]",
    )
    .option(
      "--trust <duration>",
      "delay before a newly trusted account counts: seconds or 90s, 15m, 26h, 2d (at most 30 d)",
    )
    .option("--pending <duration>", "hold period of transfers to untrusted accounts (at most 30 d)")
    .action(
      action(async (session, _args, o) => {
        const trust = o.trust === undefined ? undefined : checkDelay(parseDuration(o.trust as string, "trust delay"));
        const pending =
          o.pending === undefined ? undefined : checkDelay(parseDuration(o.pending as string, "pending delay"));
        const { contracts } = await session.chain();
        const txs: { tx: string; block: number }[] = [];
        const lines: string[] = [];
        if (trust !== undefined || pending !== undefined) {
          const sender = session.sender();
          if (trust !== undefined) {
            const receipt = await adminSend(session, sender, ["TransferRules", "setTrustDelay(uint64)"], (c) =>
              c.rules.setTrustDelay(trust, ZERO_FEE),
            );
            txs.push(txData(receipt));
            lines.push(txLine(receipt));
          }
          if (pending !== undefined) {
            const receipt = await adminSend(session, sender, ["TransferRules", "setPendingDelay(uint64)"], (c) =>
              c.rules.setPendingDelay(pending, ZERO_FEE),
            );
            txs.push(txData(receipt));
            lines.push(txLine(receipt));
          }
        }
        const [trustDelay, pendingDelay] = await Promise.all([
          contracts.rules.trustDelay(),
          contracts.rules.pendingDelay(),
        ]);
        return {
          data: { trustDelay: Number(trustDelay), pendingDelay: Number(pendingDelay), transactions: txs },
          text: [
            `Trust delay: ${duration(trustDelay)}`,
            `Hold period of transfers to untrusted accounts: ${duration(pendingDelay)}`,
            ...lines,
          ],
        };
      }),
    );

  // ── issuance ─────────────────────────────────────────────────────────────────────────────────
  admin
    .command("import-ccer")
    .description(
      "bring a CCER issuance batch in from the national registry and credit all of it to an account [OFFSET_REGISTRAR]",
    )
    .argument("<to>", "account credited: address or wallet name")
    .requiredOption("--project-id <id>", "the project's id at the origin registry")
    .requiredOption("--type <type>", "project type, e.g. wind, solar, methane")
    .option("--hydro", "the project is hydropower")
    .requiredOption("--methodology <code>", "methodology, e.g. CM-001-V01")
    .requiredOption("--period-start <date>", "start of the reduction period, YYYY-MM-DD")
    .requiredOption("--period-end <date>", "end of the reduction period, YYYY-MM-DD")
    .requiredOption("--serial-first <n>", "first serial number of the batch")
    .requiredOption("--serial-last <n>", "last serial number of the batch (units = last - first + 1)")
    .requiredOption("--origin-ref <ref>", "the batch's reference at the origin registry (imported once)")
    .action(
      action(async (session, [toInput], o) => {
        const opts = o as {
          projectId: string;
          type: string;
          hydro?: boolean;
          methodology: string;
          periodStart: string;
          periodEnd: string;
          serialFirst: string;
          serialLast: string;
          originRef: string;
        };
        const batch = {
          projectId: requireText(opts.projectId, "project id"),
          projectType: requireText(opts.type, "project type"),
          hydro: opts.hydro === true,
          methodology: requireText(opts.methodology, "methodology"),
          reductionStart: parseDate(opts.periodStart, "reduction period start"),
          reductionEnd: parseDate(opts.periodEnd, "reduction period end"),
          serialFirst: parseWholeNumber(opts.serialFirst, "first serial number", 0n, UINT64_MAX),
          serialLast: parseWholeNumber(opts.serialLast, "last serial number", 0n, UINT64_MAX),
          originRef: requireText(opts.originRef, "origin reference"),
        };
        if (batch.serialLast < batch.serialFirst) {
          throw chainCoded(
            "OffsetInvalidSerialRange",
            `The serial range ${batch.serialFirst}–${batch.serialLast} is reversed.`,
          );
        }
        const units = batch.serialLast - batch.serialFirst + 1n;
        if (units > MAX_AMOUNT)
          throw clientError(
            "AMOUNT_TOO_LARGE",
            `The batch would hold ${units} t; at most ${MAX_AMOUNT} t are accepted.`,
          );
        if (batch.reductionEnd <= batch.reductionStart) {
          throw chainCoded(
            "OffsetInvalidReductionPeriod",
            `The reduction period ${opts.periodStart} – ${opts.periodEnd} is empty or reversed.`,
          );
        }
        const to = session.resolveAccount(toInput ?? "", "account credited");
        const sender = session.sender();
        const { contracts } = await session.chain();
        await requireActiveAccount(contracts.registry, to.address, "Receiver");
        const receipt = await adminSend(
          session,
          sender,
          ["OffsetToken", "importBatch(address,(string,string,bool,string,uint64,uint64,uint64,uint64,string))"],
          (c) => c.offsets.importBatch(to.address, batch, ZERO_FEE),
        );
        let batchId = 0n;
        for (const log of receipt.logs) {
          const parsed = contracts.offsets.interface.parseLog(log);
          if (parsed?.name === "OffsetBatchImported") batchId = parsed.args[0] as bigint;
        }
        return {
          data: {
            batch: batchId.toString(),
            to: to.address,
            amount: units.toString(),
            unit: "t",
            ...stringify(batch),
            ...txData(receipt),
          },
          text: [
            `Imported CCER batch ${batchId} (${batch.projectId}, ${batch.projectType}${batch.hydro ? ", hydro" : ""}, serials ${batch.serialFirst}–${batch.serialLast}): ${formatAmount("ccer", units)} credited to ${named(to.address, to.name)}.`,
            txLine(receipt),
          ],
        };
      }),
    );

  admin
    .command("deposit-cash")
    .description("credit cash against an incoming bank payment [CLEARING_BANK]")
    .argument("<to>", "account credited: address or wallet name")
    .argument("<amount>", "CNY, at most two decimals")
    .requiredOption(
      "--bank-ref <text>",
      "the bank's reference of the payment (stored as the keccak256 of its UTF-8 text; used once)",
    )
    .action(
      action(async (session, [toInput, amountInput], o) => {
        const amount = amountFor({ kind: "cash" }, amountInput ?? "");
        const bankRef = requireText(o.bankRef as string, "bank reference");
        const refHash = referenceHash(bankRef, "bank reference");
        const to = session.resolveAccount(toInput ?? "", "account credited");
        const sender = session.sender();
        const { contracts } = await session.chain();
        await requireActiveAccount(contracts.registry, to.address, "Receiver");
        if (await contracts.cash.referenceUsed(refHash)) {
          throw chainCoded(
            "CashInvalidBankReference",
            `Bank reference "${bankRef}" was used before: each payment is credited once.`,
            { bankRef },
          );
        }
        const receipt = await adminSend(session, sender, ["CashToken", "deposit(address,uint256,bytes32)"], (c) =>
          c.cash.deposit(to.address, amount, refHash, ZERO_FEE),
        );
        return {
          data: {
            to: to.address,
            amount: amount.toString(),
            unit: "fen",
            bankRef,
            bankRefHash: refHash,
            ...txData(receipt),
          },
          text: [
            `Deposited ${formatAmount("cash", amount)} to ${named(to.address, to.name)} (bank reference ${bankRef}).`,
            txLine(receipt),
          ],
        };
      }),
    );

  registerRoleCommands(admin, action);
}

// ─────────────────────────────────────────── helpers ────────────────────────────────────────────

/** The contract and function a call needs the role of (a key of `sdk/permissions.ts`). */
export type Needs = [ContractName, string];

/**
 * Unlocks the sender, sends an administrative call and waits for it. A revert for a missing role
 * keeps its code and names the role the call needs (from `sdk/permissions.ts`).
 */
export async function adminSend(
  session: Session,
  sender: KeystoreEntry,
  needs: Needs,
  send: (c: Contracts) => Promise<ContractTransactionResponse>,
): Promise<TransactionReceipt> {
  const { contracts } = await session.signer(sender);
  try {
    return await confirm(() => send(contracts));
  } catch (err) {
    throw explainRole(err, sender, needs, "call");
  }
}

export function explainRole(
  err: unknown,
  sender: KeystoreEntry,
  [contract, fn]: Needs,
  how: "call" | "schedule" | "execute",
): unknown {
  if (!(err instanceof DomainError)) return err;
  const role = (PERMISSIONS as Partial<Record<ContractName, Record<string, string>>>)[contract]?.[fn] ?? "required";
  const who = `Wallet ${named(sender.address, sender.name)}`;
  const call = `${fn.slice(0, fn.indexOf("("))} on ${contract}`;
  if (err.code === "UNAUTHORISED_ROLE") {
    return new DomainError(
      err.code,
      `${who} does not hold the ${role} role that ${call} needs.`,
      err.kind,
      err.details,
    );
  }
  if (err.code === "UNAUTHORISED_CALL") {
    return new DomainError(
      err.code,
      `${who} may not ${how} ${call}: it needs the ${role} role, which is granted with an execution delay.`,
      err.kind,
      err.details,
    );
  }
  return err;
}

interface DelayedSpec {
  contract: ContractName;
  fn: string;
  target: string;
  data: string;
  /** What the call does, as a sentence subject. */
  what: string;
  /** The command that schedules it, for the instructions printed. */
  command: string;
  execute: boolean;
  facts: Record<string, unknown>;
}

/** Schedules a delayed call, or executes it once ready; errors say when it will be ready. */
async function delayedCall(
  session: Session,
  chain: Chain,
  sender: KeystoreEntry,
  spec: DelayedSpec,
): Promise<CommandResult> {
  const authority = chain.contracts.authority;
  const state = await scheduleState(authority, { caller: sender.address, target: spec.target, data: spec.data });
  const needs: Needs = [spec.contract, spec.fn];
  if (!spec.execute) {
    if (state.readyAt !== 0n) {
      throw chainCoded(
        "AccessManagerAlreadyScheduled",
        `${spec.what} is already scheduled; it can be executed from ${when(state.readyAt)} with: ${spec.command} --execute`,
        { operationId: state.operationId, executableFrom: timeJson(state.readyAt) },
      );
    }
    const { contracts } = await session.signer(sender);
    let scheduled: Awaited<ReturnType<typeof scheduleCall>>;
    try {
      scheduled = await scheduleCall(contracts.authority, spec);
    } catch (err) {
      throw explainRole(err, sender, needs, "schedule");
    }
    return {
      data: {
        status: "scheduled",
        ...spec.facts,
        operationId: scheduled.operationId,
        executableFrom: timeJson(scheduled.readyAt),
        ...txData(scheduled.receipt),
      },
      text: [
        `Scheduled: ${spec.what}.`,
        `It can be executed from ${when(scheduled.readyAt)} with: ${spec.command} --execute`,
        "Until then it is visible on chain and the regulator can cancel it on the AccessManager.",
        txLine(scheduled.receipt),
      ],
    };
  }
  if (state.readyAt === 0n) {
    throw chainCoded(
      "AccessManagerNotScheduled",
      `${spec.what} is not scheduled by ${sender.address} (or its schedule expired or was cancelled); schedule it first with: ${spec.command}`,
      { operationId: state.operationId },
    );
  }
  const now = await session.chainNow();
  if (state.readyAt > now) {
    throw chainCoded(
      "AccessManagerNotReady",
      `${spec.what} is scheduled but not ready: it can be executed from ${when(state.readyAt)}, in ${duration(state.readyAt - now)}.`,
      { operationId: state.operationId, executableFrom: timeJson(state.readyAt) },
    );
  }
  const { contracts } = await session.signer(sender);
  let receipt: TransactionReceipt;
  try {
    receipt = await executeCall(contracts.authority, spec);
  } catch (err) {
    throw explainRole(err, sender, needs, "execute");
  }
  return {
    data: { status: "executed", ...spec.facts, operationId: state.operationId, ...txData(receipt) },
    text: [`Executed: ${spec.what}.`, txLine(receipt)],
  };
}

async function requireNewWallet(contracts: Contracts, wallet: AccountRef): Promise<void> {
  const account = await contracts.registry.accountOf(wallet.address);
  if (account.status !== 0n) {
    throw chainCoded(
      "RegistryAccountExists",
      `Wallet ${named(wallet.address, wallet.name)} already has a registry account (entity ${account.entityId}); wallets are never reused.`,
      { wallet: wallet.address },
    );
  }
}

async function requireEmpty(contracts: Contracts, account: AccountRef): Promise<void> {
  for (const kind of TOKEN_KINDS) {
    if (await guardedToken(contracts, kind).holdsAnything(account.address)) {
      throw chainCoded(
        "RegistryAccountNotEmpty",
        `${named(account.address, account.name)} still holds ${kind === "allowance" ? "allowances" : kind === "ccer" ? "CCER" : "cash"}; move them before closing the account.`,
        { account: account.address, token: kind },
      );
    }
  }
}

function checkDelay(seconds: bigint): bigint {
  if (seconds > MAX_DELAY) {
    throw chainCoded("RulesDelayOutOfRange", `A delay of ${duration(seconds)} is longer than the maximum of 30 d.`);
  }
  return seconds;
}

function tokenContractName(kind: Product["kind"]): ContractName {
  return kind === "allowance" ? "AllowanceToken" : kind === "ccer" ? "OffsetToken" : "CashToken";
}

function productFlag(product: Product): string {
  return product.kind === "allowance"
    ? `--vintage ${product.vintage}`
    : product.kind === "ccer"
      ? `--ccer ${product.batch}`
      : "--cash";
}

function stringify(batch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));
}
