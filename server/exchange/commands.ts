import type { Order } from "../../sdk/orders";

/** One signed order as the journal keeps it: the order, its EIP-712 signature and digest. */
export interface JournalledOrder {
  order: Order;
  signature: string;
  hash: string;
}

/**
 * The commands the exchange core accepts. Every accepted command is journalled before it is applied
 * and acknowledged; replaying the journal through a fresh core rebuilds the same books, accounts
 * and trades (the core is deterministic: the time is part of each command).
 */
export type Command =
  | { type: "order"; at: number; order: Order; signature: string; hash: string }
  | { type: "cancel"; at: number; trader: string; nonce: bigint }
  /**
   * A block deal: a buy and a sell order submitted together, for the same product, price and
   * quantity, traded with each other in full outside the book.
   */
  | { type: "blockDeal"; at: number; buy: JournalledOrder; sell: JournalledOrder }
  /**
   * Orders that the chain says can no longer trade: one nonce cancelled on the Clearing contract
   * (`nonce`), every nonce below `below` (`cancelNoncesBelow`), or all of them (`below` = 2^256,
   * when the registry froze, closed or replaced the trader's account).
   */
  | { type: "chainCancel"; at: number; trader: string; nonce?: bigint; below?: bigint; ref: string; block: number }
  | {
      type: "deposit";
      at: number;
      trader: string;
      token: string;
      tokenId: bigint;
      amount: bigint;
      ref: string;
      block: number;
    }
  | {
      type: "withdraw";
      at: number;
      trader: string;
      token: string;
      tokenId: bigint;
      amount: bigint;
      nonce: bigint;
      expiry: bigint;
      signature: string;
    }
  | {
      type: "withdrawalRequest";
      at: number;
      requestId: bigint;
      trader: string;
      token: string;
      tokenId: bigint;
      amount: bigint;
      block: number;
    }
  | { type: "halt"; at: number; product: string }
  | { type: "resume"; at: number; product: string }
  | { type: "closeDay"; at: number }
  | { type: "expire"; at: number };

/** JSON with bigints as decimal strings tagged by a trailing "n". */
export function encodeCommand(c: Command): Buffer {
  return Buffer.from(JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
}

export function decodeCommand(b: Uint8Array): Command {
  return JSON.parse(Buffer.from(b).toString("utf8"), (_k, v) =>
    typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
  ) as Command;
}
