import type { ContractTransactionReceipt, ContractTransactionResponse, Provider, TransactionReceipt } from "ethers";
import { clientError } from "./client-errors";
import { DomainError } from "./errors";
import { toDomainError as decodeError } from "./errors";

/**
 * Overrides for every transaction on the scheme's zero-fee network: a legacy transaction with gas
 * price 0, explicit so that no wallet or provider default adds a tip that an account without ether
 * could not pay. (`connectRpc` already reports a zero fee; this says it at the call too.)
 */
export const ZERO_FEE = { type: 0, gasPrice: 0n } as const;

/**
 * Sends a contract transaction and waits for its receipt. Anything that goes wrong (a revert at
 * gas estimation, a failed mined transaction, an unreachable node) becomes a DomainError with a
 * stable code; a mined failure is replayed to recover the contract's reason.
 */
export async function confirm(send: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  let tx: ContractTransactionResponse;
  try {
    tx = await send();
  } catch (err) {
    throw decodeError(err);
  }
  try {
    const receipt = await tx.wait();
    if (!receipt)
      throw clientError("TRANSACTION_REVERTED", `Transaction ${tx.hash} was dropped before it was mined.`, {
        tx: tx.hash,
      });
    return receipt;
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const receipt = (err as { receipt?: TransactionReceipt | null }).receipt;
    if (receipt && tx.provider) throw await replayFailure(tx.provider, tx, receipt);
    throw decodeError(err);
  }
}

async function replayFailure(
  provider: Provider,
  tx: ContractTransactionResponse,
  receipt: TransactionReceipt,
): Promise<DomainError> {
  try {
    await provider.call({
      from: tx.from,
      to: tx.to,
      data: tx.data,
      value: tx.value,
      blockTag: receipt.blockNumber - 1,
    });
  } catch (err) {
    const decoded = decodeError(err);
    if (decoded.code !== "UNEXPECTED") return decoded;
  }
  return clientError("TRANSACTION_REVERTED", `Transaction ${receipt.hash} failed in block ${receipt.blockNumber}.`, {
    tx: receipt.hash,
  });
}
