import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { keccak256 } from "ethers";
import { enableReserveSales } from "../../scripts/deploy";
import { planHashOf } from "../../sdk/allocation";
import { bidSecretDir } from "../../sdk/compliance";
import { computeReport, readReportFile, reportHash } from "../../sdk/mrv";
import { CliWorld } from "./cli.fixture";

/**
 * A participant's compliance year through the real CLI against a real chain: the report (the worked
 * examples of docs/mrv.md), its verification, surrender (banking, borrowing, the CCER cap, hydro),
 * status, voluntary cancellation with its certificate, and a reserve auction from bid to settlement
 * (and a fixed-price sale). The regulator's steps (cap, plan, opening the year, assigning the
 * verifier, approving, creating and finalising the auction) go straight to the contracts here; the
 * regulator's own commands are tested in compliance-admin-cli.test.ts.
 */

const YEAR = 2014;
const DAY = 86_400;
const EXAMPLES = path.resolve(__dirname, "..", "..", "docs", "examples");
const COAL = path.join(EXAMPLES, "report-coal-boiler.json");
const GAS = path.join(EXAMPLES, "report-gas-boiler.json");

/** Entities of the test: the two example reporters, two verification bodies, an individual, the exchange, the centre. */
const ENTITY = {
  heat: 27,
  gas: 58,
  verifierA: 9101,
  verifierB: 9102,
  carol: 9003,
  exchange: 9105,
  centre: 9100,
} as const;
const ALLOCATION = { 2013: 10_000n, heatCo: 300_000n, gasCo: 100_000n } as const;

describe("ets CLI: the participant's compliance year", function () {
  let world: CliWorld;
  /** The coal example's total (reported) and the verified total: one tonne more. */
  let reported: bigint;
  let obligation: bigint;
  let cap: bigint;

  const tx = async (send: Promise<{ wait(): Promise<unknown> }>) => (await send).wait();

  async function register(wallet: string, entityId: number, extra: string[], create = true): Promise<void> {
    if (create) await world.wallet(wallet);
    await world.ok([
      "admin",
      "register",
      wallet,
      "--entity-id",
      String(entityId),
      "--credit-code",
      `91120116MA05K${String(entityId).padStart(5, "0")}`,
      "--from",
      "operator",
      ...extra,
    ]);
  }

  /** Issues an allocation plan of one year through the Allocation contract. */
  async function allocate(year: number, grants: { entityId: number; wallet: string; amount: bigint }[]) {
    const a = world.regulator.allocation;
    const total = grants.reduce((sum, g) => sum + g.amount, 0n);
    await tx(a.setCap(year, 1_000_000n, 600));
    await tx(
      a.registerPlan(year, keccak256("0x01"), planHashOf(grants), grants.length, total, "https://example.org/plan"),
    );
    await tx(a.issue(year, grants));
  }

  before(async function () {
    world = await CliWorld.start();
    await register("alice", ENTITY.heat, [
      "--category",
      "covered-entity",
      "--sector",
      "heat",
      "--name",
      "天津滨海热力有限公司",
    ]);
    await register("bob", ENTITY.gas, [
      "--category",
      "covered-entity",
      "--sector",
      "heat",
      "--name",
      "天津津南燃气供热有限公司",
    ]);
    await register("verA", ENTITY.verifierA, ["--category", "verifier", "--name", "Verifier A"]);
    await register("verB", ENTITY.verifierB, ["--category", "verifier", "--name", "Verifier B"]);
    await register("carol", ENTITY.carol, ["--category", "individual", "--name", "Li Na"]);
    await register("tcx", ENTITY.exchange, ["--category", "exchange", "--name", "Tianjin Climate Exchange"]);
    // The management centre's wallet (the regulator's) receives the proceeds of reserve sales.
    await register("regulator", ENTITY.centre, ["--category", "institution", "--name", "Management Centre"], false);
    await enableReserveSales(world.regulator, BigInt(ENTITY.exchange));

    const alice = world.address("alice");
    await allocate(2013, [{ entityId: ENTITY.heat, wallet: alice, amount: ALLOCATION[2013] }]);
    await allocate(YEAR, [
      { entityId: ENTITY.heat, wallet: alice, amount: ALLOCATION.heatCo },
      { entityId: ENTITY.gas, wallet: world.address("bob"), amount: ALLOCATION.gasCo },
    ]);
    const now = BigInt((await world.provider.getBlock("latest"))?.timestamp ?? 0);
    const schedule = {
      reportingOpens: now,
      reportDeadline: now + 30n * BigInt(DAY),
      surrenderDeadline: now + 60n * BigInt(DAY),
    };
    const rules = {
      capBps: 1_000,
      earliestReductionStart: 1_356_998_400n, // 2013-01-01
      excludeHydro: true,
      allowedTypes: [],
      excludedTypes: [],
    };
    await tx(world.regulator.compliance.openYear(YEAR, schedule, rules));
    for (const v of [ENTITY.verifierA, ENTITY.verifierB]) await tx(world.regulator.reporting.setAccreditation(v, true));
    await tx(world.regulator.reporting.assignVerifier(ENTITY.heat, YEAR, ENTITY.verifierA));

    const ccer = (id: string, type: string, first: number, extra: string[] = []) =>
      world.ok([
        "admin",
        "import-ccer",
        "alice",
        "--project-id",
        id,
        "--type",
        type,
        "--methodology",
        "CM-001-V01",
        "--period-start",
        "2014-01-01",
        "--period-end",
        "2014-12-31",
        "--serial-first",
        String(first),
        "--serial-last",
        String(first + 49_999),
        "--origin-ref",
        `NDRC-${id}`,
        "--from",
        "regulator",
        ...extra,
      ]);
    await ccer("CCER-1001", "wind", 1); // batch 1: eligible
    await ccer("CCER-1002", "hydro", 100_001, ["--hydro"]); // batch 2: hydro
    for (const [who, cny] of [
      ["carol", "200000"],
      ["alice", "250000"],
    ] as const) {
      await world.ok(["admin", "deposit-cash", who, cny, "--bank-ref", `ICBC-${who}`, "--from", "bank"]);
    }

    reported = computeReport(await readReportFile(COAL)).totalTonnes;
    obligation = reported + 1n;
    cap = obligation / 10n;
  });

  after(async function () {
    await world?.stop();
  });

  describe("ets report submit", function () {
    it("submits the worked example: lines, total, and the content hash on chain is reportHash", async function () {
      const r = await world.cli(["report", "submit", COAL, "--from", "alice"]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout)
        .to.contain("boiler-1-coal")
        .and.to.contain("236,026.565 t CO2")
        .and.to.contain("fgd-limestone")
        .and.to.contain(`Total (rounded half up to whole tonnes): ${reported.toLocaleString("en-US")} t`)
        .and.to.contain("Submitted version 1 of entity 27's report for 2014")
        .and.to.contain('verification by entity 9101 "Verifier A"');
      const report = await readReportFile(COAL);
      const v = await world.contracts.reporting.reportVersion(ENTITY.heat, YEAR, 1);
      expect(v.contentHash).to.equal(reportHash(report));
      expect(v.documentHash, "no --document: the canonical report itself").to.equal(reportHash(report));
      expect(v.reportedTotal).to.equal(reported);
      expect(v.submitter).to.equal(world.address("alice"));
    });

    it("records the keccak256 of the signed document and its URI", async function () {
      const pdf = path.join(world.root, "report-2014-signed.pdf");
      fs.writeFileSync(pdf, Buffer.from("%PDF-1.4 signed report of entity 58\n"));
      const r = await world.ok([
        "report",
        "submit",
        GAS,
        "--document",
        pdf,
        "--uri",
        "https://docs.example.org/58/2014.pdf",
        "--from",
        "bob",
      ]);
      const report = await readReportFile(GAS);
      expect(r).to.deep.include({
        entityId: "58",
        year: YEAR,
        version: 1,
        contentHash: reportHash(report),
        documentHash: keccak256(fs.readFileSync(pdf)),
        reportedTotal: computeReport(report).totalTonnes.toString(),
      });
      const v = await world.contracts.reporting.reportVersion(ENTITY.gas, YEAR, 1);
      expect([v.contentHash, v.documentHash, v.uri]).to.deep.equal([
        reportHash(report),
        keccak256(fs.readFileSync(pdf)),
        "https://docs.example.org/58/2014.pdf",
      ]);
    });

    it("names every offending field of a report that breaks the format, and sends nothing", async function () {
      const bad = path.join(world.root, "bad-report.json");
      fs.writeFileSync(
        bad,
        JSON.stringify({
          schema: "ets-report/1",
          year: "2014",
          entity: { entityId: 27, name: "天津滨海热力有限公司", colour: "red" },
          sources: [
            {
              kind: "fuel",
              id: "boiler-1",
              description: "coal",
              consumption: "120000",
              consumptionUnit: "t",
              netCalorificValue: 20.908,
              carbonContent: "0.02618",
              oxidationRate: "1.5",
            },
            { kind: "process", id: "boiler-1", description: "limestone", activity: "3800" },
          ],
        }),
      );
      const fields = [
        "year",
        "entity.colour",
        "sources[0].netCalorificValue",
        "sources[0].oxidationRate",
        "sources[1].emissionFactor",
        "sources[1].id",
      ];
      await world.rejects(["report", "submit", bad, "--from", "alice"], {
        code: "REPORT_INVALID",
        message: /^The report \S*bad-report\.json is invalid in 6 fields: /,
        exit: 2,
      });
      // The fields come first, so that a long list of problems never hides one.
      const r = await world.cli(["report", "submit", bad, "--from", "alice"]);
      const named = r.stderr.slice(r.stderr.indexOf("fields: ") + 8, r.stderr.indexOf(". "));
      expect(named.split(", ").sort()).to.deep.equal([...fields].sort());
      expect((await world.contracts.reporting.reportOf(ENTITY.heat, YEAR)).versions).to.equal(1n);
    });

    it("refuses a report of another entity before anything is sent", async function () {
      await world.rejects(["report", "submit", GAS, "--from", "alice"], {
        code: "REPORT_ENTITY_MISMATCH",
        message: /entity 58's .*account of entity 27/,
        exit: 2,
      });
    });
  });

  describe("ets verify", function () {
    let statement: string;

    before(function () {
      statement = path.join(world.root, "statement-27-2014.pdf");
      fs.writeFileSync(statement, Buffer.from("%PDF-1.4 verification statement\n"));
    });

    it("is refused for a verifier that is not the one assigned, before sending", async function () {
      await world.rejects(
        [
          "verify",
          "27",
          "2014",
          "--total",
          obligation.toString(),
          "--opinion",
          "positive",
          "--statement",
          statement,
          "--from",
          "verB",
        ],
        { code: "NOT_ASSIGNED_VERIFIER", message: /entity 9102, not of verification body 9101/, exit: 1 },
      );
    });

    it("is refused when the report file is not the one on chain, or without a statement", async function () {
      await world.rejects(
        [
          "verify",
          "27",
          "2014",
          "--total",
          "1",
          "--opinion",
          "positive",
          "--statement",
          statement,
          "--report",
          GAS,
          "--from",
          "verA",
        ],
        { code: "REPORT_HASH_MISMATCH", message: /is not the report entity 27 submitted/, exit: 1 },
      );
      await world.rejects(["verify", "27", "2014", "--total", "1", "--opinion", "positive", "--from", "verA"], {
        code: "INVALID_USAGE",
        message: /--statement <file> and --statement-hash/,
        exit: 2,
      });
      await world.rejects(
        ["verify", "27", "2014", "--total", "1", "--opinion", "glowing", "--statement", statement, "--from", "verA"],
        { code: "INVALID_OPINION", message: /positive, qualified or adverse/, exit: 2 },
      );
    });

    it("attests as the assigned verifier: recomputes the report, shows the difference", async function () {
      const r = await world.cli([
        "verify",
        "alice", // an account of the entity names it too
        "2014",
        "--total",
        obligation.toString(),
        "--opinion",
        "positive",
        "--statement",
        statement,
        "--report",
        COAL,
        "--from",
        "verA",
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout)
        .to.contain(`recomputed total ${reported.toLocaleString("en-US")} t, as reported`)
        .and.to.contain(
          `verified total ${obligation.toLocaleString("en-US")} t, reported ${reported.toLocaleString("en-US")} t (+1 t, +0.0004 %), opinion positive`,
        );
      const state = await world.contracts.reporting.reportOf(ENTITY.heat, YEAR);
      expect([state.verifiedTotal, state.statementHash, state.opinion]).to.deep.equal([
        obligation,
        keccak256(fs.readFileSync(statement)),
        1n,
      ]);
      await tx(world.regulator.reporting.approve(ENTITY.heat, YEAR));
    });

    it("ets report show: status, versions, verifier, opinion, obligation", async function () {
      const r = await world.ok(["report", "show", "27", "2014"]);
      expect(r).to.deep.include({
        entityId: "27",
        status: "approved",
        assignedVerifier: "9101",
        verifier: "9101",
        assignedVerifierName: "Verifier A",
        opinion: "positive",
        verifiedTotal: obligation.toString(),
        obligationSet: true,
        obligation: obligation.toString(),
      });
      expect((r.versions as { reportedTotal: string }[]).map((v) => v.reportedTotal)).to.deep.equal([
        reported.toString(),
      ]);
      const text = await world.cli(["report", "show", "27", "2014"]);
      expect(text.stdout).to.contain("for 2014: approved.").and.to.contain("approved verified emissions");
    });
  });

  describe("ets surrender", function () {
    it("refuses borrowing, the CCER cap (naming it) and hydro before sending", async function () {
      await world.rejects(["surrender", "2014", "--vintage", "2015:10", "--from", "alice"], {
        code: "BORROWING_NOT_ALLOWED",
        message: /vintage 2015 \(TJEA15\) cannot be surrendered for 2014/,
        exit: 2,
      });
      await world.rejects(["surrender", "2014", "--ccer", `1:${cap + 1n}`, "--from", "alice"], {
        code: "OFFSET_CAP_EXCEEDED",
        message: new RegExp(`at most ${cap.toLocaleString("en-US")} t of entity 27's 2014 obligation .*\\(10 %\\)`),
        exit: 2,
      });
      await world.rejects(["surrender", "2014", "--ccer", "2:10", "--from", "alice"], {
        code: "OFFSET_NOT_ELIGIBLE",
        message: /CCER batch 2 \(CCER-1002, hydro\) is a hydropower project, which 2014's rules exclude/,
        exit: 2,
      });
      await world.rejects(["surrender", "2014", "--from", "alice"], {
        code: "INVALID_ITEMS",
        message: /at least one/,
        exit: 2,
      });
    });

    it("accepts banking (vintage 2013) and CCER up to the cap, and prints the position after", async function () {
      const r = await world.cli([
        "surrender",
        "2014",
        "--vintage",
        "2013:10000",
        "--vintage",
        "TJEA14:200000",
        "--ccer",
        `CCER-1:${cap}`,
        "--from",
        "alice",
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const owed = obligation - 210_000n - cap;
      expect(r.stdout)
        .to.contain(`10,000 t of TJEA13, 200,000 t of TJEA14, ${cap.toLocaleString("en-US")} t of CCER batch 1`)
        .and.to.contain(`of a cap of ${cap.toLocaleString("en-US")} t (10 % of the obligation): 0 t left`)
        .and.to.contain(`Still owed   ${owed.toLocaleString("en-US")} t`)
        .and.to.contain("Status       open");
      const done = await world.ok(["surrender", "2014", "--vintage", `2014:${owed}`, "--from", "alice"]);
      expect(done.obligationMet).to.equal(true);
      expect(done.position).to.deep.include({ status: "compliant", owed: "0", surrendered: obligation.toString() });
      await world.rejects(["surrender", "2014", "--vintage", "2014:1", "--from", "alice"], {
        code: "SURRENDER_EXCEEDS_OBLIGATION",
        message: /0 t are still owed/,
        exit: 2,
      });
    });
  });

  describe("ets status", function () {
    it("shows every covered year of the --from wallet's entity, and one year of another", async function () {
      const r = await world.ok(["status", "--from", "alice"]);
      expect(r).to.deep.include({ entityId: "27", flaggedUntil: null, finesOwed: "0" });
      const years = r.years as Record<string, unknown>[];
      expect(years.map((y) => y.year)).to.deep.equal([2013, 2014]);
      expect(years[0]).to.deep.include({ yearState: "not opened", obligationSet: false });
      expect(years[1]).to.deep.include({
        status: "compliant",
        obligation: obligation.toString(),
        allowancesSurrendered: (obligation - cap).toString(),
        offsetsSurrendered: cap.toString(),
        offsetCapLeft: "0",
        reportStatus: "approved",
      });
      const gas = await world.cli(["status", "58", "--year", "2014"]);
      expect(gas.code, gas.stderr).to.equal(0);
      expect(gas.stdout)
        .to.contain('Compliance of entity 58 "天津津南燃气供热有限公司"')
        .and.to.contain("2014: open")
        .and.to.contain("CCER cap     10 % of the obligation, once it is fixed")
        .and.to.contain("Obligation   not fixed yet (report submitted)");
      const outsider = await world.ok(["status", "carol", "--year", "2014"]);
      expect((outsider.years as { status: string }[])[0]?.status).to.equal("not covered");
    });
  });

  describe("ets cancel-units and ets certificate", function () {
    it("cancels units voluntarily and prints the certificate", async function () {
      const r = await world.ok([
        "cancel-units",
        "--vintage",
        "2014:100",
        "--ccer",
        "1:50",
        "--beneficiary",
        "Tianjin Marathon 2014",
        "--purpose",
        "carbon-neutral event",
        "--from",
        "alice",
      ]);
      expect(r).to.deep.include({
        certificate: "1",
        holder: world.address("alice"),
        entityId: "27",
        beneficiary: "Tianjin Marathon 2014",
        purpose: "carbon-neutral event",
        allowances: "100",
        offsets: "50",
      });
      expect(r.units).to.deep.equal([
        { product: "TJEA14", vintage: 2014, amount: "100" },
        { product: "CCER batch 1", batch: "1", amount: "50" },
      ]);
      expect(r.tx).to.match(/^0x[0-9a-f]{64}$/);

      const text = await world.cli(["certificate", "1"]);
      expect(text.code, text.stderr).to.equal(0);
      expect(text.stdout)
        .to.contain("VOLUNTARY CANCELLATION CERTIFICATE  No. 1")
        .and.to.contain("Beneficiary:   Tianjin Marathon 2014")
        .and.to.contain("Purpose:       carbon-neutral event")
        .and.to.contain("100 t of TJEA14")
        .and.to.contain("50 t of CCER batch 1 (CCER-1001, wind)")
        .and.to.contain("150 t CO2e")
        .and.to.contain(`Transaction:   ${r.tx as string}`);
    });

    it("refuses an empty beneficiary and an unknown certificate", async function () {
      await world.rejects(
        ["cancel-units", "--vintage", "2014:1", "--beneficiary", " ", "--purpose", "x", "--from", "alice"],
        { code: "INVALID_TEXT", message: /beneficiary must be 1 to 256 bytes/, exit: 2 },
      );
      await world.rejects(["certificate", "2"], {
        code: "CERTIFICATE_NOT_FOUND",
        message: /no cancellation certificate 2: numbers run from 1 to 1/,
        exit: 1,
      });
    });
  });

  describe("ets auction and ets sale", function () {
    let auctionId: string;
    let biddingEnds: bigint;

    before(async function () {
      const now = BigInt((await world.provider.getBlock("latest"))?.timestamp ?? 0);
      biddingEnds = now + 3_600n;
      // 10,000 t of the 2014 reserve at a reserve price of ¥20.00.
      await tx(world.regulator.sales.createAuction(YEAR, 10_000n, 2_000n, biddingEnds, biddingEnds + 3_600n));
      auctionId = (await world.contracts.sales.auctionCount()).toString();
    });

    const secrets = () => {
      const dir = bidSecretDir(world.walletDir);
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : [];
    };

    it("commits sealed bids; each secret is written to bids/ (mode 0600) first", async function () {
      const carol = await world.ok([
        "auction",
        "bid",
        auctionId,
        "--price",
        "25",
        "--quantity",
        "6000",
        "--from",
        "carol",
      ]);
      expect(carol).to.deep.include({ bidId: "1", price: "2500", quantity: "6000", escrow: "15000000" });
      const file = carol.secretFile as string;
      expect(secrets()).to.deep.equal([file]);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const secret = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
      expect(secret).to.deep.include({ auctionId, bidId: "1", price: "2500", quantity: "6000" });
      expect(secret.salt).to.match(/^0x[0-9a-f]{64}$/);
      const onChain = await world.contracts.sales.bid(1, 1);
      expect(onChain.commitment).to.equal(
        await world.contracts.sales.commitmentOf(1, world.address("carol"), 2500, 6000, secret.salt ?? ""),
      );

      const alice = await world.ok([
        "auction",
        "bid",
        auctionId,
        "--price",
        "22.50",
        "--quantity",
        "8000",
        "--escrow",
        "200000",
        "--from",
        "alice",
      ]);
      expect(alice).to.deep.include({ bidId: "2", escrow: "20000000" });
      expect(secrets()).to.have.length(2);
    });

    it("refuses a bid below the reserve price or short of escrow, leaving no secret behind", async function () {
      await world.rejects(["auction", "bid", auctionId, "--price", "19.99", "--quantity", "10", "--from", "carol"], {
        code: "BID_BELOW_RESERVE",
        message: /CNY 19\.99\/t is below auction 1's reserve price of CNY 20\.00\/t/,
        exit: 2,
      });
      await world.rejects(
        ["auction", "bid", auctionId, "--price", "30", "--quantity", "10", "--escrow", "299.99", "--from", "carol"],
        { code: "ESCROW_INSUFFICIENT", message: /costs up to CNY 300\.00/, exit: 2 },
      );
      await world.rejects(["auction", "reveal", auctionId, "--from", "carol"], {
        code: "AUCTION_WRONG_PHASE",
        message: /bidding phase, not reveal/,
        exit: 1,
      });
      expect(secrets()).to.have.length(2);
    });

    it("reveals from the stored secrets, settles after finalisation, and shows the result", async function () {
      await world.increaseTime(3_601);
      const carol = await world.ok(["auction", "reveal", auctionId, "--from", "carol"]);
      expect((carol.revealed as { bidId: string }[]).map((b) => b.bidId)).to.deep.equal(["1"]);
      await world.ok(["auction", "reveal", auctionId, "--from", "alice"]);
      await world.rejects(["auction", "reveal", auctionId, "--from", "carol"], {
        code: "BID_ALREADY_REVEALED",
        message: /revealed already \(bid 1\)/,
        exit: 1,
      });
      await world.rejects(["auction", "reveal", auctionId, "--from", "bob"], {
        code: "BID_SECRET_NOT_FOUND",
        message: /No bid secret of .*\(bob\) for auction 1/,
        exit: 1,
      });

      await world.increaseTime(3_601);
      await tx(world.regulator.sales.finalise(1)); // anyone may finalise
      // Supply 10,000 t: carol's 6,000 t at ¥25.00 in full, alice's 8,000 t at ¥22.50 pro rata (4,000 t).
      const settled = await world.ok(["auction", "settle", auctionId, "--from", "carol"]);
      expect(settled).to.deep.include({ clearingPrice: "2250" });
      expect(settled.settled).to.deep.equal([
        {
          bidId: "1",
          bidder: world.address("carol"),
          revealed: true,
          won: "6000",
          paid: "13500000",
          paidCny: "135000.00",
          refund: "1500000",
          refundCny: "15000.00",
          tx: (settled.settled as { tx: string }[])[0]?.tx,
          block: (settled.settled as { block: number }[])[0]?.block,
        },
      ]);
      expect(await world.contracts.allowances.balanceOf(world.address("carol"), YEAR)).to.equal(6_000n);

      const show = await world.cli(["auction", "show", auctionId, "--from", "alice"]);
      expect(show.code, show.stderr).to.equal(0);
      expect(show.stdout)
        .to.contain("Phase: finalised.")
        .and.to.contain("Final: clearing price CNY 22.50/t, 10,000 t sold.")
        .and.to.contain(
          "bid 2  8,000 t at CNY 22.50/t  escrow CNY 200,000.00  won 4,000 t for CNY 90,000.00, refund CNY 110,000.00, to settle",
        );
      await world.ok(["auction", "settle", auctionId, "--bid", "2", "--from", "carol"]); // anyone may settle
      await world.rejects(["auction", "settle", auctionId, "--from", "alice"], {
        code: "BID_ALREADY_SETTLED",
        message: /settled already \(bid 2\)/,
        exit: 1,
      });
    });

    it("buys in a fixed-price sale within the per-buyer limit", async function () {
      const now = BigInt((await world.provider.getBlock("latest"))?.timestamp ?? 0);
      await tx(world.regulator.sales.createFixedSale(YEAR, 1_000n, 3_000n, now, now + BigInt(DAY), 500n));
      const r = await world.ok(["sale", "buy", "1", "200", "--from", "carol"]);
      expect(r).to.deep.include({ quantity: "200", paid: "600000", paidCny: "6000.00", left: "800" });
      await world.rejects(["sale", "buy", "1", "301", "--from", "carol"], {
        code: "SALE_QUANTITY_UNAVAILABLE",
        message: /300 t left .*at most 500 t per buyer.*301 t asked/,
        exit: 1,
      });
      const show = await world.ok(["sale", "show", "1", "--from", "carol"]);
      expect(show).to.deep.include({ state: "open", bought: "200", left: "800" });
    });
  });

  describe("ets audit", function () {
    it("finds nothing wrong with the year just played: allocation, MRV, surrenders, cancellations, an auction and a sale", async function () {
      const r = await world.cli(["audit", "--out", path.join(world.root, "audit"), "--json"]);
      expect(r.json.findings, r.stdout + r.stderr).to.deep.equal([]);
      expect(r.code).to.equal(0);
      const figures = r.json.figures as Record<string, number>;
      expect(figures.surrenders).to.be.greaterThan(0);
      expect(figures.approvals).to.be.greaterThan(0);
    });
  });
});
