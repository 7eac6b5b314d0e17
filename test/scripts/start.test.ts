import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { encodeBytes32String, type Wallet } from "ethers";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { readManifest, type Manifest } from "../../sdk/manifest";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { readDemoData } from "../../scripts/demo/demo-data";
import { demoAllocationFile } from "../../scripts/bootstrap";
import { computeAllocationPlan, readAllocationInput } from "../../sdk/allocation";
import { answers, freePort } from "../../scripts/lib/anvil";
import { keystoreAddress, unlockKeystore } from "../../scripts/lib/keystore";
import { launchStart, type StartProcess } from "../../scripts/lib/start-process";

/**
 * `npm start` end to end: a real `tsx scripts/start.ts` in its own process group, on a temporary
 * data folder and a free port. The cases run in order and share the data folder: first start,
 * `kill -9` of the whole group right after acknowledged transactions, restart, Ctrl-C, restart.
 */
describe("npm start (scripts/start.ts)", function () {
  this.timeout(120_000);

  const demo = readDemoData();
  const CHAIN_ID = 31337;
  let dataDir: string;
  let env: Record<string, string>;
  let running: StartProcess | undefined;
  let provider: ZeroFeeProvider | undefined;

  const walletDir = () => path.join(dataDir, "wallets");
  const unlock = (name: string) => unlockKeystore(path.join(walletDir(), `${name}.json`), "demo-password");
  const addressOf = (name: string) => {
    const a = keystoreAddress(path.join(walletDir(), `${name}.json`));
    if (!a) throw new Error(`no keystore ${name}`);
    return a;
  };

  async function start(): Promise<{
    firstStart: boolean;
    elapsedMs: number;
    contracts: Contracts;
    manifest: Manifest;
  }> {
    running = launchStart(env);
    const ready = await running.ready;
    provider?.destroy();
    provider = connectRpc(ready.rpcUrl);
    const manifest = readManifest(path.join(dataDir, "deployments"), CHAIN_ID);
    if (!manifest) throw new Error("no manifest after start");
    return {
      firstStart: ready.firstStart,
      elapsedMs: ready.elapsedMs,
      contracts: connectContracts(manifest, provider),
      manifest,
    };
  }

  async function signer(name: string): Promise<Wallet> {
    if (!provider) throw new Error("not started");
    return (await unlock(name)).connect(provider);
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-start-"));
    env = {
      ETS_DATA_DIR: dataDir,
      ETS_RPC_PORT: String(await freePort()),
      ETS_EXCHANGE_PORT: "0",
      ETS_INDEXER_PORT: "0",
      ETS_WEB_PORT: "0",
      ETS_LOG_LEVEL: "info",
    };
  });

  after(async () => {
    provider?.destroy();
    if (running) {
      running.signalGroup("SIGKILL");
      await running.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe("on the first start (empty data folder)", () => {
    let contracts: Contracts;
    let r0: { manifest: Manifest };

    it("gets ready well within 60 s, having deployed the contracts", async () => {
      const r = await start();
      r0 = r;
      contracts = r.contracts;
      expect(r.firstStart).to.equal(true);
      expect(r.elapsedMs).to.be.below(60_000);
      expect(fs.existsSync(path.join(dataDir, "chain", "state.json"))).to.equal(true);
      for (const address of Object.values(r.manifest.contracts)) {
        expect(await provider!.getCode(address)).to.not.equal("0x");
      }
    });

    it("loads the demo registry: every covered entity and institution, with an active account", async () => {
      expect(await contracts.registry.entityCount()).to.equal(
        BigInt(demo.coveredEntities.length + demo.institutions.length),
      );
      const sample = demo.coveredEntities[7]!;
      const entity = await contracts.registry.entityOf(sample.entityId);
      expect(entity.name).to.equal(sample.nameZh);
      expect(entity.category).to.equal(1n);
      const account = await contracts.registry.accountOf(addressOf(sample.wallet));
      expect(account.entityId).to.equal(BigInt(sample.entityId));
      expect(account.status).to.equal(1n); // active
      expect((await contracts.registry.accountOf(addressOf("verifier-1"))).status).to.equal(1n);
      expect((await contracts.registry.entityOf(11)).category).to.equal(4n); // verifier
      expect((await contracts.registry.entityOf(2)).category).to.equal(5n); // exchange
    });

    it("issues the demo's 2013 cap and allocation, as its published input file computes them", async () => {
      const plan = computeAllocationPlan(readAllocationInput(demoAllocationFile(2013)));
      const info = await contracts.allocation.yearInfo(2013);
      expect(info.cap).to.equal(plan.cap);
      expect(info.planComplete).to.equal(true);
      expect(info.planHash).to.equal(plan.planHash);
      expect(info.inputsHash).to.equal(plan.inputsHash);
      expect(info.freeIssued).to.equal(plan.total);
      expect(await contracts.allowances.issued(2013)).to.equal(plan.total);
      expect(await contracts.allocation.coveredCount(2013)).to.equal(BigInt(demo.coveredEntities.length));
      const sample = demo.coveredEntities[11]!;
      const entry = plan.entries.find((e) => e.entityId === sample.entityId)!;
      expect(await contracts.allowances.balanceOf(addressOf(sample.wallet), 2013)).to.equal(entry.amount);
      expect(await contracts.reporting.isAccredited(11)).to.equal(true);
      expect(await contracts.registry.isClearingHouse(r0.manifest.contracts.ReserveSales)).to.equal(true);
    });

    it("writes one keystore per role and demo entity that the demo password unlocks", async () => {
      const files = fs.readdirSync(walletDir()).filter((f) => f.endsWith(".json"));
      expect(files).to.have.length(6 + demo.coveredEntities.length);
      expect(fs.statSync(path.join(walletDir(), "regulator.json")).mode & 0o777).to.equal(0o600);
      // Role keystores: ethers' standard scrypt; demo entities: the light one (their password is public).
      const kdfN = (name: string) =>
        (
          JSON.parse(fs.readFileSync(path.join(walletDir(), `${name}.json`), "utf8")) as {
            Crypto: { kdfparams: { n: number } };
          }
        ).Crypto.kdfparams.n;
      expect(kdfN("regulator")).to.equal(2 ** 17);
      expect(kdfN(demo.coveredEntities[0]!.wallet)).to.equal(2 ** 12);
      expect((await unlock(demo.coveredEntities[0]!.wallet)).address).to.equal(
        addressOf(demo.coveredEntities[0]!.wallet),
      );
      const regulator = await unlock("regulator");
      const manifest = readManifest(path.join(dataDir, "deployments"), CHAIN_ID)!;
      expect(regulator.address).to.equal(manifest.accounts.regulator);
    });
  });

  describe("when the whole process group is killed with SIGKILL right after acknowledged transactions", () => {
    const e1 = demo.coveredEntities[0]!;
    const e2 = demo.coveredEntities[1]!;
    let acked: string[] = [];
    let seen: { number: number; hash: string } | undefined;

    it("acknowledges a CCER import, a pending transfer and a burst of cash deposits", async () => {
      const contracts = connectContracts(readManifest(path.join(dataDir, "deployments"), CHAIN_ID)!, provider!);
      const [regulator, holder, bank] = await Promise.all([
        signer("regulator"),
        signer(e1.wallet),
        signer("clearing-bank"),
      ]);
      const imported = await contracts.offsets.connect(regulator).importBatch(addressOf(e1.wallet), {
        projectId: "CCER-TEST-0001",
        projectType: "wind",
        hydro: false,
        methodology: "CM-001-V02",
        reductionStart: 1_356_998_400n, // 2013-01-01
        reductionEnd: 1_388_534_399n,
        serialFirst: 1n,
        serialLast: 50_000n,
        originRef: "NATIONAL-REGISTRY/TEST/1",
      });
      await imported.wait();
      // To an untrusted account: held pending, its units locked.
      const pending = await contracts.offsets
        .connect(holder)
        .safeTransferFrom(holder.address, addressOf(e2.wallet), 1n, 1_200n, "0x");
      const receipt = await pending.wait();
      seen = { number: receipt!.blockNumber, hash: receipt!.blockHash };

      // Ten deposits at once (explicit nonces), answered together by one or a few group commits.
      const nonce = await provider!.getTransactionCount(bank.address, "pending");
      const cash = contracts.cash.connect(bank);
      const deposits = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          cash.deposit(addressOf(e2.wallet), 10_000n + BigInt(i), encodeBytes32String(`BANK-REF-${i}`), {
            nonce: nonce + i,
            gasLimit: 300_000n,
          }),
        ),
      );
      // Every send has been answered: kill at once, before anything else can happen.
      running!.signalGroup("SIGKILL");
      const exit = await running!.exited;
      expect(exit.signal).to.equal("SIGKILL");
      acked = [imported.hash, pending.hash, ...deposits.map((t) => t.hash)];
    });

    it("stops Anvil too (it is tied to the orchestrator's life)", async () => {
      const url = running!.internalUrl();
      expect(url).to.be.a("string");
      const deadline = Date.now() + 5_000;
      while ((await answers(url!)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await answers(url!)).to.equal(false);
    });

    it("restarts within 15 s and finds every acknowledged change", async () => {
      const r = await start();
      expect(r.firstStart).to.equal(false);
      expect(r.elapsedMs).to.be.below(15_000);
      const e1a = addressOf(e1.wallet);
      const e2a = addressOf(e2.wallet);
      expect(await r.contracts.offsets.balanceOf(e1a, 1n)).to.equal(50_000n);
      expect(await r.contracts.offsets.lockedBalanceOf(e1a, 1n)).to.equal(1_200n);
      expect(await r.contracts.offsets.pendingTransferCount()).to.equal(1n);
      // 10 × 10,000 fen + (0 + 1 + … + 9)
      expect(await r.contracts.cash.balanceOf(e2a)).to.equal(100_045n);
      for (const hash of acked) {
        const receipt = await provider!.getTransactionReceipt(hash);
        expect(receipt?.status, hash).to.equal(1);
      }
      expect(await provider!.getBlockNumber()).to.be.at.least(seen!.number + 1);
      expect((await provider!.getBlock(seen!.number))!.hash).to.equal(seen!.hash);
    });

    it("keeps the history: the logs of every old block", async () => {
      const manifest = readManifest(path.join(dataDir, "deployments"), CHAIN_ID)!;
      const logs = await provider!.getLogs({
        address: manifest.contracts.ParticipantRegistry,
        fromBlock: manifest.deploymentBlock,
        toBlock: "latest",
      });
      // EntityRegistered + AccountOpened per entity, at least.
      expect(logs.length).to.be.at.least(2 * (demo.coveredEntities.length + demo.institutions.length));
    });
  });

  describe("when stopped with SIGINT (Ctrl-C)", () => {
    it("exits 0 after a final snapshot, and the next start continues the same chain", async () => {
      const bank = await signer("clearing-bank");
      const manifest = readManifest(path.join(dataDir, "deployments"), CHAIN_ID)!;
      const cash = connectContracts(manifest, provider!).cash.connect(bank);
      const e3 = addressOf(demo.coveredEntities[2]!.wallet);
      await (await cash.deposit(e3, 777n, encodeBytes32String("BANK-REF-SIGINT"))).wait();
      const latest = await provider!.getBlock("latest");
      const old = await provider!.getBlock(5);

      running!.signalGroup("SIGINT");
      const exit = await running!.exited;
      expect(exit.code, running!.output()).to.equal(0);
      expect(running!.lines.some((l) => l.msg === "stopped" && l.exitCode === 0)).to.equal(true);
      expect(running!.lines.some((l) => l.msg === "durable JSON-RPC stopped after a final snapshot")).to.equal(true);

      const r = await start();
      expect(r.firstStart).to.equal(false);
      expect(r.elapsedMs).to.be.below(15_000);
      expect(await r.contracts.cash.balanceOf(e3)).to.equal(777n);
      expect(await provider!.getBlockNumber()).to.be.at.least(latest!.number);
      expect((await provider!.getBlock(latest!.number))!.hash).to.equal(latest!.hash);
      expect((await provider!.getBlock(5))!.hash).to.equal(old!.hash);
      // New blocks continue the old chain.
      await (await cash.connect(bank.connect(provider!)).deposit(e3, 1n, encodeBytes32String("BANK-REF-AFTER"))).wait();
      const next = await provider!.getBlock(latest!.number + 1);
      expect(next!.parentHash).to.equal(latest!.hash);
    });
  });

  describe("with a bad configuration", () => {
    it("stops at once with a message naming the variable", async () => {
      const bad = launchStart({ ...env, ETS_RPC_PORT: "eighty" });
      const exit = await bad.exited;
      expect(exit.code).to.equal(2);
      expect(bad.output()).to.match(/ETS_RPC_PORT="eighty": expected a whole number/);
    });
  });
});
