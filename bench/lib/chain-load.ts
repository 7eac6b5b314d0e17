/**
 * Real activity on an Anvil chain for the indexer's benchmark: immediate registry transfers,
 * surrenders and settled trades, sent as pre-signed raw transactions in JSON-RPC batches with
 * automine off and mined many to a block, as a busy chain would pack them.
 */
import { id, type HDNodeWallet, type Interface } from "ethers";
import { clearingDomain, signOrder, type Order } from "../../sdk/orders";
import { YEAR, type World } from "../../test/indexer/world";

/** How many of each kind to send. */
export interface LoadPlan {
  transfers: number;
  surrenders: number;
  trades: number;
}

/** What was sent, for the benchmark's record and its checks. */
export interface LoadResult extends LoadPlan {
  blocks: number;
  seconds: number;
}

const TX_PER_BLOCK = Number(process.env.BENCH_TX_PER_BLOCK ?? 1_000);
const BLOCK_GAS_LIMIT = 2_000_000_000n;
const TRADES_PER_SETTLEMENT = 1_000;

interface Call {
  wallet: HDNodeWallet;
  to: string;
  data: string;
  gasLimit: bigint;
}

class Sender {
  private readonly nonces = new Map<string, number>();
  private queue: Call[] = [];
  blocks = 0;

  constructor(private readonly world: World) {}

  async rpc(body: unknown): Promise<unknown> {
    const res = await fetch(this.world.node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  add(wallet: HDNodeWallet, iface: Interface, to: string, fn: string, args: unknown[], gasLimit = 300_000n): void {
    this.queue.push({ wallet, to, data: iface.encodeFunctionData(fn, args), gasLimit });
  }

  /** Signs and sends what is queued, up to `TX_PER_BLOCK` (within the gas limit) to a block; throws unless every one succeeded. */
  async flush(): Promise<void> {
    const chainId = this.world.manifest.chainId;
    while (this.queue.length) {
      let take = 0;
      for (let gas = 0n; take < Math.min(TX_PER_BLOCK, this.queue.length); take++) {
        gas += this.queue[take]!.gasLimit;
        if (gas > BLOCK_GAS_LIMIT) break;
      }
      const chunk = this.queue.splice(0, Math.max(1, take));
      const raw: string[] = [];
      for (const c of chunk) {
        let nonce = this.nonces.get(c.wallet.address);
        if (nonce === undefined) nonce = await this.world.provider.getTransactionCount(c.wallet.address, "pending");
        this.nonces.set(c.wallet.address, nonce + 1);
        raw.push(
          await c.wallet.signTransaction({
            to: c.to,
            data: c.data,
            nonce,
            gasLimit: c.gasLimit,
            chainId,
            type: 2,
            maxFeePerGas: 0n,
            maxPriorityFeePerGas: 0n,
          }),
        );
      }
      // JSON-RPC batches of at most ~1 MB (a node limits the size of a request).
      for (let i = 0; i < raw.length;) {
        const part: string[] = [];
        for (let size = 0; i < raw.length && (part.length === 0 || size + raw[i]!.length < 1_000_000); i++) {
          size += raw[i]!.length;
          part.push(raw[i]!);
        }
        const answers = (await this.rpc(
          part.map((r, k) => ({ jsonrpc: "2.0", id: k, method: "eth_sendRawTransaction", params: [r] })),
        )) as { error?: { message: string } }[];
        if (!Array.isArray(answers))
          throw new Error(`the node refused the batch: ${JSON.stringify(answers).slice(0, 300)}`);
        const refused = answers.find((a) => a.error);
        if (refused) throw new Error(`a transaction was refused: ${refused.error!.message}`);
      }
      await this.rpc({ jsonrpc: "2.0", id: 1, method: "evm_mine", params: [] });
      this.blocks++;
      const block = (await this.world.provider.send("eth_getBlockByNumber", ["latest", false])) as {
        number: string;
        transactions: string[];
      };
      if (block.transactions.length !== chunk.length)
        throw new Error(
          `block ${Number(block.number)} holds ${block.transactions.length} of ${chunk.length} transactions`,
        );
      // Every transaction must have succeeded: a revert would leave its events out of the benchmark.
      const receipts = (await this.world.provider.send("eth_getBlockReceipts", [block.number])) as { status: string }[];
      const failed = receipts.filter((r) => r.status !== "0x1").length;
      if (failed) throw new Error(`${failed} transactions of block ${Number(block.number)} reverted`);
    }
  }
}

/**
 * After `world.activity()`: `plan.surrenders` surrenders of 1 t by the power company, `plan.transfers`
 * immediate 1 t transfers between the steel company's two wallets (alternating directions), and
 * `plan.trades` one-tonne trades settled in batches of 1,000 around a ring of three traders.
 */
export async function loadChain(world: World, plan: LoadPlan): Promise<LoadResult> {
  const t0 = performance.now();
  const c = world.read;
  const sender = new Sender(world);
  await world.provider.send("evm_setAutomine", [false]);
  // Room for 1,000 transactions at their gas limits in one block.
  await world.provider.send("evm_setBlockGasLimit", ["0x" + BLOCK_GAS_LIMIT.toString(16)]);
  try {
    const compliance = world.manifest.contracts.Compliance!;
    for (let i = 0; i < plan.surrenders; i++) {
      sender.add(world.power, c.compliance.interface, compliance, "surrender", [YEAR, [YEAR], [1n], [], []]);
    }
    await sender.flush();

    const allowances = world.manifest.contracts.AllowanceToken;
    for (let i = 0; i < plan.transfers; i++) {
      const [from, to] = i % 2 === 0 ? [world.steel, world.steel2] : [world.steel2, world.steel];
      sender.add(from, c.allowances.interface, allowances, "safeTransferFrom", [
        from.address,
        to.address,
        YEAR,
        1n,
        "0x",
      ]);
    }
    await sender.flush();

    await trades(world, sender, plan.trades);
  } finally {
    await world.provider.send("evm_setAutomine", [true]);
  }
  return { ...plan, blocks: sender.blocks, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Trades around a ring of three traders of three entities (power → fund → steel → power), one tonne
 * each, so that no one buys back what they sold: a market of many parties rather than a ping-pong
 * that the supervision rules would flag as wash trading on every trade.
 */
async function trades(world: World, sender: Sender, count: number): Promise<void> {
  const c = world.read;
  const clearing = world.manifest.contracts.Clearing!;
  const cash = world.manifest.contracts.CashToken;
  const allowances = world.manifest.contracts.AllowanceToken;
  const units = 5_000n;
  const fen = 50_000_000n;
  const ring = [world.power, world.fund, world.steel];
  // Every trader holds cash in its trading account; the first one units too (the ring passes them on).
  for (const w of ring) {
    sender.add(world.bank, c.cash.interface, cash, "deposit", [w.address, fen, id(`bench-cash-${w.address}`)]);
    sender.add(w, c.cash.interface, cash, "approve", [clearing, fen]);
    sender.add(w, c.clearing!.interface, clearing, "depositCash", [fen]);
  }
  sender.add(world.power, c.allowances.interface, allowances, "safeTransferFrom", [
    world.power.address,
    clearing,
    YEAR,
    units,
    "0x",
  ]);
  await sender.flush();

  const domain = clearingDomain(world.manifest.chainId, clearing);
  const order = (trader: HDNodeWallet, isBuy: boolean, nonce: bigint): Order => ({
    trader: trader.address,
    token: allowances,
    tokenId: BigInt(YEAR),
    isBuy,
    // Limits wide enough for every fill price below.
    price: isBuy ? 3_100n : 2_900n,
    quantity: 1_000_000_000n,
    timeInForce: 0,
    nonce,
    expiry: 0n,
  });
  // Orders 2k: trader k sells; 2k + 1: trader k + 1 buys (from k).
  const orders = [];
  for (let k = 0; k < ring.length; k++) {
    orders.push(await signOrder(ring[k]!, domain, order(ring[k]!, false, 11n)));
    const next = ring[(k + 1) % ring.length]!;
    orders.push(await signOrder(next, domain, order(next, true, 10n)));
  }
  let tradeId = (await c.clearing!.lastTradeId()) + 1n;
  for (let batch = 0, made = 0; made < count; batch++) {
    const n = Math.min(TRADES_PER_SETTLEMENT, count - made);
    const fills = Array.from({ length: n }, (_, i) => ({
      tradeId: tradeId++,
      buy: 2 * (i % ring.length) + 1,
      sell: 2 * (i % ring.length),
      quantity: 1n,
      price: 2_950n + BigInt((batch * 13) % 100),
      buyerIsMaker: i % 2 === 0,
    }));
    sender.add(
      world.operator,
      c.clearing!.interface,
      clearing,
      "settle",
      [{ orders, fills, withdrawals: [], requests: [] }],
      90_000_000n,
    );
    made += n;
  }
  await sender.flush();
}
