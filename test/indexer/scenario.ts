import { Wallet, id, type HDNodeWallet } from "ethers";
import { clearingDomain, signOrder, type SignedOrder } from "../../sdk/orders";
import { planHash } from "./scenario-plan";
import { FUND, HOUR, POWER, STEEL, VERIFIER, YEAR, type World } from "./world";

export const HEAT = 1003n;
export const VERIFIER_B = 3002n;
export const DAY = 24 * HOUR;

/** One settled trade of the scenario: who sold to whom, how much, at what price. */
export interface ScenarioTrade {
  id: bigint;
  buyer: HDNodeWallet;
  seller: HDNodeWallet;
  quantity: bigint;
  price: bigint;
}

const send = async (p: Promise<{ wait: () => Promise<unknown> }>) => (await p).wait();

/**
 * A market and MRV scenario on a fresh world (no `activity()`) that triggers every supervision rule
 * once, next to cases that must not:
 *
 * - concentration: steel (1/3) and power (1/2) above 20 % at the allocation, heat (1/6) not; power
 *   moving units into its trading account (same total) raises nothing new;
 * - recently trusted: steel → fund 26 h after steel trusted fund (alert); power → fund 8 days after
 *   power trusted fund (none); steel → steel2 (same entity, none);
 * - wash trades: steel2 sells to steel (same entity); fund sells back to power within the hour
 *   (round trip); power sells to fund again 2 h later (none);
 * - price spike: 3,400 the next day against a close of 3,050 (alert), 3,200 (none);
 * - large trade: 100,000 t (alert), smaller ones (none);
 * - late reports: heat has no report when the deadline passes (alert), then submits late (alert);
 *   verifier A attests heat late; verifier B gives power an adverse opinion and the regulator returns it.
 */
export async function supervisionScenario(world: World) {
  const reg = world.as(world.regulator);
  const heat = new Wallet(id("indexer-world:heat"), world.provider) as unknown as HDNodeWallet;
  const verifierB = new Wallet(id("indexer-world:verifier-b"), world.provider) as unknown as HDNodeWallet;
  const { steel, steel2, power, fund, verifier } = world;
  const marks = {} as Record<
    "allocated" | "transfers" | "deposited" | "day1" | "day2" | "reported" | "deadline" | "late",
    number
  >;
  const mark = async (name: keyof typeof marks) => (marks[name] = await world.provider.getBlockNumber());

  await send(reg.registry.registerEntity(STEEL, 1, 1, "Tianjin Steel Co.", id("uscc-steel"), steel.address));
  await send(reg.registry.openAccount(STEEL, steel2.address));
  await send(reg.registry.registerEntity(POWER, 1, 3, "Bohai Power", id("uscc-power"), power.address));
  await send(reg.registry.registerEntity(HEAT, 1, 4, "Binhai Heat", id("uscc-heat"), heat.address));
  await send(reg.registry.registerEntity(FUND, 2, 0, "Bohai Carbon Fund", id("uscc-fund"), fund.address));
  await send(reg.registry.registerEntity(VERIFIER, 4, 0, "Verifier A", id("uscc-ver"), verifier.address));
  await send(reg.registry.registerEntity(VERIFIER_B, 4, 0, "Verifier B", id("uscc-ver-b"), verifierB.address));

  // Allocation: 600,000 t of YEAR.
  await send(reg.allocation.setCap(YEAR, 1_000_000n, 0));
  const entries = [
    [STEEL, 200_000n],
    [POWER, 300_000n],
    [HEAT, 100_000n],
  ] as const;
  await send(reg.allocation.registerPlan(YEAR, id("inputs"), planHash(entries), 3, 600_000n, "https://example.org/p"));
  await send(
    reg.allocation.issue(YEAR, [
      { entityId: STEEL, wallet: steel.address, amount: 200_000n },
      { entityId: POWER, wallet: power.address, amount: 300_000n },
      { entityId: HEAT, wallet: heat.address, amount: 100_000n },
    ]),
  );
  await mark("allocated");

  // Trusted accounts.
  await send(world.as(steel).rules.addTrusted(fund.address));
  await send(world.as(power).rules.addTrusted(fund.address));
  await world.increaseTime(26 * HOUR + 60);
  await send(world.as(steel).allowances.safeTransferFrom(steel.address, fund.address, YEAR, 1_000n, "0x"));
  await send(world.as(steel).allowances.safeTransferFrom(steel.address, steel2.address, YEAR, 5_000n, "0x"));
  await world.increaseTime(7 * DAY);
  await send(world.as(power).allowances.safeTransferFrom(power.address, fund.address, YEAR, 500n, "0x"));
  await mark("transfers");

  // Trading accounts: units and cash into the Clearing contract.
  const clearing = world.manifest.contracts.Clearing!;
  await send(world.as(power).allowances.safeTransferFrom(power.address, clearing, YEAR, 150_000n, "0x"));
  await send(world.as(steel2).allowances.safeTransferFrom(steel2.address, clearing, YEAR, 1_000n, "0x"));
  await send(world.as(fund).allowances.safeTransferFrom(fund.address, clearing, YEAR, 1_000n, "0x"));
  for (const w of [fund, steel, power]) {
    await send(world.as(world.bank).cash.deposit(w.address, 400_000_000n, id(`bank-${w.address}`)));
    await send(world.as(w).cash.approve(clearing, 400_000_000n));
    await send(world.as(w).clearing!.depositCash(400_000_000n));
  }
  await mark("deposited");

  const domain = clearingDomain(world.manifest.chainId, clearing);
  const nonces = new Map<string, bigint>();
  const trades: ScenarioTrade[] = [];
  let tradeId = 0n;
  const settle = async (fills: [HDNodeWallet, HDNodeWallet, bigint, bigint][]) => {
    const orders: SignedOrder[] = [];
    const batchFills = [];
    for (const [buyer, seller, quantity, price] of fills) {
      const order = async (trader: HDNodeWallet, isBuy: boolean) => {
        const nonce = (nonces.get(trader.address) ?? 0n) + 1n;
        nonces.set(trader.address, nonce);
        return signOrder(trader, domain, {
          trader: trader.address,
          token: world.manifest.contracts.AllowanceToken,
          tokenId: BigInt(YEAR),
          isBuy,
          price,
          quantity,
          timeInForce: 0,
          nonce,
          expiry: 0n,
        });
      };
      orders.push(await order(buyer, true), await order(seller, false));
      tradeId++;
      batchFills.push({
        tradeId,
        buy: orders.length - 2,
        sell: orders.length - 1,
        quantity,
        price,
        buyerIsMaker: false,
      });
      trades.push({ id: tradeId, buyer, seller, quantity, price });
    }
    await send(world.as(world.operator).clearing!.settle({ orders, fills: batchFills, withdrawals: [], requests: [] }));
  };

  // Day 1 starts at the next 10:00 in the exchange's time zone (UTC+8, so 02:00 UTC): its trades
  // and the 2 h gap after them stay in one trading day whatever the hour the test runs at.
  const before = (await world.provider.getBlock("latest"))!.timestamp;
  const tenAm = Math.floor(before / DAY) * DAY + 2 * HOUR;
  await world.increaseTime((tenAm > before ? tenAm : tenAm + DAY) - before);
  await settle([
    [fund, power, 100n, 3_000n],
    [fund, power, 200n, 3_101n],
  ]);
  await settle([[steel, steel2, 50n, 3_050n]]); // same entity
  await settle([[power, fund, 100n, 3_000n]]); // round trip within the hour
  await world.increaseTime(2 * HOUR);
  await settle([[fund, power, 100n, 3_000n]]); // 2 h after the trip back: not a round trip
  await mark("day1");
  // Day 2.
  await world.increaseTime(DAY);
  await settle([[fund, power, 100n, 3_400n]]); // spike
  await settle([[fund, power, 100n, 3_200n]]); // within the band
  await settle([[fund, power, 100_000n, 3_000n]]); // large (and a spike below? 3,000 vs 3,050: no)
  await mark("day2");

  // MRV: the deadline passes with heat's report missing.
  const now = BigInt((await world.provider.getBlock("latest"))!.timestamp);
  const deadline = now + 30n * 86_400n;
  await send(
    reg.compliance.openYear(
      YEAR,
      { reportingOpens: now, reportDeadline: deadline, surrenderDeadline: now + 60n * 86_400n },
      { capBps: 1_000, earliestReductionStart: 0n, excludeHydro: true, allowedTypes: [], excludedTypes: [] },
    ),
  );
  await send(reg.reporting.setAccreditation(VERIFIER, true));
  await send(reg.reporting.setAccreditation(VERIFIER_B, true));
  await send(reg.reporting.assignVerifier(STEEL, YEAR, VERIFIER));
  await send(reg.reporting.assignVerifier(POWER, YEAR, VERIFIER_B));
  await send(reg.reporting.assignVerifier(HEAT, YEAR, VERIFIER));
  await send(world.as(steel).reporting.submitReport(YEAR, 150_000n, id("r-s"), id("d-s"), "ipfs://steel"));
  await send(world.as(power).reporting.submitReport(YEAR, 310_000n, id("r-p"), id("d-p"), "ipfs://power"));
  await send(world.as(verifier).reporting.attest(STEEL, YEAR, 151_000n, id("st-s"), 1));
  await send(world.as(verifierB).reporting.attest(POWER, YEAR, 280_000n, id("st-p"), 3));
  await send(reg.reporting.returnReport(POWER, YEAR, "adverse opinion"));
  await mark("reported");
  await world.increaseTime(31 * 86_400);
  await send(reg.reporting.approve(STEEL, YEAR)); // the first block after the deadline
  await mark("deadline");
  await send(world.as(heat).reporting.submitReport(YEAR, 90_000n, id("r-h"), id("d-h"), "ipfs://heat"));
  await send(world.as(verifier).reporting.attest(HEAT, YEAR, 90_500n, id("st-h"), 2));
  await mark("late");
  return { trades, marks, heat, verifierB, deadline };
}
