import { TypedDataEncoder, verifyTypedData, type Signer, type TypedDataDomain } from "ethers";
import { DomainError } from "./errors";

/** Time in force of an order, as signed: 0 = GTC, 1 = IOC, 2 = FOK. */
export const TIME_IN_FORCE = { GTC: 0, IOC: 1, FOK: 2 } as const;
export type TimeInForceName = keyof typeof TIME_IN_FORCE;

/** The EIP-712 order of ARCHITECTURE.md (amounts as bigint: fen per tonne, tonnes). */
export interface Order {
  trader: string;
  token: string;
  tokenId: bigint;
  isBuy: boolean;
  price: bigint;
  quantity: bigint;
  timeInForce: number;
  nonce: bigint;
  expiry: bigint;
}

export interface SignedOrder {
  order: Order;
  signature: string;
}

/** A withdrawal from a trading account, signed by the trader and executed by the exchange. */
export interface Withdrawal {
  trader: string;
  token: string;
  tokenId: bigint;
  amount: bigint;
  nonce: bigint;
  expiry: bigint;
}

/** A cancellation sent to the exchange (off chain): cancels the trader's order with this nonce. */
export interface Cancel {
  trader: string;
  nonce: bigint;
  expiry: bigint;
}

export const ORDER_TYPES = {
  Order: [
    { name: "trader", type: "address" },
    { name: "token", type: "address" },
    { name: "tokenId", type: "uint256" },
    { name: "isBuy", type: "bool" },
    { name: "price", type: "uint256" },
    { name: "quantity", type: "uint256" },
    { name: "timeInForce", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
};

export const WITHDRAWAL_TYPES = {
  Withdrawal: [
    { name: "trader", type: "address" },
    { name: "token", type: "address" },
    { name: "tokenId", type: "uint256" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
};

export const CANCEL_TYPES = {
  Cancel: [
    { name: "trader", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint64" },
  ],
};

/** The EIP-712 domain of the Clearing contract. */
export function clearingDomain(chainId: bigint | number, clearing: string): TypedDataDomain {
  return { name: "ETS Clearing", version: "1", chainId, verifyingContract: clearing };
}

export function hashOrder(domain: TypedDataDomain, order: Order): string {
  return TypedDataEncoder.hash(domain, ORDER_TYPES, order);
}

export async function signOrder(signer: Signer, domain: TypedDataDomain, order: Order): Promise<SignedOrder> {
  return { order, signature: await signer.signTypedData(domain, ORDER_TYPES, order) };
}

export async function signWithdrawal(signer: Signer, domain: TypedDataDomain, w: Withdrawal): Promise<string> {
  return signer.signTypedData(domain, WITHDRAWAL_TYPES, w);
}

export async function signCancel(signer: Signer, domain: TypedDataDomain, c: Cancel): Promise<string> {
  return signer.signTypedData(domain, CANCEL_TYPES, c);
}

/** Whether `signature` is `order.trader`'s EOA signature of the order (ERC-1271 wallets are checked on chain). */
export function recoverOrderSigner(domain: TypedDataDomain, order: Order, signature: string): string {
  try {
    return verifyTypedData(domain, ORDER_TYPES, order, signature);
  } catch {
    throw new DomainError("ORDER_SIGNATURE_INVALID", "The order signature is malformed.", "validation");
  }
}

export function recoverCancelSigner(domain: TypedDataDomain, cancel: Cancel, signature: string): string {
  try {
    return verifyTypedData(domain, CANCEL_TYPES, cancel, signature);
  } catch {
    throw new DomainError("CANCEL_SIGNATURE_INVALID", "The cancellation signature is malformed.", "validation");
  }
}
