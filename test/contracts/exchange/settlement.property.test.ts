import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ContractFactory, type BaseContract, type ContractTransactionReceipt } from "ethers";
import { findRevertData } from "../../../sdk/errors";
import {
  clearingDomain,
  hashOrder,
  signOrder,
  signWithdrawal,
  type Order,
  type SignedOrder,
} from "../../../sdk/orders";
import type { IClearing } from "../../../typechain-types/contracts/exchange/Clearing";
import { OTHER_VINTAGE, VINTAGE, ref } from "../fixtures";
import { CCER, FEES, Reason, clearingFixture, deposit, type ClearingFixture } from "./fixtures";
import { compileExchangeMock } from "./mocks/compile";

/**
 * Model-based property test of settlement. Each run signs a handful of random orders (valid, forged,
 * signed for another chain or another Clearing, expired, nonces shared between orders, sizes over the
 * 32-bit limit, cash as a "product") and plays a random sequence of steps: batches of random fills
 * (valid and invalid, with signed withdrawals and the open on-chain requests), resubmitted batches,
 * batches that skip trade ids, cancellations (one order, every nonce below), freezes, deposits and
 * withdrawal requests. A small model predicts every outcome: the revert of a whole batch, or the
 * reason of each rejected fill.
 *
 * After every step, on the chain's own data:
 * - conservation: for each asset, Σ trading balances (the fee recipient's included) = Σ deposits −
 *   Σ withdrawals = what the Clearing really holds;
 * - rejected fills change nothing: the balances moved exactly as the step's TradeSettled and
 *   Withdrawn events say (fees at the maker/taker rates, rounded down), and a reverted batch moved
 *   nothing at all;
 * - no order's settled fills (summed per order hash from TradeSettled) exceed its signed quantity;
 * - balances, fill states and the last trade id equal the model's.
 * After each run, every trade id from 1 to lastTradeId was processed (settled or rejected) exactly once.
 * Over all runs, the generator must have produced every reject reason, the common batch reverts and
 * more settled trades than runs (most fills are built to settle; the invalid ones are deliberate).
 *
 * ETS_CLEARING_PROPERTY_RUNS (default 200) and ETS_PROPERTY_SEED replay or widen the search.
 */

const RUNS = Number(process.env.ETS_CLEARING_PROPERTY_RUNS ?? 200);
const SEED = process.env.ETS_PROPERTY_SEED === undefined ? undefined : Number(process.env.ETS_PROPERTY_SEED);
/** Gas is free; a fixed limit spares Hardhat an estimation (a second execution) per transaction. */
const TX = { gasLimit: 15_000_000 };
const MAX_ORDER_QUANTITY = 2n ** 32n - 1n;

/** Assets by index: 0 = TJEA14, 1 = CCER batch 1, 2 = TJEA13, 3 = cash. Products are the first three. */
const ASSETS = ["TJEA14", "CCER1", "TJEA13", "cash"] as const;
const CASH = 3;
/** Accounts by index: the four traders, then the fee recipient. */
const TRADERS = 4;
const FEE_ACCOUNT = 4;

// ───────────────────────────────────────── the plan ───────────────────────────────────────

type OrderSig = "valid" | "forged" | "otherChain" | "otherContract";
interface OrderSpec {
  trader: number;
  /** An asset index; CASH makes an order for a token that is not traded. */
  product: number;
  isBuy: boolean;
  price: bigint;
  quantity: bigint;
  nonce: bigint;
  expiry: "none" | "past" | "future";
  sig: OrderSig;
}
interface FillSpec {
  buyPick: number;
  /** Whether the sell comes from another pair of orders than the buy's own (picked by `sellPick`). */
  crossPair: boolean;
  sellPick: number;
  /** "none" pairs a buy with a sell of the same product; the others make a malformed fill on purpose. */
  twist: "none" | "swap" | "badIndex" | "sameSide" | "otherProduct";
  quantity: bigint;
  /** 0: the buyer's limit, 1: the seller's limit, 2: `priceRaw`. */
  priceMode: 0 | 1 | 2;
  priceRaw: bigint;
  buyerIsMaker: boolean;
}
interface WithdrawalSpec {
  trader: number;
  asset: number;
  size: number;
  nonce: bigint;
  sig: "valid" | "forged" | "expired";
}
type Step =
  | { type: "batch"; fills: FillSpec[]; withdrawals: WithdrawalSpec[]; replayPrevious: boolean }
  | { type: "resubmit" }
  | { type: "gap"; skip: number }
  | { type: "cancel"; order: number }
  | { type: "cancelBelow"; trader: number; by: bigint }
  | { type: "freeze"; trader: number }
  | { type: "unfreeze"; trader: number }
  | { type: "deposit"; trader: number; asset: number; size: number }
  | { type: "request"; trader: number; asset: number; size: number };
interface Plan {
  orders: OrderSpec[];
  steps: Step[];
}

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const productArb = fc.oneof(w(16, fc.constant(0)), w(4, fc.constant(1)), w(2, fc.constant(2)), w(1, fc.constant(CASH)));
/** One side of a generated pair of orders: `spread` sets its limit off the pair's mid, `deviation` rarely breaks the pair. */
interface DraftOrder extends Omit<OrderSpec, "isBuy" | "price" | "product"> {
  spread: number;
  deviation: "none" | "flipSide" | "noCross" | { product: number };
}
/** Sellers are mostly alice and bob, who hold units; buyers mostly the three with cash to spare. */
const sellerArb = fc.oneof(w(4, fc.constant(0)), w(4, fc.constant(1)), w(1, fc.constant(2)), w(1, fc.constant(3)));
const buyerArb = fc.oneof(w(3, fc.constant(0)), w(3, fc.constant(1)), w(3, fc.constant(2)), w(1, fc.constant(3)));
const draftArb = (traderArb: fc.Arbitrary<number>): fc.Arbitrary<DraftOrder> =>
  fc.record({
    trader: traderArb,
    spread: fc.integer({ min: 0, max: 3 }),
    quantity: fc.oneof(w(60, fc.bigInt({ min: 1n, max: 40n })), w(1, fc.constant(MAX_ORDER_QUANTITY + 1n))),
    nonce: fc.bigInt({ min: 0n, max: 4n }),
    expiry: fc.oneof(
      w(30, fc.constant("none" as const)),
      w(1, fc.constant("past" as const)),
      w(4, fc.constant("future" as const)),
    ),
    sig: fc.oneof(
      w(60, fc.constant("valid" as const)),
      w(1, fc.constant("forged" as const)),
      w(1, fc.constant("otherChain" as const)),
      w(1, fc.constant("otherContract" as const)),
    ),
    deviation: fc.oneof(
      w(40, fc.constant("none" as const)),
      w(1, fc.constant("flipSide" as const)),
      w(1, fc.record({ product: productArb })),
      w(1, fc.constant("noCross" as const)),
    ),
  });
/**
 * Orders come in pairs, a buy and a sell of one product whose limits straddle the pair's mid price
 * (¥20.00–35.00), so that most fills can settle and the invalid ones are the generator's deliberate
 * choices (deviations here, twists in the fills). Fills across pairs are left to chance.
 */
const ordersArb: fc.Arbitrary<OrderSpec[]> = fc
  .array(
    fc.record({
      product: productArb,
      mid: fc.integer({ min: 8, max: 14 }),
      buy: draftArb(buyerArb),
      sell: draftArb(sellerArb),
    }),
    {
      minLength: 2,
      maxLength: 5,
    },
  )
  .map((pairs) =>
    pairs.flatMap(({ product, mid, buy, sell }) =>
      [
        [buy, true],
        [sell, false],
      ].map(([draft, buySide]) => {
        const { spread, deviation, ...o } = draft as DraftOrder;
        const isBuy = (buySide as boolean) !== (deviation === "flipSide");
        // A "noCross" order's limit is on the wrong side of the mid.
        const up = (isBuy ? 1 : -1) * (deviation === "noCross" ? -(spread + 1) : spread);
        return {
          ...o,
          isBuy,
          product: typeof deviation === "object" ? deviation.product : product,
          price: BigInt(mid + up) * 250n,
        };
      }),
    ),
  );
const fillArb: fc.Arbitrary<FillSpec> = fc.record({
  buyPick: fc.nat(20),
  crossPair: fc.oneof(w(3, fc.constant(false)), w(1, fc.constant(true))),
  sellPick: fc.nat(20),
  twist: fc.oneof(
    w(40, fc.constant("none" as const)),
    w(1, fc.constant("swap" as const)),
    w(1, fc.constant("badIndex" as const)),
    w(1, fc.constant("sameSide" as const)),
    w(1, fc.constant("otherProduct" as const)),
  ),
  quantity: fc.oneof(w(40, fc.bigInt({ min: 1n, max: 5n })), w(1, fc.constant(0n))),
  priceMode: fc.oneof(w(5, fc.constant(0 as const)), w(5, fc.constant(1 as const)), w(1, fc.constant(2 as const))),
  priceRaw: fc.integer({ min: 1, max: 20 }).map((n) => BigInt(n) * 250n),
  buyerIsMaker: fc.boolean(),
});
const withdrawalArb: fc.Arbitrary<WithdrawalSpec> = fc.record({
  trader: fc.oneof(w(3, fc.constant(0)), w(3, fc.constant(1)), w(2, fc.constant(2)), w(2, fc.constant(3))),
  asset: fc.integer({ min: 0, max: 3 }),
  size: fc.integer({ min: 1, max: 60 }),
  nonce: fc.bigInt({ min: 0n, max: 3n }),
  sig: fc.oneof(
    w(8, fc.constant("valid" as const)),
    w(1, fc.constant("forged" as const)),
    w(1, fc.constant("expired" as const)),
  ),
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  w(
    12,
    fc.record({
      type: fc.constant("batch" as const),
      fills: fc.array(fillArb, { minLength: 1, maxLength: 6 }),
      withdrawals: fc.oneof(
        w(6, fc.constant<WithdrawalSpec[]>([])),
        w(1, fc.array(withdrawalArb, { minLength: 1, maxLength: 2 })),
      ),
      replayPrevious: fc.oneof(w(5, fc.constant(false)), w(1, fc.constant(true))),
    }),
  ),
  w(2, fc.record({ type: fc.constant("resubmit" as const) })),
  w(1, fc.record({ type: fc.constant("gap" as const), skip: fc.integer({ min: 1, max: 3 }) })),
  w(2, fc.record({ type: fc.constant("cancel" as const), order: fc.nat(20) })),
  w(
    1,
    fc.record({
      type: fc.constant("cancelBelow" as const),
      trader: fc.integer({ min: 0, max: 3 }),
      by: fc.bigInt({ min: 1n, max: 3n }),
    }),
  ),
  w(2, fc.record({ type: fc.constant("freeze" as const), trader: fc.integer({ min: 2, max: 3 }) })),
  w(1, fc.record({ type: fc.constant("unfreeze" as const), trader: fc.integer({ min: 2, max: 3 }) })),
  w(
    1,
    fc.record({
      type: fc.constant("deposit" as const),
      trader: fc.integer({ min: 0, max: 1 }),
      asset: fc.integer({ min: 0, max: 3 }),
      size: fc.integer({ min: 1, max: 60 }),
    }),
  ),
  w(
    1,
    fc.record({
      type: fc.constant("request" as const),
      trader: fc.integer({ min: 0, max: 3 }),
      asset: fc.integer({ min: 0, max: 3 }),
      size: fc.integer({ min: 1, max: 60 }),
    }),
  ),
);
const planArb: fc.Arbitrary<Plan> = fc.record({
  orders: ordersArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 10 }),
});

/** Units for unit assets, ¥5.00 steps for cash. */
const amountOf = (asset: number, size: number): bigint => (asset === CASH ? BigInt(size) * 500n : BigInt(size));

// ───────────────────────────────────────── the model ──────────────────────────────────────

const PARTIAL = 1;
const FILLED = 2;
const CANCELLED = 3;

/** An order as the batch lists it, with what the model needs to know about its signature. */
interface Listed {
  spec: OrderSpec;
  signed: SignedOrder;
  hash: string;
  validSignature: boolean;
  expired: boolean;
}
interface ResolvedFill {
  tradeId: bigint;
  buy: number;
  sell: number;
  quantity: bigint;
  price: bigint;
  buyerIsMaker: boolean;
}
interface ResolvedWithdrawal {
  trader: number;
  asset: number;
  amount: bigint;
  nonce: bigint;
  /** Signed by its trader, for this Clearing, not expired. */
  authentic: boolean;
}
interface Request {
  trader: number;
  asset: number;
  amount: bigint;
  done: boolean;
}
interface Leg {
  key: string;
  quantity: bigint;
  filled: bigint;
}
/** What a batch does: a revert (the error's name), or the reason of every new fill (0 = settled). */
type Outcome = { reverted: string } | { reverted: undefined; reasons: Map<bigint, number> };

class Model {
  constructor(
    public bal: bigint[][],
    public nonceStates = new Map<string, { state: number; filled: bigint }>(),
    public minNonce = [0n, 0n, 0n, 0n],
    public active = [true, true, true, true],
    public usedWithdrawals = new Set<string>(),
    public requests: Request[] = [],
    public lastTradeId = 0n,
  ) {}

  clone(): Model {
    return new Model(
      this.bal.map((row) => [...row]),
      new Map([...this.nonceStates].map(([k, v]) => [k, { ...v }])),
      [...this.minNonce],
      [...this.active],
      new Set(this.usedWithdrawals),
      this.requests.map((r) => ({ ...r })),
      this.lastTradeId,
    );
  }

  /** (filled, finished) as `orderState` reports them. */
  orderState(trader: number, nonce: bigint): [bigint, boolean] {
    const st = this.nonceStates.get(`${trader}:${nonce}`);
    const state = st?.state ?? 0;
    return [state === PARTIAL ? st!.filled : 0n, state >= FILLED || nonce < this.minNonce[trader]!];
  }

  /** Settles a batch on a copy; commits it unless it reverts. */
  settle(orders: Listed[], fills: ResolvedFill[], withdrawals: ResolvedWithdrawal[], requests: number[]): Outcome {
    const m = this.clone();
    const reasons = new Map<bigint, number>();
    let last = m.lastTradeId;
    for (const f of fills) {
      if (f.tradeId <= last) continue;
      if (f.tradeId !== last + 1n) return { reverted: "ClearingTradeIdGap" };
      last = f.tradeId;
      reasons.set(f.tradeId, m.fill(orders, f));
    }
    m.lastTradeId = last;
    for (const wd of withdrawals) {
      const key = `${wd.trader}:${wd.nonce}`;
      if (m.usedWithdrawals.has(key) || !wd.authentic) return { reverted: "ClearingInvalidWithdrawal" };
      m.usedWithdrawals.add(key);
      const error = m.payOut(wd.trader, wd.asset, wd.amount);
      if (error) return { reverted: error };
    }
    for (const id of requests) {
      const r = m.requests[id - 1]!;
      if (r.done) continue;
      r.done = true;
      const error = m.payOut(r.trader, r.asset, r.amount);
      if (error) return { reverted: error };
    }
    Object.assign(this, m);
    return { reverted: undefined, reasons };
  }

  private payOut(trader: number, asset: number, amount: bigint): string | undefined {
    if (!this.active[trader]) return "ClearingAccountNotActive";
    if (this.bal[trader]![asset]! < amount) return "ClearingInsufficientBalance";
    this.bal[trader]![asset]! -= amount;
    return undefined;
  }

  private check(o: Listed): number {
    if (o.expired) return Reason.Expired;
    if (o.spec.nonce < this.minNonce[o.spec.trader]!) return Reason.Cancelled;
    if (!o.validSignature) return Reason.BadSignature;
    if (!this.active[o.spec.trader]) return Reason.AccountNotActive;
    return Reason.None;
  }

  private leg(o: OrderSpec, quantity: bigint): Leg | number {
    const key = `${o.trader}:${o.nonce}`;
    const st = this.nonceStates.get(key);
    if (st?.state === FILLED) return Reason.Overfilled;
    if (st?.state === CANCELLED) return Reason.Cancelled;
    const filled = st?.state === PARTIAL ? st.filled : 0n;
    if (o.quantity > MAX_ORDER_QUANTITY || filled + quantity > o.quantity) return Reason.Overfilled;
    return { key, quantity: o.quantity, filled };
  }

  private record(leg: Leg, quantity: bigint): void {
    const st = this.nonceStates.get(leg.key) ?? { state: 0, filled: 0n };
    this.nonceStates.set(leg.key, st);
    const total = leg.filled + quantity;
    if (total === leg.quantity) {
      st.state = FILLED;
    } else {
      if (leg.filled === 0n) st.state = PARTIAL;
      st.filled = total;
    }
  }

  /** One fill, checked in the contract's order; returns its reject reason or settles it (None). */
  private fill(orders: Listed[], f: ResolvedFill): number {
    if (f.buy >= orders.length || f.sell >= orders.length) return Reason.BadOrderIndex;
    if (f.quantity === 0n) return Reason.ZeroQuantity;
    const b = orders[f.buy]!;
    const s = orders[f.sell]!;
    if (!b.spec.isBuy || s.spec.isBuy) return Reason.SameSide;
    if (b.spec.product !== s.spec.product) return Reason.ProductMismatch;
    if (b.spec.product === CASH) return Reason.UnknownToken;
    if (f.price > b.spec.price || f.price < s.spec.price) return Reason.PriceOutsideLimit;
    const checked = this.check(b) || this.check(s);
    if (checked) return checked;
    const lb = this.leg(b.spec, f.quantity);
    if (typeof lb === "number") return lb;
    const ls = this.leg(s.spec, f.quantity);
    if (typeof ls === "number") return ls;
    const notional = f.quantity * f.price;
    const buyerFee = (notional * (f.buyerIsMaker ? FEES.maker : FEES.taker)) / 10_000n;
    const sellerFee = (notional * (f.buyerIsMaker ? FEES.taker : FEES.maker)) / 10_000n;
    const buyer = b.spec.trader;
    const seller = s.spec.trader;
    const asset = b.spec.product;
    if (this.bal[buyer]![CASH]! < notional + buyerFee) return Reason.InsufficientCash;
    if (this.bal[seller]![asset]! < f.quantity) return Reason.InsufficientUnits;
    this.record(lb, f.quantity);
    this.record(ls, f.quantity);
    this.bal[buyer]![CASH]! -= notional + buyerFee;
    this.bal[seller]![asset]! -= f.quantity;
    this.bal[seller]![CASH]! += notional - sellerFee;
    this.bal[buyer]![asset]! += f.quantity;
    this.bal[FEE_ACCOUNT]![CASH]! += buyerFee + sellerFee;
    return Reason.None;
  }
}

// ───────────────────────────────────────── the chain ──────────────────────────────────────

interface PropertyFixture extends ClearingFixture {
  lens: BaseContract;
}

/** The clearing fixture, dave with ¥50.00 at the exchange (short of cash for most buys), and the lens. */
async function propertyFixture(): Promise<PropertyFixture> {
  const f = await clearingFixture();
  await f.c.cash.connect(f.s.bank).deposit(f.s.dave.address, 5_000n, ref("bank-dave"));
  await deposit(f, f.s.dave, { cash: 5_000n });
  const { abi, bytecode } = compileExchangeMock("ClearingLens");
  const lens = await (await new ContractFactory(abi, bytecode, f.s.regulator).deploy()).waitForDeployment();
  return { ...f, lens };
}

interface ChainState {
  /** [account][asset] */
  bal: bigint[][];
  held: bigint[];
  /** By `${trader}:${nonce}` of every listed order. */
  orders: Map<string, [bigint, boolean]>;
  lastTradeId: bigint;
}

interface Settled {
  tradeId: bigint;
  buyer: string;
  seller: string;
  token: string;
  tokenId: bigint;
  quantity: bigint;
  price: bigint;
  buyHash: string;
  sellHash: string;
  buyerFee: bigint;
  sellerFee: bigint;
}
interface Events {
  settled: Settled[];
  rejected: Map<bigint, number>;
  withdrawn: { trader: string; token: string; tokenId: bigint; amount: bigint }[];
}

/** What the runs exercised, so that the test can tell that the generator reaches every case. */
interface Tally {
  settled: number;
  rejected: Map<number, number>;
  reverted: Map<string, number>;
}

class Run {
  readonly traders: HardhatEthersSigner[];
  readonly accounts: string[];
  readonly tokens: string[];
  readonly ids: bigint[];
  readonly listed: Listed[] = [];
  readonly filledByHash = new Map<string, bigint>();
  readonly processedIds: bigint[] = [];
  readonly deposited: bigint[];
  readonly withdrawnTotal = [0n, 0n, 0n, 0n];
  model!: Model;
  previous: IClearing.BatchStruct | undefined;
  previousResolved: { fills: ResolvedFill[]; withdrawals: ResolvedWithdrawal[]; requests: number[] } | undefined;
  /** Requests not yet offered to the exchange (each is offered in one batch only). */
  newRequests: number[] = [];

  constructor(
    readonly f: PropertyFixture,
    readonly tally: Tally,
  ) {
    const { s } = f;
    const c = f.manifest.contracts;
    this.traders = [s.alice, s.bob, s.carol, s.dave];
    this.accounts = [...this.traders.map((t) => t.address), s.exchange.address];
    this.tokens = [c.AllowanceToken, c.OffsetToken, c.AllowanceToken, c.CashToken];
    this.ids = [VINTAGE, CCER, OTHER_VINTAGE, 0n];
    this.deposited = [0n, 0n, 0n, 0n];
  }

  async start(plan: Plan): Promise<void> {
    const state = await this.read();
    this.model = new Model(state.bal.map((row) => [...row]));
    for (let a = 0; a < ASSETS.length; a++) this.deposited[a] = state.held[a]!;
    const { f } = this;
    const otherChain = clearingDomain(1n, f.address);
    const otherContract = clearingDomain(f.chainId, f.manifest.contracts.ParticipantRegistry);
    for (const spec of plan.orders) {
      const order: Order = {
        trader: this.accounts[spec.trader]!,
        token: spec.product === CASH ? f.manifest.contracts.CashToken : this.tokens[spec.product]!,
        tokenId: this.ids[spec.product]!,
        isBuy: spec.isBuy,
        price: spec.price,
        quantity: spec.quantity,
        timeInForce: 0,
        nonce: spec.nonce,
        expiry: spec.expiry === "none" ? 0n : spec.expiry === "past" ? 1n : 2n ** 40n,
      };
      const own = this.traders[spec.trader]!;
      const signer = spec.sig === "forged" ? this.traders[(spec.trader + 1) % TRADERS]! : own;
      const domain = spec.sig === "otherChain" ? otherChain : spec.sig === "otherContract" ? otherContract : f.domain;
      this.listed.push({
        spec,
        signed: await signOrder(signer, domain, order),
        hash: hashOrder(f.domain, order),
        validSignature: spec.sig === "valid",
        expired: spec.expiry === "past",
      });
    }
  }

  async read(): Promise<ChainState> {
    const keys = [...new Set(this.listed.map((o) => `${o.spec.trader}:${o.spec.nonce}`))];
    const [balances, held] = (await this.f.lens.getFunction("balances")(
      this.f.address,
      this.accounts,
      this.tokens,
      this.ids,
      this.f.manifest.contracts.CashToken,
    )) as [bigint[], bigint[]];
    const [filled, finished, lastTradeId] = (await this.f.lens.getFunction("orders")(
      this.f.address,
      keys.map((k) => this.accounts[Number(k.split(":")[0])]!),
      keys.map((k) => BigInt(k.split(":")[1]!)),
    )) as [bigint[], boolean[], bigint];
    const m = ASSETS.length;
    return {
      bal: this.accounts.map((_, i) => [...balances.slice(i * m, (i + 1) * m)]),
      held: [...held],
      orders: new Map(keys.map((k, i) => [k, [filled[i]!, finished[i]!]])),
      lastTradeId,
    };
  }

  /** The same ledger as the model has it. */
  modelState(): Omit<ChainState, "held"> {
    const orders = new Map<string, [bigint, boolean]>();
    for (const o of this.listed) {
      orders.set(`${o.spec.trader}:${o.spec.nonce}`, this.model.orderState(o.spec.trader, o.spec.nonce));
    }
    return { bal: this.model.bal, orders, lastTradeId: this.model.lastTradeId };
  }

  resolveFills(specs: FillSpec[], firstId: bigint): ResolvedFill[] {
    const n = this.listed.length;
    const buys = this.listed.flatMap((o, i) => (o.spec.isBuy ? [i] : []));
    const sells = this.listed.flatMap((o, i) => (o.spec.isBuy ? [] : [i]));
    const pick = (list: number[], k: number, fallback: number) => (list.length > 0 ? list[k % list.length]! : fallback);
    return specs.map((spec, k) => {
      let buy = pick(buys, spec.buyPick, spec.buyPick % n);
      const product = this.listed[buy]!.spec.product;
      const same = sells.filter((i) => this.listed[i]!.spec.product === product);
      const other = sells.filter((i) => this.listed[i]!.spec.product !== product);
      let sell = pick(
        spec.twist === "otherProduct" ? other : same,
        spec.sellPick,
        pick(sells, spec.sellPick, spec.sellPick % n),
      );
      // Orders are listed in pairs (buy, sell): the buy's own partner is its neighbour.
      if (spec.twist === "none" && !spec.crossPair) sell = buy ^ 1;
      if (spec.twist === "swap") [buy, sell] = [sell, buy];
      if (spec.twist === "badIndex") buy = n + (spec.buyPick % 3);
      if (spec.twist === "sameSide") sell = buys.length > 0 ? buys[(spec.buyPick + 1) % buys.length]! : sell;
      const limit = (i: number) => this.listed[i]?.spec.price;
      const price =
        spec.priceMode === 0
          ? (limit(buy) ?? spec.priceRaw)
          : spec.priceMode === 1
            ? (limit(sell) ?? spec.priceRaw)
            : spec.priceRaw;
      return {
        tradeId: firstId + BigInt(k),
        buy,
        sell,
        quantity: spec.quantity,
        price,
        buyerIsMaker: spec.buyerIsMaker,
      };
    });
  }

  async resolveWithdrawals(
    specs: WithdrawalSpec[],
  ): Promise<{ resolved: ResolvedWithdrawal[]; signed: IClearing.SignedWithdrawalStruct[] }> {
    const resolved: ResolvedWithdrawal[] = [];
    const signed: IClearing.SignedWithdrawalStruct[] = [];
    for (const spec of specs) {
      const wd = {
        trader: this.accounts[spec.trader]!,
        token: this.tokens[spec.asset]!,
        tokenId: this.ids[spec.asset]!,
        amount: amountOf(spec.asset, spec.size),
        nonce: spec.nonce,
        expiry: spec.sig === "expired" ? 1n : 0n,
      };
      const signer = this.traders[spec.sig === "forged" ? (spec.trader + 1) % TRADERS : spec.trader]!;
      signed.push({ withdrawal: wd, signature: await signWithdrawal(signer, this.f.domain, wd) });
      resolved.push({
        trader: spec.trader,
        asset: spec.asset,
        amount: wd.amount,
        nonce: spec.nonce,
        authentic: spec.sig === "valid",
      });
    }
    return { resolved, signed };
  }

  /** Sends a batch and checks everything the step may and may not have changed. */
  async settle(
    b: IClearing.BatchStruct,
    resolved: { fills: ResolvedFill[]; withdrawals: ResolvedWithdrawal[]; requests: number[] },
  ): Promise<void> {
    const before = await this.read();
    const predicted = this.model.settle(this.listed, resolved.fills, resolved.withdrawals, resolved.requests);
    let receipt: ContractTransactionReceipt | null = null;
    let reverted: string | undefined;
    try {
      receipt = await (await this.f.exchange.settle(b, TX)).wait();
    } catch (err) {
      const data = findRevertData(err);
      reverted = data ? (this.f.clearing.interface.parseError(data)?.name ?? data) : String(err);
    }
    expect(reverted, "batch revert").to.equal(predicted.reverted);
    const after = await this.read();
    if (predicted.reverted !== undefined) {
      this.tally.reverted.set(predicted.reverted, (this.tally.reverted.get(predicted.reverted) ?? 0) + 1);
      expect(after, "a reverted batch moves nothing").to.deep.equal(before);
    } else {
      const events = this.eventsOf(receipt);
      expect(events.rejected, "reject reasons").to.deep.equal(
        new Map([...predicted.reasons].filter(([, r]) => r !== Reason.None)),
      );
      expect(
        events.settled.map((e) => e.tradeId),
        "settled trades",
      ).to.deep.equal([...predicted.reasons].filter(([, r]) => r === Reason.None).map(([id]) => id));
      this.checkAccounting(before, after, events, resolved.fills);
      this.tally.settled += events.settled.length;
      for (const r of events.rejected.values()) this.tally.rejected.set(r, (this.tally.rejected.get(r) ?? 0) + 1);
      this.previous = b;
      this.previousResolved = resolved;
    }
    this.checkAgainstModel(after);
  }

  eventsOf(receipt: ContractTransactionReceipt | null): Events {
    const out: Events = { settled: [], rejected: new Map(), withdrawn: [] };
    for (const log of receipt?.logs ?? []) {
      if (log.address !== this.f.address) continue;
      const p = this.f.clearing.interface.parseLog(log);
      if (!p) continue;
      if (p.name === "TradeSettled") {
        const [tradeId, buyer, seller, token, tokenId, quantity, price, buyHash, sellHash, buyerFee, sellerFee] =
          p.args;
        out.settled.push({
          tradeId,
          buyer,
          seller,
          token,
          tokenId,
          quantity,
          price,
          buyHash,
          sellHash,
          buyerFee,
          sellerFee,
        });
        this.processedIds.push(tradeId as bigint);
      } else if (p.name === "TradeRejected") {
        expect(out.rejected.has(p.args[0] as bigint), "one rejection per trade id").to.equal(false);
        out.rejected.set(p.args[0] as bigint, Number(p.args[1]));
        this.processedIds.push(p.args[0] as bigint);
      } else if (p.name === "Withdrawn") {
        out.withdrawn.push({ trader: p.args[0], token: p.args[1], tokenId: p.args[2], amount: p.args[3] });
      }
    }
    return out;
  }

  /** Balances moved exactly as the events say; fees are the schedule's, rounded down; nothing over-filled. */
  checkAccounting(before: ChainState, after: ChainState, events: Events, fills: ResolvedFill[]): void {
    const expected = before.bal.map((row) => [...row]);
    const account = (a: string) => this.accounts.indexOf(a);
    const asset = (token: string, id: bigint) => this.tokens.findIndex((t, i) => t === token && this.ids[i] === id);
    for (const e of events.settled) {
      const f = fills.find((x) => x.tradeId === e.tradeId)!;
      const notional = e.quantity * e.price;
      expect([e.quantity, e.price], `trade ${e.tradeId} as filled`).to.deep.equal([f.quantity, f.price]);
      expect(e.buyerFee, "buyer fee").to.equal((notional * (f.buyerIsMaker ? FEES.maker : FEES.taker)) / 10_000n);
      expect(e.sellerFee, "seller fee").to.equal((notional * (f.buyerIsMaker ? FEES.taker : FEES.maker)) / 10_000n);
      const [b, s, a] = [account(e.buyer), account(e.seller), asset(e.token, e.tokenId)];
      expect(b >= 0 && s >= 0 && a >= 0 && a !== CASH, "known buyer, seller and product").to.equal(true);
      expected[b]![CASH]! -= notional + e.buyerFee;
      expected[b]![a]! += e.quantity;
      expected[s]![a]! -= e.quantity;
      expected[s]![CASH]! += notional - e.sellerFee;
      expected[FEE_ACCOUNT]![CASH]! += e.buyerFee + e.sellerFee;
      for (const h of [e.buyHash, e.sellHash]) this.filledByHash.set(h, (this.filledByHash.get(h) ?? 0n) + e.quantity);
    }
    for (const wd of events.withdrawn) {
      const a = asset(wd.token, wd.tokenId);
      expected[account(wd.trader)]![a]! -= wd.amount;
      this.withdrawnTotal[a]! += wd.amount;
    }
    expect(after.bal, "only settled trades and withdrawals moved balances").to.deep.equal(expected);
    for (const o of this.listed) {
      const filled = this.filledByHash.get(o.hash) ?? 0n;
      expect(filled <= o.spec.quantity, `order ${o.hash} filled ${filled} of ${o.spec.quantity}`).to.equal(true);
    }
  }

  checkAgainstModel(chain: ChainState): void {
    for (let a = 0; a < ASSETS.length; a++) {
      const sum = chain.bal.reduce((acc, row) => acc + row[a]!, 0n);
      expect(sum, `Σ trading ${ASSETS[a]} = Σ deposits − Σ withdrawals`).to.equal(
        this.deposited[a]! - this.withdrawnTotal[a]!,
      );
      expect(chain.held[a], `the Clearing holds Σ trading ${ASSETS[a]}`).to.equal(sum);
    }
    const { held: _held, ...rest } = chain;
    expect(rest, "chain = model").to.deep.equal(this.modelState());
  }

  async step(step: Step): Promise<void> {
    const { f, model } = this;
    switch (step.type) {
      case "batch": {
        const replay = step.replayPrevious ? (this.previousResolved?.fills ?? []) : [];
        const fills = [...replay, ...this.resolveFills(step.fills, model.lastTradeId + 1n)];
        const { resolved, signed } = await this.resolveWithdrawals(step.withdrawals);
        const requests = this.newRequests;
        this.newRequests = [];
        await this.settle(this.batchOf(fills, signed, requests), { fills, withdrawals: resolved, requests });
        return;
      }
      case "resubmit":
        if (this.previous && this.previousResolved) await this.settle(this.previous, this.previousResolved);
        return;
      case "gap": {
        const fills = this.resolveFills(
          [
            {
              buyPick: 0,
              crossPair: false,
              sellPick: 0,
              twist: "none",
              quantity: 1n,
              priceMode: 0,
              priceRaw: 1n,
              buyerIsMaker: false,
            },
          ],
          model.lastTradeId + 1n + BigInt(step.skip),
        );
        await this.settle(this.batchOf(fills, [], []), { fills, withdrawals: [], requests: [] });
        return;
      }
      case "cancel": {
        const o = this.listed[step.order % this.listed.length]!;
        await f.clearing.connect(this.traders[o.spec.trader]!).cancelOrder(o.signed.order, TX);
        const key = `${o.spec.trader}:${o.spec.nonce}`;
        model.nonceStates.set(key, { state: CANCELLED, filled: model.nonceStates.get(key)?.filled ?? 0n });
        break;
      }
      case "cancelBelow": {
        const minNonce = model.minNonce[step.trader]! + step.by;
        await f.clearing.connect(this.traders[step.trader]!).cancelNoncesBelow(minNonce, TX);
        model.minNonce[step.trader] = minNonce;
        break;
      }
      case "freeze":
      case "unfreeze": {
        const freeze = step.type === "freeze";
        if (model.active[step.trader] !== freeze) return;
        const registry = f.c.registry.connect(f.s.operator);
        const address = this.accounts[step.trader]!;
        await (freeze ? registry.freeze(address, TX) : registry.unfreeze(address, TX));
        model.active[step.trader] = !freeze;
        break;
      }
      case "deposit": {
        // Bob's registry wallet holds only 2014 allowances and cash.
        const asset = step.trader === 1 && (step.asset === 1 || step.asset === 2) ? 0 : step.asset;
        const amount = amountOf(asset, step.size);
        const label = ASSETS[asset]!;
        await deposit(f, this.traders[step.trader]!, { [label]: amount });
        model.bal[step.trader]![asset]! += amount;
        this.deposited[asset]! += amount;
        break;
      }
      case "request": {
        const amount = amountOf(step.asset, step.size);
        const trader = this.traders[step.trader]!;
        const call = f.clearing
          .connect(trader)
          .requestWithdrawal(this.tokens[step.asset]!, this.ids[step.asset]!, amount, TX);
        const balance = model.bal[step.trader]![step.asset]!;
        if (balance < amount) {
          await expect(call)
            .to.be.revertedWithCustomError(f.clearing, "ClearingInsufficientBalance")
            .withArgs(trader.address, this.tokens[step.asset]!, this.ids[step.asset]!, balance, amount);
        } else {
          await call;
          model.requests.push({ trader: step.trader, asset: step.asset, amount, done: false });
          this.newRequests.push(model.requests.length);
        }
        break;
      }
      default: {
        const never: never = step;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
    this.checkAgainstModel(await this.read());
  }

  batchOf(
    fills: ResolvedFill[],
    withdrawals: IClearing.SignedWithdrawalStruct[],
    requests: number[],
  ): IClearing.BatchStruct {
    return {
      orders: this.listed.map((o) => o.signed),
      fills: fills.map((x) => ({ ...x })),
      withdrawals,
      requests: requests.map(BigInt),
    };
  }

  /** Every trade id from 1 to lastTradeId was processed exactly once. */
  async finish(): Promise<void> {
    const last = await this.f.clearing.lastTradeId();
    const ids = [...this.processedIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(ids).to.deep.equal(Array.from({ length: Number(last) }, (_, i) => BigInt(i + 1)));
  }
}

describe("Clearing settlement (property)", function () {
  this.timeout(300_000);

  it(`keeps conservation, fill limits, exactly-once trade ids and no-op rejections over ${RUNS} random runs`, async function () {
    const tally: Tally = { settled: 0, rejected: new Map(), reverted: new Map() };
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const run = new Run(await loadFixture(propertyFixture), tally);
        await run.start(plan);
        run.checkAgainstModel(await run.read());
        for (const step of plan.steps) await run.step(step);
        await run.finish();
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    if (RUNS >= 200) {
      // The generator reaches every way a fill can be rejected, and every way a batch can revert.
      const missing = Object.entries(Reason).filter(([name, r]) => name !== "None" && !tally.rejected.has(r));
      expect(missing, "reject reasons never produced").to.deep.equal([]);
      // (A payout to a frozen account, ClearingAccountNotActive, is rarer: Clearing.test.ts covers it.)
      expect([...tally.reverted.keys()]).to.include.members([
        "ClearingInsufficientBalance",
        "ClearingInvalidWithdrawal",
        "ClearingTradeIdGap",
      ]);
      expect(tally.settled, "settled trades").to.be.greaterThan(RUNS);
    }
  });
});
