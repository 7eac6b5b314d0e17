import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { computeAllocationPlan, parseAllocationInput } from "../../sdk/allocation";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { findKeystore, unlockKeystore } from "../../sdk/keystore";
import { CliWorld, PASSWORD } from "./cli.fixture";

/**
 * The regulator's compliance cycle through the real CLI (`ets admin …`) against a real chain: cap,
 * coverage, allocation (dry run, issue, resume), the compliance year and its rules, verifiers and
 * reports (submitted and attested directly through the contracts, as the entities and verifiers
 * would), adjustments and claw-backs, the year close after time travel, and sales from the reserve.
 * Every rejected input is checked for its code, sentence, exit code, JSON form and for changing
 * nothing on chain (`CliWorld.rejects`).
 */

const DAY = 86_400;
const REG = ["--from", "regulator"];

/** An allocation input of three covered entities: 42,140 t + 40,000 t + 10,000 t = 92,140 t. */
function allocationInput(year: number, overrides: Record<string, unknown> = {}) {
  return {
    schema: "ets-allocation/1",
    description: `Test allocation of ${year}.`,
    year,
    cap: 100_000,
    reserveBps: 600,
    baseYears: [2009, 2010, 2011, 2012],
    sectorFactors: { steel: "0.98", chemicals: "1" },
    benchmarks: {},
    entities: [
      {
        entityId: 1001,
        name: "Tianjin Steel Co.",
        sector: "steel",
        method: "grandfathering",
        emissions: { "2009": 40_000, "2010": 42_000, "2011": 44_000, "2012": 46_000 },
        adjustment: 0,
        newFacility: 0,
      },
      {
        entityId: 1002,
        name: "Binhai Power",
        sector: "power",
        method: "benchmark",
        emissions: { "2009": 39_000, "2010": 40_000, "2011": 41_000, "2012": 40_000 },
        output: { electricityMWh: { "2012": 100_000 } },
        intensity: { kgCO2PerMWh: { "2009": 410, "2010": 400, "2011": 395, "2012": 395 } },
        adjustment: 0,
        newFacility: 0,
      },
      {
        entityId: 1003,
        name: "Dongli Chemicals",
        sector: "chemicals",
        method: "grandfathering",
        emissions: { "2009": 10_000, "2010": 10_000, "2011": 10_000, "2012": 10_000 },
        adjustment: 0,
        newFacility: 0,
      },
    ],
    ...overrides,
  };
}

describe("ets admin: the compliance cycle", function () {
  let world: CliWorld;
  const files: Record<string, string> = {};
  const reject = (argv: string[], code: string, message: RegExp, exit: 1 | 2) =>
    world.rejects(argv, { code, message, exit });

  /** Writes a JSON file into the world's folder and returns its path. */
  function writeJson(name: string, value: unknown): string {
    const file = path.join(world.root, name);
    fs.writeFileSync(file, JSON.stringify(value, null, 2));
    return file;
  }

  /** Contracts signed by a wallet of the folder (what an entity or a verifier does through its own client). */
  async function as(name: string): Promise<Contracts> {
    const wallet = (await unlockKeystore(findKeystore(world.walletDir, name), PASSWORD)).connect(world.provider);
    return connectContracts(world.manifest, wallet);
  }

  /** The chain's time: the later of the last block's and the clock's. */
  async function chainTime(): Promise<number> {
    const block = await world.provider.getBlock("latest");
    return Math.max(block?.timestamp ?? 0, Math.floor(Date.now() / 1000));
  }

  const day = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);
  const hash = (text: string) => keccak256(toUtf8Bytes(text));

  before(async function () {
    world = await CliWorld.start();
    for (const name of ["alice", "bob", "dora", "carol", "ver1", "ver2", "spare"]) await world.wallet(name);
    const parties: [string, number, string[]][] = [
      ["alice", 1001, ["--category", "covered-entity", "--sector", "steel"]],
      ["bob", 1002, ["--category", "covered-entity", "--sector", "power"]],
      ["dora", 1003, ["--category", "covered-entity", "--sector", "chemicals"]],
      ["carol", 1004, ["--category", "institution"]],
      ["ver1", 2001, ["--category", "verifier"]],
      ["ver2", 2002, ["--category", "verifier"]],
    ];
    for (const [name, id, extra] of parties) {
      await world.ok(
        ["admin", "register", name, "--entity-id", String(id), "--name", `Entity ${id}`].concat([
          "--credit-code",
          `91120116MA05K${id}0`,
          "--from",
          "operator",
          ...extra,
        ]),
      );
    }
    files.plan2014 = writeJson("allocation-2014.json", allocationInput(2014));
  });

  after(async function () {
    await world?.stop();
  });

  describe("cap and allocation", function () {
    it("sets a year's cap with the default 6% reserve, and sends nothing when it is already so", async function () {
      const r = await world.ok(["admin", "cap", "2014", "100000", ...REG]);
      expect(r).to.deep.include({
        year: 2014,
        cap: "100000",
        reserveBps: 600,
        reserve: "6000",
        freePool: "94000",
        previous: null,
        changed: true,
      });
      expect(r.tx).to.match(/^0x[0-9a-f]{64}$/);
      const info = await world.contracts.allocation.yearInfo(2014);
      expect([info.cap, info.reserveBps, info.reserve]).to.deep.equal([100_000n, 600n, 6_000n]);

      const height = await world.provider.getBlockNumber();
      const again = await world.cli(["admin", "cap", "2014", "100000", "--reserve", "600bps", ...REG]);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.contain(
        "The cap of 2014 is already 100,000 t, of which the government reserve 6% = 6,000 t",
      );
      expect(await world.provider.getBlockNumber()).to.equal(height);
    });

    it("rejects a bad cap before sending anything", async function () {
      await reject(
        ["admin", "cap", "1999", "100", ...REG],
        "INVALID_YEAR",
        /^The year "1999" is not a year of the scheme/,
        2,
      );
      await reject(["admin", "cap", "2014", "0", ...REG], "ZERO_AMOUNT", /cap must be greater than zero/, 2);
      await reject(["admin", "cap", "2014", "100", "--reserve", "six", ...REG], "INVALID_SHARE", /not a share/, 2);
      await reject(
        ["admin", "cap", "2014", "100000", "--reserve", "101%", ...REG],
        "INVALID_RESERVE_SHARE",
        /A reserve of 101% is more than the whole cap/,
        2,
      );
      await reject(
        ["admin", "cap", "2016", "100000", "--from", "operator"],
        "UNAUTHORISED_ROLE",
        /does not hold the REGULATOR role that setCap on Allocation needs/,
        1,
      );
      await reject(["admin", "cap", "2016", "100000"], "FROM_REQUIRED", /--from/, 2);
    });

    it("lists who must hold an account and whether each has one", async function () {
      const history = writeJson("history.json", [
        { entityId: 1001, sector: "steel", emissions: { "2009": 40_000, "2012": 46_000 } },
        { entityId: 1003, sector: "chemicals", emissions: { "2009": 19_999, "2012": 20_000 } },
        { entityId: 1004, sector: "buildings", emissions: { "2011": 30_000 } },
        { entityId: 1005, sector: "heat", emissions: { "2010": 25_000 } },
        { entityId: 1006, sector: "steel", emissions: { "2008": 90_000, "2009": 100 } },
      ]);
      const r = await world.ok(["admin", "coverage", history]);
      expect(r).to.deep.include({ covered: 4, withActiveAccount: 2, missing: 2 });
      const entities = r.entities as { entityId: string; status: string; qualifyingYears: unknown[] }[];
      expect(entities.map((e) => [e.entityId, e.status])).to.deep.equal([
        ["1001", "active"],
        ["1003", "active"],
        ["1004", "not-a-covered-entity"],
        ["1005", "not-registered"],
      ]);
      expect(entities[1]?.qualifyingYears).to.deep.equal([{ year: 2012, tonnes: "20000" }]);

      const narrow = await world.ok(["admin", "coverage", history, "--threshold", "26000", "--since", "2011"]);
      expect((narrow.entities as { entityId: string }[]).map((e) => e.entityId)).to.deep.equal(["1001", "1004"]);
      const text = await world.cli(["admin", "coverage", history]);
      expect(text.stdout).to.contain("4 entities emitted at least 20,000 t CO2 in a year since 2009");
      expect(text.stdout).to.match(/1005\s+heat.*NOT REGISTERED/);

      await reject(["admin", "coverage", path.join(world.root, "missing.json")], "FILE_UNREADABLE", /Cannot read/, 1);
      const notJson = path.join(world.root, "not.json");
      fs.writeFileSync(notJson, "{ nope");
      await reject(["admin", "coverage", notJson], "ALLOCATION_INPUT_INVALID", /not JSON/, 2);
      await reject(["admin", "coverage", history, "--threshold", "0"], "ZERO_AMOUNT", /threshold/, 2);
      await reject(["admin", "coverage", history, "--since", "19"], "INVALID_YEAR", /--since/, 2);
    });

    it("prints the plan of a dry run and sends nothing", async function () {
      const plan = computeAllocationPlan(parseAllocationInput(allocationInput(2014)));
      const before = await world.snapshot();
      const r = await world.ok(["admin", "allocate", files.plan2014 as string, "--dry-run"]);
      expect(r).to.deep.include({
        year: 2014,
        dryRun: true,
        total: "92140",
        entries: 3,
        inputsHash: plan.inputsHash,
        planHash: plan.planHash,
      });
      expect(r.sectors).to.deep.equal([
        { sector: "steel", entities: 1, total: "42140" },
        { sector: "chemicals", entities: 1, total: "10000" },
        { sector: "power", entities: 1, total: "40000" },
      ]);
      expect((r.allocations as { wallet: string }[]).map((a) => a.wallet)).to.deep.equal([
        world.address("alice"),
        world.address("bob"),
        world.address("dora"),
      ]);
      const text = await world.cli(["admin", "allocate", files.plan2014 as string, "--dry-run"]);
      expect(text.stdout).to.contain("By sector:").and.to.contain(`Plan hash   ${plan.planHash}`);
      expect(text.stdout).to.contain("Dry run, nothing was sent: the cap is set already; would register the plan");
      expect(await world.snapshot()).to.equal(before);
    });

    it("rejects a plan that cannot be issued, naming every entity at fault", async function () {
      const broken = writeJson("broken.json", { ...allocationInput(2016), baseYears: [2009, 2020] });
      await reject(["admin", "allocate", broken, ...REG], "ALLOCATION_INPUT_INVALID", /baseYears\[1\]/, 2);
      const over = writeJson("over.json", allocationInput(2016, { cap: 90_000 }));
      await reject(["admin", "allocate", over, ...REG], "ALLOCATION_OVER_CAP", /more than the free pool/, 2);
      const strangers = allocationInput(2016);
      strangers.entities = [
        { ...(strangers.entities[2] as (typeof strangers.entities)[number]), entityId: 1004 },
        { ...(strangers.entities[2] as (typeof strangers.entities)[number]), entityId: 1009 },
      ];
      await reject(
        ["admin", "allocate", writeJson("strangers.json", strangers), ...REG],
        "NOT_A_COVERED_ENTITY",
        /2 entities of the 2016 plan cannot receive allowances, so nothing was sent: 1004 "Entity 1004" is registered as an institution, not as a covered entity; 1009 is not registered/,
        2,
      );
      const otherCap = writeJson("other-cap.json", allocationInput(2014, { cap: 120_000 }));
      await reject(
        ["admin", "allocate", otherCap, ...REG],
        "CAP_BELOW_ISSUED",
        /The cap of 2014 on chain is 100,000 t with a 6% reserve, but the input file says 120,000 t/,
        1,
      );
      await reject(
        ["admin", "allocate", files.plan2014 as string, "--chunk", "0", ...REG],
        "INVALID_NUMBER",
        /chunk/,
        2,
      );
    });

    it("issues the plan in chunks, and a second run has nothing left to do", async function () {
      const uri = "https://ets.example/allocation/2014.json";
      const r = await world.ok(["admin", "allocate", files.plan2014 as string, "--uri", uri, "--chunk", "2", ...REG]);
      expect(r).to.deep.include({ capSet: false, planRegistered: true, issued: 3, uri });
      expect(r.onChain).to.deep.equal({ capSet: true, planRegistered: true, entriesIssued: 3, complete: true });
      expect((r.transactions as { step: string }[]).map((t) => t.step)).to.deep.equal(["plan", "issue", "issue"]);
      const info = await world.contracts.allocation.yearInfo(2014);
      expect(info.planComplete).to.equal(true);
      expect(info.planUri).to.equal(uri);
      const balance = (name: string) => world.contracts.allowances.balanceOf(world.address(name), 2014);
      expect([await balance("alice"), await balance("bob"), await balance("dora")]).to.deep.equal([
        42_140n,
        40_000n,
        10_000n,
      ]);

      const height = await world.provider.getBlockNumber();
      const again = await world.cli(["admin", "allocate", files.plan2014 as string, ...REG]);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.contain("The plan of 2014 is already issued in full (3 entries); nothing was sent.");
      expect(await world.provider.getBlockNumber()).to.equal(height);
      await reject(
        ["admin", "cap", "2014", "50000", ...REG],
        "CAP_BELOW_ISSUED",
        /leaves a free pool of 47,000 t for 2014, but 92,140 t are already planned or issued from it/,
        1,
      );
    });

    it("issues an adjustment from the reserve and claws allowances back", async function () {
      const r = await world.ok([
        "admin",
        "adjust",
        "2014",
        "alice",
        "860",
        "--reason",
        "Ex-post: new coke oven",
        ...REG,
      ]);
      expect(r).to.deep.include({
        entityId: "1001",
        wallet: world.address("alice"),
        amount: "860",
        newEntrant: false,
        reserveRemaining: "5140",
      });
      const c = await world.ok([
        "admin",
        "clawback",
        "TJEA14",
        "bob",
        "500",
        "--reason",
        "Line closed in 2014",
        ...REG,
      ]);
      expect(c).to.deep.include({ vintage: 2014, amount: "500", remaining: "39500" });
      expect(await world.contracts.allocation.clawedBack(2014)).to.equal(500n);

      // 1,000 t of bob's 39,500 t are locked by a pending transfer: 38,500 t can be clawed back.
      expect(await world.ok(["transfer", "carol", "1000", "--vintage", "2014", "--from", "bob"])).to.include({
        status: "pending",
      });
      const reason = ["--reason", "Overallocation", ...REG];
      await reject(
        ["admin", "clawback", "2014", "bob", "39000", ...reason],
        "CLAWBACK_EXCEEDS_BALANCE",
        /holds 39,500 t of TJEA14, of which 1,000 t are locked by its pending transfers: 38,500 t can be clawed back, 39,000 t were requested/,
        1,
      );
      await reject(["admin", "clawback", "14", "bob", "1", ...reason], "INVALID_VINTAGE", /not a vintage/, 2);
      await reject(["admin", "adjust", "2014", "9999", "10", ...reason], "ENTITY_NOT_FOUND", /No entity .* 9999/, 1);
      await reject(
        ["admin", "adjust", "2014", "spare", "10", ...reason],
        "ACCOUNT_NOT_REGISTERED",
        /names no entity/,
        1,
      );
      await reject(["admin", "adjust", "2014", "alice", "1.5", ...reason], "AMOUNT_NOT_WHOLE", /whole number/, 2);
      await reject(["admin", "adjust", "2014", "alice", "10", ...REG], "INVALID_USAGE", /--reason/, 2);
      await reject(["admin", "adjust", "2014", "alice", "10", "--reason", " ", ...REG], "MISSING_VALUE", /reason/, 2);
      await reject(
        ["admin", "adjust", "2014", "alice", "10", "--reason", "x".repeat(300), ...REG],
        "INVALID_REASON",
        /1 to 256 bytes/,
        2,
      );
      await reject(["admin", "adjust", "2016", "alice", "10", ...reason], "CAP_NOT_SET", /cap of 2016 is not set/, 1);
      await reject(
        ["admin", "adjust", "2014", "carol", "10", ...reason],
        "NOT_A_COVERED_ENTITY",
        /registered as an institution, not as a covered entity/,
        2,
      );
      await reject(
        ["admin", "adjust", "2014", "1001", "5141", ...reason],
        "RESERVE_EXHAUSTED",
        /only 5,140 t of its 6,000 t remain/,
        1,
      );
    });
  });

  describe("the compliance year", function () {
    let reportsDue: string;
    let surrenderDue: string;

    before(async function () {
      const now = await chainTime();
      reportsDue = day(now + 10 * DAY);
      surrenderDue = day(now + 20 * DAY);
    });

    it("opens the year with its calendar and the default offset rules", async function () {
      await reject(
        ["admin", "open-year", "2014", "--reports-due", surrenderDue, "--surrender-due", reportsDue, ...REG],
        "INVALID_SCHEDULE",
        /reporting opens .* < report deadline .* ≤ surrender deadline/,
        2,
      );
      const dates = ["--reports-due", reportsDue, "--surrender-due", surrenderDue];
      await reject(
        ["admin", "open-year", "2014", "--reports-due", "30 April", "--surrender-due", surrenderDue, ...REG],
        "INVALID_DATE",
        /30 April/,
        2,
      );
      await reject(
        ["admin", "open-year", "2014", "--reports-due", reportsDue, ...REG],
        "INVALID_USAGE",
        /--surrender-due/,
        2,
      );
      await reject(
        ["admin", "open-year", "2014", ...dates, "--offset-cap", "120%", ...REG],
        "INVALID_OFFSET_CAP",
        /120%/,
        2,
      );
      await reject(
        ["admin", "open-year", "2014", ...dates, "--allowed-types", "wind,,solar", ...REG],
        "MISSING_VALUE",
        /empty/,
        2,
      );

      const r = await world.ok(["admin", "open-year", "2014", ...dates, ...REG]);
      expect(r.schedule).to.deep.equal({
        reportingOpens: { unix: Date.UTC(2015, 0, 1) / 1000, iso: "2015-01-01T00:00:00Z" },
        reportDeadline: { unix: Date.parse(`${reportsDue}T23:59:59Z`) / 1000, iso: `${reportsDue}T23:59:59Z` },
        surrenderDeadline: { unix: Date.parse(`${surrenderDue}T23:59:59Z`) / 1000, iso: `${surrenderDue}T23:59:59Z` },
      });
      expect(r.offsetRules).to.deep.equal({
        offsetCapBps: 1000,
        offsetCap: "10%",
        earliestReductionStart: null,
        excludeHydro: true,
        allowedTypes: [],
        excludedTypes: [],
      });
      expect(r.covered).to.equal(3);
      expect((await world.contracts.compliance.yearClose(2014)).opened).to.equal(true);
      await reject(["admin", "open-year", "2014", ...dates, ...REG], "YEAR_ALREADY_OPEN", /2014 was opened already/, 1);
    });

    it("shows and changes the offset rules and the penalties", async function () {
      const shown = await world.ok(["admin", "offset-rules", "2014"]);
      expect(shown).to.deep.include({ year: 2014, closed: false });
      const changed = await world.ok(
        ["admin", "offset-rules", "2014", "--offset-cap", "5%", "--allowed-types", "wind,solar"].concat([
          "--earliest-reduction",
          "2013-01-01",
          ...REG,
        ]),
      );
      expect(changed.offsetRules).to.deep.equal({
        offsetCapBps: 500,
        offsetCap: "5%",
        earliestReductionStart: { unix: Date.UTC(2013, 0, 1) / 1000, iso: "2013-01-01T00:00:00Z" },
        excludeHydro: true,
        allowedTypes: [
          { hash: hash("wind"), name: "wind" },
          { hash: hash("solar"), name: "solar" },
        ],
        excludedTypes: [],
      });
      const rules = await world.contracts.compliance.offsetRules(2014);
      expect([rules.capBps, [...rules.allowedTypes]]).to.deep.equal([500n, [hash("wind"), hash("solar")]]);
      const text = await world.cli(["admin", "offset-rules", "2014"]);
      expect(text.stdout).to.contain("CCER may cover at most 5% of an entity's obligation.");
      await reject(["admin", "offset-rules", "2016"], "COMPLIANCE_YEAR_NOT_OPEN", /2016 was never opened/, 1);
      await reject(
        ["admin", "offset-rules", "2014", "--allow-hydro", "--exclude-hydro", ...REG],
        "INVALID_USAGE",
        /not both/,
        2,
      );

      expect(await world.ok(["admin", "penalties"])).to.deep.include({
        flagYears: 3,
        finePerTonne: "0",
        changed: false,
      });
      const p = await world.ok(["admin", "penalties", "--flag-years", "2", "--fine", "50", ...REG]);
      expect(p).to.deep.include({ flagYears: 2, finePerTonne: "5000", finePerTonneCny: "50.00", changed: true });
      await reject(["admin", "penalties", "--flag-years", "101", ...REG], "INVALID_PENALTIES", /101 years/, 2);
      await reject(["admin", "penalties", "--fine", "-1", ...REG], "NEGATIVE_AMOUNT", /fine per tonne/, 2);
      await reject(["admin", "penalties", "--fine", "1.234", ...REG], "AMOUNT_NOT_WHOLE", /whole number of fen/, 2);
    });

    it("accredits verifiers and assigns them to reports", async function () {
      expect(await world.ok(["admin", "accredit", "ver1", ...REG])).to.deep.include({
        entityId: "2001",
        accredited: true,
        changed: true,
      });
      expect(await world.ok(["admin", "accredit", "2002", ...REG])).to.deep.include({
        accredited: true,
        changed: true,
      });
      expect(await world.ok(["admin", "accredit", "2002", "--withdraw", ...REG])).to.deep.include({
        accredited: false,
        changed: true,
      });
      expect(await world.ok(["admin", "accredit", "ver2", "--withdraw", ...REG])).to.deep.include({ changed: false });
      await reject(
        ["admin", "accredit", "alice", ...REG],
        "NOT_A_VERIFIER",
        /registered as a covered entity, not as a verification body/,
        2,
      );
      await reject(["admin", "accredit", "nobody", ...REG], "WALLET_NOT_FOUND", /nobody/, 1);

      expect(await world.ok(["admin", "assign", "alice", "2014", "ver1", ...REG])).to.deep.include({
        entityId: "1001",
        verifierEntityId: "2001",
        previousVerifier: null,
        changed: true,
      });
      await world.ok(["admin", "assign", "1002", "2014", "2001", ...REG]);
      await world.ok(["admin", "assign", "1003", "2014", "2001", ...REG]);
      expect(await world.contracts.reporting.assignedVerifier(1002, 2014)).to.equal(2001n);
      await reject(
        ["admin", "assign", "1001", "2014", "2002", ...REG],
        "VERIFIER_NOT_ACCREDITED",
        /2002 .* is not accredited: accredit it first/,
        1,
      );
      await reject(["admin", "assign", "carol", "2014", "2001", ...REG], "NOT_COVERED", /is not covered in 2014/, 1);
      await reject(["admin", "assign", "1001", "2016", "2001", ...REG], "YEAR_NOT_OPEN", /2016 was never opened/, 1);
    });

    it("approves verified reports, and returns one with an adverse opinion", async function () {
      const alice = await as("alice");
      const bob = await as("bob");
      const ver1 = await as("ver1");
      await (
        await alice.reporting.submitReport(2014, 43_000, hash("report A"), hash("pdf A"), "ipfs://report-a")
      ).wait();
      await reject(
        ["admin", "approve", "1001", "2014", ...REG],
        "REPORT_NOT_VERIFIED",
        /waits for the assigned verifier's attestation/,
        1,
      );
      await (await ver1.reporting.attest(1001, 2014, 43_000, hash("statement A"), 1)).wait();
      const a = await world.ok(["admin", "approve", "alice", "2014", ...REG]);
      expect(a).to.deep.include({
        entityId: "1001",
        obligation: "43000",
        reportedTotal: "43000",
        opinion: "positive",
        version: 1,
      });
      expect([...(await world.contracts.reporting.obligationOf(1001, 2014))]).to.deep.equal([true, 43_000n]);
      await reject(
        ["admin", "approve", "1001", "2014", ...REG],
        "ALREADY_DECIDED",
        /fixed already: 43,000 t \(approved\)/,
        1,
      );
      await reject(
        ["admin", "assign", "1001", "2014", "2001", ...REG],
        "REPORT_LOCKED",
        /is approved: its verifier can no longer change/,
        1,
      );

      await (await bob.reporting.submitReport(2014, 40_500, hash("report B"), hash("pdf B"), "ipfs://report-b")).wait();
      await (await ver1.reporting.attest(1002, 2014, 41_000, hash("statement B"), 3)).wait();
      await reject(["admin", "approve", "bob", "2014", ...REG], "ADVERSE_OPINION", /return it/, 1);
      await reject(
        ["admin", "return", "bob", "2014", "--reason", "x".repeat(600), ...REG],
        "INVALID_FIELD",
        /1 to 512 bytes/,
        2,
      );
      await reject(
        ["admin", "return", "1003", "2014", "--reason", "Nothing to return", ...REG],
        "NOTHING_TO_RETURN",
        /not submitted/,
        1,
      );
      const ret = await world.ok([
        "admin",
        "return",
        "bob",
        "2014",
        "--reason",
        "Fuel records of line 2 missing",
        ...REG,
      ]);
      expect(ret).to.deep.include({ entityId: "1002", version: 1 });
      await (
        await bob.reporting.submitReport(2014, 41_000, hash("report B2"), hash("pdf B2"), "ipfs://report-b2")
      ).wait();
      await (await ver1.reporting.attest(1002, 2014, 41_000, hash("statement B2"), 2)).wait();
      expect(await world.ok(["admin", "approve", "1002", "2014", ...REG])).to.deep.include({
        obligation: "41000",
        opinion: "qualified",
        version: 2,
      });
      await reject(
        ["admin", "estimate", "1003", "2014", "12000", "--reason", "No report", ...REG],
        "REPORT_DEADLINE_NOT_PASSED",
        /only after the report deadline/,
        1,
      );
    });

    it("closes the year after the surrender deadline, with each entity's result", async function () {
      // The entities surrender through their own clients: alice all she owes, bob 30,000 t of 41,000 t.
      await (await (await as("alice")).compliance.surrender(2014, [2014], [43_000], [], [])).wait();
      await (await (await as("bob")).compliance.surrender(2014, [2014], [30_000], [], [])).wait();
      await reject(
        ["admin", "close-year", "2014", ...REG],
        "SURRENDER_DEADLINE_NOT_PASSED",
        /only after its surrender deadline/,
        1,
      );
      await world.increaseTime(21 * DAY);
      await reject(
        ["admin", "close-year", "2014", ...REG],
        "OBLIGATION_NOT_SET",
        /^1 covered entity has no obligation for 2014 yet and blocks the close: 1003 "Entity 1003" \(report not submitted\)/,
        1,
      );
      await reject(
        ["admin", "close-year", "2014", "--batch", "0", ...REG],
        "INVALID_BATCH_SIZE",
        /at least one entity/,
        2,
      );
      await reject(["admin", "close-year", "2016", ...REG], "COMPLIANCE_YEAR_NOT_OPEN", /2016 was never opened/, 1);
      await reject(
        ["admin", "estimate", "1001", "2014", "1", "--reason", "x", ...REG],
        "ALREADY_DECIDED",
        /fixed already/,
        1,
      );
      expect(
        await world.ok([
          "admin",
          "estimate",
          "dora",
          "2014",
          "12000",
          "--reason",
          "No report: 120% of the 2012 emissions",
          ...REG,
        ]),
      ).to.deep.include({ entityId: "1003", obligation: "12000" });

      const r = await world.ok(["admin", "close-year", "2014", "--batch", "2", ...REG]);
      expect(r).to.deep.include({
        closed: true,
        alreadyClosed: false,
        compliant: 1,
        inShortfall: 2,
        totalShortfall: "23000",
      });
      expect(r.transactions).to.have.length(2);
      expect(r.entities).to.deep.equal([
        {
          entityId: "1001",
          name: "Entity 1001",
          status: "compliant",
          obligation: "43000",
          allowancesSurrendered: "43000",
          offsetsSurrendered: "0",
          shortfall: "0",
          fine: "0",
          flaggedUntil: null,
        },
        {
          entityId: "1002",
          name: "Entity 1002",
          status: "shortfall",
          obligation: "41000",
          allowancesSurrendered: "30000",
          offsetsSurrendered: "0",
          shortfall: "11000",
          fine: "55000000",
          flaggedUntil: 2016,
        },
        {
          entityId: "1003",
          name: "Entity 1003",
          status: "shortfall",
          obligation: "12000",
          allowancesSurrendered: "0",
          offsetsSurrendered: "0",
          shortfall: "12000",
          fine: "60000000",
          flaggedUntil: 2016,
        },
      ]);
      expect(await world.contracts.allocation.carriedShortfall(1002)).to.equal(11_000n);

      const again = await world.cli(["admin", "close-year", "2014", ...REG]);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.contain(
        "Compliance year 2014 was closed already: 1 compliant, 2 in shortfall, total shortfall 23,000 t",
      );
      expect(again.stdout).to.match(
        /1002\s+shortfall\s+41,000 t\s+30,000 t\s+11,000 t\s+CNY 550,000.00\s+2016\s+Entity 1002/,
      );
      await reject(
        ["admin", "offset-rules", "2014", "--offset-cap", "8%", ...REG],
        "COMPLIANCE_YEAR_CLOSED",
        /closed/,
        1,
      );
      await reject(["admin", "approve", "1003", "2014", ...REG], "YEAR_CLOSED", /2014 is closed/, 1);
    });
  });

  describe("sales from the reserve", function () {
    it("creates an auction and a fixed-price sale, and finalises the auction after its reveal phase", async function () {
      const create = ["admin", "auction", "create", "2014", "1000", "--reserve-price", "20"];
      await reject(
        [...create, "--bidding-ends", "2000-01-01", "--reveal-ends", "2d", ...REG],
        "INVALID_SALE_PARAMETERS",
        /bidding must end in the future/,
        2,
      );
      await reject(
        [...create, "--bidding-ends", "2d", "--reveal-ends", "1d", ...REG],
        "INVALID_SALE_PARAMETERS",
        /reveal phase must end after the bidding/,
        2,
      );
      await reject(
        [...create, "--bidding-ends", "tomorrow", "--reveal-ends", "2d", ...REG],
        "INVALID_DATE",
        /neither a date or time .* nor a duration/,
        2,
      );
      await reject(
        [
          "admin",
          "auction",
          "create",
          "2014",
          "1000",
          "--reserve-price",
          "abc",
          "--bidding-ends",
          "1d",
          "--reveal-ends",
          "2d",
          ...REG,
        ],
        "INVALID_AMOUNT",
        /reserve price/,
        2,
      );
      await reject(
        [
          "admin",
          "auction",
          "create",
          "2014",
          "999999",
          "--reserve-price",
          "20",
          "--bidding-ends",
          "1d",
          "--reveal-ends",
          "2d",
          ...REG,
        ],
        "RESERVE_EXHAUSTED",
        /only 5,140 t of its 6,000 t remain/,
        1,
      );
      await reject(
        [
          "admin",
          "auction",
          "create",
          "2016",
          "10",
          "--reserve-price",
          "20",
          "--bidding-ends",
          "1d",
          "--reveal-ends",
          "2d",
          ...REG,
        ],
        "CAP_NOT_SET",
        /2016/,
        1,
      );

      const a = await world.ok([...create, "--bidding-ends", "1d", "--reveal-ends", "2d", ...REG]);
      expect(a).to.deep.include({
        auctionId: "1",
        product: "TJEA14",
        quantity: "1000",
        reservePrice: "2000",
        reservePriceCny: "20.00",
      });
      expect(await world.contracts.allocation.reserveRemaining(2014)).to.equal(4_140n);
      await reject(
        ["admin", "auction", "finalise", "1", "--from", "alice"],
        "AUCTION_WRONG_PHASE",
        /only after its reveal phase/,
        1,
      );
      await reject(["admin", "auction", "finalise", "99", "--from", "alice"], "UNKNOWN_AUCTION", /no auction 99/, 1);
      await reject(["admin", "auction", "finalise", "x", "--from", "alice"], "INVALID_NUMBER", /auction id/, 2);

      const sale = ["admin", "sale", "create", "2014", "500", "--price", "25.50"];
      await reject(
        [...sale, "--opens", "3d", "--closes", "2d", ...REG],
        "INVALID_SALE_PARAMETERS",
        /must close after it opens/,
        2,
      );
      await reject(
        [...sale, "--opens", "now", "--closes", "2d", "--max-per-buyer", "0", ...REG],
        "ZERO_AMOUNT",
        /maximum per buyer/,
        2,
      );
      const s = await world.ok([...sale, "--opens", "now", "--closes", "7d", "--max-per-buyer", "100", ...REG]);
      expect(s).to.deep.include({ saleId: "1", price: "2550", priceCny: "25.50", maxPerBuyer: "100" });
      expect(await world.contracts.allocation.reserveRemaining(2014)).to.equal(3_640n);

      await world.increaseTime(2 * DAY + 60);
      const f = await world.ok(["admin", "auction", "finalise", "1", "--from", "alice"]);
      expect(f).to.deep.include({ auctionId: "1", bids: 0, sold: "0", unsold: "1000" });
      expect(await world.contracts.allocation.reserveRemaining(2014)).to.equal(4_640n);
      await reject(
        ["admin", "auction", "finalise", "1", "--from", "alice"],
        "AUCTION_WRONG_PHASE",
        /finalised already/,
        1,
      );
    });
  });

  describe("the next year", function () {
    it("continues an interrupted allocation and refuses a different plan", async function () {
      await world.ok(["admin", "cap", "2015", "100000", ...REG]);
      const input = allocationInput(2015);
      const file = writeJson("allocation-2015.json", input);
      const plan = computeAllocationPlan(parseAllocationInput(input));
      // An earlier run stopped after registering the plan and issuing its first entry.
      const allocation = world.regulator.allocation;
      await (await allocation.registerPlan(2015, plan.inputsHash, plan.planHash, 3, plan.total, "")).wait();
      const first = plan.entries[0] as (typeof plan.entries)[number];
      await (
        await allocation.issue(2015, [
          { entityId: first.entityId, wallet: world.address("alice"), amount: first.amount },
        ])
      ).wait();

      const r = await world.ok(["admin", "allocate", file, ...REG]);
      expect(r).to.deep.include({ planRegistered: false, issued: 2 });
      expect(r.onChain).to.deep.include({ entriesIssued: 3, complete: true });
      const text = await world.cli(["admin", "allocate", file, "--dry-run"]);
      expect(text.stdout).to.contain("every entry is issued already");
      // bob's 11,000 t shortfall of 2014 is deducted from his 40,000 t of 2015.
      expect(await world.contracts.allowances.balanceOf(world.address("bob"), 2015)).to.equal(29_000n);

      const other = writeJson("allocation-2015-b.json", { ...input, description: "Another plan." });
      await reject(
        ["admin", "allocate", other, ...REG],
        "PLAN_EXISTS",
        /2015 already has a different allocation plan on chain/,
        1,
      );
    });

    it("requires a new verifier after the most consecutive years", async function () {
      const now = await chainTime();
      await world.ok(
        [
          "admin",
          "open-year",
          "2015",
          "--reports-due",
          day(now + 10 * DAY),
          "--surrender-due",
          day(now + 20 * DAY),
        ].concat(["--reporting-opens", day(now - DAY), "--allow-hydro", "--excluded-types", "methane", ...REG]),
      );
      await (await world.regulator.reporting.setMaxConsecutiveYears(1)).wait();
      try {
        await reject(
          ["admin", "assign", "alice", "2015", "ver1", ...REG],
          "VERIFIER_ROTATION_REQUIRED",
          /is assigned to entity 1001 "Entity 1001" for 2014: with 2015 that would make 2 consecutive years, more than the 1 allowed\. Assign another verifier for 2015\.$/,
          1,
        );
        await world.ok(["admin", "accredit", "ver2", ...REG]);
        expect(await world.ok(["admin", "assign", "alice", "2015", "ver2", ...REG])).to.deep.include({
          verifierEntityId: "2002",
        });
      } finally {
        await (await world.regulator.reporting.setMaxConsecutiveYears(3)).wait();
      }
    });
  });
});
