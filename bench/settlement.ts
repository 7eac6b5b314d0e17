/**
 * Gas per settled trade in Clearing.settle for batches of 1, 10, 100 and 500 trades, on a real
 * Anvil node, for two shapes of batch:
 *
 * - "engine": the trades the matching engine makes from the shared order flow
 *   (../shared/bench/orderflow.mjs, steady stream), orders spread over 50 traders with consecutive
 *   nonces: takers sweep makers, makers fill across several trades and batches, as on the exchange;
 * - "fresh-orders": every trade backed by two signed orders of its own (the costliest shape).
 *
 * Before each measured batch a batch of the same shape warms the traders' slots, as on a running
 * exchange. Writes bench/results/settlement.json.
 */
import fs from "node:fs";
import path from "node:path";
import { MatchingEngine } from "../server/engine/engine";
import { OrderType, Side, TimeInForce } from "../server/engine/types";
import { clearingDomain, signOrder, type Order, type SignedOrder } from "../sdk/orders";
import { startMarket, VINTAGE, type Market } from "../test/server/harness";
import { Clearing__factory, type Clearing } from "../typechain-types";

const SIZES = [1, 10, 100, 500];
const TRADERS = 50;

interface Flow {
  generate(p?: Record<string, unknown>): {
    n: number;
    kind: Uint8Array;
    side: Uint8Array;
    price: Int32Array;
    size: Int32Array;
    ref: Int32Array;
  };
}
interface PlannedTrade {
  buy: number;
  sell: number;
  price: bigint;
  quantity: bigint;
  buyerIsMaker: boolean;
}

/** Trades of the engine on the shared order flow, with the orders (by stream id) behind them. */
async function engineTrades(
  count: number,
): Promise<{ trades: PlannedTrade[]; orders: Map<number, { isBuy: boolean; price: bigint; quantity: bigint }> }> {
  const flow = (await import(path.resolve(__dirname, "..", "..", "shared", "bench", "orderflow.mjs"))) as Flow;
  const w = flow.generate({ newOrders: 50_000 });
  const trades: PlannedTrade[] = [];
  const orders = new Map<number, { isBuy: boolean; price: bigint; quantity: bigint }>();
  const engine = new MatchingEngine({
    onTrade(_p, taker, maker, price, quantity, takerSide) {
      const buyerIsMaker = takerSide === Side.Sell;
      trades.push({
        buy: buyerIsMaker ? maker : taker,
        sell: buyerIsMaker ? taker : maker,
        price: BigInt(price),
        quantity: BigInt(quantity),
        buyerIsMaker,
      });
    },
    onDone() {},
    onRested() {},
    onBlockDeal() {},
  });
  const p = engine.addProduct({ name: "TJEA14", referencePrice: 0, rules: { bandBps: 0, maxQuantity: 1_000_000 } });
  for (let i = 0; i < w.n && trades.length < count; i++) {
    const k = w.kind[i]!;
    const id = w.ref[i]!;
    if (k === 4) {
      engine.cancel(p, id);
      continue;
    }
    const isBuy = w.side[i] === 0;
    // A market order is signed with a protective limit far from the mid.
    const price = k === 3 ? (isBuy ? 200_000 : 1) : w.price[i]!;
    orders.set(id, { isBuy, price: BigInt(price), quantity: BigInt(w.size[i]!) });
    engine.submit(
      p,
      {
        id,
        trader: id,
        side: w.side[i]! as Side,
        type: OrderType.Limit,
        tif: k === 0 ? TimeInForce.GTC : k === 2 ? TimeInForce.FOK : TimeInForce.IOC,
        price,
        quantity: w.size[i]!,
        expiry: 0,
      },
      0,
    );
  }
  return { trades: trades.slice(0, count), orders };
}

class Signer {
  private readonly signed = new Map<number, SignedOrder>();
  private readonly nonces = new Map<string, bigint>();
  constructor(private readonly m: Market) {}

  async order(key: number, o: { isBuy: boolean; price: bigint; quantity: bigint }): Promise<SignedOrder> {
    let s = this.signed.get(key);
    if (!s) {
      const trader = this.m.traders[key % TRADERS]!;
      const nonce = (this.nonces.get(trader.address) ?? 0n) + 1n;
      this.nonces.set(trader.address, nonce);
      const order: Order = {
        trader: trader.address,
        token: this.m.manifest.contracts.AllowanceToken,
        tokenId: VINTAGE,
        timeInForce: 0,
        expiry: 0n,
        nonce,
        ...o,
      };
      s = await signOrder(trader, clearingDomain(this.m.manifest.chainId, this.m.manifest.contracts.Clearing!), order);
      this.signed.set(key, s);
    }
    return s;
  }
}

async function settle(
  clearing: Clearing,
  signer: Signer,
  trades: PlannedTrade[],
  orders: Map<number, { isBuy: boolean; price: bigint; quantity: bigint }>,
  firstId: bigint,
): Promise<number> {
  const list: SignedOrder[] = [];
  const index = new Map<number, number>();
  const ref = async (key: number) => {
    let i = index.get(key);
    if (i === undefined) {
      i = list.length;
      list.push(await signer.order(key, orders.get(key)!));
      index.set(key, i);
    }
    return i;
  };
  const fills = [];
  for (const [k, t] of trades.entries()) {
    fills.push({
      tradeId: firstId + BigInt(k),
      buy: await ref(t.buy),
      sell: await ref(t.sell),
      quantity: t.quantity,
      price: t.price,
      buyerIsMaker: t.buyerIsMaker,
    });
  }
  const receipt = await (
    await clearing.settle({ orders: list, fills, withdrawals: [], requests: [] }, { gasLimit: 29_000_000n })
  ).wait();
  if (!receipt || receipt.status !== 1) throw new Error("settle failed");
  const settled = receipt.logs.filter((l) => clearing.interface.parseLog(l)?.name === "TradeSettled").length;
  if (settled !== trades.length) throw new Error(`${settled} of ${trades.length} trades settled`);
  return Number(receipt.gasUsed);
}

async function main(): Promise<void> {
  const total = 2 * SIZES.reduce((a, b) => a + b, 0);
  const { trades: engine, orders: engineOrders } = await engineTrades(total);
  // Fresh-orders shape: each trade its own buy (key 2i) and sell (key 2i+1), distinct traders.
  const freshOrders = new Map<number, { isBuy: boolean; price: bigint; quantity: bigint }>();
  const fresh: PlannedTrade[] = [];
  for (let i = 0; i < total; i++) {
    freshOrders.set(2 * i, { isBuy: true, price: 3100n, quantity: 10n });
    freshOrders.set(2 * i + 1, { isBuy: false, price: 3000n, quantity: 10n });
    fresh.push({ buy: 2 * i, sell: 2 * i + 1, price: 3050n, quantity: 10n, buyerIsMaker: true });
  }
  const results: Record<string, Record<string, number>> = {};
  for (const [shape, trades, orders] of [
    ["engine", engine, engineOrders],
    ["fresh-orders", fresh, freshOrders],
  ] as const) {
    const m = await startMarket(TRADERS, 100_000_000n, 100_000_000_000_000n);
    try {
      const clearing = Clearing__factory.connect(m.manifest.contracts.Clearing!, m.operator);
      const signer = new Signer(m);
      let at = 0;
      results[shape] = {};
      for (const size of SIZES) {
        await settle(clearing, signer, trades.slice(at, at + size), orders, BigInt(at + 1));
        at += size;
        const gas = await settle(clearing, signer, trades.slice(at, at + size), orders, BigInt(at + 1));
        at += size;
        results[shape]![String(size)] = Math.round(gas / size);
        console.log(
          `${shape.padEnd(12)} batch ${String(size).padStart(3)}: ${Math.round(gas / size).toLocaleString("en")} gas per trade`,
        );
      }
    } finally {
      await m.stop();
    }
  }
  const out = { benchmark: "settlement", date: new Date().toISOString(), traders: TRADERS, gasPerTrade: results };
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "settlement.json"), JSON.stringify(out, null, 2) + "\n");
  console.log("written bench/results/settlement.json");
}

void main();
