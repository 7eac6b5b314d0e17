import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Wallet, id, keccak256, toUtf8Bytes } from "ethers";
import type { BrowserContext, Page } from "playwright-core";
import { connectClearing } from "../../sdk/clearing";
import { connectContracts } from "../../sdk/contracts";
import { ExchangeApi } from "../../sdk/exchange-api";
import { computeReport, parseReport, reportHash } from "../../sdk/mrv";
import { clearingDomain, signOrder, type Order } from "../../sdk/orders";
import { Roles } from "../../sdk/roles";
import { ZERO_FEE } from "../../sdk/send";
import { connectKeystore, openPage, requireChromium, screenshot, startPortal, type Portal } from "./web.fixture";

/**
 * The regulator's and the verifier's areas of the portal in Chromium, against the whole system
 * started as `npm start` does: a large trade between two demo entities (through their trading
 * accounts and signed orders at the exchange) seen by the regulator with its supervision alert, the
 * compliance board, an entity page, the CSV export, the administrator's actions, and a verifier
 * recomputing and attesting a submitted report.
 */

const YEAR = 2013;
const DAY = 86_400n;
const SELLER = { wallet: "entity-1001", entityId: 1001n };
const BUYER = { wallet: "entity-1002", entityId: 1002n };
const VERIFIER_ENTITY = 11n; // verifier-1
/** 100,000 t: the indexer's default large-trade threshold. */
const QUANTITY = 100_000n;
/** Fen per tonne: the exchange's default reference price. */
const PRICE = 3_000n;
const ALLOCATION_2014 = path.resolve(__dirname, "..", "..", "scripts", "demo", "allocation", "2014.json");
const REPORT_EXAMPLE = path.resolve(__dirname, "..", "..", "docs", "examples", "report-coal-boiler.json");

describe("web portal: the regulator's and the verifier's areas (Chromium)", function () {
  this.timeout(240_000);
  let portal: Portal;
  let regulator: Page;
  let reportFile: string;
  let reportedTotal: bigint;

  const tx = async (send: Promise<{ wait(): Promise<unknown> }>) => (await send).wait();

  async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A 100,000 t trade of TJEA13 between entity 1001 (seller) and entity 1002 (buyer) at the exchange. */
  async function trade(): Promise<void> {
    const { manifest } = portal;
    const clearing = manifest.contracts.Clearing!;
    const [seller, buyer, bank] = await Promise.all([
      portal.signer(SELLER.wallet),
      portal.signer(BUYER.wallet),
      portal.signer("clearing-bank"),
    ]);
    const cash = QUANTITY * PRICE * 2n;
    await tx(connectContracts(manifest, bank).cash.deposit(buyer.address, cash, id("web-regulator-test"), ZERO_FEE));
    const b = connectContracts(manifest, buyer);
    await tx(b.cash.approve(clearing, cash, ZERO_FEE));
    await tx(connectClearing(manifest, buyer).depositCash(cash, ZERO_FEE));
    const s = connectContracts(manifest, seller);
    await tx(s.allowances.safeTransferFrom(seller.address, clearing, YEAR, QUANTITY, "0x", ZERO_FEE));

    const api = new ExchangeApi(portal.url);
    const available = async (who: Wallet, token: string, tokenId: bigint) =>
      (await api.account(who.address)).positions.find(
        (p) => p.token.toLowerCase() === token.toLowerCase() && BigInt(p.tokenId) === tokenId,
      )?.available ?? 0n;
    await waitUntil("the exchange to credit the deposits", async () => {
      const [units, money] = await Promise.all([
        available(seller, manifest.contracts.AllowanceToken, BigInt(YEAR)),
        available(buyer, manifest.contracts.CashToken, 0n),
      ]);
      return BigInt(units) >= QUANTITY && BigInt(money) >= cash;
    });
    const domain = clearingDomain(manifest.chainId, clearing);
    const order = async (who: Wallet, isBuy: boolean) => {
      const o: Order = {
        trader: who.address,
        token: manifest.contracts.AllowanceToken,
        tokenId: BigInt(YEAR),
        isBuy,
        price: PRICE,
        quantity: QUANTITY,
        timeInForce: 0,
        nonce: BigInt((await api.account(who.address)).nextNonce),
        expiry: 0n,
      };
      return api.submitOrder(await signOrder(who, domain, o));
    };
    await order(seller, false);
    const { trades } = await order(buyer, true);
    expect(trades).to.have.length(1);
    const settled = connectClearing(manifest, portal.provider);
    await waitUntil("the trade to settle on chain", async () => {
      const held = await settled.balanceOf(buyer.address, manifest.contracts.AllowanceToken, YEAR);
      return held >= QUANTITY;
    });
  }

  /** Opens the compliance year, assigns verifier-1 to entity 1001 and submits its report. */
  async function submitReport(): Promise<void> {
    const reg = connectContracts(portal.manifest, await portal.signer("regulator"));
    const now = BigInt((await portal.provider.getBlock("latest"))?.timestamp ?? 0);
    await tx(
      reg.compliance.openYear(
        YEAR,
        { reportingOpens: now, reportDeadline: now + 30n * DAY, surrenderDeadline: now + 60n * DAY },
        { capBps: 1_000, earliestReductionStart: 0n, excludeHydro: true, allowedTypes: [], excludedTypes: [] },
        ZERO_FEE,
      ),
    );
    await tx(reg.reporting.assignVerifier(SELLER.entityId, YEAR, VERIFIER_ENTITY, ZERO_FEE));
    const example = JSON.parse(fs.readFileSync(REPORT_EXAMPLE, "utf8")) as Record<string, unknown>;
    const report = parseReport({
      ...example,
      year: YEAR,
      entity: { entityId: Number(SELLER.entityId), name: "天津康润钢铁集团有限公司" },
    });
    reportFile = path.join(portal.dataDir, "report-1001-2013.json");
    fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
    reportedTotal = computeReport(report).totalTonnes;
    const hash = reportHash(report);
    const entity = connectContracts(portal.manifest, await portal.signer(SELLER.wallet));
    await tx(entity.reporting.submitReport(YEAR, reportedTotal, hash, hash, "", ZERO_FEE));
  }

  /** Clicks an "Export CSV" button and reads the file the browser saves (an error on the page fails). */
  async function exportCsv(page: Page, testId: string): Promise<{ name: string; csv: string }> {
    const downloaded = page.waitForEvent("download");
    await page.getByTestId(testId).click();
    const refused = page.locator(".export .error");
    const download = await Promise.race([
      downloaded,
      refused.waitFor().then(async () => {
        throw new Error(`the export was refused: ${await refused.innerText()}`);
      }),
    ]);
    const csv = fs.readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
    return { name: download.suggestedFilename(), csv };
  }

  before(async function () {
    requireChromium(this);
    portal = await startPortal();
    await trade();
    await submitReport();
    ({ page: regulator } = await openPage(portal));
    await connectKeystore(portal, regulator, "regulator", "/regulator");
  });
  after(async () => portal?.stop());
  /** Contexts a test opened: closed after it even when it fails (a page left running costs the next tests CPU). */
  const opened: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close().catch(() => undefined)));
  });

  it("shows the compliance board of the year with its charts, and exports its entities as CSV", async () => {
    await regulator.goto(`${portal.url}/#/regulator/board`);
    const board = regulator.getByTestId("compliance-board");
    await board.waitFor();
    expect(await regulator.getByTestId("board-year").inputValue()).to.equal(String(YEAR));
    const covered = await portal.contracts.allocation.coveredEntities(YEAR);
    expect(await regulator.getByTestId("board-covered").innerText()).to.equal(String(covered.length));
    await regulator.getByTestId("board-chart-reports").waitFor();
    expect(await regulator.getByTestId("board-chart-obligation").locator(".bar-row").count()).to.equal(7);
    expect(await regulator.getByTestId("board-table").innerText()).to.contain("Steel");
    await screenshot(regulator, "regulator-board");

    const { name, csv } = await exportCsv(regulator, "board-export");
    expect(name).to.equal(`compliance-board-${YEAR}.csv`);
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).to.contain("entityId").and.to.contain("reportStatus");
    expect(lines).to.have.length(covered.length + 1);
    expect(csv).to.contain("天津康润钢铁集团有限公司");
  });

  it("sees the trade in the market overview", async () => {
    await regulator.goto(`${portal.url}/#/regulator/market`);
    const trades = regulator.getByTestId("trades-table");
    await trades.getByText("100,000").first().waitFor({ timeout: 45_000 });
    const text = await trades.innerText();
    expect(text).to.contain("TJEA13").and.to.contain("1001").and.to.contain("1002").and.to.contain("30.00");
    await regulator.getByTestId("market-chart").waitFor();
    await regulator.getByTestId("market-turnover").waitFor();
    const { csv } = await exportCsv(regulator, "trades-export");
    expect(csv.split(/\r?\n/)[0]).to.contain("quantity");
    expect(csv).to.contain(",100000,");
    await screenshot(regulator, "regulator-market");
  });

  it("lists the supervision alert the large trade raised, with filters", async () => {
    await regulator.goto(`${portal.url}/#/regulator/alerts`);
    await regulator.getByTestId("alert-rule").selectOption("large_trade");
    await regulator.getByTestId("alert-apply").click();
    const table = regulator.getByTestId("alerts-table");
    await table.locator('[data-rule="large_trade"]').first().waitFor({ timeout: 45_000 });
    expect(await table.innerText())
      .to.contain("Large trade")
      .and.to.contain("TJEA13");
    const { csv } = await exportCsv(regulator, "alerts-export");
    expect(csv).to.contain("large_trade");
    await screenshot(regulator, "regulator-alerts");
  });

  it("finds an entity by name and shows its page: accounts, holdings, reports, allocations", async () => {
    await regulator.goto(`${portal.url}/#/regulator/entities`);
    await regulator.getByTestId("entity-search").fill("康润");
    await regulator.getByTestId("entity-sector").selectOption("STEEL");
    await regulator.getByTestId("entity-year").fill(String(YEAR));
    await regulator.getByTestId("entity-compliance").selectOption("OPEN");
    await regulator.getByTestId("entity-apply").click();
    await regulator.getByText("Entities found: 1", { exact: true }).waitFor();
    const link = regulator.getByTestId("entity-link-1001");
    const rows = regulator.getByTestId("entities-table").locator("tbody tr");
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().innerText()).to.contain("Open");
    await screenshot(regulator, "regulator-entities");
    await link.click();
    const page = regulator.getByTestId("entity-page");
    await page.waitFor();
    expect(await page.innerText()).to.contain("天津康润钢铁集团有限公司");
    await regulator.getByTestId("entity-holdings").getByText("TJEA13").first().waitFor();
    expect(await regulator.getByTestId("entity-allocations").innerText()).to.contain("Plan");
    expect(await regulator.getByTestId("entity-reports").innerText())
      .to.contain(String(YEAR))
      .and.to.contain("Submitted");
    expect(await regulator.getByTestId("entity-trades").innerText())
      .to.contain("100,000")
      .and.to.contain("Sell");
    await screenshot(regulator, "regulator-entity");
  });

  it("shows the supply of each vintage", async () => {
    await regulator.goto(`${portal.url}/#/regulator/supply`);
    await regulator.getByTestId("supply-table").getByText("TJEA13").waitFor();
    await screenshot(regulator, "regulator-supply");
  });

  it("lets verifier-1 recompute the assigned report in the browser and attest it", async () => {
    const { context, page } = await openPage(portal);
    opened.push(context);
    await connectKeystore(portal, page, "verifier-1", "/verifier");
    const open = page.getByTestId(`open-report-1001-${YEAR}`);
    await open.waitFor();
    await screenshot(page, "verifier-reports");
    await open.click();
    await page.getByTestId("report-check").waitFor();
    // Another document (the example as published, of entity 27) is not the one on chain.
    await page.getByTestId("report-file").setInputFiles(REPORT_EXAMPLE);
    await page.getByTestId("recomputed").locator('[data-code="REPORT_HASH_MISMATCH"]').waitFor();
    await page.getByTestId("report-file").setInputFiles(reportFile);
    await page.getByTestId("hash-match").waitFor();
    const total = reportedTotal.toLocaleString("en-US");
    expect(await page.getByTestId("recomputed-total").innerText()).to.contain(total);
    expect(await page.getByTestId("submitted-total").innerText()).to.contain(total);
    await page.getByTestId("totals-agree").waitFor();
    expect(await page.getByTestId("recomputed-lines").locator("tbody tr").count()).to.be.greaterThan(1);
    await page.getByTestId("attest-opinion").selectOption("positive");
    await page.getByTestId("attest-statement-hash").fill(keccak256(toUtf8Bytes("verification statement 1001/2013")));
    await page.getByTestId("attest-submit").click();
    await page.getByTestId("attest-status").getByText("Attested version 1").waitFor();
    const r = await portal.contracts.reporting.reportOf(SELLER.entityId, YEAR);
    expect(r.status).to.equal(2n); // verified
    expect(r.verifiedTotal).to.equal(reportedTotal);
    expect(r.verifier).to.equal(VERIFIER_ENTITY);
    await page.getByTestId("report-attested").waitFor();
    await screenshot(page, "verifier-report");
  });

  it("does the administrator's actions from the page: approves the report, registers an entity, issues an allocation plan", async () => {
    await regulator.goto(`${portal.url}/#/regulator/admin`);
    await regulator.getByTestId("approve-id").fill(String(SELLER.entityId));
    await regulator.getByTestId("approve-year").fill(String(YEAR));
    await regulator.getByTestId("admin-approve-submit").click();
    await regulator.getByTestId("admin-approve-status").getByText("Approved entity 1001").waitFor();
    const r = await portal.contracts.reporting.reportOf(SELLER.entityId, YEAR);
    expect(r.obligationSet).to.equal(true);
    expect(r.obligation).to.equal(reportedTotal);

    // The CLI's checks run first: approving again is refused with the contract's code, nothing sent.
    await regulator.getByTestId("admin-approve-submit").click();
    await regulator.getByTestId("admin-approve-status").locator('[data-code="ALREADY_DECIDED"]').waitFor();

    const wallet = Wallet.createRandom().address;
    await regulator.getByTestId("register-id").fill("9901");
    await regulator.getByTestId("register-category").selectOption("institution");
    await regulator.getByTestId("register-name").fill("滨海碳资产管理有限公司");
    await regulator.getByTestId("register-credit-code").fill("91120116MA05K09901");
    await regulator.getByTestId("register-wallet").fill(wallet);
    await regulator.getByTestId("admin-register-submit").click();
    await regulator.getByTestId("admin-register-status").getByText("Registered entity 9901").waitFor();
    const entity = await portal.contracts.registry.entityOf(9901n);
    expect(entity.name).to.equal("滨海碳资产管理有限公司");
    expect((await portal.contracts.registry.accountOf(wallet)).entityId).to.equal(9901n);
    // The 2014 allocation from the demo's input file: cap, plan and every entry, as `ets admin allocate` does.
    await regulator.getByTestId("allocate-file").setInputFiles(ALLOCATION_2014);
    expect(await regulator.getByTestId("allocate-preview").innerText()).to.contain("Plan 2014: 114 entities");
    await regulator.getByTestId("admin-allocate-submit").click();
    await regulator
      .getByTestId("admin-allocate-status")
      .getByText("Plan 2014: 114 entries issued")
      .waitFor({ timeout: 60_000 });
    const info = await portal.contracts.allocation.yearInfo(2014);
    expect(info.planComplete).to.equal(true);
    expect(info.entriesIssued).to.equal(114n);
    // Sent again, it finds the plan complete and sends nothing.
    await regulator.getByTestId("admin-allocate-submit").click();
    await regulator.getByTestId("admin-allocate-status").getByText("already issued in full").waitFor();
    await screenshot(regulator, "regulator-admin");

    // The board follows: the approved obligation, and verifier-1's attestation in the oversight table.
    await regulator.goto(`${portal.url}/#/regulator/board`);
    await regulator.getByTestId("board-year").fill(String(YEAR)); // 2014 is the latest vintage now
    await regulator.getByTestId("verifier-oversight").getByText("11").first().waitFor();
    // The board reloads for the year typed: wait for it rather than read the previous year's table.
    await regulator.getByTestId("board-table").getByText(reportedTotal.toLocaleString("en-US")).first().waitFor();
  });

  it("closes the compliance year from the page once every obligation is fixed and the deadline passed", async () => {
    // Every other covered entity gets an estimate (after the report deadline), then the surrender deadline passes.
    const signer = await portal.signer("regulator");
    const reg = connectContracts(portal.manifest, signer);
    const advance = async (seconds: bigint) => {
      await portal.provider.send("evm_increaseTime", [Number(seconds)]);
      await portal.provider.send("evm_mine", []);
    };
    await advance(31n * DAY);
    const others = [...(await portal.contracts.allocation.coveredEntities(YEAR))].filter((e) => e !== SELLER.entityId);
    // Sent together with consecutive nonces: the chain's durable proxy writes them in a few group commits.
    const nonce = await signer.getNonce("pending");
    const sent = await Promise.all(
      others.map((entityId, i) =>
        reg.reporting.setEstimate(entityId, YEAR, 1_000n, "no report", { ...ZERO_FEE, nonce: nonce + i }),
      ),
    );
    await Promise.all(sent.map((t) => t.wait()));

    await regulator.goto(`${portal.url}/#/regulator/admin`);
    await regulator.getByTestId("close-year").fill(String(YEAR));
    // Before the surrender deadline the CLI's check refuses it, and nothing is sent.
    await regulator.getByTestId("admin-close-submit").click();
    await regulator.getByTestId("admin-close-status").locator('[data-code="SURRENDER_DEADLINE_NOT_PASSED"]').waitFor();
    await advance(30n * DAY);
    await regulator.getByTestId("admin-close-submit").click();
    await regulator.getByTestId("admin-close-status").getByText(`Compliance year ${YEAR} is closed`).waitFor();
    const close = await portal.contracts.compliance.yearClose(YEAR);
    expect(close.closed).to.equal(true);
    expect(close.compliant + close.inShortfall).to.equal(BigInt(others.length + 1));
    await screenshot(regulator, "regulator-close");
  });

  it("gives an AUDITOR the read-only pages without the administrator's actions", async () => {
    const reg = connectContracts(portal.manifest, await portal.signer("regulator"));
    const auditor = await portal.signer("verifier-2");
    await tx(reg.authority.grantRole(Roles.AUDITOR, auditor.address, 0, ZERO_FEE));
    const { context, page } = await openPage(portal);
    opened.push(context);
    await connectKeystore(portal, page, "verifier-2", "/regulator/admin");
    await page.getByTestId("compliance-board").waitFor(); // the admin page is not there: back to the board
    await page.getByTestId("read-only").waitFor();
    expect(await page.locator(".tabs").innerText()).not.to.contain("Administration");
    await screenshot(page, "regulator-auditor");
  });

  it("fits a 390 px phone without page-wide horizontal scrolling", async () => {
    const context = await portal.browser.newContext({ viewport: { width: 390, height: 844 } });
    opened.push(context);
    await context.addInitScript(() => localStorage.setItem("ets.language", "zh-CN"));
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await connectKeystore(portal, page, "regulator", "/regulator/board");
    await page.getByTestId("compliance-board").waitFor();
    await page.getByText("履约看板").first().waitFor();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).to.be.at.most(0);
    await screenshot(page, "regulator-board-phone");
    for (const [hash, ready] of [
      ["/regulator/entity/1001", "entity-page"],
      ["/regulator/market", "trades-table"],
      ["/regulator/alerts", "alerts-table"],
      ["/regulator/admin", "admin-register"],
    ] as const) {
      await page.goto(`${portal.url}/#${hash}`);
      if (hash.endsWith("market")) await page.getByTestId("market-product").selectOption(`TJEA${YEAR % 100}`);
      await page.getByTestId(ready).waitFor();
      expect(await overflow(), hash).to.be.at.most(0);
    }
    await screenshot(page, "regulator-admin-phone");
  });

  it("refuses a participant without the REGULATOR or AUDITOR role", async () => {
    const { context, page } = await openPage(portal);
    opened.push(context);
    await connectKeystore(portal, page, "entity-1003", "/regulator");
    await page.locator('[data-code="MISSING_ROLE"]').waitFor();
  });
});
