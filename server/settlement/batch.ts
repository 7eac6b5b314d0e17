import type { IClearing } from "../../typechain-types/contracts/exchange/Clearing";
import type { ExchangeCore, PendingWithdrawal, Trade } from "../exchange/core";

/** A settlement batch as the Clearing contract takes it, with what it covers. */
export interface BuiltBatch {
  batch: IClearing.BatchStruct;
  firstTradeId: bigint;
  lastTradeId: bigint;
  trades: Trade[];
  withdrawals: PendingWithdrawal[];
}

/**
 * Builds one batch: the trades in order with each signed order listed once (fills refer to them by
 * index), then the signed withdrawals and the on-chain withdrawal requests to serve.
 */
export function buildBatch(core: ExchangeCore, trades: Trade[], withdrawals: PendingWithdrawal[]): BuiltBatch {
  const orders: IClearing.SignedOrderStruct[] = [];
  const indexOf = new Map<number, number>();
  const ref = (orderId: number): number => {
    let i = indexOf.get(orderId);
    if (i === undefined) {
      const o = core.order(orderId)!;
      i = orders.length;
      orders.push({ order: { ...o.order }, signature: o.signature });
      indexOf.set(orderId, i);
    }
    return i;
  };
  const fills: IClearing.FillStruct[] = trades.map((t) => ({
    tradeId: t.tradeId,
    buy: ref(t.buyOrder),
    sell: ref(t.sellOrder),
    quantity: t.quantity,
    price: t.price,
    buyerIsMaker: t.buyerIsMaker,
  }));
  const signed = withdrawals.filter((w) => w.requestId === undefined);
  const requests = withdrawals.filter((w) => w.requestId !== undefined).map((w) => w.requestId!);
  return {
    batch: {
      orders,
      fills,
      withdrawals: signed.map((w) => ({
        withdrawal: {
          trader: w.trader,
          token: w.token,
          tokenId: w.tokenId,
          amount: w.amount,
          nonce: w.nonce!,
          expiry: w.expiry!,
        },
        signature: w.signature!,
      })),
      requests,
    },
    firstTradeId: trades[0]?.tradeId ?? 0n,
    lastTradeId: trades.at(-1)?.tradeId ?? 0n,
    trades,
    withdrawals,
  };
}

/** Gas to allow for a batch: generous per fill and withdrawal, within the block's limit. */
export function gasFor(b: BuiltBatch, blockGasLimit: bigint): bigint {
  const g = 150_000n + 90_000n * BigInt(b.trades.length) + 150_000n * BigInt(b.withdrawals.length);
  return g < blockGasLimit ? g : blockGasLimit;
}
