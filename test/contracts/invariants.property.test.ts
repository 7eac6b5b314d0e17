import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ContractFactory, type BaseContract, type ContractTransactionResponse } from "ethers";
import { findRevertData, parseRevert } from "../../sdk/errors";
import { AccountStatus, ENTITY, PendingStatus, deployFixture, type RegistryFixture } from "./fixtures";
import { compileMock } from "./mocks/compile";

/**
 * Model-based property test of the registry's transfer safety. Random sequences of open / mint /
 * transfer (immediate and pending, single and batch, duplicate ids included) / trust / cancel / block /
 * execute / freeze / unfreeze / close / recover / burn / suspend / resume / time advance run against
 * the chain and against a small model that predicts every outcome (success, or the exact custom
 * error of a rejection).
 *
 * After each accepted step, the accounts it touched are read from the chain: they equal the model,
 * nobody but an active account received, only active or frozen accounts hold, locked ≤ balance.
 * After each sequence the whole ledger is read and compared (balances, locks, statuses, supply
 * counters, every pending transfer), which also proves that rejected steps changed nothing; on the
 * chain's own values Σ balances = totalSupply = issued − burned for each vintage, and the locked units
 * of every account equal the sum of its open pending transfers. Finally every open pending transfer
 * between active accounts is executed: the units it locked were never spent twice.
 *
 * ETS_PROPERTY_RUNS (default 1000) and ETS_PROPERTY_SEED replay or widen the search.
 */

const RUNS = Number(process.env.ETS_PROPERTY_RUNS ?? 1000);
const VINTAGES = [2013n, 2014n] as const;
const PENDING_DELAY = 15;
const TRUST_DELAY = 20;
const RECOVERY_DELAY = 1;
/** Gas is free and Hardhat would otherwise estimate every transaction first (a second execution). */
const TX = { gasLimit: 3_000_000 };

type Status = (typeof AccountStatus)[keyof typeof AccountStatus];

interface Pending {
  from: string;
  to: string;
  vintage: bigint;
  amount: bigint;
  releaseAt: number;
  status: number;
}

/** What the model predicts for a command: success, or the custom error the chain must raise. */
type Outcome = { ok: true } | { ok: false; error: string };
const OK: Outcome = { ok: true };
const fail = (error: string): Outcome => ({ ok: false, error });

/** The registry as the model sees it. */
class Model {
  status = new Map<string, Status>();
  entity = new Map<string, bigint>();
  balance = new Map<string, bigint>();
  minted = new Map<bigint, bigint>();
  burned = new Map<bigint, bigint>();
  pending: Pending[] = [];
  trusted = new Map<string, number>();
  suspended = false;
  /** Whether `clearing` is still a designated clearing house (closing or recovering it withdraws that). */
  clearingDesignated = true;

  constructor(
    readonly accounts: readonly string[],
    readonly clearing: string,
  ) {}

  private key = (a: string, v: bigint) => `${a}/${v}`;
  bal(a: string, v: bigint): bigint {
    return this.balance.get(this.key(a, v)) ?? 0n;
  }
  private add(a: string, v: bigint, d: bigint): void {
    this.balance.set(this.key(a, v), this.bal(a, v) + d);
  }
  locked(a: string, v: bigint): bigint {
    return this.pending
      .filter((p) => p.status === PendingStatus.Pending && p.from === a && p.vintage === v)
      .reduce((sum, p) => sum + p.amount, 0n);
  }
  st(a: string): Status {
    return this.status.get(a) ?? AccountStatus.None;
  }
  open(a: string, entityId: bigint): void {
    this.status.set(a, AccountStatus.Active);
    this.entity.set(a, entityId);
  }
  vintageExists(v: bigint): boolean {
    return (this.minted.get(v) ?? 0n) > 0n;
  }
  isImmediate(from: string, to: string, now: number): boolean {
    const e = this.entity.get(from);
    const activeFrom = this.trusted.get(`${from}>${to}`);
    return (
      ((to === this.clearing || from === this.clearing) && this.clearingDesignated) ||
      (e !== undefined && e === this.entity.get(to)) ||
      (activeFrom !== undefined && activeFrom <= now)
    );
  }

  private active(a: string): Outcome {
    const s = this.st(a);
    if (s === AccountStatus.None) return fail("TokenAccountNotRegistered");
    if (s !== AccountStatus.Active) return fail("TokenAccountNotActive");
    return OK;
  }
  private available(a: string, v: bigint, amount: bigint): Outcome {
    const b = this.bal(a, v);
    if (b < amount) return fail("TokenInsufficientBalance");
    if (b - this.locked(a, v) < amount) return fail("TokenBalanceLocked");
    return OK;
  }
  private first(...checks: (() => Outcome)[]): Outcome {
    for (const check of checks) {
      const o = check();
      if (!o.ok) return o;
    }
    return OK;
  }
  /** GuardedToken._checkMove for a holder's transfer or a release. */
  private checkTransfer(from: string, to: string, v: bigint, amount: bigint, spent: bigint): Outcome {
    return this.first(
      () => (amount === 0n ? fail("TokenZeroAmount") : OK),
      () => (this.vintageExists(v) ? OK : fail("AllowanceUnknownVintage")),
      () => (this.suspended ? fail("TokenTransfersSuspended") : OK),
      () => this.active(from),
      () => this.active(to),
      () => this.available(from, v, spent + amount),
    );
  }

  mint(to: string, v: bigint, amount: bigint): Outcome {
    const o = this.first(
      () => (amount === 0n ? fail("TokenZeroAmount") : OK),
      () => this.active(to),
    );
    if (!o.ok) return o;
    this.minted.set(v, (this.minted.get(v) ?? 0n) + amount);
    this.add(to, v, amount);
    return OK;
  }

  burn(from: string, v: bigint, amount: bigint): Outcome {
    const o = this.first(
      () => (amount === 0n ? fail("TokenZeroAmount") : OK),
      () => (this.vintageExists(v) ? OK : fail("AllowanceUnknownVintage")),
      () => (this.st(from) === AccountStatus.None ? fail("TokenAccountNotRegistered") : OK),
      () => (this.st(from) === AccountStatus.Closed ? fail("TokenAccountNotActive") : OK),
      () => this.available(from, v, amount),
    );
    if (!o.ok) return o;
    this.burned.set(v, (this.burned.get(v) ?? 0n) + amount);
    this.add(from, v, -amount);
    return OK;
  }

  /** safeTransferFrom / safeBatchTransferFrom by the holder at time `now`. */
  transfer(from: string, to: string, entries: readonly (readonly [bigint, bigint])[], now: number): Outcome {
    if (this.isImmediate(from, to, now)) {
      const spent = new Map<bigint, bigint>();
      for (const [v, amount] of entries) {
        const o = this.checkTransfer(from, to, v, amount, spent.get(v) ?? 0n);
        if (!o.ok) return o;
        spent.set(v, (spent.get(v) ?? 0n) + amount);
      }
      for (const [v, amount] of entries) {
        this.add(from, v, -amount);
        this.add(to, v, amount);
      }
      return OK;
    }
    const created: Pending[] = [];
    for (const [v, amount] of entries) {
      const o = this.checkTransfer(from, to, v, amount, 0n);
      if (!o.ok) {
        this.pending.splice(this.pending.length - created.length, created.length);
        return o;
      }
      const p = { from, to, vintage: v, amount, releaseAt: now + PENDING_DELAY, status: PendingStatus.Pending };
      created.push(p);
      this.pending.push(p);
    }
    return OK;
  }

  private openPending(id: number): Outcome {
    const p = this.pending[id - 1];
    if (!p) return fail("TokenUnknownPendingTransfer");
    if (p.status !== PendingStatus.Pending) return fail("TokenPendingTransferClosed");
    return OK;
  }

  cancel(id: number, caller: string): Outcome {
    const o = this.openPending(id);
    if (!o.ok) return o;
    const p = this.pending[id - 1]!;
    if (p.from !== caller) return fail("TokenNotPendingSender");
    p.status = PendingStatus.Cancelled;
    return OK;
  }

  block(id: number): Outcome {
    const o = this.openPending(id);
    if (!o.ok) return o;
    this.pending[id - 1]!.status = PendingStatus.Blocked;
    return OK;
  }

  execute(id: number, now: number): Outcome {
    const o = this.openPending(id);
    if (!o.ok) return o;
    const p = this.pending[id - 1]!;
    if (now < p.releaseAt) return fail("TokenPendingTransferNotReleased");
    p.status = PendingStatus.Executed; // the lock goes first, as in the contract
    const moved = this.checkTransfer(p.from, p.to, p.vintage, p.amount, 0n);
    if (!moved.ok) {
      p.status = PendingStatus.Pending;
      return moved;
    }
    this.add(p.from, p.vintage, -p.amount);
    this.add(p.to, p.vintage, p.amount);
    return OK;
  }

  trust(holder: string, account: string, now: number): Outcome {
    if (this.st(holder) !== AccountStatus.Active) return fail("RulesHolderNotActive");
    if (account === holder) return fail("RulesInvalidTrustedAccount");
    if (this.st(account) !== AccountStatus.Active) return fail("RulesTrustedAccountNotActive");
    if (this.trusted.has(`${holder}>${account}`)) return fail("RulesAlreadyTrusted");
    this.trusted.set(`${holder}>${account}`, now + TRUST_DELAY);
    return OK;
  }

  freeze(a: string): Outcome {
    const s = this.st(a);
    if (s === AccountStatus.None) return fail("RegistryUnknownAccount");
    if (s !== AccountStatus.Active) return fail("RegistryInvalidStatus");
    this.status.set(a, AccountStatus.Frozen);
    return OK;
  }

  unfreeze(a: string): Outcome {
    const s = this.st(a);
    if (s === AccountStatus.None) return fail("RegistryUnknownAccount");
    if (s !== AccountStatus.Frozen) return fail("RegistryInvalidStatus");
    this.status.set(a, AccountStatus.Active);
    return OK;
  }

  close(a: string): Outcome {
    const s = this.st(a);
    if (s === AccountStatus.None) return fail("RegistryUnknownAccount");
    if (s === AccountStatus.Closed) return fail("RegistryInvalidStatus");
    if (VINTAGES.some((v) => this.bal(a, v) > 0n)) return fail("RegistryAccountNotEmpty");
    this.status.set(a, AccountStatus.Closed);
    if (a === this.clearing) this.clearingDesignated = false;
    return OK;
  }

  recover(oldWallet: string, newWallet: string): Outcome {
    const s = this.st(oldWallet);
    if (s === AccountStatus.None) return fail("RegistryUnknownAccount");
    if (s === AccountStatus.Closed) return fail("RegistryInvalidStatus");
    this.open(newWallet, this.entity.get(oldWallet)!);
    this.status.set(oldWallet, AccountStatus.Closed);
    if (oldWallet === this.clearing) this.clearingDesignated = false;
    for (const p of this.pending) {
      if (p.status === PendingStatus.Pending && p.from === oldWallet) p.status = PendingStatus.Cancelled;
    }
    for (const v of VINTAGES) {
      const b = this.bal(oldWallet, v);
      this.add(oldWallet, v, -b);
      this.add(newWallet, v, b);
    }
    return OK;
  }

  suspend(): Outcome {
    if (this.suspended) return fail("RulesSuspensionUnchanged");
    this.suspended = true;
    return OK;
  }

  resume(): Outcome {
    if (!this.suspended) return fail("RulesSuspensionUnchanged");
    this.suspended = false;
    return OK;
  }
}

// ─────────────────────────────────────────── commands ───────────────────────────────────────────

type Cmd =
  | { type: "mint"; to: number; v: number; amount: bigint }
  | { type: "burn"; from: number; v: number; amount: bigint }
  | { type: "transfer"; from: number; to: number; entries: [number, bigint][] }
  | { type: "trust"; holder: number; account: number }
  /** `caller` -1: the pending transfer's own sender. */
  | { type: "cancel"; pick: number; caller: number }
  | { type: "block"; pick: number }
  | { type: "execute"; pick: number; caller: number }
  | { type: "freeze" | "unfreeze" | "close" | "recover"; account: number }
  | { type: "open"; entity: number }
  | { type: "suspend" | "resume" }
  | { type: "advance"; seconds: number };

/**
 * Indices into the property fixture's accounts: 0–5 registered at the start (alice, alice2, bob,
 * carol, dave, clearing), 6 the stranger who never is, 7–10 wallets that `open` and `recover` register.
 */
const account = fc.oneof(
  { weight: 10, arbitrary: fc.nat(5) },
  { weight: 1, arbitrary: fc.constant(6) },
  { weight: 2, arbitrary: fc.integer({ min: 7, max: 10 }) },
);
/** Mostly the accounts that hold units at the start. */
const holder = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3) }, { weight: 1, arbitrary: account });
const amount = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 12, arbitrary: fc.bigInt(1n, 60n) },
  { weight: 2, arbitrary: fc.bigInt(61n, 400n) },
);
const vintage = fc.nat(1);
/** A pending transfer id: one of those created so far, or one past them (unknown). */
const pick = fc.nat(1_000);
const command: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("mint" as const), to: account, v: vintage, amount }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("burn" as const), from: holder, v: vintage, amount }) },
  {
    weight: 12,
    arbitrary: fc.record({
      type: fc.constant("transfer" as const),
      from: holder,
      to: account,
      entries: fc.array(fc.tuple(vintage, amount), { minLength: 1, maxLength: 1 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant("transfer" as const),
      from: holder,
      to: account,
      entries: fc.array(fc.tuple(vintage, amount), { minLength: 2, maxLength: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant("trust" as const), holder, account }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("cancel" as const),
      pick,
      caller: fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: account }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("block" as const), pick }) },
  { weight: 6, arbitrary: fc.record({ type: fc.constant("execute" as const), pick, caller: account }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("freeze" as const), account }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("unfreeze" as const), account }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("close" as const), account }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("recover" as const), account }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("open" as const), entity: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("suspend" as const) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("resume" as const) }) },
  {
    weight: 8,
    arbitrary: fc.record({ type: fc.constant("advance" as const), seconds: fc.integer({ min: 5, max: 30 }) }),
  },
);

/** The pending transfer id a command picks: mostly one of those created so far, sometimes an unknown one. */
const pendingId = (p: number, model: Model): number =>
  model.pending.length === 0 || p % 8 === 0 ? model.pending.length + 1 : (p % model.pending.length) + 1;

// ──────────────────────────────────────────── fixture ───────────────────────────────────────────

interface PropertyFixture {
  f: RegistryFixture;
  /** alice, alice2, bob, carol, dave, clearing, stranger, then 4 never-registered wallets. */
  signers: HardhatEthersSigner[];
  /** A test-only contract that reads the whole allowance ledger in one call. */
  lens: BaseContract;
}

/** Initial holdings: [account index, vintage, amount]. */
const INITIAL: [number, bigint, bigint][] = [
  [0, 2014n, 300n],
  [0, 2013n, 200n],
  [1, 2014n, 100n],
  [1, 2013n, 100n],
  [2, 2014n, 300n],
  [2, 2013n, 150n],
  [3, 2014n, 100n],
  [3, 2013n, 100n],
];
/** Entity of each initial account (alice, alice2, bob, carol, dave, clearing). */
const ENTITIES = [
  ENTITY.steelCo,
  ENTITY.steelCo,
  ENTITY.powerCo,
  ENTITY.institution,
  ENTITY.individual,
  ENTITY.exchange,
];
/** Entities the `open` command may open a new account for. */
const OPENABLE = [ENTITY.steelCo, ENTITY.powerCo, ENTITY.institution, ENTITY.individual, ENTITY.exchange];
/** Indices of the never-registered wallets that `open` and `recover` use, in order. */
const FRESH = [7, 8, 9, 10];

async function propertyFixture(): Promise<PropertyFixture> {
  const f = await deployFixture({ enforcementDelay: RECOVERY_DELAY });
  const { c, s } = f;
  const all = await ethers.getSigners();
  const fresh = [s.spare, s.spare2, all[18], all[19]];
  if (fresh.some((x) => x === undefined)) throw new Error("need 20 Hardhat signers");
  const signers = [
    s.alice,
    s.alice2,
    s.bob,
    s.carol,
    s.dave,
    s.clearing,
    s.stranger,
    ...(fresh as HardhatEthersSigner[]),
  ];
  await c.rules.setPendingDelay(PENDING_DELAY);
  await c.rules.setTrustDelay(TRUST_DELAY);
  for (const [i, v, a] of INITIAL) await c.allowances.connect(s.minter).mint(signers[i]!.address, v, a);
  const { abi, bytecode } = compileMock("LedgerLens");
  const lens = await (await new ContractFactory(abi, bytecode, s.regulator).deploy()).waitForDeployment();
  return { f, signers, lens };
}

/** Runs a transaction and returns the name of the custom error it reverted with, or "ok". */
async function outcomeOf(send: () => Promise<ContractTransactionResponse>): Promise<string> {
  try {
    await (await send()).wait();
    return "ok";
  } catch (err) {
    const data = findRevertData(err);
    const parsed = data ? parseRevert(data) : undefined;
    if (!parsed) throw err;
    return parsed.name;
  }
}
const describeOutcome = (o: Outcome): string => (o.ok ? "ok" : o.error);
const show = (x: unknown): string => JSON.stringify(x, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

interface LensPending {
  from: string;
  to: string;
  id: bigint;
  amount: bigint;
  releaseAt: bigint;
  status: bigint;
}
interface LensLedger {
  balances: bigint[];
  locked: bigint[];
  statuses: bigint[];
  totalSupply: bigint[];
  issued: bigint[];
  burned: bigint[];
  pending: LensPending[];
}

/** The ledger as the chain has it, in plain values. */
async function readLedger(fx: PropertyFixture, addr: readonly string[]) {
  const l = (await fx.lens.getFunction("read")(
    fx.f.manifest.contracts.AllowanceToken,
    fx.f.manifest.contracts.ParticipantRegistry,
    addr,
    [...VINTAGES],
  )) as LensLedger;
  return {
    balances: [...l.balances],
    locked: [...l.locked],
    statuses: l.statuses.map(Number),
    totalSupply: [...l.totalSupply],
    issued: [...l.issued],
    burned: [...l.burned],
    pending: l.pending.map((p) => [p.from, p.to, p.id, p.amount, Number(p.releaseAt), Number(p.status)] as const),
  };
}
type Ledger = Awaited<ReturnType<typeof readLedger>>;

/** The ledger as the model predicts it, in the same shape. */
function expectedLedger(model: Model, addr: readonly string[]): Ledger {
  const minted = VINTAGES.map((v) => model.minted.get(v) ?? 0n);
  const burned = VINTAGES.map((v) => model.burned.get(v) ?? 0n);
  return {
    balances: addr.flatMap((a) => VINTAGES.map((v) => model.bal(a, v))),
    locked: addr.flatMap((a) => VINTAGES.map((v) => model.locked(a, v))),
    statuses: addr.map((a) => model.st(a)),
    totalSupply: minted.map((m, j) => m - burned[j]!),
    issued: minted,
    burned,
    pending: model.pending.map((p) => [p.from, p.to, p.vintage, p.amount, p.releaseAt, p.status] as const),
  };
}

/**
 * After one step, the accounts the step touched: chain = model, nobody but an active account received,
 * only active or frozen accounts hold, locked ≤ balance. `before` holds the model's balances before the step.
 */
async function checkTouched(
  fx: PropertyFixture,
  model: Model,
  touched: readonly string[],
  before: readonly bigint[],
  context: string,
): Promise<void> {
  const [balances, locked, statuses] = (await fx.lens.getFunction("accounts")(
    fx.f.manifest.contracts.AllowanceToken,
    fx.f.manifest.contracts.ParticipantRegistry,
    touched,
    [...VINTAGES],
  )) as [bigint[], bigint[], bigint[]];
  const m = VINTAGES.length;
  expect({ balances: [...balances], locked: [...locked], statuses: statuses.map(Number) }, context).to.deep.equal({
    balances: touched.flatMap((a) => VINTAGES.map((v) => model.bal(a, v))),
    locked: touched.flatMap((a) => VINTAGES.map((v) => model.locked(a, v))),
    statuses: touched.map((a) => model.st(a)),
  });
  balances.forEach((balance, k) => {
    const status = Number(statuses[Math.floor(k / m)]);
    const where = `${context}: ${touched[Math.floor(k / m)]} in ${VINTAGES[k % m]}`;
    if (balance > before[k]!) expect(status, `${where} received while not active`).to.equal(AccountStatus.Active);
    if (balance > 0n)
      expect([AccountStatus.Active, AccountStatus.Frozen], `${where} holds with status ${status}`).to.include(status);
    expect(locked[k]! <= balance, `${where}: locked ${locked[k]} > balance ${balance}`).to.equal(true);
  });
}

/** The invariants over the whole ledger, checked on the chain's own values. */
function checkInvariants(now: Ledger, addr: readonly string[], context: string): void {
  const m = VINTAGES.length;
  now.balances.forEach((balance, k) => {
    const account = addr[Math.floor(k / m)]!;
    const status = now.statuses[Math.floor(k / m)]!;
    const where = `${context}: ${account} in ${VINTAGES[k % m]}`;
    if (balance > 0n)
      expect([AccountStatus.Active, AccountStatus.Frozen], `${where} holds with status ${status}`).to.include(status);
    expect(now.locked[k]! <= balance, `${where}: locked ${now.locked[k]} > balance ${balance}`).to.equal(true);
  });
  VINTAGES.forEach((v, j) => {
    const sum = now.balances.filter((_, k) => k % m === j).reduce((a, b) => a + b, 0n);
    expect([sum, now.totalSupply[j]], `${context}: Σ balances and supply of ${v}`).to.deep.equal([
      now.issued[j]! - now.burned[j]!,
      now.issued[j]! - now.burned[j]!,
    ]);
  });
  // Every locked unit belongs to exactly one open pending transfer.
  const open = new Map<string, bigint>();
  for (const [from, , id, amount, , status] of now.pending) {
    if (status === PendingStatus.Pending) open.set(`${from}/${id}`, (open.get(`${from}/${id}`) ?? 0n) + amount);
  }
  now.locked.forEach((locked, k) => {
    const key = `${addr[Math.floor(k / m)]}/${VINTAGES[k % m]}`;
    expect(locked, `${context}: locked units of ${key} = its open pending transfers`).to.equal(open.get(key) ?? 0n);
  });
}

/** The account an operator command acts on; `unfreeze` mostly picks a frozen account, if there is one. */
function subjectOf(cmd: Extract<Cmd, { account: number }>, model: Model, addr: readonly string[]): string {
  if (cmd.type === "unfreeze" && cmd.account % 4 !== 0) {
    const frozen = addr.filter((a) => model.st(a) === AccountStatus.Frozen);
    if (frozen.length > 0) return frozen[cmd.account % frozen.length]!;
  }
  return addr[cmd.account]!;
}

/** The accounts whose holdings or status a command may change (recover and open add their new wallet). */
function touchedBy(cmd: Cmd, model: Model, addr: readonly string[]): string[] {
  switch (cmd.type) {
    case "mint":
      return [addr[cmd.to]!];
    case "burn":
      return [addr[cmd.from]!];
    case "transfer":
      return [addr[cmd.from]!, addr[cmd.to]!];
    case "trust":
      return [addr[cmd.holder]!];
    case "cancel":
    case "block":
    case "execute": {
      const p = model.pending[pendingId(cmd.pick, model) - 1];
      return p ? [p.from, p.to] : [];
    }
    case "freeze":
    case "unfreeze":
    case "close":
    case "recover":
      return [subjectOf(cmd, model, addr)];
    case "open":
    case "suspend":
    case "resume":
    case "advance":
      return [];
  }
}

// ───────────────────────────────────────────── test ─────────────────────────────────────────────

describe("Registry invariants (property, fast-check)", function () {
  this.timeout(600_000);

  it("start every sequence from the ledger the model assumes", async function () {
    const fx = await loadFixture(propertyFixture);
    const addr = fx.signers.map((x) => x.address);
    const model = new Model(addr, fx.f.s.clearing.address);
    ENTITIES.forEach((e, i) => model.open(addr[i]!, e));
    for (const [i, v, a] of INITIAL) model.mint(addr[i]!, v, a);
    expect(await readLedger(fx, addr)).to.deep.equal(expectedLedger(model, addr));
    expect(await fx.f.c.rules.pendingDelay()).to.equal(BigInt(PENDING_DELAY));
    expect(await fx.f.c.rules.trustDelay()).to.equal(BigInt(TRUST_DELAY));
  });

  it(`hold over ${RUNS} random command sequences`, async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 12 }), async (cmds) => {
        const fx = await loadFixture(propertyFixture);
        const { f, signers } = fx;
        const { c, s } = f;
        const allowances = c.allowances;
        const addr = signers.map((x) => x.address);
        const model = new Model(addr, s.clearing.address);
        ENTITIES.forEach((e, i) => model.open(addr[i]!, e));
        for (const [i, v, a] of INITIAL) model.mint(addr[i]!, v, a);

        for (const [step, cmd] of cmds.entries()) {
          const now = (await time.latest()) + 1;
          const touched = touchedBy(cmd, model, addr);
          const before = touched.flatMap((a) => VINTAGES.map((v) => model.bal(a, v)));
          let predicted: Outcome;
          let actual: string;
          switch (cmd.type) {
            case "mint": {
              const v = VINTAGES[cmd.v]!;
              predicted = model.mint(addr[cmd.to]!, v, cmd.amount);
              actual = await outcomeOf(() => allowances.connect(s.minter).mint(addr[cmd.to]!, v, cmd.amount, TX));
              break;
            }
            case "burn": {
              const v = VINTAGES[cmd.v]!;
              predicted = model.burn(addr[cmd.from]!, v, cmd.amount);
              actual = await outcomeOf(() => allowances.connect(s.burner).burn(addr[cmd.from]!, v, cmd.amount, TX));
              break;
            }
            case "transfer": {
              const from = signers[cmd.from]!;
              const to = addr[cmd.to]!;
              const entries = cmd.entries.map(([v, a]) => [VINTAGES[v]!, a] as const);
              await time.setNextBlockTimestamp(now);
              predicted = model.transfer(from.address, to, entries, now);
              const [first] = entries;
              actual = await outcomeOf(() =>
                entries.length === 1 && first
                  ? allowances.connect(from).safeTransferFrom(from.address, to, first[0], first[1], "0x", TX)
                  : allowances.connect(from).safeBatchTransferFrom(
                      from.address,
                      to,
                      entries.map((e) => e[0]),
                      entries.map((e) => e[1]),
                      "0x",
                      TX,
                    ),
              );
              break;
            }
            case "trust": {
              await time.setNextBlockTimestamp(now);
              predicted = model.trust(addr[cmd.holder]!, addr[cmd.account]!, now);
              actual = await outcomeOf(() => c.rules.connect(signers[cmd.holder]!).addTrusted(addr[cmd.account]!, TX));
              break;
            }
            case "cancel":
            case "block":
            case "execute": {
              // Without any pending transfer, only now and then try an unknown id.
              if (model.pending.length === 0 && cmd.pick % 8 !== 0) continue;
              const id = pendingId(cmd.pick, model);
              if (cmd.type === "cancel") {
                const sender = model.pending[id - 1]?.from;
                const caller =
                  cmd.caller === -1 && sender ? signers[addr.indexOf(sender)]! : signers[Math.max(cmd.caller, 0)]!;
                predicted = model.cancel(id, caller.address);
                actual = await outcomeOf(() => allowances.connect(caller).cancelPending(id, TX));
              } else if (cmd.type === "block") {
                predicted = model.block(id);
                actual = await outcomeOf(() => allowances.connect(s.operator).blockPending(id, "CASE", TX));
              } else {
                await time.setNextBlockTimestamp(now);
                predicted = model.execute(id, now);
                actual = await outcomeOf(() => allowances.connect(signers[cmd.caller]!).executePending(id, TX));
              }
              break;
            }
            case "freeze":
            case "unfreeze":
            case "close": {
              const a = subjectOf(cmd, model, addr);
              predicted = model[cmd.type](a);
              actual = await outcomeOf(() => c.registry.connect(s.operator)[cmd.type](a, TX));
              break;
            }
            case "recover": {
              const next = FRESH.find((i) => model.st(addr[i]!) === AccountStatus.None);
              if (next === undefined) continue;
              const oldWallet = subjectOf(cmd, model, addr);
              const newWallet = addr[next]!;
              touched.push(newWallet);
              before.push(0n, 0n);
              predicted = model.recover(oldWallet, newWallet);
              const target = f.manifest.contracts.ParticipantRegistry;
              const data = c.registry.interface.encodeFunctionData("recover", [oldWallet, newWallet]);
              await c.authority.schedule(target, data, 0, TX);
              await time.increase(RECOVERY_DELAY);
              actual = await outcomeOf(() => c.authority.execute(target, data, TX));
              if (actual !== "ok") await c.authority.cancel(s.regulator.address, target, data, TX);
              break;
            }
            case "open": {
              const next = FRESH.find((i) => model.st(addr[i]!) === AccountStatus.None);
              if (next === undefined) continue;
              const entityId = OPENABLE[cmd.entity]!;
              touched.push(addr[next]!);
              before.push(0n, 0n);
              model.open(addr[next]!, entityId);
              predicted = OK;
              actual = await outcomeOf(() => c.registry.connect(s.operator).openAccount(entityId, addr[next]!, TX));
              break;
            }
            case "suspend":
              predicted = model.suspend();
              actual = await outcomeOf(() => c.rules.suspend("property", TX));
              break;
            case "resume":
              predicted = model.resume();
              actual = await outcomeOf(() => c.rules.resume(TX));
              break;
            case "advance":
              await time.increase(cmd.seconds);
              continue;
            default: {
              const never: never = cmd;
              throw new Error(`unknown command ${show(never)}`);
            }
          }
          const context = `step ${step} ${show(cmd)}`;
          expect(actual, context).to.equal(describeOutcome(predicted));

          // After each step that changed something: the accounts it touched agree with the model, and
          // the invariants hold. (A rejected step changes nothing: the whole-ledger check below proves it.)
          if (predicted.ok) await checkTouched(fx, model, touched, before, context);
        }

        // After the sequence: the whole ledger agrees with the model, and the invariants hold.
        const ledger = await readLedger(fx, addr);
        expect(ledger, "after the sequence").to.deep.equal(expectedLedger(model, addr));
        checkInvariants(ledger, addr, "after the sequence");

        // Pending units were never spent twice: every open transfer between active accounts still executes.
        if (model.suspended) {
          await c.rules.resume(TX);
          model.resume();
        }
        await time.increase(PENDING_DELAY);
        const now = await time.latest();
        const parties = new Set<string>();
        for (const [k, p] of model.pending.entries()) {
          if (p.status !== PendingStatus.Pending) continue;
          if (model.st(p.from) !== AccountStatus.Active || model.st(p.to) !== AccountStatus.Active) continue;
          expect(describeOutcome(model.execute(k + 1, now)), `drain #${k + 1}`).to.equal("ok");
          await allowances.executePending(k + 1, TX);
          parties.add(p.from).add(p.to);
        }
        if (parties.size > 0) {
          const drained = [...parties];
          const before = drained.flatMap((a) =>
            VINTAGES.map((v) => ledger.balances[addr.indexOf(a) * VINTAGES.length + VINTAGES.indexOf(v)]!),
          );
          await checkTouched(fx, model, drained, before, "after draining");
        }
      }),
      { numRuns: RUNS, ...(process.env.ETS_PROPERTY_SEED ? { seed: Number(process.env.ETS_PROPERTY_SEED) } : {}) },
    );
  });
});
