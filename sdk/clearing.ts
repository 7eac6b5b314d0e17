import type { ContractRunner, ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { Clearing__factory, type Clearing } from "../typechain-types";
import { clientError } from "./client-errors";
import { CHAIN_ERRORS, DomainError } from "./errors";
import type { Manifest } from "./manifest";
import { confirm } from "./send";
import { tokenId, type Product } from "./transfers";

export type { Clearing };

/**
 * The Clearing contract (trading accounts at the exchange) for clients: its address, the codes of
 * its errors (in `CHAIN_ERRORS` of `errors.ts`, like every contract's), and the asset a product is
 * held as.
 */

/** The address of the deployment's Clearing contract; EXCHANGE_NOT_DEPLOYED when it has none. */
export function clearingAddress(manifest: Manifest): string {
  const address = manifest.contracts.Clearing;
  if (!address) {
    throw clientError(
      "EXCHANGE_NOT_DEPLOYED",
      `The deployment of chain ${manifest.chainId} has no Clearing contract, so there are no trading accounts on it.`,
      { chainId: manifest.chainId },
    );
  }
  return address;
}

/** The Clearing contract of a deployment, bound to a runner (provider or signer). */
export function connectClearing(manifest: Manifest, runner: ContractRunner): Clearing {
  return Clearing__factory.connect(clearingAddress(manifest), runner);
}

/** A DomainError with the code a Clearing error has, and a message written for the client's context. */
export function clearingCoded(errorName: string, message: string, details: Record<string, unknown> = {}): DomainError {
  const spec = CHAIN_ERRORS[errorName];
  if (!spec) throw new Error(`unknown contract error ${errorName}`);
  return new DomainError(spec.code, message, spec.kind, { error: errorName, ...details });
}

/** `confirm` for a transaction that may revert in the Clearing contract (decoded like any contract error). */
export const confirmClearing: (
  send: () => Promise<ContractTransactionResponse>,
) => Promise<ContractTransactionReceipt> = confirm;

/** The token contract and token id a product is held as in a trading account. */
export function tradingAsset(manifest: Manifest, product: Product): { token: string; tokenId: bigint } {
  const c = manifest.contracts;
  switch (product.kind) {
    case "allowance":
      return { token: c.AllowanceToken, tokenId: tokenId(product) };
    case "ccer":
      return { token: c.OffsetToken, tokenId: tokenId(product) };
    case "cash":
      return { token: c.CashToken, tokenId: 0n };
  }
}

/** Cash a buy order reserves at the exchange: price × quantity plus the larger of the two fees (fen). */
export function cashForBuy(price: bigint, quantity: bigint, maxFeeBps: bigint): bigint {
  const notional = price * quantity;
  return notional + (notional * maxFeeBps) / 10_000n;
}
