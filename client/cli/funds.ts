import type { Command } from "commander";
import { ZeroAddress, type ContractTransactionReceipt } from "ethers";
import { clearingCoded, confirmClearing, tradingAsset } from "../../sdk/clearing";
import { clientError } from "../../sdk/client-errors";
import { parseWholeNumber } from "../../sdk/input";
import type { Manifest } from "../../sdk/manifest";
import { signWithdrawal, type Withdrawal } from "../../sdk/orders";
import { checkTransfer, requireProductExists } from "../../sdk/preflight";
import { ZERO_FEE } from "../../sdk/send";
import { describeUnits, formatAmount, productLabel, productOf, tokenId, type Product } from "../../sdk/transfers";
import { formatYuan } from "../../sdk/units";
import { duration, named, timeJson, txData, txLine, when, type CommandResult } from "./format";
import type { Action } from "./program";
import type { Session } from "./session";
import { amountFor, productFromOptions, type ProductOptions } from "./shared";
import { positionOf, requireTradingAvailable, tradingChain } from "./trading";

const UINT256_MAX = 2n ** 256n - 1n;

/** `ets deposit` and `ets withdraw`: moving units and cash between a registry wallet and its trading account. */
export function registerFundsCommands(program: Command, action: Action): void {
  program
    .command("deposit")
    .description(
      "deposit allowances, CCER or cash from your registry wallet (--from) into your trading account at the exchange",
    )
    .argument("<amount>", "whole tonnes, or CNY with at most two decimals for --cash")
    .option("--vintage <year>", "allowances of a vintage: 2014 or TJEA14")
    .option("--ccer <batch>", "CCER of an issuance batch: 3 or CCER-3")
    .option("--cash", "cash, amount in CNY (approves the clearing, then deposits)")
    .action(
      action(async (session, [amountInput], opts) => {
        const product = productFromOptions(opts as ProductOptions);
        const amount = amountFor(product, amountInput ?? "");
        const sender = session.sender();
        const t = await tradingChain(session);
        // A deposit is a transfer to the clearing house: the registry's own checks, in its order.
        await checkTransfer(
          t.chain.contracts,
          { from: sender.address, to: t.clearingAddress, product, amount },
          await session.chainNow(),
        );

        const { wallet, contracts } = await session.signer(sender);
        const asset = tradingAsset(t.chain.manifest, product);
        let approval: ContractTransactionReceipt | undefined;
        let receipt: ContractTransactionReceipt;
        if (product.kind === "cash") {
          if ((await contracts.cash.allowance(sender.address, t.clearingAddress)) < amount) {
            approval = await confirmClearing(() => contracts.cash.approve(t.clearingAddress, amount, ZERO_FEE));
          }
          receipt = await confirmClearing(() => t.clearing.connect(wallet).depositCash(amount, ZERO_FEE));
        } else {
          const token = product.kind === "allowance" ? contracts.allowances : contracts.offsets;
          receipt = await confirmClearing(() =>
            token.safeTransferFrom(sender.address, t.clearingAddress, asset.tokenId, amount, "0x", ZERO_FEE),
          );
        }
        const balance = await t.clearing.balanceOf(sender.address, asset.token, asset.tokenId);
        return {
          data: {
            trader: sender.address,
            ...assetJson(product, amount),
            tradingBalance: balance.toString(),
            ...(product.kind === "cash" ? { tradingBalanceCny: formatYuan(balance) } : {}),
            ...(approval ? { approval: txData(approval) } : {}),
            ...txData(receipt),
          },
          text: [
            `Deposited ${describeUnits(product, amount)} into the trading account of ${named(sender.address, sender.name)} at the exchange.`,
            `Trading balance on chain: ${describeUnits(product, balance)}. The exchange credits the deposit as soon as it sees the block (a few seconds).`,
            ...(approval ? [`Approval: ${txLine(approval)}`] : []),
            txLine(receipt),
          ],
        };
      }),
    );

  program
    .command("withdraw")
    .description(
      "withdraw from your trading account to your registry wallet: a signed request the exchange pays in its next settlement batch; --escape asks on chain instead; --execute-request runs the escape hatch",
    )
    .argument("[amount]", "whole tonnes, or CNY with at most two decimals for --cash")
    .option("--vintage <year>", "allowances of a vintage: 2014 or TJEA14")
    .option("--ccer <batch>", "CCER of an issuance batch: 3 or CCER-3")
    .option("--cash", "cash, amount in CNY")
    .option(
      "--escape",
      "ask on chain (Clearing.requestWithdrawal): the exchange pays it, or you may yourself once the withdrawal delay (24 h by default) has passed",
    )
    .option("--execute-request <id>", "execute your own on-chain withdrawal request once its delay has passed")
    .action(
      action(async (session, [amountInput], o) => {
        const opts = o as ProductOptions & { escape?: boolean; executeRequest?: string };
        if (opts.executeRequest !== undefined) {
          if (
            amountInput !== undefined ||
            opts.vintage !== undefined ||
            opts.ccer !== undefined ||
            opts.cash ||
            opts.escape
          ) {
            throw clientError(
              "INVALID_USAGE",
              "--execute-request <id> takes no amount, product or --escape: the request says what it pays.",
            );
          }
          return executeRequest(
            session,
            parseWholeNumber(opts.executeRequest, "withdrawal request id", 1n, UINT256_MAX),
          );
        }
        if (amountInput === undefined) {
          throw clientError(
            "INVALID_USAGE",
            "Say how much to withdraw: ets withdraw <amount> --vintage <year> | --ccer <batch> | --cash (or --execute-request <id>).",
          );
        }
        const product = productFromOptions(opts);
        const amount = amountFor(product, amountInput);
        return opts.escape
          ? requestOnChain(session, product, amount)
          : withdrawThroughExchange(session, product, amount);
      }),
    );
}

async function withdrawThroughExchange(session: Session, product: Product, amount: bigint): Promise<CommandResult> {
  const sender = session.sender();
  const t = await tradingChain(session);
  await requireProductExists(t.chain.contracts, product);
  const asset = tradingAsset(t.chain.manifest, product);
  const api = session.exchange();
  const position = positionOf(await api.account(sender.address), asset.token, asset.tokenId);
  requireTradingAvailable(
    sender.address,
    product,
    position,
    amount,
    `Withdrawing ${describeUnits(product, amount)} needs ${formatAmount(product, amount)} available`,
    position.reserved > 0n
      ? "Open orders reserve the rest: ets order list --open, ets order cancel <nonce>."
      : "Nothing more can be withdrawn.",
  );

  const { wallet } = await session.signer(sender);
  // Any unused nonce will do (the exchange and the contract each accept one once): the time in ms.
  const withdrawal: Withdrawal = {
    trader: sender.address,
    token: asset.token,
    tokenId: asset.tokenId,
    amount,
    nonce: BigInt(Date.now()),
    expiry: 0n,
  };
  await api.withdraw(withdrawal, await signWithdrawal(wallet, t.domain, withdrawal));
  const after = positionOf(await api.account(sender.address), asset.token, asset.tokenId);
  return {
    data: {
      status: "accepted",
      trader: sender.address,
      ...assetJson(product, amount),
      nonce: withdrawal.nonce.toString(),
      tradingAvailable: after.available.toString(),
    },
    text: [
      `The exchange accepted the withdrawal of ${describeUnits(product, amount)} (nonce ${withdrawal.nonce}): it pays it to your registry wallet ${named(sender.address, sender.name)} in its next settlement batch.`,
      `Left available in the trading account: ${describeUnits(product, after.available)}.`,
    ],
  };
}

async function requestOnChain(session: Session, product: Product, amount: bigint): Promise<CommandResult> {
  const sender = session.sender();
  const t = await tradingChain(session);
  await requireProductExists(t.chain.contracts, product);
  const asset = tradingAsset(t.chain.manifest, product);
  const held = await t.clearing.balanceOf(sender.address, asset.token, asset.tokenId);
  if (held < amount) {
    throw clearingCoded(
      "ClearingInsufficientBalance",
      `The trading account of ${sender.address} holds ${describeUnits(product, held)} on chain; ${formatAmount(product, amount)} were requested.`,
      { held: held.toString(), requested: amount.toString() },
    );
  }
  const { wallet } = await session.signer(sender);
  const receipt = await confirmClearing(() =>
    t.clearing.connect(wallet).requestWithdrawal(asset.token, asset.tokenId, amount, ZERO_FEE),
  );
  let requestId = 0n;
  let dueAt = 0n;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== t.clearingAddress.toLowerCase()) continue;
    const parsed = t.clearing.interface.parseLog(log);
    if (parsed?.name === "WithdrawalRequested") {
      requestId = parsed.args[0] as bigint;
      dueAt = parsed.args[5] as bigint;
    }
  }
  return {
    data: {
      status: "requested",
      requestId: requestId.toString(),
      trader: sender.address,
      ...assetJson(product, amount),
      dueAt: timeJson(dueAt),
      ...txData(receipt),
    },
    text: [
      `Withdrawal request ${requestId} of ${describeUnits(product, amount)} is recorded on chain. The exchange pays it in its next settlement batch (cancelling open orders that hold it if needed).`,
      `If it has not by ${when(dueAt)}, execute it yourself: ets withdraw --execute-request ${requestId}`,
      txLine(receipt),
    ],
  };
}

async function executeRequest(session: Session, requestId: bigint): Promise<CommandResult> {
  const sender = session.sender();
  const t = await tradingChain(session);
  const r = await t.clearing.withdrawalRequest(requestId);
  if (r.trader === ZeroAddress) {
    throw clearingCoded("ClearingUnknownWithdrawalRequest", `There is no withdrawal request ${requestId}.`, {
      requestId: requestId.toString(),
    });
  }
  const product = productOfAsset(t.chain.manifest, r.token, r.tokenId);
  if (r.done) {
    throw clearingCoded(
      "ClearingUnknownWithdrawalRequest",
      `Withdrawal request ${requestId} (${describeUnits(product, r.amount)}) was already paid, by the exchange or by its trader; ets balance shows your registry wallet.`,
      { requestId: requestId.toString() },
    );
  }
  if (r.trader !== sender.address) {
    throw clearingCoded(
      "ClearingNotRequester",
      `Withdrawal request ${requestId} was made by ${r.trader}; only that wallet can execute it, not ${sender.address}.`,
      { requestId: requestId.toString() },
    );
  }
  const dueAt = r.requestedAt + (await t.clearing.withdrawalDelay());
  const now = await session.chainNow();
  if (dueAt > now) {
    throw clearingCoded(
      "ClearingWithdrawalNotDue",
      `Withdrawal request ${requestId} can be executed by you from ${when(dueAt)}, in ${duration(dueAt - now)}; until then it is the exchange's to pay.`,
      { requestId: requestId.toString(), dueAt: timeJson(dueAt) },
    );
  }
  const { wallet } = await session.signer(sender);
  const receipt = await confirmClearing(() => t.clearing.connect(wallet).executeWithdrawalRequest(requestId, ZERO_FEE));
  return {
    data: {
      status: "executed",
      requestId: requestId.toString(),
      trader: sender.address,
      ...assetJson(product, r.amount),
      ...txData(receipt),
    },
    text: [
      `Executed withdrawal request ${requestId}: ${describeUnits(product, r.amount)} moved from your trading account to your registry wallet ${named(sender.address, sender.name)}.`,
      txLine(receipt),
    ],
  };
}

/** The product a Clearing asset (token address and id) stands for. */
function productOfAsset(manifest: Manifest, token: string, id: bigint): Product {
  const t = token.toLowerCase();
  const c = manifest.contracts;
  if (t === c.AllowanceToken.toLowerCase()) return productOf("allowance", id);
  if (t === c.OffsetToken.toLowerCase()) return productOf("ccer", id);
  return productOf("cash", id);
}

function assetJson(product: Product, amount: bigint) {
  return {
    product: productLabel(product),
    token: product.kind,
    tokenId: tokenId(product).toString(),
    amount: amount.toString(),
    unit: product.kind === "cash" ? "fen" : "t",
  };
}
