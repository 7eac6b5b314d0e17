import { AbiCoder, Wallet, ZeroHash, id, keccak256, type HDNodeWallet } from "ethers";
import pino from "pino";
import { deployClearing } from "../../scripts/deploy-clearing";
import { deployRegistry, enableReserveSales } from "../../scripts/deploy";
import { startAnvil, type AnvilNode } from "../../scripts/lib/anvil";
import { connectContracts, type DeploymentContracts } from "../../sdk/contracts";
import type { Manifest } from "../../sdk/manifest";
import { clearingDomain, signOrder, type Order } from "../../sdk/orders";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";

export const YEAR = 2014;
export const HOUR = 3600;
export const log = pino({ level: process.env.ETS_TEST_LOG ?? "silent" });

/** Entity ids of the world. */
export const STEEL = 1001n;
export const POWER = 1002n;
export const FUND = 2001n;
export const VERIFIER = 3001n;
export const EXCHANGE = 9000n;
/** A heat company covered from the reserve as a new entrant (`reserveActivity`). */
export const HEAT = 1003n;
/** The management centre, whose account receives the proceeds of reserve sales (`reserveActivity`). */
export const CENTRE = 9100n;

/**
 * A real Anvil node with the registry and the Clearing contract deployed (fees on), and a few
 * participants: a steel and a power company (covered), an investment fund, a verifier. Wallets are
 * derived from a seed, so two worlds built alike have the same accounts.
 */
export class World {
  /** Block numbers recorded after each phase of activity, for historical reads. */
  readonly checkpoints: number[] = [];

  private constructor(
    readonly node: AnvilNode,
    readonly provider: ZeroFeeProvider,
    readonly manifest: Manifest,
    readonly regulator: HDNodeWallet,
    readonly bank: HDNodeWallet,
    readonly operator: HDNodeWallet,
    readonly steel: HDNodeWallet,
    readonly steel2: HDNodeWallet,
    readonly power: HDNodeWallet,
    readonly fund: HDNodeWallet,
    readonly verifier: HDNodeWallet,
  ) {}

  static async start(seed = "indexer-world"): Promise<World> {
    const node = await startAnvil();
    const provider = connectRpc(node.url);
    const w = (label: string) => new Wallet(id(`${seed}:${label}`), provider) as unknown as HDNodeWallet;
    const regulator = w("regulator");
    const bank = w("bank");
    const operator = w("operator");
    const { manifest: m0, contracts } = await deployRegistry({
      regulator,
      registryOperator: regulator.address,
      clearingBank: bank.address,
    });
    const { manifest } = await deployClearing({
      regulator,
      manifest: m0,
      contracts,
      exchangeEntity: { entityId: EXCHANGE, name: "Tianjin Climate Exchange", creditCode: "exchange" },
      exchangeOperator: operator.address,
      makerFeeBps: 10,
      takerFeeBps: 20,
    });
    return new World(
      node,
      provider,
      manifest,
      regulator,
      bank,
      operator,
      w("steel"),
      w("steel2"),
      w("power"),
      w("fund"),
      w("verifier"),
    );
  }

  as(wallet: HDNodeWallet): DeploymentContracts {
    return connectContracts(this.manifest, wallet);
  }

  get read(): DeploymentContracts {
    return connectContracts(this.manifest, this.provider);
  }

  async mark(): Promise<number> {
    const n = await this.provider.getBlockNumber();
    this.checkpoints.push(n);
    return n;
  }

  async increaseTime(seconds: number): Promise<void> {
    await this.provider.send("evm_increaseTime", [seconds]);
    await this.provider.send("evm_mine", []);
  }

  /** Registrations, the year's allocation, CCER, transfers of every kind, MRV, surrenders, a cancellation, a trade. */
  async activity(): Promise<void> {
    const reg = this.as(this.regulator);
    const send = async (p: Promise<{ wait: () => Promise<unknown> }>) => (await p).wait();

    // Registry: two covered entities (steel with two wallets), a fund, a verifier.
    await send(reg.registry.registerEntity(STEEL, 1, 1, "Tianjin Steel Co.", id("uscc-steel"), this.steel.address));
    await send(reg.registry.openAccount(STEEL, this.steel2.address));
    await send(reg.registry.registerEntity(POWER, 1, 3, "Bohai Power", id("uscc-power"), this.power.address));
    await send(reg.registry.registerEntity(FUND, 2, 0, "Bohai Carbon Fund", id("uscc-fund"), this.fund.address));
    await send(reg.registry.registerEntity(VERIFIER, 4, 0, "Verifier A", id("uscc-ver"), this.verifier.address));
    await this.mark();

    // Cap and allocation of YEAR.
    await send(reg.allocation.setCap(YEAR, 1_000_000n, 600));
    const entries = [
      [STEEL, 200_000n],
      [POWER, 300_000n],
    ] as const;
    await send(
      reg.allocation.registerPlan(YEAR, id("inputs"), planHash(entries), 2, 500_000n, "https://example.org/plan.json"),
    );
    await send(
      reg.allocation.issue(YEAR, [
        { entityId: STEEL, wallet: this.steel.address, amount: 200_000n },
        { entityId: POWER, wallet: this.power.address, amount: 300_000n },
      ]),
    );
    await send(reg.allocation.issueFromReserve(YEAR, STEEL, this.steel2.address, 5_000n, "new furnace"));
    await send(
      reg.offsets.importBatch(this.steel.address, {
        projectId: "CCER-1234",
        projectType: "wind",
        hydro: false,
        methodology: "CM-001-V01",
        reductionStart: 1_388_534_400n, // 2014-01-01
        reductionEnd: 1_420_070_399n,
        serialFirst: 1n,
        serialLast: 20_000n,
        originRef: "NCR-2014-0001",
      }),
    );
    await this.mark();

    // Transfers: immediate (same entity), pending (cancelled, blocked, executed), frozen account.
    const steel = this.as(this.steel);
    await send(steel.allowances.safeTransferFrom(this.steel.address, this.steel2.address, YEAR, 1_000n, "0x"));
    await send(steel.allowances.safeTransferFrom(this.steel.address, this.fund.address, YEAR, 700n, "0x")); // pending 1
    await send(steel.allowances.safeTransferFrom(this.steel.address, this.fund.address, YEAR, 300n, "0x")); // pending 2
    await send(steel.allowances.safeTransferFrom(this.steel.address, this.power.address, YEAR, 50n, "0x")); // pending 3
    await send(steel.offsets.safeTransferFrom(this.steel.address, this.fund.address, 1n, 2_000n, "0x")); // pending 1 (CCER)
    await this.mark();
    await send(steel.allowances.cancelPending(2n));
    await send(reg.allowances.blockPending(3n, "CASE-2014-7"));
    await send(reg.registry.freeze(this.fund.address));
    await this.mark();
    await send(reg.registry.unfreeze(this.fund.address));
    await this.increaseTime(27 * HOUR);
    await send(this.as(this.fund).allowances.executePending(1n));
    await send(this.as(this.fund).offsets.executePending(1n));
    await this.mark();

    // MRV and compliance for YEAR.
    const now = BigInt((await this.provider.getBlock("latest"))!.timestamp);
    await send(
      reg.compliance.openYear(
        YEAR,
        { reportingOpens: now, reportDeadline: now + 30n * 86_400n, surrenderDeadline: now + 60n * 86_400n },
        { capBps: 1_000, earliestReductionStart: 0n, excludeHydro: true, allowedTypes: [], excludedTypes: [] },
      ),
    );
    await send(reg.reporting.setAccreditation(VERIFIER, true));
    await send(reg.reporting.assignVerifier(STEEL, YEAR, VERIFIER));
    await send(reg.reporting.assignVerifier(POWER, YEAR, VERIFIER));
    await send(steel.reporting.submitReport(YEAR, 150_000n, id("report"), id("doc"), "ipfs://steel"));
    await send(this.as(this.power).reporting.submitReport(YEAR, 310_000n, id("report-p"), id("doc-p"), "ipfs://power"));
    const verifier = this.as(this.verifier);
    await send(verifier.reporting.attest(STEEL, YEAR, 151_000n, id("statement"), 1));
    await send(verifier.reporting.attest(POWER, YEAR, 310_000n, id("statement-p"), 2));
    await send(reg.reporting.approve(STEEL, YEAR));
    await send(reg.reporting.approve(POWER, YEAR));
    await this.mark();
    await send(steel.compliance.surrender(YEAR, [YEAR], [140_000n], [1n], [11_000n]));
    await send(this.as(this.power).compliance.surrender(YEAR, [YEAR], [250_000n], [], []));
    await send(
      steel.compliance.cancelUnits([YEAR], [100n], [1n], [50n], "Tianjin Marathon 2014", "carbon-neutral event"),
    );
    await this.mark();

    // Trading: deposits into the Clearing contract, one trade with fees, a withdrawal request.
    const clearing = this.manifest.contracts.Clearing!;
    await send(this.as(this.power).allowances.safeTransferFrom(this.power.address, clearing, YEAR, 10_000n, "0x"));
    await send(this.as(this.bank).cash.deposit(this.fund.address, 1_000_000n, id("bank-ref-1")));
    await send(this.as(this.fund).cash.approve(clearing, 500_000n));
    await send(this.as(this.fund).clearing!.depositCash(500_000n));
    const domain = clearingDomain(this.manifest.chainId, clearing);
    const order = (trader: HDNodeWallet, isBuy: boolean): Order => ({
      trader: trader.address,
      token: this.manifest.contracts.AllowanceToken,
      tokenId: BigInt(YEAR),
      isBuy,
      price: 3_000n,
      quantity: 100n,
      timeInForce: 0,
      nonce: 1n,
      expiry: 0n,
    });
    const buy = await signOrder(this.fund, domain, order(this.fund, true));
    const sell = await signOrder(this.power, domain, order(this.power, false));
    await send(
      this.as(this.operator).clearing!.settle({
        orders: [buy, sell],
        fills: [{ tradeId: 1n, buy: 0, sell: 1, quantity: 60n, price: 3_000n, buyerIsMaker: false }],
        withdrawals: [],
        requests: [],
      }),
    );
    await this.mark();
  }

  /** The heat company's wallet (`reserveActivity`). */
  get heat(): HDNodeWallet {
    return new Wallet(id(`${this.regulator.address}:heat`), this.provider) as unknown as HDNodeWallet;
  }

  /** The treasury wallet of the management centre (`reserveActivity`). */
  get treasury(): HDNodeWallet {
    return new Wallet(id(`${this.regulator.address}:treasury`), this.provider) as unknown as HDNodeWallet;
  }

  /**
   * After `activity`: a new entrant covered from the reserve (not reporting), a sealed-bid auction of
   * the reserve (four bids: three revealed, two of them at the clearing price with a pro-rata rounding
   * that leaves 1 t unsold, one never revealed and forfeited), a fixed-price sale with three purchases
   * that closes with units unsold, and a second cancellation certificate. Checkpoints after each.
   */
  async reserveActivity(): Promise<void> {
    const reg = this.as(this.regulator);
    const send = async (p: Promise<{ wait: () => Promise<unknown> }>) => (await p).wait();
    await enableReserveSales(reg, EXCHANGE);
    await send(
      reg.registry.registerEntity(CENTRE, 2, 0, "Management Centre", id("uscc-centre"), this.treasury.address),
    );
    await send(reg.sales.setTreasury(this.treasury.address));
    await send(reg.registry.registerEntity(HEAT, 1, 4, "Binhai Heat", id("uscc-heat"), this.heat.address));
    await send(reg.allocation.issueFromReserve(YEAR, HEAT, this.heat.address, 2_000n, "new heat plant"));
    const sales = this.manifest.contracts.ReserveSales;
    const bidders = [this.steel, this.steel2, this.power, this.fund];
    for (const [i, who] of bidders.entries()) {
      await send(this.as(this.bank).cash.deposit(who.address, 50_000_000n, id(`bank-sales-${i}`)));
      await send(this.as(who).cash.approve(sales, 50_000_000n));
    }
    await this.mark();

    // The auction: 10,000 t of the YEAR reserve at a reserve price of 20.00 CNY.
    let now = BigInt((await this.provider.getBlock("latest"))!.timestamp);
    await send(reg.sales.createAuction(YEAR, 10_000n, 2_000n, now + BigInt(HOUR), now + 2n * BigInt(HOUR)));
    const auctionId = await this.read.sales.auctionCount();
    const bids = [
      { who: this.steel, price: 2_500n, quantity: 6_000n, escrow: 16_000_000n, reveal: true },
      { who: this.power, price: 2_200n, quantity: 5_000n, escrow: 11_000_000n, reveal: true },
      { who: this.steel2, price: 2_200n, quantity: 2_000n, escrow: 4_400_000n, reveal: true },
      { who: this.fund, price: 2_600n, quantity: 3_000n, escrow: 7_800_000n, reveal: false },
    ];
    for (const [i, b] of bids.entries()) {
      const salt = id(`salt-${i}`);
      const commitment = await this.read.sales.commitmentOf(auctionId, b.who.address, b.price, b.quantity, salt);
      await send(this.as(b.who).sales.commitBid(auctionId, commitment, b.escrow));
    }
    await this.mark();
    await this.increaseTime(HOUR);
    for (const [i, b] of bids.entries()) {
      if (b.reveal) {
        await send(this.as(b.who).sales.revealBid(auctionId, BigInt(i + 1), b.price, b.quantity, id(`salt-${i}`)));
      }
    }
    await this.mark();
    await this.increaseTime(HOUR);
    await send(this.as(this.fund).sales.finalise(auctionId));
    await this.mark();
    for (let bidId = 1n; bidId <= BigInt(bids.length); bidId++) {
      await send(reg.sales.settleBid(auctionId, bidId));
    }
    await this.mark();

    // The fixed-price sale: 5,000 t at 24.00 CNY, at most 2,000 t per buyer, open for an hour.
    now = BigInt((await this.provider.getBlock("latest"))!.timestamp);
    await send(reg.sales.createFixedSale(YEAR, 5_000n, 2_400n, now, now + BigInt(HOUR), 2_000n));
    const saleId = await this.read.sales.fixedSaleCount();
    await send(this.as(this.fund).sales.buy(saleId, 1_500n));
    await send(this.as(this.power).sales.buy(saleId, 2_000n));
    await send(this.as(this.steel).sales.buy(saleId, 500n));
    await this.increaseTime(HOUR);
    await send(reg.sales.closeFixedSale(saleId));
    await send(
      this.as(this.power).compliance.cancelUnits([YEAR], [20n], [], [], "Bohai Green Week", "voluntary retirement"),
    );
    await this.mark();
  }

  /** After `reserveActivity`: past the deadlines, an estimate for the heat company, and the year's close. */
  async closeYear(): Promise<void> {
    const reg = this.as(this.regulator);
    const send = async (p: Promise<{ wait: () => Promise<unknown> }>) => (await p).wait();
    await this.increaseTime(61 * 86_400);
    await send(reg.reporting.setEstimate(HEAT, YEAR, 2_500n, "no report submitted"));
    await send(reg.compliance.closeYear(YEAR, 10));
    await this.mark();
  }

  /** More immediate transfers (between the steel company's two wallets): `n` blocks with events. */
  async churn(n: number): Promise<void> {
    const a = this.as(this.steel).allowances;
    const b = this.as(this.steel2).allowances;
    let na = await this.provider.getTransactionCount(this.steel.address, "pending");
    let nb = await this.provider.getTransactionCount(this.steel2.address, "pending");
    const sent = [];
    for (let i = 0; i < n; i++) {
      sent.push(
        i % 2 === 0
          ? await a.safeTransferFrom(this.steel.address, this.steel2.address, YEAR, 3n, "0x", { nonce: na++ })
          : await b.safeTransferFrom(this.steel2.address, this.steel.address, YEAR, 1n, "0x", { nonce: nb++ }),
      );
    }
    await Promise.all(sent.map((t) => t.wait()));
  }

  async stop(): Promise<void> {
    this.provider.destroy();
    await this.node.stop();
  }
}

function planHash(entries: readonly (readonly [bigint, bigint])[]): string {
  const coder = AbiCoder.defaultAbiCoder();
  return entries.reduce((h, [e, a]) => keccak256(coder.encode(["bytes32", "uint64", "uint256"], [h, e, a])), ZeroHash);
}
