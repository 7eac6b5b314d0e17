import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { findRevertData, parseRevert } from "../../../sdk/errors";
import { Category, DAY, ENTITY, Sector, ccerBatch, creditCode, deployFixture, type RegistryFixture } from "../fixtures";
import { Opinion, Status, VERIFIER_A, hashOf, planHash, tianjinRules } from "./fixtures";

/**
 * Model-based property test of whole compliance cycles. Each run plays two or three years from 2013:
 * a random cap, reserve share and plan over up to three covered entities (issued in one call or two,
 * before or after the previous year closes), the year opened, obligations approved through the MRV
 * workflow or estimated after the reporting deadline, and random steps in three phases of the year —
 * surrenders (for the year, the closed year before it or the year after; vintages up to and past the
 * year; eligible, hydro and unknown CCER batches; amounts over the holding, the offset cap and the
 * obligation), transfers, voluntary cancellations and claw-backs — then the year closed in chunks,
 * with shortfalls. A small model predicts the outcome of every step: success, or the exact custom
 * error and its arguments.
 *
 * After every step, on the chain's own values, for every vintage:
 *   issued(v) = Σ balances of every account + surrendered(v) + cancelled(v) + clawedBack(v), and
 *   burned(v) = surrendered(v) + cancelled(v) + clawedBack(v),
 * and balances, retirements and claw-backs equal the model. After every accepted surrender, its
 * events name no vintage later than the year and no ineligible batch, and the entity's CCER for the
 * year stay within ⌊10 % × obligation⌋. Each year's free issuance stays within cap − reserve, each
 * shortfall carried equals obligation − surrendered at close, and each allocation deducts exactly
 * what the model carried.
 *
 * ETS_CYCLE_RUNS (default 35) and ETS_CYCLE_SEED replay or widen the search.
 */

const RUNS = Number(process.env.ETS_CYCLE_RUNS ?? 35);
const FIRST_YEAR = 2013;
/** Vintages the steps may name (from two years before the first year to one after the last): only
 * the years played are ever allocated. */
const VINTAGES = [2011n, 2012n, 2013n, 2014n, 2015n, 2016n] as const;
const CAP_BPS = 1_000n;
const FLAG_YEARS = 3;
/** Fine per tonne of shortfall, in fen. */
const FINE = 7n;
/** A covered entity added by this test (wallet: the spare signer). */
const CHEM_CO = 108n;
/** Holders by index: the three covered entities (in plan order) and an institution. */
const HOLDER_ENTITIES = [ENTITY.steelCo, ENTITY.powerCo, CHEM_CO, ENTITY.institution] as const;
const COVERABLE = 3;
/** CCER batches 1–3 (wind, eligible) held by holders 0–2; 4–5 (hydro) by holders 0–1; 6 never exists. */
const BATCH_HOLDER = [0, 1, 2, 0, 1] as const;
const BATCH_UNITS = 2_000n;
const UNKNOWN_BATCH = 6;
/** Gas is free and Hardhat would otherwise estimate every transaction first (a second execution). */
const TX = { gasLimit: 5_000_000 };

// ──────────────────────────────────────────── model ─────────────────────────────────────────────

/** What the model predicts for a step: success, or the custom error (and its arguments) the chain must raise. */
type Outcome = { ok: true } | { ok: false; error: string; args: unknown[] };
const OK: Outcome = { ok: true };
const fail = (error: string, ...args: unknown[]): Outcome => ({ ok: false, error, args });

interface Closing {
  entityId: bigint;
  status: bigint;
  obligation: bigint;
  surrendered: bigint;
  shortfall: bigint;
  fine: bigint;
  flaggedUntil: number;
}

class Model {
  /** Allowance balances by `${holder}/${vintage}`, CCER balances by `${holder}/${batch}`. */
  readonly allowances = new Map<string, bigint>();
  readonly ccer = new Map<string, bigint>();
  readonly issued = new Map<bigint, bigint>();
  readonly surrendered = new Map<bigint, bigint>();
  readonly cancelled = new Map<bigint, bigint>();
  readonly clawed = new Map<bigint, bigint>();
  readonly ccerSurrendered = new Map<number, bigint>();
  readonly ccerCancelled = new Map<number, bigint>();
  readonly opened = new Set<number>();
  readonly closed = new Set<number>();
  /** Years whose close has begun (a first chunk processed); closed ones included. */
  readonly closing = new Set<number>();
  /** Covered entities of each year, in order of issuance. */
  readonly covered = new Map<number, bigint[]>();
  /** By `${entity}/${year}`. */
  readonly obligation = new Map<string, bigint>();
  readonly allowancesSurrendered = new Map<string, bigint>();
  readonly ccerSurrenderedFor = new Map<string, bigint>();
  readonly carried = new Map<bigint, bigint>();
  readonly flagged = new Map<bigint, number>();
  readonly fines = new Map<bigint, bigint>();
  certificates = 0;

  constructor(readonly wallets: readonly string[]) {
    BATCH_HOLDER.forEach((h, i) => this.ccer.set(`${h}/${i + 1}`, BATCH_UNITS));
  }

  get = <K>(m: Map<K, bigint>, k: K): bigint => m.get(k) ?? 0n;
  add = <K>(m: Map<K, bigint>, k: K, d: bigint): void => {
    m.set(k, this.get(m, k) + d);
  };
  bal = (h: number, v: bigint): bigint => this.get(this.allowances, `${h}/${v}`);
  ccerOf = (h: number, b: number): bigint => this.get(this.ccer, `${h}/${b}`);
  exists = (v: bigint): boolean => this.get(this.issued, v) > 0n;
  isCovered = (year: number, entityId: bigint): boolean => (this.covered.get(year) ?? []).includes(entityId);
  offsetCap = (entityId: bigint, year: number): bigint =>
    (this.get(this.obligation, `${entityId}/${year}`) * CAP_BPS) / 10_000n;

  /** Allocation.issue of one grant: the deduction of the carried shortfall, and the mint. */
  allocate(year: number, h: number, gross: bigint): { deducted: bigint; minted: bigint } {
    const entityId = HOLDER_ENTITIES[h]!;
    const carried = this.get(this.carried, entityId);
    const deducted = gross === 0n ? 0n : carried < gross ? carried : gross;
    this.carried.set(entityId, carried - deducted);
    const minted = gross - deducted;
    this.add(this.allowances, `${h}/${BigInt(year)}`, minted);
    this.add(this.issued, BigInt(year), minted);
    this.covered.set(year, [...(this.covered.get(year) ?? []), entityId]);
    return { deducted, minted };
  }

  /** Checks of `Compliance._checkItems`. */
  private items(vintages: readonly Units[], batches: readonly Entry[]): Outcome {
    if (vintages.length + batches.length === 0) return fail("ComplianceInvalidItems");
    if ([...vintages, ...batches].some(([, a]) => a === 0n)) return fail("ComplianceZeroAmount");
    return OK;
  }

  /** The burns of a surrender or cancellation, in order, on a scratch copy; applied only if all pass. */
  private burn(h: number, vintages: readonly Units[], batches: readonly Entry[]): Outcome {
    const wallet = this.wallets[h]!;
    const spentV = new Map<bigint, bigint>();
    for (const [v, a] of vintages) {
      if (!this.exists(v)) return fail("AllowanceUnknownVintage", v);
      const left = this.bal(h, v) - this.get(spentV, v);
      if (left < a) return fail("TokenInsufficientBalance", wallet, v, left, a);
      this.add(spentV, v, a);
    }
    const spentB = new Map<number, bigint>();
    for (const [b, a] of batches) {
      if (b === UNKNOWN_BATCH) return fail("OffsetUnknownBatch", BigInt(b));
      const left = this.ccerOf(h, b) - this.get(spentB, b);
      if (left < a) return fail("TokenInsufficientBalance", wallet, BigInt(b), left, a);
      this.add(spentB, b, a);
    }
    for (const [v, a] of spentV) this.add(this.allowances, `${h}/${v}`, -a);
    for (const [b, a] of spentB) this.add(this.ccer, `${h}/${b}`, -a);
    return OK;
  }

  surrender(h: number, year: number, vintages: readonly Units[], batches: readonly Entry[]): Outcome {
    const items = this.items(vintages, batches);
    if (!items.ok) return items;
    if (!this.opened.has(year)) return fail("ComplianceYearNotOpen", year);
    // Refused as soon as the close has begun, not only once it is over.
    if (this.closed.has(year) || this.closing.has(year)) return fail("ComplianceYearClosed", year);
    const entityId = HOLDER_ENTITIES[h]!;
    if (!this.isCovered(year, entityId)) return fail("ComplianceNotCovered", entityId, year);
    const key = `${entityId}/${year}`;
    const obligation = this.obligation.get(key);
    if (obligation === undefined) return fail("ComplianceObligationNotSet", entityId, year);
    for (const [v] of vintages) {
      if (v > BigInt(year)) return fail("ComplianceBorrowingNotAllowed", v, year);
    }
    for (const [b] of batches) {
      if (b === UNKNOWN_BATCH) return fail("ComplianceOffsetNotEligible", BigInt(b), 1n);
      if (b >= 4) return fail("ComplianceOffsetNotEligible", BigInt(b), 2n);
    }
    const allowances = vintages.reduce((s, [, a]) => s + a, 0n);
    const offsets = batches.reduce((s, [, a]) => s + a, 0n);
    const used = this.get(this.ccerSurrenderedFor, key);
    const cap = this.offsetCap(entityId, year);
    if (offsets !== 0n && used + offsets > cap) {
      return fail("ComplianceOffsetCapExceeded", entityId, year, cap, used, offsets);
    }
    const before = this.get(this.allowancesSurrendered, key) + used;
    if (before + allowances + offsets > obligation) {
      return fail("ComplianceSurrenderExceedsObligation", entityId, year, obligation, before, allowances + offsets);
    }
    const burned = this.burn(h, vintages, batches);
    if (!burned.ok) return burned;
    for (const [v, a] of vintages) this.add(this.surrendered, v, a);
    for (const [b, a] of batches) this.add(this.ccerSurrendered, b, a);
    this.add(this.allowancesSurrendered, key, allowances);
    this.add(this.ccerSurrenderedFor, key, offsets);
    return OK;
  }

  cancel(h: number, vintages: readonly Units[], batches: readonly Entry[]): Outcome {
    const items = this.items(vintages, batches);
    if (!items.ok) return items;
    const burned = this.burn(h, vintages, batches);
    if (!burned.ok) return burned;
    for (const [v, a] of vintages) this.add(this.cancelled, v, a);
    for (const [b, a] of batches) this.add(this.ccerCancelled, b, a);
    this.certificates += 1;
    return OK;
  }

  transfer(from: number, to: number, v: bigint, amount: bigint): Outcome {
    if (amount === 0n) return fail("TokenZeroAmount");
    if (!this.exists(v)) return fail("AllowanceUnknownVintage", v);
    if (this.bal(from, v) < amount)
      return fail("TokenInsufficientBalance", this.wallets[from]!, v, this.bal(from, v), amount);
    this.add(this.allowances, `${from}/${v}`, -amount);
    this.add(this.allowances, `${to}/${v}`, amount);
    return OK;
  }

  clawback(h: number, v: bigint, amount: bigint): Outcome {
    if (amount === 0n) return fail("AllocationZeroAmount");
    const available = this.bal(h, v);
    if (amount > available) return fail("AllocationClawbackExceedsBalance", this.wallets[h]!, v, available, amount);
    this.add(this.allowances, `${h}/${v}`, -amount);
    this.add(this.clawed, v, amount);
    return OK;
  }

  /** Compliance._closeEntity. */
  closeEntity(entityId: bigint, year: number): Closing {
    const key = `${entityId}/${year}`;
    const obligation = this.obligation.get(key)!;
    const surrendered = this.get(this.allowancesSurrendered, key) + this.get(this.ccerSurrenderedFor, key);
    let flaggedUntil = this.flagged.get(entityId) ?? 0;
    if (surrendered >= obligation) {
      return { entityId, status: Status.Compliant, obligation, surrendered, shortfall: 0n, fine: 0n, flaggedUntil };
    }
    const shortfall = obligation - surrendered;
    const fine = shortfall * FINE;
    flaggedUntil = Math.max(flaggedUntil, year + FLAG_YEARS);
    this.flagged.set(entityId, flaggedUntil);
    this.add(this.fines, entityId, fine);
    this.add(this.carried, entityId, shortfall);
    return { entityId, status: Status.Shortfall, obligation, surrendered, shortfall, fine, flaggedUntil };
  }
}

// ─────────────────────────────────────────── commands ───────────────────────────────────────────

/** [vintage relative to the year being played, or batch id; amount]. */
type Entry = readonly [number, bigint];
/** [vintage, amount]. */
type Units = readonly [bigint, bigint];

type Step =
  | { type: "surrender"; who: number; yearShift: number; vintages: Entry[]; batches: Entry[] }
  /**
   * A surrender the model sizes for the year being played: CCER of the entity's own wind batch up
   * to what the cap leaves (one tonne more when `over`), then `share` % of the rest in allowances of
   * the year, topped up with banked ones.
   */
  | { type: "comply"; who: number; share: number; ccer: boolean; over: boolean }
  | { type: "transfer"; from: number; to: number; v: number; amount: bigint }
  | { type: "cancel"; who: number; vintages: Entry[]; batches: Entry[] }
  | { type: "clawback"; who: number; v: number; amount: bigint };

interface YearSpec {
  cap: bigint;
  reserveBps: number;
  /** Gross allocation of each covered entity (null: not in the plan). */
  gross: (bigint | null)[];
  /** Issue the plan in two calls. */
  split: boolean;
  /** Allocate this year before the previous year closes (as in real life) rather than after. */
  early: boolean;
  /** Verified emissions of each entity, and whether the regulator estimates them instead. */
  obligations: { tonnes: bigint; estimate: boolean }[];
  /** Steps before approvals (0), after them (1), after the reporting deadline and estimates (2). */
  steps: { phase: number; step: Step }[];
  /** Entities that make a last full surrender before the deadline (with CCER or not); null: they do not. */
  finals: (boolean | null)[];
  closeChunk: number;
}

/** Mostly a covered entity's wallet, sometimes the institution's. */
const holder = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: COVERABLE - 1 }) },
  { weight: 1, arbitrary: fc.constant(3) },
);
const allowanceAmount = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 30, arbitrary: fc.bigInt(1n, 300n) },
  { weight: 6, arbitrary: fc.bigInt(301n, 1_500n) },
);
const ccerAmount = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 30, arbitrary: fc.bigInt(1n, 60n) },
  { weight: 6, arbitrary: fc.bigInt(61n, 300n) },
);
/** A vintage relative to the year being played: mostly the year itself or a banked one, sometimes a later one. */
const vintage = fc.oneof(
  { weight: 8, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constant(-1) },
  { weight: 1, arbitrary: fc.constant(-2) },
  { weight: 2, arbitrary: fc.constant(1) },
);
/** Stands for the holder's own wind batch (carol has none: batch 1). */
const OWN_WIND = 0;
const ownWind = (h: number): number => (h < COVERABLE ? h + 1 : 1);
/** A batch: mostly the holder's own wind batch, else any, hydro included, or one that does not exist. */
const batch = fc.oneof(
  { weight: 6, arbitrary: fc.constant(OWN_WIND) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 4, max: 5 }) },
  { weight: 1, arbitrary: fc.constant(UNKNOWN_BATCH) },
);
/** What a surrender or cancellation names: mostly some allowances, sometimes none (then maybe nothing at all). */
const vintageEntries = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.tuple(vintage, allowanceAmount), { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.constant([] as Entry[]) },
);
const batchEntries = fc.oneof(
  { weight: 1, arbitrary: fc.constant([] as Entry[]) },
  { weight: 1, arbitrary: fc.array(fc.tuple(batch, ccerAmount), { minLength: 1, maxLength: 2 }) },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant("comply" as const),
      who: fc.integer({ min: 0, max: COVERABLE - 1 }),
      share: fc.oneof(
        { weight: 2, arbitrary: fc.constant(100) },
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 99 }) },
      ),
      ccer: fc.boolean(),
      over: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant("surrender" as const),
      who: holder,
      yearShift: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) }),
      vintages: vintageEntries,
      batches: batchEntries,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("transfer" as const),
      from: holder,
      to: fc.nat(3),
      v: vintage,
      amount: allowanceAmount,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("cancel" as const),
      who: holder,
      vintages: vintageEntries,
      batches: fc.array(fc.tuple(batch, ccerAmount), { maxLength: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("clawback" as const), who: holder, v: vintage, amount: allowanceAmount }),
  },
);

const yearSpec: fc.Arbitrary<YearSpec> = fc.record({
  cap: fc.bigInt(5_700n, 8_000n),
  reserveBps: fc.integer({ min: 0, max: 2_000 }),
  gross: fc
    .array(fc.option(fc.bigInt(0n, 1_500n), { freq: 5 }), { minLength: COVERABLE, maxLength: COVERABLE })
    .filter((g) => g.some((x) => x !== null)),
  split: fc.boolean(),
  early: fc.boolean(),
  obligations: fc.array(
    fc.record({
      tonnes: fc.oneof({ weight: 1, arbitrary: fc.constant(0n) }, { weight: 12, arbitrary: fc.bigInt(1n, 1_200n) }),
      estimate: fc.boolean(),
    }),
    { minLength: COVERABLE, maxLength: COVERABLE },
  ),
  steps: fc.array(
    fc.record({
      phase: fc.oneof(
        { weight: 1, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.constant(1) },
        { weight: 4, arbitrary: fc.constant(2) },
      ),
      step,
    }),
    { minLength: 4, maxLength: 12 },
  ),
  finals: fc.array(fc.option(fc.boolean(), { freq: 2 }), { minLength: COVERABLE, maxLength: COVERABLE }),
  closeChunk: fc.integer({ min: 1, max: COVERABLE }),
});

// ──────────────────────────────────────────── fixture ───────────────────────────────────────────

interface CycleFixture {
  f: RegistryFixture;
  /** Wallets of the holders: steel (alice), power (bob), chemicals (spare), institution (carol). */
  holders: HardhatEthersSigner[];
  /** Every registered wallet, for Σ balances. */
  everyone: string[];
}

/** The registry with a third covered entity, an accredited verifier, penalties, trust between the
 * holders (so that their transfers are immediate) and five CCER batches; no year allocated yet. */
async function cycleFixture(): Promise<CycleFixture> {
  const f = await deployFixture();
  const { c, s } = f;
  const registry = c.registry.connect(s.operator);
  await registry.registerEntity(
    VERIFIER_A,
    Category.Verifier,
    Sector.None,
    "Verifier A",
    creditCode("ver-a"),
    s.verifier.address,
  );
  await registry.registerEntity(
    CHEM_CO,
    Category.CoveredEntity,
    Sector.Chemicals,
    "Dagu Chemicals",
    creditCode("chem"),
    s.spare.address,
  );
  await c.reporting.setAccreditation(VERIFIER_A, true);
  await c.compliance.setPenalties(FLAG_YEARS, FINE);

  const holders = [s.alice, s.bob, s.spare, s.carol];
  await c.rules.setTrustDelay(1);
  for (const a of holders) {
    for (const b of holders) if (a !== b) await c.rules.connect(a).addTrusted(b.address);
  }
  await time.increase(2);

  for (const [i, h] of BATCH_HOLDER.entries()) {
    const n = BigInt(i + 1);
    await c.offsets.connect(s.offsetRegistrar).importBatch(
      holders[h]!.address,
      ccerBatch({
        projectType: i >= 3 ? "hydro" : "wind",
        hydro: i >= 3,
        serialFirst: n * 1_000_000n + 1n,
        serialLast: n * 1_000_000n + BATCH_UNITS,
        originRef: `NDRC-CYCLE-${n}`,
      }),
    );
  }
  const everyone = [s.alice, s.alice2, s.bob, s.spare, s.carol, s.dave, s.clearing, s.verifier].map((x) => x.address);
  return { f, holders, everyone };
}

// ─────────────────────────────────────────── helpers ────────────────────────────────────────────

/** Runs a transaction: its receipt, or the custom error (name and arguments) it reverted with. */
async function attempt(
  send: () => Promise<ContractTransactionResponse>,
): Promise<{ receipt: ContractTransactionReceipt } | { error: string; args: string[] }> {
  try {
    const receipt = await (await send()).wait();
    if (!receipt) throw new Error("transaction not mined");
    return { receipt };
  } catch (err) {
    const data = findRevertData(err);
    const parsed = data ? parseRevert(data) : undefined;
    if (!parsed) throw err;
    return { error: parsed.name, args: [...parsed.args].map(String) };
  }
}
const describeOutcome = (o: Outcome) => (o.ok ? "ok" : { error: o.error, args: o.args.map(String) });
const describeAttempt = (a: Awaited<ReturnType<typeof attempt>>) => ("receipt" in a ? "ok" : a);
const show = (x: unknown): string => JSON.stringify(x, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

// ───────────────────────────────────────────── test ─────────────────────────────────────────────

describe("Compliance cycles (property, fast-check)", function () {
  this.timeout(600_000);

  it(`keep supply, banking, the offset cap and shortfalls consistent over ${RUNS} random multi-year cycles`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(yearSpec, { minLength: 2, maxLength: 3 }), async (specs) => {
        const { f, holders, everyone } = await loadFixture(cycleFixture);
        const { c, s } = f;
        const wallets = holders.map((h) => h.address);
        const model = new Model(wallets);
        /** Cap − reserve of each allocated year. */
        const freeRoom = new Map<number, bigint>();

        // ── invariants ──
        async function checkSupply(context: string): Promise<void> {
          const ids = everyone.flatMap(() => [...VINTAGES]);
          const accounts = everyone.flatMap((a) => VINTAGES.map(() => a));
          const [balances, issued, burned, retirements, clawed] = await Promise.all([
            c.allowances.balanceOfBatch(accounts, ids),
            Promise.all(VINTAGES.map((v) => c.allowances.issued(v))),
            Promise.all(VINTAGES.map((v) => c.allowances.burned(v))),
            Promise.all(VINTAGES.map((v) => c.compliance.allowanceRetirements(v))),
            Promise.all(VINTAGES.map((v) => c.allocation.clawedBack(v))),
          ]);
          VINTAGES.forEach((v, j) => {
            const held = balances.filter((_, k) => k % VINTAGES.length === j).reduce((a, b) => a + b, 0n);
            const [surrendered, cancelled] = retirements[j]!;
            const where = `${context}: vintage ${v}`;
            expect(issued[j], `${where}: issued = Σ balances + surrendered + cancelled + clawed back`).to.equal(
              held + surrendered + cancelled + clawed[j]!,
            );
            expect(burned[j], `${where}: burned = surrendered + cancelled + clawed back`).to.equal(
              surrendered + cancelled + clawed[j]!,
            );
            expect(
              { issued: issued[j], surrendered, cancelled, clawed: clawed[j] },
              `${where}: counters = model`,
            ).to.deep.equal({
              issued: model.get(model.issued, v),
              surrendered: model.get(model.surrendered, v),
              cancelled: model.get(model.cancelled, v),
              clawed: model.get(model.clawed, v),
            });
          });
          const expected = everyone.flatMap((a) => {
            const h = wallets.indexOf(a);
            return VINTAGES.map((v) => (h < 0 ? 0n : model.bal(h, v)));
          });
          expect([...balances], `${context}: balances = model`).to.deep.equal(expected);
        }

        async function checkPosition(entityId: bigint, year: number, context: string): Promise<void> {
          const p = await c.compliance.positionOf(entityId, year);
          const key = `${entityId}/${year}`;
          const cap = model.offsetCap(entityId, year);
          expect(
            p.offsetsSurrendered <= (p.obligation * CAP_BPS) / 10_000n,
            `${context}: CCER within the cap`,
          ).to.equal(true);
          expect(
            [p.obligation, p.offsetCap, p.allowancesSurrendered, p.offsetsSurrendered],
            `${context}: position of ${key}`,
          ).to.deep.equal([
            model.get(model.obligation, key),
            cap,
            model.get(model.allowancesSurrendered, key),
            model.get(model.ccerSurrenderedFor, key),
          ]);
        }

        // ── lifecycle ──
        async function allocateYear(year: number, spec: YearSpec): Promise<void> {
          const reserve = (spec.cap * BigInt(spec.reserveBps)) / 10_000n;
          freeRoom.set(year, spec.cap - reserve);
          await c.allocation.setCap(year, spec.cap, spec.reserveBps, TX);
          const plan = spec.gross.flatMap((g, h) => (g === null ? [] : [{ h, gross: g }]));
          const entries = plan.map(({ h, gross }) => [HOLDER_ENTITIES[h]!, gross] as const);
          const total = plan.reduce((sum, e) => sum + e.gross, 0n);
          await c.allocation.registerPlan(year, hashOf(`in-${year}`), planHash(entries), plan.length, total, "uri", TX);
          const grants = plan.map(({ h, gross }) => ({
            entityId: HOLDER_ENTITIES[h]!,
            wallet: wallets[h]!,
            amount: gross,
          }));
          const cut = spec.split && grants.length > 1 ? 1 : grants.length;
          const logs = [];
          for (const part of [grants.slice(0, cut), grants.slice(cut)]) {
            if (part.length === 0) continue;
            const receipt = await (await c.allocation.issue(year, part, TX)).wait();
            for (const log of receipt!.logs) {
              if (log.address !== f.manifest.contracts.Allocation) continue;
              const parsed = c.allocation.interface.parseLog(log);
              if (parsed?.name === "Allocated") logs.push(parsed.args);
            }
          }
          // The deduction of each entry is the shortfall the model carried, up to the gross amount.
          const expected = plan.map(({ h, gross }) => {
            const { deducted, minted } = model.allocate(year, h, gross);
            return [BigInt(year), HOLDER_ENTITIES[h]!, wallets[h]!, gross, deducted, minted].map(String);
          });
          const context = `allocation of ${year}`;
          expect(
            logs.map((a) => [...a].map(String)),
            `${context}: Allocated events`,
          ).to.deep.equal(expected);
          const info = await c.allocation.yearInfo(year);
          expect(info.freeIssued <= freeRoom.get(year)!, `${context}: free issuance ≤ cap − reserve`).to.equal(true);
          expect(info.reserve, `${context}: reserve`).to.equal(reserve);
          expect(info.freeIssued + info.deducted, `${context}: minted + deducted = plan`).to.equal(total);
          for (const entityId of HOLDER_ENTITIES) {
            expect(await c.allocation.carriedShortfall(entityId), `${context}: carried of ${entityId}`).to.equal(
              model.get(model.carried, entityId),
            );
          }
          await checkSupply(context);
        }

        async function runStep(year: number, st: Step, context: string): Promise<void> {
          const units = (entries: readonly Entry[]): Units[] => entries.map(([d, a]) => [BigInt(year + d), a]);
          const batches = (who: number, entries: readonly Entry[]): Entry[] =>
            entries.map(([b, a]) => [b === OWN_WIND ? ownWind(who) : b, a]);
          const surrender = async (who: number, target: number, vintages: Units[], ccer: Entry[]) => {
            const outcome = await attempt(() =>
              c.compliance.connect(holders[who]!).surrender(
                target,
                vintages.map(([v]) => v),
                vintages.map(([, a]) => a),
                ccer.map(([b]) => b),
                ccer.map(([, a]) => a),
                TX,
              ),
            );
            if ("receipt" in outcome) {
              // No vintage later than the year, no ineligible batch, ever.
              for (const log of outcome.receipt.logs) {
                if (log.address !== f.manifest.contracts.Compliance) continue;
                const parsed = c.compliance.interface.parseLog(log);
                if (parsed?.name === "AllowancesSurrendered") {
                  const v = parsed.args.vintage as bigint;
                  expect(v <= BigInt(target), `${context}: borrowed vintage ${v}`).to.equal(true);
                }
                if (parsed?.name === "OffsetsSurrendered") {
                  const b = parsed.args.batchId as bigint;
                  expect(b >= 1n && b <= 3n, `${context}: ineligible batch ${b}`).to.equal(true);
                }
              }
              await checkPosition(HOLDER_ENTITIES[who]!, target, context);
            }
            return outcome;
          };
          let predicted: Outcome;
          let actual: Awaited<ReturnType<typeof attempt>>;
          switch (st.type) {
            case "surrender": {
              const target = year + st.yearShift;
              const vintages = units(st.vintages);
              const ccer = batches(st.who, st.batches);
              predicted = model.surrender(st.who, target, vintages, ccer);
              actual = await surrender(st.who, target, vintages, ccer);
              break;
            }
            case "comply": {
              const entityId = HOLDER_ENTITIES[st.who]!;
              const key = `${entityId}/${year}`;
              const used = model.get(model.ccerSurrenderedFor, key);
              // Without an obligation yet, it tries some of its holding (and must be refused).
              const obligation = model.obligation.get(key) ?? model.bal(st.who, BigInt(year));
              let left = obligation - model.get(model.allowancesSurrendered, key) - used;
              const wind = ownWind(st.who);
              let offsets = 0n;
              if (st.ccer) {
                const room = model.offsetCap(entityId, year) - used;
                offsets = [room, model.ccerOf(st.who, wind), left].reduce((a, b) => (a < b ? a : b));
                if (st.over) offsets += 1n;
                left -= offsets;
              }
              const wanted = left > 0n ? (left * BigInt(st.share) + 99n) / 100n : 0n;
              const current = wanted < model.bal(st.who, BigInt(year)) ? wanted : model.bal(st.who, BigInt(year));
              const banked = wanted - current;
              const vintages: Units[] = [];
              if (current > 0n) vintages.push([BigInt(year), current]);
              if (banked > 0n) vintages.push([BigInt(year - 1), banked]);
              const ccer: Entry[] = offsets > 0n ? [[wind, offsets]] : [];
              predicted = model.surrender(st.who, year, vintages, ccer);
              actual = await surrender(st.who, year, vintages, ccer);
              break;
            }
            case "transfer": {
              const to = st.to === st.from ? (st.to + 1) % holders.length : st.to;
              const v = BigInt(year + st.v);
              predicted = model.transfer(st.from, to, v, st.amount);
              const from = holders[st.from]!;
              actual = await attempt(() =>
                c.allowances.connect(from).safeTransferFrom(from.address, wallets[to]!, v, st.amount, "0x", TX),
              );
              break;
            }
            case "cancel": {
              const vintages = units(st.vintages);
              const ccer = batches(st.who, st.batches);
              predicted = model.cancel(st.who, vintages, ccer);
              actual = await attempt(() =>
                c.compliance.connect(holders[st.who]!).cancelUnits(
                  vintages.map(([v]) => v),
                  vintages.map(([, a]) => a),
                  ccer.map(([b]) => b),
                  ccer.map(([, a]) => a),
                  "beneficiary",
                  "purpose",
                  TX,
                ),
              );
              break;
            }
            case "clawback": {
              const v = BigInt(year + st.v);
              predicted = model.clawback(st.who, v, st.amount);
              actual = await attempt(() =>
                c.allocation.clawback(Number(v), wallets[st.who]!, st.amount, "over-allocation", TX),
              );
              break;
            }
            default: {
              const never: never = st;
              throw new Error(`unknown step ${show(never)}`);
            }
          }
          expect(describeAttempt(actual), context).to.deep.equal(describeOutcome(predicted));
          await checkSupply(context);
        }

        async function closeYear(year: number, chunk: number): Promise<void> {
          const covered = model.covered.get(year)!;
          const expected = covered.map((entityId) => model.closeEntity(entityId, year));
          const results: Closing[] = [];
          const carriedEvents: string[][] = [];
          for (let n = 0; n < covered.length; n += chunk) {
            if (n > 0) {
              // Between chunks: the last covered entity, not closed yet, may no longer surrender.
              const h = HOLDER_ENTITIES.indexOf(covered[covered.length - 1]! as (typeof HOLDER_ENTITIES)[number]);
              const predicted = model.surrender(h, year, [[BigInt(year), 1n]], []);
              const actual = await attempt(() =>
                c.compliance.connect(holders[h]!).surrender(year, [year], [1n], [], [], TX),
              );
              expect(describeAttempt(actual), `close of ${year}: surrender after ${n} closed`).to.deep.equal(
                describeOutcome(predicted),
              );
            }
            const receipt = await (await c.compliance.closeYear(year, chunk, TX)).wait();
            model.closing.add(year);
            for (const log of receipt!.logs) {
              const parsed =
                log.address === f.manifest.contracts.Compliance
                  ? c.compliance.interface.parseLog(log)
                  : log.address === f.manifest.contracts.Allocation
                    ? c.allocation.interface.parseLog(log)
                    : null;
              if (parsed?.name === "ComplianceResult") {
                const a = parsed.args;
                results.push({
                  entityId: a.entityId,
                  status: a.status,
                  obligation: a.obligation,
                  surrendered: a.surrendered,
                  shortfall: a.shortfall,
                  fine: a.fine,
                  flaggedUntil: Number(a.flaggedUntil),
                });
              }
              if (parsed?.name === "ShortfallCarried") carriedEvents.push([...parsed.args].slice(0, 3).map(String));
            }
          }
          model.closed.add(year);
          const context = `close of ${year}`;
          expect(results, `${context}: results`).to.deep.equal(expected);
          // Each shortfall carried equals obligation − surrendered, and nothing else is carried.
          expect(carriedEvents, `${context}: carried`).to.deep.equal(
            expected
              .filter((r) => r.status === Status.Shortfall)
              .map((r) => [r.entityId, year, r.obligation - r.surrendered].map(String)),
          );
          const close = await c.compliance.yearClose(year);
          expect([close.closed, close.processed, close.totalShortfall], `${context}: yearClose`).to.deep.equal([
            true,
            BigInt(covered.length),
            expected.reduce((sum, r) => sum + r.shortfall, 0n),
          ]);
          for (const entityId of HOLDER_ENTITIES) {
            expect(
              [
                await c.allocation.carriedShortfall(entityId),
                await c.compliance.flaggedUntil(entityId),
                await c.compliance.finesOwed(entityId),
              ],
              `${context}: carried, flag and fines of ${entityId}`,
            ).to.deep.equal([
              model.get(model.carried, entityId),
              BigInt(model.flagged.get(entityId) ?? 0),
              model.get(model.fines, entityId),
            ]);
          }
          for (const r of expected) {
            const p = await c.compliance.positionOf(r.entityId, year);
            expect([p.status, p.shortfall, p.fine], `${context}: position of ${r.entityId}`).to.deep.equal([
              r.status,
              r.shortfall,
              r.fine,
            ]);
          }
          await checkSupply(context);
        }

        // ── the cycle ──
        for (const [i, spec] of specs.entries()) {
          const year = FIRST_YEAR + i;
          if (i === 0 || !spec.early) await allocateYear(year, spec);
          const now = BigInt(await time.latest());
          const schedule = {
            reportingOpens: now,
            reportDeadline: now + 10n * BigInt(DAY),
            surrenderDeadline: now + 20n * BigInt(DAY),
          };
          await c.compliance.openYear(year, schedule, tianjinRules(), TX);
          model.opened.add(year);
          const covered = model.covered.get(year)!;
          for (const entityId of covered) await c.reporting.assignVerifier(entityId, year, VERIFIER_A, TX);

          const phase = async (n: number) => {
            for (const [k, { phase: p, step: st }] of spec.steps.entries()) {
              if (p === n) await runStep(year, st, `${year} phase ${n} step ${k} ${show(st)}`);
            }
          };
          await phase(0);
          for (const entityId of covered) {
            const h = HOLDER_ENTITIES.indexOf(entityId as (typeof HOLDER_ENTITIES)[number]);
            const { tonnes, estimate } = spec.obligations[h]!;
            if (estimate) continue;
            await c.reporting.connect(holders[h]!).submitReport(year, tonnes, hashOf("r"), hashOf("d"), "", TX);
            await c.reporting.connect(s.verifier).attest(entityId, year, tonnes, hashOf("s"), Opinion.Positive, TX);
            await c.reporting.approve(entityId, year, TX);
            model.obligation.set(`${entityId}/${year}`, tonnes);
          }
          await phase(1);
          await time.increaseTo(schedule.reportDeadline + 1n);
          for (const entityId of covered) {
            const h = HOLDER_ENTITIES.indexOf(entityId as (typeof HOLDER_ENTITIES)[number]);
            const { tonnes, estimate } = spec.obligations[h]!;
            if (!estimate) continue;
            await c.reporting.setEstimate(entityId, year, tonnes, "no report", TX);
            model.obligation.set(`${entityId}/${year}`, tonnes);
          }
          await phase(2);
          for (const [h, ccer] of spec.finals.entries()) {
            if (ccer === null || !covered.includes(HOLDER_ENTITIES[h]!)) continue;
            const last: Step = { type: "comply", who: h, share: 100, ccer, over: false };
            await runStep(year, last, `${year} last surrender ${show(last)}`);
          }
          for (const entityId of covered) await checkPosition(entityId, year, `${year} before close`);

          const next = specs[i + 1];
          if (next?.early) await allocateYear(year + 1, next);
          await time.increaseTo(schedule.surrenderDeadline);
          await closeYear(year, spec.closeChunk);
        }

        // Free issuance never went beyond cap − reserve, claw-backs and shortfalls included.
        for (const [year, room] of freeRoom) {
          const info = await c.allocation.yearInfo(year);
          expect(info.freeIssued <= room, `free issuance of ${year}`).to.equal(true);
        }
        // CCER: every imported unit is held, surrendered or cancelled.
        for (const [i] of BATCH_HOLDER.entries()) {
          const b = i + 1;
          const held = await c.offsets.balanceOfBatch(
            wallets,
            wallets.map(() => b),
          );
          const [surrendered, cancelled] = await c.compliance.offsetRetirements(b);
          expect([held.reduce((x, y) => x + y, 0n) + surrendered + cancelled, await c.offsets.burned(b)]).to.deep.equal(
            [BATCH_UNITS, surrendered + cancelled],
          );
          expect([surrendered, cancelled]).to.deep.equal([
            model.get(model.ccerSurrendered, b),
            model.get(model.ccerCancelled, b),
          ]);
        }
        expect(await c.compliance.certificateCount()).to.equal(BigInt(model.certificates));
      }),
      { numRuns: RUNS, ...(process.env.ETS_CYCLE_SEED ? { seed: Number(process.env.ETS_CYCLE_SEED) } : {}) },
    );
  });
});
