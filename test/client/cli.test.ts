import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { findKeystore, unlockKeystore } from "../../sdk/keystore";
import { isImmediateAt } from "../../sdk/preflight";
import { CliWorld, ENFORCEMENT_DELAY, PASSWORD } from "./cli.fixture";

/** Registers a wallet through the CLI as the registry operator. */
async function register(world: CliWorld, wallet: string, entityId: number, extra: string[]): Promise<void> {
  await world.ok([
    "admin",
    "register",
    wallet,
    "--entity-id",
    String(entityId),
    "--name",
    `Entity ${entityId}`,
    "--credit-code",
    `91120116MA05K${String(entityId).padStart(5, "0")}`,
    "--from",
    "operator",
    ...extra,
  ]);
}

describe("ets CLI", function () {
  let world: CliWorld;

  before(async function () {
    world = await CliWorld.start();
  });

  after(async function () {
    await world?.stop();
  });

  describe("wallet", function () {
    it("creates an encrypted keystore, readable by its owner only, that unlocks in well under a second", async function () {
      const r = await world.ok(["wallet", "create", "alice"]);
      world.addresses.alice = r.address as string;
      expect(r.address).to.match(/^0x[0-9a-fA-F]{40}$/);
      const file = path.join(world.walletDir, "alice.json");
      expect(r.file).to.equal(file);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      // Web3 Secret Storage; ethers writes the section as "Crypto".
      const json = JSON.parse(fs.readFileSync(file, "utf8")) as { Crypto: { kdf: string; kdfparams: { n: number } } };
      expect(json.Crypto.kdf).to.equal("scrypt");
      expect(json.Crypto.kdfparams.n).to.equal(131072);

      // CPU time of the process (the native scrypt runs on libuv's pool, counted too), not wall time:
      // the pure-JS scrypt takes several seconds of CPU, the native one about 0.4 s on any machine load.
      const cpu = process.cpuUsage();
      const wallet = await unlockKeystore(findKeystore(world.walletDir, "alice"), PASSWORD);
      const used = process.cpuUsage(cpu);
      expect((used.user + used.system) / 1000).to.be.below(1000);
      expect(wallet.address).to.equal(r.address);
    });

    it("imports a private key from stdin and from a file, and lists the wallets", async function () {
      const key = `0x${"11".repeat(32)}`;
      const fromStdin = await world.ok(["wallet", "import", "imported", "--light-kdf"], { stdin: `${key}\n` });
      const keyFile = path.join(world.root, "key.txt");
      fs.writeFileSync(keyFile, "22".repeat(32));
      const fromFile = await world.ok(["wallet", "import", "imported2", "--light-kdf", "--private-key-file", keyFile]);
      expect(fromFile.address).not.to.equal(fromStdin.address);

      const list = await world.ok(["wallet", "list"]);
      const names = (list.wallets as { name: string }[]).map((w) => w.name);
      expect(names).to.include.members(["alice", "bank", "imported", "imported2", "operator", "regulator"]);
      const text = await world.cli(["wallet", "list"]);
      expect(text.stdout)
        .to.contain(`imported `)
        .and.to.contain(fromStdin.address as string);
    });

    it("asks for the password twice at a terminal", async function () {
      const answers = ["a long password", "a long password"];
      const r = await world.cli(["wallet", "create", "typed", "--light-kdf"], {
        tty: true,
        env: { ETS_PASSWORD: undefined },
        promptSecret: () => Promise.resolve(answers.shift() ?? ""),
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('Created wallet "typed"');
    });
  });

  describe("the README walkthrough", function () {
    before(async function () {
      for (const name of ["bob", "carol"]) await world.wallet(name);
    });

    it("the regulator registers the new wallet, and the other parties", async function () {
      const r = await world.cli(
        [
          "admin",
          "register",
          "alice",
          "--entity-id",
          "1001",
          "--category",
          "covered-entity",
          "--sector",
          "steel",
        ].concat(["--name", "Tianjin Steel Co.", "--credit-code", "91120116MA05K00011", "--from", "operator"]),
      );
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('Registered entity 1001 "Tianjin Steel Co." (covered entity, steel)');
      expect(r.stdout).to.match(/Transaction 0x[0-9a-f]{64} \(block \d+\)/);
      await register(world, "bob", 1002, ["--category", "institution"]);
      await register(world, "carol", 1003, ["--category", "individual"]);
      const bal = await world.ok(["balance", "alice"]);
      expect(bal.account).to.deep.include({
        status: "active",
        entityId: "1001",
        entityName: "Tianjin Steel Co.",
        sector: "steel",
      });
    });

    it("it receives CCER from the offset registrar and cash from the clearing bank", async function () {
      const ccer = await world.ok([
        "admin",
        "import-ccer",
        "alice",
        "--project-id",
        "CCER-1234",
        "--type",
        "wind",
        "--methodology",
        "CM-001-V01",
        "--period-start",
        "2013-01-01",
        "--period-end",
        "2013-12-31",
        "--serial-first",
        "1000",
        "--serial-last",
        "1999",
        "--origin-ref",
        "NCR-2014-0001",
        "--from",
        "regulator",
      ]);
      expect(ccer).to.include({ batch: "1", amount: "1000", projectId: "CCER-1234", hydro: false });
      expect(ccer.tx).to.match(/^0x[0-9a-f]{64}$/);

      const cash = await world.ok([
        "admin",
        "deposit-cash",
        "alice",
        "5000.50",
        "--bank-ref",
        "ICBC-20140601-0001",
        "--from",
        "bank",
      ]);
      expect(cash).to.include({ amount: "500050", unit: "fen" });

      // Allowances come from allocation (a later contract); the fixture mints them directly.
      await (await world.regulator.allowances.mint(world.address("alice"), 2014, 800)).wait();

      const bal = await world.ok(["balance", "alice"]);
      expect(bal.allowances).to.deep.equal([
        { vintage: 2014, product: "TJEA14", balance: "800", available: "800", locked: "0" },
      ]);
      expect(bal.ccer).to.deep.equal([
        {
          batch: "1",
          projectId: "CCER-1234",
          projectType: "wind",
          hydro: false,
          balance: "1000",
          available: "1000",
          locked: "0",
        },
      ]);
      expect(bal.cash).to.deep.include({ balance: "500050", balanceCny: "5000.50" });
      const text = await world.cli(["balance", "--from", "alice"]);
      expect(text.stdout).to.contain("TJEA14 (vintage 2014)  800 t").and.to.contain("CNY 5,000.50");
    });

    it("the regulator shortens the trust delay (demo network), and the holder trusts an account", async function () {
      const delays = await world.ok(["admin", "delays", "--trust", "2s", "--pending", "1h", "--from", "regulator"]);
      expect(delays).to.include({ trustDelay: 2, pendingDelay: 3600 });
      const r = await world.cli(["trusted", "add", "bob", "--from", "alice"]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/Trusted 0x[0-9a-fA-F]{40} \(bob\)\. Transfers to it are immediate from /);
      const list = await world.ok(["trusted", "list", "alice"]);
      expect(list.trusted).to.have.length(1);
      // With no block mined since, a view still says "not yet"; the pre-flight check asks at the time
      // the transfer will be mined.
      const [alice, bob] = [world.address("alice"), world.address("bob")];
      const last = BigInt((await world.provider.getBlock("latest"))?.timestamp ?? 0);
      expect(await world.contracts.rules.isImmediate(alice, bob)).to.equal(false);
      expect(await isImmediateAt(world.contracts, alice, bob, last + 3n)).to.equal(true);
      expect(await isImmediateAt(world.contracts, alice, bob, last)).to.equal(false);
      await world.increaseTime(3);
      const later = await world.ok(["trusted", "list", "alice"]);
      expect((later.trusted as { active: boolean }[])[0]?.active).to.equal(true);
    });

    it("a transfer to the trusted account is immediate", async function () {
      const r = await world.cli(["transfer", "bob", "100", "--ccer", "1", "--from", "alice"]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain("Transferred 100 t of CCER batch 1 to").and.to.contain("immediate");
      const bob = await world.ok(["balance", "bob"]);
      expect(bob.ccer).to.deep.equal([
        {
          batch: "1",
          projectId: "CCER-1234",
          projectType: "wind",
          hydro: false,
          balance: "100",
          available: "100",
          locked: "0",
        },
      ]);
    });

    it("a transfer to an untrusted account is pending, with its id and release time", async function () {
      const r = await world.cli(["transfer", "carol", "50", "--ccer", "CCER-1", "--from", "alice"]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain("Transfer ccer:1 of 50 t of CCER batch 1 to").and.to.contain("is PENDING");
      expect(r.stdout).to.match(
        /executed from \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2} \(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\)/,
      );

      const pending = await world.ok(["transfer", "carol", "20", "--ccer", "1", "--from", "alice"]);
      expect(pending).to.include({ status: "pending", transferId: "ccer:2", amount: "20", unit: "t" });
      const releaseAt = pending.releaseAt as { unix: number; iso: string };
      const block = await world.provider.getBlock("latest");
      expect(releaseAt.unix).to.equal((block?.timestamp ?? 0) + 3600);
      expect(releaseAt.iso).to.equal(new Date(releaseAt.unix * 1000).toISOString().replace(".000Z", "Z"));

      const bal = await world.ok(["balance", "alice"]);
      expect((bal.ccer as object[])[0]).to.include({ balance: "900", available: "830", locked: "70" });
    });

    it("transfer list shows it, outgoing for the sender and incoming for the receiver", async function () {
      const out = await world.ok(["transfer", "list", "--from", "alice"]);
      expect((out.outgoing as { transferId: string }[]).map((t) => t.transferId)).to.deep.equal(["ccer:1", "ccer:2"]);
      expect(out.incoming).to.deep.equal([]);
      const incoming = await world.ok(["transfer", "list", "carol"]);
      expect(incoming.outgoing).to.deep.equal([]);
      expect(incoming.incoming as object[]).to.have.length(2);
      expect((incoming.incoming as object[])[0]).to.include({
        transferId: "ccer:1",
        from: world.address("alice"),
        amount: "50",
        releasable: false,
      });
      const text = await world.cli(["transfer", "list", "alice"]);
      expect(text.stdout).to.match(/ccer:1\s+50 t of CCER batch 1 to 0x[0-9a-fA-F]{40} \(carol\), executable from /);
    });

    it("the sender cancels it and the units are unlocked", async function () {
      const r = await world.cli(["transfer", "cancel", "ccer:1", "--from", "alice"]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain("Cancelled pending transfer ccer:1");
      const plain = await world.ok(["transfer", "cancel", "2", "--from", "alice"]);
      expect(plain).to.include({ status: "cancelled", transferId: "ccer:2" });
      const bal = await world.ok(["balance", "alice"]);
      expect((bal.ccer as object[])[0]).to.include({ balance: "900", available: "900", locked: "0" });
      expect((await world.ok(["transfer", "list", "carol"])).incoming).to.deep.equal([]);
    });
  });

  describe("pending transfers after the hold period", function () {
    it("anyone executes a released transfer; the registry operator blocks another", async function () {
      const pending = await world.ok(["transfer", "carol", "10", "--vintage", "TJEA14", "--from", "alice"]);
      expect(pending.transferId).to.equal("allowance:1");
      const cash = await world.ok(["transfer", "carol", "12.30", "--cash", "--from", "alice"]);
      expect(cash).to.include({ transferId: "cash:1", amount: "1230", unit: "fen" });

      await world.increaseTime(3601);
      const executed = await world.ok(["transfer", "execute", "allowance:1", "--from", "bob"]);
      expect(executed).to.include({ status: "executed", transferId: "allowance:1" });
      const blocked = await world.ok(["admin", "block", "cash:1", "--case", "CASE-2014-7", "--from", "operator"]);
      expect(blocked).to.include({ status: "blocked", caseRef: "CASE-2014-7" });

      const carol = await world.ok(["balance", "carol"]);
      expect(carol.allowances).to.deep.equal([
        { vintage: 2014, product: "TJEA14", balance: "10", available: "10", locked: "0" },
      ]);
      expect(carol.cash).to.deep.include({ balance: "0" });
      const alice = await world.ok(["balance", "alice"]);
      expect(alice.cash).to.deep.include({ balance: "500050", locked: "0" });
    });
  });

  describe("admin", function () {
    it("freezes, unfreezes, opens a second account and closes an empty one", async function () {
      await world.wallet("carol2");
      expect(await world.ok(["admin", "freeze", "carol", "--from", "operator"])).to.include({ action: "freeze" });
      expect((await world.ok(["balance", "carol"])).account).to.include({ status: "frozen" });
      await world.ok(["admin", "unfreeze", "carol", "--from", "operator"]);
      await world.ok(["admin", "open-account", "1003", "carol2", "--from", "operator"]);
      expect((await world.ok(["balance", "carol2"])).account).to.include({ status: "active", entityId: "1003" });
      await world.ok(["admin", "close", "carol2", "--from", "operator"]);
      expect((await world.ok(["balance", "carol2"])).account).to.include({ status: "closed" });
    });

    it("suspends and resumes transfers", async function () {
      expect(await world.ok(["admin", "suspend", "market incident", "--from", "regulator"])).to.include({
        suspended: true,
      });
      expect(await world.contracts.rules.suspended()).to.equal(true);
      await world.ok(["admin", "resume", "--from", "regulator"]);
      expect(await world.contracts.rules.suspended()).to.equal(false);
    });

    it("recovers a lost wallet: schedules, refuses to execute early, executes after the delay", async function () {
      const newWallet = await world.wallet("carol-new");
      const scheduled = await world.cli(["admin", "recover", "carol", "carol-new", "--from", "regulator"]);
      expect(scheduled.code, scheduled.stderr).to.equal(0);
      expect(scheduled.stdout).to.contain("Scheduled: Recovery of").and.to.contain("--execute");
      await world.rejects(["admin", "recover", "carol", "carol-new", "--execute", "--from", "regulator"], {
        code: "OPERATION_NOT_READY",
        message: /is scheduled but not ready: it can be executed from .* in (59 min|1 h)/,
        exit: 1,
      });
      await world.increaseTime(ENFORCEMENT_DELAY + 1);
      const executed = await world.ok(["admin", "recover", "carol", "carol-new", "--execute", "--from", "regulator"]);
      expect(executed).to.include({ status: "executed", newWallet });
      expect((await world.ok(["balance", "carol"])).account).to.include({ status: "closed" });
      const moved = await world.ok(["balance", "carol-new"]);
      expect(moved.account).to.include({ status: "active", entityId: "1003" });
      expect(moved.allowances).to.deep.equal([
        { vintage: 2014, product: "TJEA14", balance: "10", available: "10", locked: "0" },
      ]);
    });

    it("forces a transfer through the execution delay", async function () {
      const args = [
        "admin",
        "force-transfer",
        "bob",
        "alice",
        "40",
        "--ccer",
        "1",
        "--case",
        "CASE-9",
        "--from",
        "regulator",
      ];
      expect(await world.ok(args)).to.include({ status: "scheduled", amount: "40" });
      await world.increaseTime(ENFORCEMENT_DELAY + 1);
      expect(await world.ok([...args, "--execute"])).to.include({ status: "executed" });
      expect((await world.ok(["balance", "bob"])).ccer as object[]).to.deep.equal([
        {
          batch: "1",
          projectId: "CCER-1234",
          projectType: "wind",
          hydro: false,
          balance: "60",
          available: "60",
          locked: "0",
        },
      ]);
    });
  });

  describe("the ets binary", function () {
    it("runs through bin/ets.js (tsx) and prints one JSON object", function () {
      const bin = path.join(__dirname, "..", "..", "bin", "ets.js");
      const out = spawnSync(process.execPath, [bin, "balance", "alice", "--json"], {
        env: { ...process.env, ...world.env() },
        encoding: "utf8",
      });
      expect(out.status, out.stderr).to.equal(0);
      const json = JSON.parse(out.stdout) as { address: string; allowances: { balance: string }[] };
      expect(json.address).to.equal(world.address("alice"));
      expect(json.allowances[0]?.balance).to.equal("790");

      const bad = spawnSync(process.execPath, [bin, "transfer", "0x12", "1", "--cash", "--from", "alice"], {
        env: { ...process.env, ...world.env() },
        encoding: "utf8",
      });
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.match(/^error \[INVALID_ADDRESS\]: The receiver "0x12" is not an address/);
    });
  });
});
