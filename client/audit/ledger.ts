import {
  Interface,
  TypedDataEncoder,
  ZeroAddress,
  getAddress,
  keccak256,
  recoverAddress,
  toUtf8Bytes,
  type LogDescription,
  type Result,
} from "ethers";
import { ABIS } from "../../sdk/contracts";
import type { Manifest } from "../../sdk/manifest";
import { ORDER_TYPES, clearingDomain, type Order } from "../../sdk/orders";
import type { AuditFigures, Finding, RawBlock, RawLog, RawTx } from "./types";

type ContractName = keyof typeof ABIS;
export type TokenName = "AllowanceToken" | "OffsetToken" | "CashToken";

const BPS = 10_000n;
const OPINION_ADVERSE = 3;
const STATUS = ["NONE", "OPEN", "COMPLIANT", "SHORTFALL"] as const;

/** A report version as submitted, for the document check. */
export interface SubmittedReport {
  entityId: bigint;
  year: number;
  version: number;
  contentHash: string;
  documentHash: string;
  uri: string;
  block: number;
  tx: string;
}

interface ReportState {
  version: number;
  status: "submitted" | "verified" | "approved" | "returned" | "estimated";
  verifier?: bigint;
  verifiedVersion?: number;
  verifiedTotal?: bigint;
  opinion?: number;
}

interface OffsetRules {
  capBps: bigint;
  earliestReductionStart: bigint;
  excludeHydro: boolean;
  allowedTypes: string[];
  excludedTypes: string[];
}

interface Batch {
  projectType: string;
  hydro: boolean;
  reductionStart: bigint;
}

export interface YearFigures {
  cap: bigint;
  reserve: bigint;
  freeIssued: bigint;
  deducted: bigint;
  reserveUsed: bigint;
  planEntries: bigint;
  planTotal: bigint;
  entriesIssued: bigint;
  grossIssued: bigint;
  planComplete: boolean;
}

export interface Position {
  obligationSet: boolean;
  obligation: bigint;
  allowances: bigint;
  offsets: bigint;
  closedStatus: number;
  shortfall: bigint;
  fine: bigint;
}

/** An ERC-1271 check the ledger cannot make alone: asked of the chain at the trade's block. */
export type ContractSignatureCheck = (
  wallet: string,
  digest: string,
  signature: string,
  block: number,
) => Promise<boolean>;

const key = (...parts: (string | bigint | number)[]) => parts.map(String).join("|");
const lower = (a: string) => a.toLowerCase();

/**
 * The auditor's replay of every event of the deployment, in chain order, into balances, locks,
 * supplies, trading accounts and compliance positions, checking on the way every settled trade
 * against the settle calldata and its signed orders, every surrender against the rules in force,
 * and every verification and approval against the report it decides. It reads no contract state:
 * what it computes is compared with the contracts' own figures afterwards.
 */
export class Ledger {
  readonly findings: Finding[] = [];
  private readonly byAddress = new Map<string, { name: ContractName; iface: Interface }>();
  private readonly addr: Record<string, string> = {};

  /** token → account → id → units. */
  readonly balances = new Map<TokenName, Map<string, Map<bigint, bigint>>>();
  readonly locked = new Map<TokenName, Map<string, Map<bigint, bigint>>>();
  readonly minted = new Map<TokenName, Map<bigint, bigint>>();
  readonly burned = new Map<TokenName, Map<bigint, bigint>>();
  readonly pending = new Map<TokenName, Map<bigint, { from: string; id: bigint; amount: bigint }>>();
  readonly pendingCount = new Map<TokenName, bigint>();
  /** Clearing: trader → token → id → units. */
  readonly trading = new Map<string, Map<string, Map<bigint, bigint>>>();
  lastTradeId = 0n;
  fees = { maker: 0n, taker: 0n, recipient: ZeroAddress };
  readonly positions = new Map<string, Position>();
  readonly allowanceRetired = new Map<bigint, [bigint, bigint]>();
  readonly offsetRetired = new Map<bigint, [bigint, bigint]>();
  certificateCount = 0n;
  readonly batches = new Map<bigint, Batch>();
  /** Allocation per year: the figures of `Allocation.yearInfo`, and who is covered. */
  readonly years = new Map<number, YearFigures>();
  readonly covered = new Map<number, Set<bigint>>();
  readonly clawedBack = new Map<bigint, bigint>();
  readonly carried = new Map<bigint, bigint>();
  readonly finesOwed = new Map<bigint, bigint>();
  readonly flaggedUntil = new Map<bigint, number>();
  /** ReserveSales: counters and what each buyer bought in each fixed-price sale. */
  auctionCount = 0n;
  fixedSaleCount = 0n;
  readonly boughtIn = new Map<string, bigint>();
  private readonly salePrice = new Map<bigint, bigint>();
  private readonly bids = new Map<string, { escrow: bigint; price?: bigint; quantity?: bigint }>();
  private readonly auctionResult = new Map<
    bigint,
    { clearingPrice: bigint; sold: bigint; demand: bigint; supply: bigint }
  >();
  /** Compliance.yearClose: results given and the close. */
  readonly closes = new Map<
    number,
    { processed: number; compliant: number; inShortfall: number; totalShortfall: bigint; closed: boolean }
  >();
  readonly reports: SubmittedReport[] = [];

  private readonly walletEntity = new Map<string, bigint>();
  private readonly rules = new Map<number, OffsetRules>();
  private readonly accredited = new Map<bigint, boolean>();
  private readonly assigned = new Map<string, bigint>();
  private readonly reportState = new Map<string, ReportState>();
  private readonly orderFilled = new Map<string, bigint>();
  private readonly cancelledOrders = new Set<string>();
  private readonly minNonce = new Map<string, bigint>();
  private readonly clearingIface = new Interface(ABIS.Clearing);
  private readonly authorityIface = new Interface(ABIS.Authority);

  constructor(
    readonly manifest: Manifest,
    readonly figures: AuditFigures,
    private readonly contractSignature: ContractSignatureCheck,
  ) {
    for (const [name, address] of Object.entries(manifest.contracts)) {
      if (!address || !(name in ABIS)) continue;
      this.byAddress.set(lower(address), {
        name: name as ContractName,
        iface: new Interface(ABIS[name as ContractName]),
      });
      this.addr[name] = lower(address);
    }
    for (const t of ["AllowanceToken", "OffsetToken", "CashToken"] as TokenName[]) {
      this.balances.set(t, new Map());
      this.locked.set(t, new Map());
      this.minted.set(t, new Map());
      this.burned.set(t, new Map());
      this.pending.set(t, new Map());
      this.pendingCount.set(t, 0n);
    }
  }

  /** Lower-case addresses of every contract of the deployment. */
  addresses(): string[] {
    return [...this.byAddress.keys()];
  }

  /** Every registry account opened (or recovered into), lower-case. */
  wallets(): string[] {
    return [...this.walletEntity.keys()];
  }

  tokenName(address: string): TokenName | undefined {
    const n = this.byAddress.get(lower(address))?.name;
    return n === "AllowanceToken" || n === "OffsetToken" || n === "CashToken" ? n : undefined;
  }

  address(name: string): string {
    return this.addr[name] ?? "";
  }

  private find(f: Finding): void {
    this.findings.push(f);
  }

  /** Replays one log of a deployment contract, emitted by `tx` in `block`. */
  async apply(log: RawLog, tx: RawTx, block: RawBlock): Promise<void> {
    const c = this.byAddress.get(lower(log.address));
    if (!c) return;
    let ev: LogDescription | null = null;
    try {
      ev = c.iface.parseLog({ topics: log.topics, data: log.data });
    } catch {
      ev = null;
    }
    const at = { block: Number(log.blockNumber), tx: log.transactionHash };
    if (!ev) {
      this.find({ ...at, kind: "event-unknown", message: `A log of ${c.name} matches none of its events.` });
      return;
    }
    this.figures.events++;
    const a = ev.args;
    switch (c.name) {
      case "ParticipantRegistry":
        return this.registry(ev.name, a);
      case "AllowanceToken":
      case "OffsetToken":
      case "CashToken":
        return this.token(c.name, ev.name, a, at);
      case "Clearing":
        return this.clearing(ev.name, a, at, tx, block);
      case "Compliance":
        return this.compliance(ev.name, a, at);
      case "EmissionsReporting":
        return this.reporting(ev.name, a, at, tx);
      case "Allocation":
        return this.allocation(ev.name, a, at);
      case "ReserveSales":
        return this.sales(ev.name, a, at);
      default:
        return;
    }
  }

  // ── registry ─────────────────────────────────────────────────────────────────────────────────

  private registry(name: string, a: Result): void {
    if (name === "AccountOpened") this.walletEntity.set(lower(a.wallet as string), a.entityId as bigint);
    if (name === "AccountRecovered") this.walletEntity.set(lower(a.newWallet as string), a.entityId as bigint);
  }

  // ── allocation ───────────────────────────────────────────────────────────────────────────────

  year(y: number): YearFigures {
    let f = this.years.get(y);
    if (!f) {
      f = {
        cap: 0n,
        reserve: 0n,
        freeIssued: 0n,
        deducted: 0n,
        reserveUsed: 0n,
        planEntries: 0n,
        planTotal: 0n,
        entriesIssued: 0n,
        grossIssued: 0n,
        planComplete: false,
      };
      this.years.set(y, f);
    }
    return f;
  }

  private cover(year: number, entityId: bigint): void {
    const set = this.covered.get(year) ?? new Set<bigint>();
    set.add(entityId);
    this.covered.set(year, set);
  }

  private allocation(name: string, a: Result, at: { block: number; tx: string }): void {
    const y = Number(a.year ?? a.fromYear ?? 0);
    switch (name) {
      case "CapSet": {
        const f = this.year(y);
        f.cap = a.cap as bigint;
        f.reserve = a.reserve as bigint;
        return;
      }
      case "PlanRegistered": {
        const f = this.year(y);
        f.planEntries = BigInt(a[3] as bigint); // `entries` is also an array method of Result
        f.planTotal = a.total as bigint;
        return;
      }
      case "Allocated": {
        const f = this.year(y);
        f.entriesIssued++;
        f.grossIssued += a.gross as bigint;
        f.deducted += a.deducted as bigint;
        f.freeIssued += a.minted as bigint;
        this.cover(y, a.entityId as bigint);
        if ((a.gross as bigint) - (a.deducted as bigint) !== (a.minted as bigint)) {
          this.find({
            ...at,
            kind: "allocation-arithmetic",
            expected: `${(a.gross as bigint) - (a.deducted as bigint)}`,
            found: `${a.minted}`,
            message: `The allocation of entity ${a.entityId} for ${y} mints other than its gross less its deduction.`,
          });
        }
        return;
      }
      case "PlanCompleted":
        this.year(y).planComplete = true;
        return;
      case "ReserveIssued":
        this.year(y).reserveUsed += a.amount as bigint;
        this.cover(y, a.entityId as bigint);
        return;
      case "ReserveDrawn":
        this.year(y).reserveUsed += a.amount as bigint;
        return;
      case "ReserveReturned":
        this.year(y).reserveUsed -= a.amount as bigint;
        return;
      case "ClawedBack":
        this.clawedBack.set(
          a.vintage as bigint,
          (this.clawedBack.get(a.vintage as bigint) ?? 0n) + (a.amount as bigint),
        );
        return;
      case "ShortfallCarried":
      case "ShortfallDeducted": {
        const entityId = a.entityId as bigint;
        const before = this.carried.get(entityId) ?? 0n;
        const after = name === "ShortfallCarried" ? before + (a.amount as bigint) : before - (a.amount as bigint);
        this.carried.set(entityId, after);
        if (after !== (a.outstanding as bigint)) {
          this.find({
            ...at,
            kind: "shortfall-arithmetic",
            expected: after.toString(),
            found: String(a.outstanding),
            message: `The outstanding shortfall of entity ${entityId} after ${name} differs from the replayed one.`,
          });
        }
        return;
      }
      default:
        return;
    }
  }

  // ── reserve sales ────────────────────────────────────────────────────────────────────────────

  private sales(name: string, a: Result, at: { block: number; tx: string }): void {
    switch (name) {
      case "AuctionCreated":
        if ((a.auctionId as bigint) > this.auctionCount) this.auctionCount = a.auctionId as bigint;
        return;
      case "BidCommitted":
        this.bids.set(key(a.auctionId as bigint, a.bidId as bigint), { escrow: a.escrow as bigint });
        return;
      case "BidRevealed": {
        const b = this.bids.get(key(a.auctionId as bigint, a.bidId as bigint));
        if (b) Object.assign(b, { price: a.price as bigint, quantity: a.quantity as bigint });
        return;
      }
      case "AuctionFinalised":
        this.auctionResult.set(a.auctionId as bigint, {
          clearingPrice: a.clearingPrice as bigint,
          sold: a.sold as bigint,
          demand: a.marginalDemand as bigint,
          supply: a.marginalSupply as bigint,
        });
        return;
      case "BidSettled": {
        const b = this.bids.get(key(a.auctionId as bigint, a.bidId as bigint));
        const r = this.auctionResult.get(a.auctionId as bigint);
        const found = `${a.quantity} t for ${a.paid}, refund ${a.refund}`;
        let expected = "a committed bid of a finalised auction";
        if (b && r) {
          let quantity = 0n;
          let paid = b.escrow;
          if (b.price !== undefined && b.quantity !== undefined) {
            if (b.price >= r.clearingPrice && r.sold !== 0n) {
              quantity = b.price > r.clearingPrice ? b.quantity : (b.quantity * r.supply) / r.demand;
            }
            paid = quantity * r.clearingPrice;
          }
          expected = `${quantity} t for ${paid}, refund ${b.escrow - paid}`;
        }
        if (expected !== found) {
          this.find({
            ...at,
            kind: "auction-settlement-mismatch",
            expected,
            found,
            message: `Bid ${a.bidId} of auction ${a.auctionId} was settled otherwise than its escrow, its reveal and the uniform clearing price give.`,
          });
        }
        return;
      }
      case "FixedSaleCreated":
        if ((a.saleId as bigint) > this.fixedSaleCount) this.fixedSaleCount = a.saleId as bigint;
        this.salePrice.set(a.saleId as bigint, a.price as bigint);
        return;
      case "FixedSalePurchase": {
        const k = key(a.saleId as bigint, lower(a.buyer as string));
        this.boughtIn.set(k, (this.boughtIn.get(k) ?? 0n) + (a.quantity as bigint));
        const price = this.salePrice.get(a.saleId as bigint) ?? 0n;
        if ((a.quantity as bigint) * price !== (a.paid as bigint)) {
          this.find({
            ...at,
            kind: "sale-payment-mismatch",
            expected: ((a.quantity as bigint) * price).toString(),
            found: String(a.paid),
            message: `A purchase of ${a.quantity} t from fixed-price sale ${a.saleId} paid other than its price.`,
          });
        }
        return;
      }
      default:
        return;
    }
  }

  // ── tokens ───────────────────────────────────────────────────────────────────────────────────

  private token(token: TokenName, name: string, a: Result, at: { block: number; tx: string }): void {
    switch (name) {
      case "TransferSingle":
        return this.move(token, a.from as string, a.to as string, a.id as bigint, a.value as bigint, at);
      case "TransferBatch": {
        const ids = a.ids as bigint[];
        const values = a[4] as bigint[];
        ids.forEach((id, i) => this.move(token, a.from as string, a.to as string, id, values[i]!, at));
        return;
      }
      case "Transfer":
        return this.move(token, a.from as string, a.to as string, 0n, a.value as bigint, at);
      case "TransferPending": {
        const id = a.transferId as bigint;
        const from = lower(a.from as string);
        this.pending.get(token)!.set(id, { from, id: a.id as bigint, amount: a.amount as bigint });
        if (id > this.pendingCount.get(token)!) this.pendingCount.set(token, id);
        add(this.locked.get(token)!, from, a.id as bigint, a.amount as bigint);
        return;
      }
      case "PendingTransferCancelled":
      case "PendingTransferBlocked":
      case "PendingTransferExecuted": {
        const p = this.pending.get(token)!.get(a.transferId as bigint);
        if (!p) {
          this.find({
            ...at,
            kind: "pending-transfer-unknown",
            message: `${token} closed pending transfer ${a.transferId} that no TransferPending opened (or closed it twice).`,
          });
          return;
        }
        this.pending.get(token)!.delete(a.transferId as bigint);
        add(this.locked.get(token)!, p.from, p.id, -p.amount);
        return;
      }
      case "OffsetBatchImported":
        this.batches.set(a.batchId as bigint, {
          projectType: a.projectType as string,
          hydro: a.hydro as boolean,
          reductionStart: a.reductionStart as bigint,
        });
        return;
      default:
        return;
    }
  }

  private move(
    token: TokenName,
    from: string,
    to: string,
    id: bigint,
    value: bigint,
    at: { block: number; tx: string },
  ) {
    const balances = this.balances.get(token)!;
    if (from === ZeroAddress) add(this.minted.get(token)!, id, value);
    else {
      const left = add(balances, lower(from), id, -value);
      if (left < 0n) {
        this.find({
          ...at,
          kind: "negative-balance",
          expected: ">= 0",
          found: left.toString(),
          message: `${token} ${id} of ${from} goes below zero in the replay of its transfer events.`,
        });
      }
    }
    if (to === ZeroAddress) add(this.burned.get(token)!, id, value);
    else add(balances, lower(to), id, value);
  }

  // ── clearing ─────────────────────────────────────────────────────────────────────────────────

  private async clearing(
    name: string,
    a: Result,
    at: { block: number; tx: string },
    tx: RawTx,
    block: RawBlock,
  ): Promise<void> {
    switch (name) {
      case "Deposited":
        addTrading(this.trading, a.trader as string, a.token as string, a.tokenId as bigint, a.amount as bigint);
        return;
      case "Withdrawn": {
        const left = addTrading(
          this.trading,
          a.trader as string,
          a.token as string,
          a.tokenId as bigint,
          -(a.amount as bigint),
        );
        if (left < 0n) {
          this.find({
            ...at,
            kind: "negative-balance",
            found: left.toString(),
            message: `The trading account of ${a.trader} pays out more than it holds.`,
          });
        }
        return;
      }
      case "FeesSet":
        this.fees = { maker: BigInt(a.makerFeeBps), taker: BigInt(a.takerFeeBps), recipient: a.feeRecipient as string };
        return;
      case "OrderCancelled":
        this.cancelledOrders.add(key(lower(a.trader as string), a.nonce as bigint));
        return;
      case "NoncesCancelled":
        this.minNonce.set(lower(a.trader as string), a.minNonce as bigint);
        return;
      case "TradeRejected":
        if ((a.tradeId as bigint) > this.lastTradeId) this.lastTradeId = a.tradeId as bigint;
        return;
      case "TradeSettled":
        return this.tradeSettled(a, at, tx, block);
      default:
        return;
    }
  }

  private async tradeSettled(a: Result, at: { block: number; tx: string }, tx: RawTx, block: RawBlock): Promise<void> {
    this.figures.trades++;
    const tradeId = a.tradeId as bigint;
    if (tradeId > this.lastTradeId) this.lastTradeId = tradeId;
    const buyer = a.buyer as string;
    const seller = a.seller as string;
    const token = a.token as string;
    const tokenId = a.tokenId as bigint;
    const quantity = a.quantity as bigint;
    const price = a.price as bigint;
    const buyerFee = a.buyerFee as bigint;
    const sellerFee = a.sellerFee as bigint;
    const notional = quantity * price;
    const cash = this.manifest.contracts.CashToken;
    // The trade as the event says it moved the money and the units.
    addTrading(this.trading, buyer, cash, 0n, -(notional + buyerFee));
    addTrading(this.trading, seller, cash, 0n, notional - sellerFee);
    if (buyerFee + sellerFee !== 0n) addTrading(this.trading, this.fees.recipient, cash, 0n, buyerFee + sellerFee);
    addTrading(this.trading, seller, token, tokenId, -quantity);
    addTrading(this.trading, buyer, token, tokenId, quantity);

    const bad = (kind: string, message: string, expected?: unknown, found?: unknown) =>
      this.find({
        ...at,
        kind,
        message: `Trade ${tradeId}: ${message}`,
        ...(expected !== undefined ? { expected: String(expected) } : {}),
        ...(found !== undefined ? { found: String(found) } : {}),
      });

    // Directly, or through the AccessManager's `execute(target, data)` (a scheduled call).
    let input = tx.input;
    if (tx.to && lower(tx.to) === this.address("Authority")) {
      try {
        const outer = this.authorityIface.parseTransaction({ data: tx.input });
        if (outer?.name === "execute" && lower(outer.args[0] as string) === this.address("Clearing")) {
          input = outer.args[1] as string;
        }
      } catch {
        input = tx.input;
      }
    }
    if (!tx.to || (lower(tx.to) !== this.address("Clearing") && input === tx.input)) {
      bad(
        "trade-calldata-unavailable",
        "settled by a transaction that does not call the Clearing contract directly; its orders cannot be read from calldata.",
      );
      return;
    }
    let batch: Result;
    try {
      const parsed = this.clearingIface.parseTransaction({ data: input });
      if (parsed?.name !== "settle") throw new Error(parsed?.name ?? "unknown");
      batch = parsed.args[0] as Result;
    } catch {
      bad("trade-calldata-unavailable", "the transaction's input is not a Clearing.settle call.");
      return;
    }
    const orders = batch.orders as Result[];
    const fill = (batch.fills as Result[]).find((f) => (f.tradeId as bigint) === tradeId);
    if (!fill) {
      bad("trade-not-in-calldata", "no fill of the settle calldata carries this trade id.");
      return;
    }
    const buySigned = orders[Number(fill.buy)];
    const sellSigned = orders[Number(fill.sell)];
    if (!buySigned || !sellSigned) {
      bad("trade-not-in-calldata", "the fill points at an order the batch does not have.");
      return;
    }
    const domain = clearingDomain(BigInt(this.manifest.chainId), this.manifest.contracts.Clearing!);
    const ts = BigInt(block.timestamp);
    const check = async (signed: Result, side: "buy" | "sell", eventTrader: string, eventHash: string) => {
      const o = signed.order as Result;
      const order: Order = {
        trader: o.trader as string,
        token: o.token as string,
        tokenId: o.tokenId as bigint,
        isBuy: o.isBuy as boolean,
        price: o.price as bigint,
        quantity: o.quantity as bigint,
        timeInForce: Number(o.timeInForce),
        nonce: o.nonce as bigint,
        expiry: o.expiry as bigint,
      };
      const digest = TypedDataEncoder.hash(domain, ORDER_TYPES, order);
      if (digest !== eventHash)
        bad(
          "trade-order-hash-mismatch",
          `the ${side} order's EIP-712 hash differs from the event's.`,
          digest,
          eventHash,
        );
      if (lower(order.trader) !== lower(eventTrader)) {
        bad(
          "trade-party-mismatch",
          `the ${side} order's trader is not the event's ${side === "buy" ? "buyer" : "seller"}.`,
          order.trader,
          eventTrader,
        );
      }
      let signer = "";
      try {
        signer = recoverAddress(digest, signed.signature as string);
      } catch {
        signer = "";
      }
      if (lower(signer) !== lower(order.trader)) {
        const ok = await this.contractSignature(order.trader, digest, signed.signature as string, Number(block.number));
        if (!ok) {
          bad(
            "trade-bad-signature",
            `the ${side} order's signature does not recover to its trader ${order.trader}: no valid signature backs this settlement.`,
            order.trader,
            signer || "no signer",
          );
        }
      }
      if (order.isBuy !== (side === "buy")) bad("trade-wrong-side", `the ${side} order is signed as the other side.`);
      if (lower(order.token) !== lower(token) || order.tokenId !== tokenId) {
        bad(
          "trade-product-mismatch",
          `the ${side} order is for another product.`,
          `${token}:${tokenId}`,
          `${order.token}:${order.tokenId}`,
        );
      }
      if (side === "buy" ? price > order.price : price < order.price) {
        bad(
          "trade-price-outside-limit",
          `the fill price is beyond the ${side} order's limit.`,
          `${side === "buy" ? "<=" : ">="} ${order.price}`,
          price,
        );
      }
      if (order.expiry !== 0n && order.expiry < ts)
        bad("trade-order-expired", `the ${side} order had expired.`, `>= ${ts}`, order.expiry);
      const trader = lower(order.trader);
      if (order.nonce < (this.minNonce.get(trader) ?? 0n))
        bad("trade-order-cancelled", `the ${side} order's nonce was cancelled on chain.`);
      if (this.cancelledOrders.has(key(trader, order.nonce)))
        bad("trade-order-cancelled", `the ${side} order was cancelled on chain.`);
      const k = key(trader, order.nonce);
      const filled = (this.orderFilled.get(k) ?? 0n) + quantity;
      this.orderFilled.set(k, filled);
      if (filled > order.quantity)
        bad(
          "trade-overfilled",
          `the ${side} order is filled beyond its signed quantity.`,
          `<= ${order.quantity}`,
          filled,
        );
    };
    await check(buySigned, "buy", buyer, a.buyOrderHash as string);
    await check(sellSigned, "sell", seller, a.sellOrderHash as string);
    if ((fill.quantity as bigint) !== quantity || (fill.price as bigint) !== price) {
      bad(
        "trade-fill-mismatch",
        "the event's quantity or price differs from the signed fill.",
        `${fill.quantity}@${fill.price}`,
        `${quantity}@${price}`,
      );
    }
    const [buyerBps, sellerBps] = (fill.buyerIsMaker as boolean)
      ? [this.fees.maker, this.fees.taker]
      : [this.fees.taker, this.fees.maker];
    const expectedBuyerFee = (notional * buyerBps) / BPS;
    const expectedSellerFee = (notional * sellerBps) / BPS;
    if (expectedBuyerFee !== buyerFee || expectedSellerFee !== sellerFee) {
      bad(
        "trade-fee-mismatch",
        "the fees differ from the fee rates in force at its block.",
        `${expectedBuyerFee}/${expectedSellerFee}`,
        `${buyerFee}/${sellerFee}`,
      );
    }
  }

  // ── compliance ───────────────────────────────────────────────────────────────────────────────

  position(entityId: bigint, year: number): Position {
    const k = key(entityId, year);
    let p = this.positions.get(k);
    if (!p) {
      p = {
        obligationSet: false,
        obligation: 0n,
        allowances: 0n,
        offsets: 0n,
        closedStatus: 0,
        shortfall: 0n,
        fine: 0n,
      };
      this.positions.set(k, p);
    }
    return p;
  }

  offsetCapBps(year: number): bigint {
    return this.rules.get(year)?.capBps ?? 0n;
  }

  private compliance(name: string, a: Result, at: { block: number; tx: string }): void {
    const year = Number(a.year ?? 0);
    switch (name) {
      case "OffsetRulesSet":
        this.rules.set(year, {
          capBps: BigInt(a.capBps),
          earliestReductionStart: BigInt(a.earliestReductionStart),
          excludeHydro: a.excludeHydro as boolean,
          allowedTypes: [...(a.allowedTypes as string[])].map(lower),
          excludedTypes: [...(a.excludedTypes as string[])].map(lower),
        });
        return;
      case "AllowancesSurrendered": {
        this.figures.surrenders++;
        const entityId = a.entityId as bigint;
        const vintage = a.vintage as bigint;
        const amount = a.amount as bigint;
        this.checkSurrenderer(entityId, year, a.wallet as string, at);
        if (vintage > BigInt(year)) {
          this.find({
            ...at,
            kind: "surrender-borrowing",
            expected: `vintage <= ${year}`,
            found: vintage.toString(),
            message: `Entity ${entityId} surrendered vintage ${vintage} allowances for ${year}: borrowing is not allowed.`,
          });
        }
        const p = this.position(entityId, year);
        p.allowances += amount;
        this.checkObligation(entityId, year, p, at);
        retire(this.allowanceRetired, vintage, 0, amount);
        return;
      }
      case "OffsetsSurrendered": {
        this.figures.surrenders++;
        const entityId = a.entityId as bigint;
        const batchId = a.batchId as bigint;
        const amount = a.amount as bigint;
        this.checkSurrenderer(entityId, year, a.wallet as string, at);
        const why = this.ineligibility(year, batchId);
        if (why) {
          this.find({
            ...at,
            kind: "surrender-offset-ineligible",
            found: why,
            message: `Entity ${entityId} surrendered CCER batch ${batchId} for ${year}, which the offset rules in force make ineligible (${why}).`,
          });
        }
        const p = this.position(entityId, year);
        p.offsets += amount;
        const cap = (p.obligation * this.offsetCapBps(year)) / BPS;
        if (p.offsets > cap) {
          this.find({
            ...at,
            kind: "surrender-offset-cap",
            expected: `<= ${cap}`,
            found: p.offsets.toString(),
            message: `Entity ${entityId} surrendered more CCER for ${year} than the cap of ${this.offsetCapBps(year)} bps of its obligation.`,
          });
        }
        this.checkObligation(entityId, year, p, at);
        retire(this.offsetRetired, batchId, 0, amount);
        return;
      }
      case "ComplianceResult": {
        const entityId = a.entityId as bigint;
        const p = this.position(entityId, year);
        const close = this.close(year);
        close.processed++;
        if (Number(a.status) === 2) close.compliant++;
        else {
          close.inShortfall++;
          close.totalShortfall += a.shortfall as bigint;
        }
        this.finesOwed.set(entityId, (this.finesOwed.get(entityId) ?? 0n) + (a.fine as bigint));
        this.flaggedUntil.set(entityId, Number(a.flaggedUntil));
        p.closedStatus = Number(a.status);
        p.shortfall = a.shortfall as bigint;
        p.fine = a.fine as bigint;
        const surrendered = p.allowances + p.offsets;
        const shortfall = p.obligation > surrendered ? p.obligation - surrendered : 0n;
        if (
          (a.obligation as bigint) !== p.obligation ||
          (a.surrendered as bigint) !== surrendered ||
          p.shortfall !== shortfall
        ) {
          this.find({
            ...at,
            kind: "compliance-result-mismatch",
            expected: `obligation ${p.obligation}, surrendered ${surrendered}, shortfall ${shortfall}`,
            found: `obligation ${a.obligation}, surrendered ${a.surrendered}, shortfall ${a.shortfall}`,
            message: `The year-close result of entity ${entityId} for ${year} differs from its replayed obligation and surrenders.`,
          });
        }
        const status = shortfall === 0n ? 2 : 3;
        if (p.closedStatus !== status) {
          this.find({
            ...at,
            kind: "compliance-result-mismatch",
            expected: STATUS[status],
            found: STATUS[p.closedStatus] ?? String(p.closedStatus),
            message: `The year-close status of entity ${entityId} for ${year} contradicts its shortfall.`,
          });
        }
        return;
      }
      case "ComplianceClosed":
        this.close(year).closed = true;
        return;
      case "UnitsCancelled": {
        retire(
          (a.offset as boolean) ? this.offsetRetired : this.allowanceRetired,
          a.id as bigint,
          1,
          a.amount as bigint,
        );
        if ((a.certificateId as bigint) > this.certificateCount) this.certificateCount = a.certificateId as bigint;
        return;
      }
      default:
        return;
    }
  }

  close(year: number) {
    let c = this.closes.get(year);
    if (!c) {
      c = { processed: 0, compliant: 0, inShortfall: 0, totalShortfall: 0n, closed: false };
      this.closes.set(year, c);
    }
    return c;
  }

  private checkSurrenderer(entityId: bigint, year: number, wallet: string, at: { block: number; tx: string }): void {
    const of = this.walletEntity.get(lower(wallet));
    if (of !== entityId) {
      this.find({
        ...at,
        kind: "surrender-wrong-entity",
        expected: entityId.toString(),
        found: of?.toString() ?? "unregistered",
        message: `A surrender for entity ${entityId} (${year}) came from ${wallet}, which is not one of its accounts.`,
      });
    }
  }

  private checkObligation(entityId: bigint, year: number, p: Position, at: { block: number; tx: string }): void {
    if (!p.obligationSet) {
      this.find({
        ...at,
        kind: "surrender-without-obligation",
        message: `Entity ${entityId} surrendered for ${year} before its obligation was fixed by an approval or estimate.`,
      });
    } else if (p.allowances + p.offsets > p.obligation) {
      this.find({
        ...at,
        kind: "surrender-exceeds-obligation",
        expected: `<= ${p.obligation}`,
        found: (p.allowances + p.offsets).toString(),
        message: `Entity ${entityId} surrendered more for ${year} than its obligation.`,
      });
    }
  }

  private ineligibility(year: number, batchId: bigint): string | undefined {
    const b = this.batches.get(batchId);
    if (!b) return "unknown batch";
    const r = this.rules.get(year) ?? {
      capBps: 0n,
      earliestReductionStart: 0n,
      excludeHydro: false,
      allowedTypes: [],
      excludedTypes: [],
    };
    if (r.excludeHydro && b.hydro) return "hydro";
    if (b.reductionStart < r.earliestReductionStart) return "reduction too early";
    const kind = lower(keccak256(toUtf8Bytes(b.projectType)));
    if (r.allowedTypes.length > 0 && !r.allowedTypes.includes(kind)) return "type not allowed";
    if (r.excludedTypes.includes(kind)) return "type excluded";
    return undefined;
  }

  // ── MRV ──────────────────────────────────────────────────────────────────────────────────────

  private reporting(name: string, a: Result, at: { block: number; tx: string }, tx: RawTx): void {
    const entityId = (a.entityId as bigint | undefined) ?? 0n;
    const year = Number(a.year ?? 0);
    const k = key(entityId, year);
    const state = this.reportState.get(k);
    switch (name) {
      case "VerifierAccreditationSet":
        this.accredited.set(a.verifierEntityId as bigint, a.accredited as boolean);
        return;
      case "VerifierAssigned":
        this.assigned.set(k, a.verifierEntityId as bigint);
        return;
      case "ReportSubmitted":
        this.figures.reportsSubmitted++;
        this.reportState.set(k, { version: Number(a.version), status: "submitted" });
        this.reports.push({
          entityId,
          year,
          version: Number(a.version),
          contentHash: a.contentHash as string,
          documentHash: a.documentHash as string,
          uri: a.uri as string,
          ...at,
        });
        return;
      case "ReportVerified": {
        this.figures.verifications++;
        const verifier = a.verifierEntityId as bigint;
        const version = Number(a.version);
        const bad = (kind: string, message: string, expected?: string, found?: string) =>
          this.find({
            ...at,
            kind,
            message: `Verification of entity ${entityId}'s ${year} report: ${message}`,
            expected,
            found,
          });
        if (this.assigned.get(k) !== verifier) {
          bad(
            "verification-not-assigned",
            "the attesting verifier is not the one assigned.",
            this.assigned.get(k)?.toString() ?? "none",
            verifier.toString(),
          );
        }
        if (!this.accredited.get(verifier))
          bad("verification-not-accredited", `verifier ${verifier} was not accredited when it attested.`);
        if (this.walletEntity.get(lower(tx.from)) !== verifier) {
          bad(
            "verification-wrong-signer",
            `the attestation was sent by ${tx.from}, not by a wallet of verifier ${verifier}.`,
          );
        }
        if (!state || state.status !== "submitted" || state.version !== version) {
          bad(
            "verification-no-report",
            "no submitted report of that version awaited verification.",
            `v${state?.version ?? 0} submitted`,
            `v${version} ${state?.status ?? "none"}`,
          );
        }
        this.reportState.set(k, {
          version: state?.version ?? version,
          status: "verified",
          verifier,
          verifiedVersion: version,
          verifiedTotal: a.verifiedTotal as bigint,
          opinion: Number(a.opinion),
        });
        return;
      }
      case "ReportApproved": {
        this.figures.approvals++;
        const version = Number(a.version);
        const obligation = a.obligation as bigint;
        const bad = (kind: string, message: string, expected?: string, found?: string) =>
          this.find({
            ...at,
            kind,
            message: `Approval of entity ${entityId}'s ${year} report: ${message}`,
            expected,
            found,
          });
        if (!state || state.status !== "verified") {
          bad(
            "approval-without-verification",
            "the report was not verified when approved.",
            "verified",
            state?.status ?? "none",
          );
        } else {
          if (state.verifiedVersion !== version || state.version !== version) {
            bad(
              "approval-version-mismatch",
              "the approved version is not the submitted and verified one.",
              `v${state.version}`,
              `v${version}`,
            );
          }
          if (state.opinion === OPINION_ADVERSE) bad("approval-adverse-opinion", "the verifier's opinion was adverse.");
          if (state.verifiedTotal !== obligation) {
            bad(
              "approval-obligation-mismatch",
              "the obligation is not the verified total.",
              state.verifiedTotal?.toString(),
              obligation.toString(),
            );
          }
        }
        const p = this.position(entityId, year);
        if (p.obligationSet) bad("approval-twice", "the obligation was already fixed.");
        p.obligationSet = true;
        p.obligation = obligation;
        this.reportState.set(k, { ...(state ?? { version }), status: "approved" });
        return;
      }
      case "ReportReturned":
        this.reportState.set(k, { version: state?.version ?? Number(a.version), status: "returned" });
        return;
      case "ObligationEstimated": {
        const p = this.position(entityId, year);
        p.obligationSet = true;
        p.obligation = a.obligation as bigint;
        this.reportState.set(k, { version: state?.version ?? 0, status: "estimated" });
        return;
      }
      default:
        return;
    }
  }
}

function add<K>(m: Map<K, Map<bigint, bigint>>, account: K, id: bigint, delta: bigint): bigint;
function add(m: Map<bigint, bigint>, id: bigint, delta: bigint): bigint;
function add(m: Map<unknown, unknown>, a: unknown, b: unknown, c?: unknown): bigint {
  if (c === undefined) {
    const v = ((m.get(a) as bigint | undefined) ?? 0n) + (b as bigint);
    m.set(a, v);
    return v;
  }
  let inner = m.get(a) as Map<bigint, bigint> | undefined;
  if (!inner) {
    inner = new Map();
    m.set(a, inner);
  }
  const v = (inner.get(b as bigint) ?? 0n) + (c as bigint);
  inner.set(b as bigint, v);
  return v;
}

function addTrading(
  m: Map<string, Map<string, Map<bigint, bigint>>>,
  trader: string,
  token: string,
  id: bigint,
  delta: bigint,
): bigint {
  const t = lower(getAddress(trader));
  let byToken = m.get(t);
  if (!byToken) {
    byToken = new Map();
    m.set(t, byToken);
  }
  return add(byToken, lower(token), id, delta);
}

function retire(m: Map<bigint, [bigint, bigint]>, id: bigint, slot: 0 | 1, amount: bigint): void {
  const r = m.get(id) ?? [0n, 0n];
  r[slot] += amount;
  m.set(id, r);
}
