import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { HDNodeWallet, Transaction, Wallet, id, type JsonRpcProvider } from "ethers";
import type { HardhatEthersProvider } from "@nomicfoundation/hardhat-ethers/internal/hardhat-ethers-provider";
import { computeAllocationPlan, readAllocationInput } from "../../sdk/allocation";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { issueAllocationPlan } from "../../sdk/issuance";
import { computeReport, reportHash } from "../../sdk/mrv";
import { DEMO_FIRST_YEAR, ROLE_WALLETS, demoAllocationFile } from "../../scripts/bootstrap";
import { deployRegistry, enableReserveSales } from "../../scripts/deploy";
import {
  CYCLE_YEARS,
  DELIBERATE_SHORTFALLS,
  demoReport,
  runComplianceCycle,
  type ComplianceRow,
  type CycleContext,
} from "../../scripts/demo/cycle";
import { readDemoData } from "../../scripts/demo/demo-data";
import { demoRegistrations, registerEntities } from "../../scripts/demo/registry";
import { silentLogger } from "../../scripts/lib/logger";

/**
 * `npm run demo:cycle` end to end on Hardhat's in-process network (automine, gas price 0): the
 * demo registry opened as `npm start` opens it, then the whole 2013–2015 cycle for the 114 demo
 * entities, checked against the scheme's rules on the chain's own records (state and events), and
 * run a second time to show it is idempotent.
 */

const ReportStatus = { Approved: 3n } as const;
const Status = { Compliant: 2n, Shortfall: 3n } as const;
/** 2013-01-01T00:00:00Z: from 2015 no CCER of reductions before it. */
const REDUCTIONS_FROM = 1_356_998_400n;
/** Years an entity stays flagged after a shortfall (deploy's default). */
const FLAG_YEARS = 3;

/** Gas limit of every transaction (gas is free; see {@link WalletProviders}). */
const GAS_LIMIT = 15_000_000n;

/**
 * Views of Hardhat's provider for the wallets the cycle signs with, one per wallet, that adapt the
 * in-process network to how the cycle sends:
 * - Raw transactions reach the node in their sender's nonce order. Automine refuses a nonce ahead
 *   of the sender's ("transactions can't be queued when automining"), while the cycle and
 *   `registerEntities` send a wallet's transactions all at once with consecutive nonces (the node
 *   of `npm start` queues them) and they arrive in any order. Each is held until its sender's
 *   earlier ones are in. (A view knows its wallet, so no signature has to be recovered.)
 * - Gas "estimation" executes the transaction once (`eth_call`: a revert still fails the send with
 *   its reason, as an estimate would) and answers a fixed limit. Hardhat's estimate searches with
 *   several executions and took half the run; gas is free, so the limit costs nothing.
 */
class WalletProviders {
  private readonly senders = new Map<string, { held: Held[]; pumping: boolean; dirty: boolean }>();

  constructor(private readonly provider: HardhatEthersProvider) {}

  /** The view for transactions signed by `wallet`. */
  for(wallet: string): HardhatEthersProvider {
    const target = this.provider;
    return new Proxy(target, {
      get: (_, prop, receiver) => {
        switch (prop) {
          case "estimateGas":
            return async (tx: Parameters<typeof target.call>[0]) => {
              await target.call(tx);
              return GAS_LIMIT;
            };
          case "broadcastTransaction":
            return (raw: string) => this.ordered(wallet, raw, () => target.broadcastTransaction(raw));
          case "send":
            return (method: string, params?: unknown[]) =>
              method === "eth_sendRawTransaction"
                ? this.ordered(wallet, String(params?.[0]), () => target.send(method, params))
                : target.send(method, params);
          default:
            return Reflect.get(target, prop, receiver);
        }
      },
    });
  }

  private ordered<T>(from: string, raw: string, send: () => Promise<T>): Promise<T> {
    const { nonce } = Transaction.from(raw);
    return new Promise<T>((resolve, reject) => {
      const s = this.senders.get(from) ?? { held: [], pumping: false, dirty: false };
      this.senders.set(from, s);
      s.held.push({ nonce, send: () => send().then(resolve, reject), fail: reject });
      s.dirty = true;
      void this.pump(from);
    });
  }

  /** Sends the sender's held transactions whose turn it is; one pump per sender at a time. */
  private async pump(from: string): Promise<void> {
    const s = this.senders.get(from)!;
    if (s.pumping) return;
    s.pumping = true;
    try {
      while (s.dirty) {
        s.dirty = false;
        for (;;) {
          const next = await this.provider.getTransactionCount(from, "pending");
          const at = s.held.findIndex((h) => h.nonce <= next);
          if (at < 0) break;
          await s.held.splice(at, 1)[0]!.send();
        }
      }
    } catch (err) {
      for (const h of s.held.splice(0)) h.fail(err);
    } finally {
      s.pumping = false;
    }
  }
}

interface Held {
  nonce: number;
  /** Sends, and settles the caller's promise (never rejects). */
  send: () => Promise<void>;
  fail: (err: unknown) => void;
}

/** Hardhat's account `index` as an ethers Wallet (the cycle signs with Wallets). */
function hardhatAccount(index: number, providers: WalletProviders): Wallet {
  const accounts = hre.config.networks.hardhat.accounts;
  const key = Array.isArray(accounts)
    ? accounts[index]?.privateKey
    : HDNodeWallet.fromPhrase(
        accounts.mnemonic,
        accounts.passphrase,
        `${accounts.path}/${accounts.initialIndex + index}`,
      ).privateKey;
  if (!key) throw new Error(`Hardhat account #${index} is missing`);
  return connect(new Wallet(key), providers);
}

function connect(wallet: Wallet, providers: WalletProviders): Wallet {
  return wallet.connect(providers.for(wallet.address));
}

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
/** A JSON-comparable copy (bigints as strings, ethers Results as arrays). */
const plain = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));

describe("demo compliance cycle (scripts/demo/cycle.ts) on the in-process network", function () {
  this.timeout(180_000);

  const demo = readDemoData();
  const entities = demo.coveredEntities;
  let ctx: CycleContext;
  let c: Contracts;
  let fromBlock: number;
  let rows: ComplianceRow[];
  let blockAfterFirstRun: number;
  let timing = "";
  const lines: string[] = [];

  /** Every address that ever received allowances or CCER. */
  async function holders(): Promise<string[]> {
    const seen = new Set<string>();
    for (const token of [c.allowances, c.offsets]) {
      for (const ev of await token.queryFilter(token.filters.TransferSingle(), fromBlock)) seen.add(ev.args.to);
      for (const ev of await token.queryFilter(token.filters.TransferBatch(), fromBlock)) seen.add(ev.args.to);
    }
    seen.delete(ethers.ZeroAddress);
    return [...seen].sort();
  }

  /** Everything the cycle writes, for the idempotence check. */
  async function chainState(): Promise<unknown> {
    const who = await holders();
    const vintages = await c.allowances.vintages();
    const batches = Number(await c.offsets.batchCount());
    const perYear = await Promise.all(
      CYCLE_YEARS.map(async (year) => ({
        info: await c.allocation.yearInfo(year),
        close: await c.compliance.yearClose(year),
        schedule: await c.reporting.yearOf(year),
        positions: await Promise.all(entities.map((e) => c.compliance.positionOf(e.entityId, year))),
        reports: await Promise.all(entities.map((e) => c.reporting.reportOf(e.entityId, year))),
      })),
    );
    return plain({
      perYear,
      flags: await Promise.all(entities.map((e) => c.compliance.flaggedUntil(e.entityId))),
      carried: await Promise.all(entities.map((e) => c.allocation.carriedShortfall(e.entityId))),
      allowances: await Promise.all(who.map((h) => Promise.all(vintages.map((v) => c.allowances.balanceOf(h, v))))),
      offsets: await Promise.all(
        who.map((h) => Promise.all(Array.from({ length: batches }, (_, i) => c.offsets.balanceOf(h, i + 1)))),
      ),
      cash: await Promise.all(who.map((h) => c.cash.balanceOf(h))),
      batches,
      sales: await c.sales.fixedSaleCount(),
      certificates: await c.compliance.certificateCount(),
    });
  }

  before(async function () {
    const t0 = performance.now();
    const providers = new WalletProviders(ethers.provider);
    const roles = new Map<string, Wallet>(ROLE_WALLETS.map((name, i) => [name, hardhatAccount(i, providers)]));
    const role = (name: string): Wallet => {
      const w = roles.get(name);
      if (!w) throw new Error(`no role wallet ${name}`);
      return w;
    };
    const signers = await ethers.getSigners();
    for (const [i, name] of ROLE_WALLETS.entries()) expect(role(name).address).to.equal(signers[i]?.address);
    const regulator = role("regulator");

    // As `npm start` does: deploy, open the demo registry, then the compliance set-up.
    const { manifest } = await deployRegistry({
      regulator,
      registryOperator: role("registry-operator").address,
      clearingBank: role("clearing-bank").address,
      exchange: role("exchange").address,
      extraGrants: { VERIFIER: [role("verifier-1").address, role("verifier-2").address] },
    });
    fromBlock = manifest.deploymentBlock;
    c = connectContracts(manifest, regulator);

    // Entity wallets hold no ether: gas is free (price 0, base fee 0).
    const entityWallets = new Map(
      entities.map((e) => [e.entityId, connect(new Wallet(Wallet.createRandom().privateKey), providers)]),
    );
    const addresses = new Map([...roles].map(([name, w]) => [name, w.address]));
    for (const e of entities) addresses.set(e.wallet, entityWallets.get(e.entityId)!.address);
    // registerEntities wants a JsonRpcProvider; it uses only what Hardhat's provider has too
    // (getNetwork, estimateGas, getTransactionCount, send, getTransactionReceipt).
    await registerEntities(
      c.registry,
      role("registry-operator"),
      role("registry-operator").provider as unknown as JsonRpcProvider,
      demoRegistrations(demo, addresses),
      silentLogger,
    );

    const exchange = demo.institutions.find((i) => i.role === "exchange");
    await enableReserveSales(c, BigInt(exchange!.entityId));
    const verifiers = new Map<number, Wallet>();
    for (const v of demo.institutions.filter((i) => i.category === "verifier")) {
      await (await c.reporting.setAccreditation(v.entityId, true)).wait();
      verifiers.set(v.entityId, role(v.wallet));
    }
    await issueAllocationPlan(c, computeAllocationPlan(readAllocationInput(demoAllocationFile(DEMO_FIRST_YEAR))), {
      uri: `scripts/demo/allocation/${DEMO_FIRST_YEAR}.json`,
    });
    const t1 = performance.now();

    ctx = {
      provider: ethers.provider,
      demo,
      regulator: c,
      regulatorWallet: regulator,
      bank: role("clearing-bank"),
      verifiers,
      entities: entityWallets,
      log: (line) => lines.push(line),
    };
    rows = await runComplianceCycle(ctx);
    blockAfterFirstRun = await ethers.provider.getBlockNumber();
    const t2 = performance.now();
    timing = `set-up ${((t1 - t0) / 1000).toFixed(1)} s, cycle ${((t2 - t1) / 1000).toFixed(1)} s`;
  });

  after(() => {
    // ETS_DEMO_CYCLE_LOG=1 prints what the cycle logged (its progress lines).
    if (process.env.ETS_DEMO_CYCLE_LOG) for (const line of lines) process.stdout.write(`    ${line}\n`);
    if (timing) process.stdout.write(`    (${timing})\n`);
  });

  it("has the deliberate shortfalls the demo documents", () => {
    expect(DELIBERATE_SHORTFALLS).to.deep.equal({
      2013: { 1012: 3_000n, 1104: 1_200n },
      2014: { 1030: 5_000n },
      2015: {},
    });
  });

  it("sets 114 obligations a year from approved reports of the demo's own report files", async () => {
    for (const year of CYCLE_YEARS) {
      const states = await Promise.all(entities.map((e) => c.reporting.reportOf(e.entityId, year)));
      const versions = await Promise.all(
        entities.map((e, i) => c.reporting.reportVersion(e.entityId, year, states[i]!.versions)),
      );
      const obligations = await Promise.all(entities.map((e) => c.reporting.obligationOf(e.entityId, year)));
      let set = 0;
      for (const [i, e] of entities.entries()) {
        const s = states[i]!;
        const v = versions[i]!;
        const report = demoReport(e, year);
        const at = `${e.entityId}/${year}`;
        expect(s.status, at).to.equal(ReportStatus.Approved);
        expect(s.obligationSet, at).to.equal(true);
        expect(v.contentHash, at).to.equal(reportHash(report));
        expect(v.reportedTotal, at).to.equal(computeReport(report).totalTonnes);
        expect(v.submitter, at).to.equal(ctx.entities.get(e.entityId)!.address);
        expect(s.obligation, at).to.equal(s.verifiedTotal);
        expect(obligations[i]!.set, at).to.equal(true);
        expect(obligations[i]!.tonnes, at).to.equal(s.obligation);
        if (s.obligationSet) set += 1;
      }
      expect(set, String(year)).to.equal(114);
    }
  });

  it("ends each year with exactly the deliberate shortfalls and everyone else compliant", async () => {
    for (const year of CYCLE_YEARS) {
      const expected = DELIBERATE_SHORTFALLS[year];
      const positions = await Promise.all(entities.map((e) => c.compliance.positionOf(e.entityId, year)));
      for (const [i, e] of entities.entries()) {
        const p = positions[i]!;
        const at = `${e.entityId}/${year}`;
        const short = expected[e.entityId];
        if (short === undefined) {
          expect(p.status, at).to.equal(Status.Compliant);
          expect(p.allowancesSurrendered + p.offsetsSurrendered, at).to.equal(p.obligation);
          expect(p.shortfall, at).to.equal(0n);
        } else {
          expect(p.status, at).to.equal(Status.Shortfall);
          expect(p.shortfall, at).to.equal(short);
          expect(p.obligation - p.allowancesSurrendered - p.offsetsSurrendered, at).to.equal(short);
        }
      }
      const n = Object.keys(expected).length;
      const close = await c.compliance.yearClose(year);
      expect(close.closed, String(year)).to.equal(true);
      expect(close.compliant, String(year)).to.equal(BigInt(114 - n));
      expect(close.inShortfall, String(year)).to.equal(BigInt(n));
      expect(close.totalShortfall, String(year)).to.equal(sum(Object.values(expected)));

      const all = rows.find((r) => r.year === year && r.sector === "all");
      expect(all, String(year)).to.deep.include({
        entities: 114,
        compliant: 114 - n,
        inShortfall: n,
        shortfall: sum(Object.values(expected)),
        obligation: sum(positions.map((p) => p.obligation)),
      });
    }
  });

  it("deducts each shortfall from the next year's allocation and flags the entity for 3 years", async () => {
    for (const year of CYCLE_YEARS) {
      const plan = computeAllocationPlan(readAllocationInput(demoAllocationFile(year)));
      const gross = new Map(plan.entries.map((e) => [e.entityId, e.amount]));
      const carried = DELIBERATE_SHORTFALLS[(year - 1) as keyof typeof DELIBERATE_SHORTFALLS] ?? {};
      const events = await c.allocation.queryFilter(c.allocation.filters.Allocated(year), fromBlock);
      expect(events, String(year)).to.have.length(114);
      for (const ev of events) {
        const { entityId, gross: g, deducted, minted } = ev.args;
        const at = `${entityId}/${year}`;
        expect(g, at).to.equal(gross.get(Number(entityId)));
        expect(deducted, at).to.equal(carried[Number(entityId)] ?? 0n);
        expect(minted, at).to.equal(g - deducted);
        expect(ev.args.wallet, at).to.equal(ctx.entities.get(Number(entityId))!.address);
      }
      expect((await c.allocation.yearInfo(year)).deducted, String(year)).to.equal(sum(Object.values(carried)));
    }
    // 2014's shortfall entity got its deduction in 2015; nothing is left to carry.
    for (const e of entities) expect(await c.allocation.carriedShortfall(e.entityId), String(e.entityId)).to.equal(0n);

    const flaggedUntil = new Map<number, number>();
    for (const year of CYCLE_YEARS) {
      for (const entityId of Object.keys(DELIBERATE_SHORTFALLS[year]))
        flaggedUntil.set(Number(entityId), year + FLAG_YEARS);
    }
    expect([...flaggedUntil]).to.deep.equal([
      [1012, 2016],
      [1104, 2016],
      [1030, 2017],
    ]);
    const flags = await Promise.all(entities.map((e) => c.compliance.flaggedUntil(e.entityId)));
    for (const [i, e] of entities.entries()) {
      expect(flags[i], String(e.entityId)).to.equal(BigInt(flaggedUntil.get(e.entityId) ?? 0));
    }
  });

  it("keeps CCER within 10 % of each obligation and, in 2015, to Tianjin's filter", async () => {
    const events = await c.compliance.queryFilter(c.compliance.filters.OffsetsSurrendered(), fromBlock);
    const used = new Map<string, bigint>();
    for (const ev of events) {
      const { entityId, year, batchId, amount, wallet } = ev.args;
      const at = `${entityId}/${year} batch ${batchId}`;
      expect(wallet, at).to.equal(ctx.entities.get(Number(entityId))!.address);
      expect(await c.compliance.offsetEligibility(year, batchId), at).to.equal(0n);
      if (year === 2015n) {
        const b = await c.offsets.batch(batchId);
        expect(b.hydro, at).to.equal(false);
        expect(b.projectType, at).to.not.equal("methane recovery");
        expect(b.reductionStart, at).to.be.at.least(REDUCTIONS_FROM);
      }
      const key = `${entityId}/${year}`;
      used.set(key, (used.get(key) ?? 0n) + amount);
    }
    for (const year of CYCLE_YEARS) {
      const positions = await Promise.all(entities.map((e) => c.compliance.positionOf(e.entityId, year)));
      for (const [i, e] of entities.entries()) {
        const p = positions[i]!;
        const key = `${e.entityId}/${year}`;
        const ccer = used.get(key) ?? 0n;
        expect(ccer, key).to.equal(p.offsetsSurrendered);
        expect(ccer, key).to.be.at.most((p.obligation * 10n) / 100n);
      }
      // Not vacuous: CCER was used every year.
      expect(
        events.some((ev) => ev.args.year === BigInt(year)),
        String(year),
      ).to.equal(true);
    }

    // 2015's filter did refuse batches the demo holds: hydro, methane recovery, 2012 reductions.
    const refused = new Set<bigint>();
    const count = Number(await c.offsets.batchCount());
    expect(count).to.equal(15);
    for (let b = 1; b <= count; ++b) refused.add(await c.compliance.offsetEligibility(2015, b));
    expect([...refused].sort()).to.deep.equal([0n, 2n, 3n, 5n]); // None, Hydro, ReductionTooEarly, TypeExcluded
    expect(await c.compliance.offsetEligibility(2015, 1)).to.equal(3n); // 2013's wind batch: 2012 reductions
    for (const year of [2013, 2014]) {
      for (let b = 1; b <= count; ++b) expect(await c.compliance.offsetEligibility(year, b)).to.equal(0n);
    }
    const rules = await c.compliance.offsetRules(2015);
    expect(rules.excludedTypes).to.deep.equal([id("methane recovery")]);
  });

  it("never surrenders a vintage later than the compliance year (banking only)", async () => {
    const events = await c.compliance.queryFilter(c.compliance.filters.AllowancesSurrendered(), fromBlock);
    const used = new Map<string, bigint>();
    for (const ev of events) {
      const { entityId, year, vintage, amount } = ev.args;
      expect(vintage, `${entityId}/${year}`).to.be.at.most(year);
      const key = `${entityId}/${year}`;
      used.set(key, (used.get(key) ?? 0n) + amount);
    }
    expect(events.some((ev) => ev.args.vintage < ev.args.year)).to.equal(true); // banking happened
    for (const year of CYCLE_YEARS) {
      const positions = await Promise.all(entities.map((e) => c.compliance.positionOf(e.entityId, year)));
      for (const [i, e] of entities.entries()) {
        expect(used.get(`${e.entityId}/${year}`) ?? 0n, `${e.entityId}/${year}`).to.equal(
          positions[i]!.allowancesSurrendered,
        );
      }
    }
  });

  it("conserves every vintage and batch: issued = Σ balances + surrendered + cancelled + clawed back", async () => {
    const who = await holders();
    const vintages = await c.allowances.vintages();
    expect(vintages).to.deep.equal([2013n, 2014n, 2015n]);
    const saleCount = Number(await c.sales.fixedSaleCount());
    const sales = await Promise.all(Array.from({ length: saleCount }, (_, i) => c.sales.fixedSale(i + 1)));
    for (const v of vintages) {
      const issued = await c.allowances.issued(v);
      const held = sum(await Promise.all(who.map((h) => c.allowances.balanceOf(h, v))));
      const [surrendered, cancelled] = await c.compliance.allowanceRetirements(v);
      const clawedBack = await c.allocation.clawedBack(v);
      expect(issued, `vintage ${v}`).to.equal(held + surrendered + cancelled + clawedBack);
      expect(await c.allowances.burned(v), `vintage ${v}`).to.equal(surrendered + cancelled + clawedBack);
      // What was issued: the free allocation and what the reserve sales sold.
      const info = await c.allocation.yearInfo(v);
      const sold = sum(sales.filter((s) => s.vintage === v).map((s) => s.sold));
      expect(issued, `vintage ${v}`).to.equal(info.freeIssued + sold);
      expect(info.freeIssued, `vintage ${v}`).to.equal(info.grossIssued - info.deducted);
    }
    const count = Number(await c.offsets.batchCount());
    for (let b = 1; b <= count; ++b) {
      const batch = await c.offsets.batch(b);
      const held = sum(await Promise.all(who.map((h) => c.offsets.balanceOf(h, b))));
      const [surrendered, cancelled] = await c.compliance.offsetRetirements(b);
      expect(batch.serialLast - batch.serialFirst + 1n, `batch ${b}`).to.equal(held + surrendered + cancelled);
    }
  });

  it("issues two voluntary cancellation certificates", async () => {
    expect(await c.compliance.certificateCount()).to.equal(2n);
    const events = await c.compliance.queryFilter(c.compliance.filters.CancellationCertificate(), fromBlock);
    expect(events).to.have.length(2);
    const expected = [
      [1050, "2015 company carbon-neutral claim"],
      [1110, "Tianjin marathon 2015, carbon neutral event"],
    ] as const;
    let total = 0n;
    for (const [i, [entityId, purpose]] of expected.entries()) {
      const cert = await c.compliance.certificate(i + 1);
      expect(cert.entityId).to.equal(BigInt(entityId));
      expect(cert.holder).to.equal(ctx.entities.get(entityId)!.address);
      expect(cert.purpose).to.equal(purpose);
      expect(cert.allowances).to.be.greaterThan(0n).and.at.most(1_000n);
      expect(cert.offsets).to.equal(0n);
      total += cert.allowances;
    }
    expect((await c.compliance.allowanceRetirements(2015)).cancelled).to.equal(total);
  });

  it("ran on free gas: the entity wallets never held ether", async () => {
    const balances = await Promise.all([...ctx.entities.values()].map((w) => ethers.provider.getBalance(w.address)));
    expect(balances.every((b) => b === 0n)).to.equal(true);
  });

  it("changes nothing when run again (idempotent: no transaction, same state)", async () => {
    const before = await chainState();
    const again = await runComplianceCycle(ctx);
    expect(await ethers.provider.getBlockNumber()).to.equal(blockAfterFirstRun);
    expect(await chainState()).to.deep.equal(before);
    expect(plain(again)).to.deep.equal(plain(rows));
  });
});
