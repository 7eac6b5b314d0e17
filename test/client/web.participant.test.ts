import { expect } from "chai";
import { id as keccakText, type Wallet } from "ethers";
import type { Page } from "playwright-core";
import { connectClearing } from "../../sdk/clearing";
import { ExchangeApi } from "../../sdk/exchange-api";
import { clearingDomain, signOrder, TIME_IN_FORCE } from "../../sdk/orders";
import { ZERO_FEE } from "../../sdk/send";
import { keystoreAddress } from "../../scripts/lib/keystore";
import { connectKeystore, openPage, requireChromium, screenshot, startPortal, type Portal } from "./web.fixture";

/**
 * The participant's pages in a real browser, against the whole system as `npm start` runs it:
 * entity-1001 deposits cash, buys allowances with a signed order against a resting order of
 * entity-1002, sees the trade settle and the allowances in its trading account, withdraws them
 * into its registry wallet; sends a pending transfer and cancels it; manages its trusted list;
 * is refused a surrender with too much CCER and then surrenders within the cap; cancels units and
 * gets a printable certificate. Bad input is refused with a code and nothing is sent.
 */
describe("web portal: the participant's pages (Chromium)", function () {
  this.timeout(300_000);
  const VINTAGE = 2013n;
  const PRODUCT = "TJEA13";
  let portal: Portal;
  let page: Page;
  let closePage: () => Promise<void>;
  let api: ExchangeApi;
  let me: string; // entity-1001
  let seller: Wallet; // entity-1002
  let other: string; // entity-1003

  const status = (testId: string) => page.getByTestId(testId);
  /** Waits for the success line of a form and returns its text. */
  async function ok(testId: string): Promise<string> {
    const line = status(testId).locator(".ok");
    await line.waitFor({ timeout: 60_000 });
    return line.innerText();
  }
  /** Waits for the error of a form with `code` and returns its sentence. */
  async function refused(testId: string, code: string): Promise<string> {
    const note = status(testId).locator(`[data-code="${code}"]`);
    await note.waitFor({ timeout: 60_000 });
    return note.innerText();
  }
  async function tab(name: string): Promise<void> {
    await page.getByRole("link", { name, exact: true }).click();
  }
  async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const registryBalance = async (address: string) => portal.contracts.allowances.balanceOf(address, VINTAGE);

  before(async function () {
    requireChromium(this);
    portal = await startPortal();
    api = new ExchangeApi(portal.url);
    me = keystoreAddress(portal.walletFile("entity-1001"))!;
    other = keystoreAddress(portal.walletFile("entity-1003"))!;
    seller = await portal.signer("entity-1002");

    // Cash for entity-1001 from the clearing bank, in its registry wallet (deposited from the page).
    const bank = await portal.signer("clearing-bank");
    await (
      await portal.contracts.cash.connect(bank).deposit(me, 100_000n, keccakText("web-participant-1"), ZERO_FEE)
    ).wait();

    // entity-1002 puts 100 t of 2013 into its trading account and rests a sell order of 10 t at ¥30.00.
    const clearing = portal.manifest.contracts.Clearing!;
    const token = portal.manifest.contracts.AllowanceToken;
    const allowances = portal.contracts.allowances.connect(seller);
    await (await allowances.safeTransferFrom(seller.address, clearing, VINTAGE, 100n, "0x", ZERO_FEE)).wait();
    await waitUntil("the exchange to credit entity-1002's deposit", async () => {
      const a = await api.account(seller.address);
      return a.positions.some((p) => p.tokenId === VINTAGE && p.available >= 100n);
    });
    const account = await api.account(seller.address);
    const signed = await signOrder(seller, clearingDomain(portal.manifest.chainId, clearing), {
      trader: seller.address,
      token,
      tokenId: VINTAGE,
      isBuy: false,
      price: 3_000n,
      quantity: 10n,
      timeInForce: TIME_IN_FORCE.GTC,
      nonce: account.nextNonce,
      expiry: 0n,
    });
    const placed = await api.submitOrder(signed);
    expect(placed.order.status).to.equal("open");

    // A compliance year for the surrender: 2013 opened with its report deadline passed, the
    // regulator's estimate of 5,000 t for entity 1001 (so CCER may cover 500 t), and a CCER batch.
    const regulator = await portal.signer("regulator");
    const r = {
      compliance: portal.contracts.compliance.connect(regulator),
      reporting: portal.contracts.reporting.connect(regulator),
      offsets: portal.contracts.offsets.connect(regulator),
    };
    const now = BigInt((await portal.provider.getBlock("latest"))!.timestamp);
    const day = 86_400n;
    await (
      await r.compliance.openYear(
        2013,
        { reportingOpens: now - 2n * day, reportDeadline: now - day, surrenderDeadline: now + 20n * day },
        { capBps: 1_000, earliestReductionStart: 0n, excludeHydro: false, allowedTypes: [], excludedTypes: [] },
        ZERO_FEE,
      )
    ).wait();
    await (await r.reporting.setEstimate(1001, 2013, 5_000n, "browser test estimate", ZERO_FEE)).wait();
    await (
      await r.offsets.importBatch(
        me,
        {
          projectId: "CCER-WEB-1",
          projectType: "wind",
          hydro: false,
          methodology: "CM-001-V02",
          reductionStart: now - 400n * day,
          reductionEnd: now - 40n * day,
          serialFirst: 1n,
          serialLast: 1_000n,
          originRef: "WEB-TEST-1",
        },
        ZERO_FEE,
      )
    ).wait();

    const opened = await openPage(portal);
    page = opened.page;
    closePage = () => opened.context.close();
    await connectKeystore(portal, page, "entity-1001", "/participant/holdings");
    await page.getByTestId("holdings-allowances").waitFor();
  });

  after(async () => {
    await closePage?.();
    await portal?.stop();
  });

  it("deposits cash into the trading account from the page", async () => {
    await tab("Deposit & withdraw");
    await page.getByTestId("deposit-product-kind").selectOption("cash");
    await page.getByTestId("deposit-amount").fill("500");
    await page.getByTestId("deposit-submit").click();
    expect(await ok("deposit-status")).to.match(/Deposited CNY 500\.00/);
    // The exchange credits it once it sees the block.
    await page
      .getByTestId("trading-positions")
      .locator("tr", { hasText: "cash" })
      .getByText("CNY 500.00")
      .first()
      .waitFor();
  });

  it("refuses a price of 0 and a fractional quantity, and sends nothing", async () => {
    await tab("Trade");
    await page.getByTestId("order-form").waitFor();
    await page.getByTestId("trade-product").selectOption(PRODUCT);
    const before = (await api.orders(me)).length;
    await page.getByTestId("order-side").selectOption("buy");
    await page.getByTestId("order-quantity").fill("10");
    await page.getByTestId("order-price").fill("0");
    await page.getByTestId("order-submit").click();
    expect(await refused("order-status", "ZERO_AMOUNT")).to.match(/price must be greater than zero/);
    await page.getByTestId("order-quantity").fill("1.5");
    await page.getByTestId("order-price").fill("30");
    await page.getByTestId("order-submit").click();
    expect(await refused("order-status", "AMOUNT_NOT_WHOLE")).to.match(/whole number of tonnes/);
    expect((await api.orders(me)).length).to.equal(before);
  });

  it("places a signed buy order that trades against the resting sell order and settles", async () => {
    await page.getByTestId("book-asks").getByText("¥30.00").waitFor();
    await page.getByTestId("order-quantity").fill("10");
    await page.getByTestId("order-price").fill("30.00");
    await page.getByTestId("order-tif").selectOption("GTC");
    await page.getByTestId("order-submit").click();
    const line = await ok("order-status");
    expect(line).to.match(/^Order nonce \d+ \(Buy 10 t of TJEA13 at ¥30\.00\/t\): filled, 10 t filled; 1 trade/);
    const mine = await api.orders(me);
    expect(mine.at(-1)?.status).to.equal("filled");
    await page.getByTestId("recent-trades").getByText("¥30.00").first().waitFor();

    await tab("My orders & trades");
    const trade = (await api.trades({ product: PRODUCT, limit: 5 })).find((t) => t.buyer === me)!;
    expect(trade.quantity).to.equal(10n);
    await page
      .getByTestId(`trade-settlement-${trade.tradeId}`)
      .getByText("settled on chain")
      .waitFor({ timeout: 60_000 });
  });

  it("rests an order in the book and cancels it with a signed cancellation", async () => {
    await tab("Trade");
    await page.getByTestId("order-side").selectOption("buy");
    await page.getByTestId("order-quantity").fill("5");
    await page.getByTestId("order-price").fill("28");
    await page.getByTestId("order-submit").click();
    const line = await ok("order-status");
    expect(line).to.match(/\(Buy 5 t of TJEA13 at ¥28\.00\/t\): open, 0 t filled; 0 trade/);
    const nonce = /^Order nonce (\d+)/.exec(line)![1]!;
    await page.getByTestId("book-bids").getByText("¥28.00").waitFor();
    // The price chart of the indexer's daily bars, once it has the settled trade.
    await page.getByTestId("market-chart").waitFor({ timeout: 60_000 });
    await screenshot(page, "participant-trade");

    await tab("My orders & trades");
    const cancel = page.getByTestId(`order-cancel-${nonce}`);
    await cancel.waitFor();
    await screenshot(page, "participant-orders");
    await cancel.click();
    expect(await ok("orders-status")).to.match(new RegExp(`Cancelled order nonce ${nonce}`));
    expect((await api.orders(me)).find((o) => o.nonce === BigInt(nonce))?.status).to.equal("cancelled");
    await cancel.waitFor({ state: "detached" });
  });

  it("cancels an open order on chain, so that it can never settle", async () => {
    await tab("Trade");
    await page.getByTestId("order-quantity").fill("2");
    await page.getByTestId("order-price").fill("27.50");
    await page.getByTestId("order-submit").click();
    const nonce = /^Order nonce (\d+)/.exec(await ok("order-status"))![1]!;
    await tab("My orders & trades");
    await page.getByTestId(`order-cancel-chain-${nonce}`).click();
    expect(await ok("orders-status")).to.match(new RegExp(`Cancelled order nonce ${nonce} on chain`));
    const clearing = connectClearing(portal.manifest, portal.provider);
    expect((await clearing.orderState(me, BigInt(nonce)))[1]).to.equal(true);
    expect((await api.orders(me)).find((o) => o.nonce === BigInt(nonce))?.status).to.equal("cancelled");
  });

  it("shows the bought allowances in the trading account after settlement, then withdraws them into the registry wallet", async () => {
    const registryBefore = await registryBalance(me);
    await tab("Holdings");
    const row = page.getByTestId("trading-positions").locator("tr", { hasText: PRODUCT });
    await row.waitFor();
    // Every column of the row is 10 t: balance, available and settled on chain.
    await waitUntil(
      "the settled balance on the page",
      async () => (await row.innerText()).split("10 t").length - 1 >= 3,
    );
    expect(
      await connectClearing(portal.manifest, portal.provider).balanceOf(
        me,
        portal.manifest.contracts.AllowanceToken,
        VINTAGE,
      ),
    ).to.equal(10n);
    await screenshot(page, "participant-holdings-settled");

    await tab("Deposit & withdraw");
    await page.getByTestId("withdraw-product-kind").selectOption("allowance");
    await page.getByTestId("withdraw-product-id").fill("2013");
    await page.getByTestId("withdraw-amount").fill("10");
    await page.getByTestId("withdraw-submit").click();
    expect(await ok("withdraw-status")).to.match(/accepted the withdrawal of 10 t of TJEA13/);
    await waitUntil(
      "the withdrawal to be paid",
      async () => (await registryBalance(me)) === registryBefore + 10n,
      60_000,
    );

    await tab("Holdings");
    const expected = (registryBefore + 10n).toLocaleString("en-US");
    await page
      .getByTestId("holdings-allowances")
      .locator("tr", { hasText: PRODUCT })
      .getByText(expected)
      .first()
      .waitFor();
  });

  it("asks for a withdrawal on chain (the escape hatch), which the exchange pays", async () => {
    const cashBefore = await portal.contracts.cash.balanceOf(me);
    await tab("Deposit & withdraw");
    await page.getByTestId("escape-product-kind").selectOption("cash");
    await page.getByTestId("escape-amount").fill("5000");
    await page.getByTestId("escape-submit").click();
    await refused("escape-status", "INSUFFICIENT_TRADING_BALANCE");
    await page.getByTestId("escape-amount").fill("50");
    await page.getByTestId("escape-submit").click();
    const line = await ok("escape-status");
    expect(line).to.match(/Withdrawal request \d+ of CNY 50\.00 is recorded on chain/);
    await waitUntil(
      "the exchange to pay the request",
      async () => (await portal.contracts.cash.balanceOf(me)) === cashBefore + 5_000n,
      60_000,
    );
    await page.getByTestId("escape-requests").getByText("paid").waitFor();
    await screenshot(page, "participant-funds");
  });

  it("sends a transfer to an untrusted account as pending, and cancels it", async () => {
    await tab("Transfers");
    await page.getByTestId("transfer-product-kind").selectOption("allowance");
    await page.getByTestId("transfer-product-id").fill("2013");
    await page.getByTestId("transfer-to").fill(other);
    expect(await page.getByTestId("transfer-preview").innerText()).to.match(/held pending for 26\.0 h/);
    await page.getByTestId("transfer-amount").fill("2.5");
    await page.getByTestId("transfer-submit").click();
    await refused("transfer-status", "AMOUNT_NOT_WHOLE");

    await page.getByTestId("transfer-amount").fill("7");
    await page.getByTestId("transfer-submit").click();
    const line = await ok("transfer-status");
    expect(line).to.match(/Transfer allowance:\d+ of 7 t of TJEA13 .* is PENDING/);
    const ref = /Transfer (allowance:\d+)/.exec(line)![1]!;
    const pendingId = BigInt(ref.split(":")[1]!);
    expect(await portal.contracts.allowances.lockedBalanceOf(me, VINTAGE)).to.equal(7n);
    const cancel = page.getByTestId(`pending-cancel-${ref}`);
    await cancel.waitFor();
    await screenshot(page, "participant-transfers");
    await cancel.click();
    expect(await ok("pending-status")).to.match(new RegExp(`Cancelled pending transfer ${ref}`));
    expect(await portal.contracts.allowances.lockedBalanceOf(me, VINTAGE)).to.equal(0n);
    expect((await portal.contracts.allowances.pendingTransfer(pendingId)).status).to.equal(2n); // cancelled
    await page.getByTestId("pending-outgoing").waitFor({ state: "detached" });
  });

  it("adds an account to the trusted list and removes it", async () => {
    await tab("Trusted accounts");
    await page.getByTestId("trusted-account").fill("not-an-address");
    await page.getByTestId("trusted-submit").click();
    await refused("trusted-status", "INVALID_ADDRESS");
    await page.getByTestId("trusted-account").fill(other);
    await page.getByTestId("trusted-submit").click();
    expect(await ok("trusted-status")).to.contain(`Trusted ${other}`);
    await page.getByTestId("trusted-list").getByText(other).waitFor();
    expect((await portal.contracts.rules.trustedAccounts(me)).map((e) => e.account)).to.deep.equal([other]);
    await screenshot(page, "participant-trusted");
    await page.getByTestId(`trusted-remove-${other}`).click();
    expect(await ok("trusted-remove-status")).to.contain(`Removed ${other}`);
    expect(await portal.contracts.rules.trustedAccounts(me)).to.have.length(0);
  });

  it("shows the compliance year, refuses a surrender with more CCER than the cap, then surrenders within it", async () => {
    await tab("Compliance");
    const years = page.getByTestId("compliance-years");
    await years.locator("tr", { hasText: "2013" }).getByText("500 t (cap 500 t, 10 %)").waitFor();
    const summary = page.getByTestId("surrender-summary");
    expect(await summary.innerText()).to.contain("CCER may still cover 500 t");
    const batch = (await portal.contracts.offsets.batchCount()).toString();
    await page.getByTestId("surrender-items-kind-0").selectOption("ccer");
    await page.getByTestId("surrender-items-id-0").fill(batch);
    await page.getByTestId("surrender-items-tonnes-0").fill("600");
    await page.getByTestId("surrender-submit").click();
    const sentence = await refused("surrender-status", "OFFSET_CAP_EXCEEDED");
    expect(sentence).to.match(/CCER may cover at most 500 t .* 0 t used, 500 t left, 600 t asked/);
    expect((await portal.contracts.compliance.positionOf(1001, 2013)).offsetsSurrendered).to.equal(0n);
    await screenshot(page, "participant-compliance-refused");

    await page.getByTestId("surrender-items-tonnes-0").fill("100");
    await page.getByTestId("surrender-submit").click();
    expect(await ok("surrender-status")).to.match(/Surrendered for 2013 .*100 t/);
    await summary.getByText("CCER may still cover 400 t").waitFor();
    await screenshot(page, "participant-compliance");
  });

  it("cancels units voluntarily and shows the printable certificate", async () => {
    await tab("Voluntary cancellation");
    await page.getByTestId("cancel-items-id-0").fill("2013");
    await page.getByTestId("cancel-items-tonnes-0").fill("5");
    await page.getByTestId("cancel-beneficiary").fill("");
    await page.getByTestId("cancel-purpose").fill("Carbon-neutral annual meeting 2014");
    await page.getByTestId("cancel-submit").click();
    await refused("cancel-status", "INVALID_TEXT");
    await screenshot(page, "participant-cancel");

    await page.getByTestId("cancel-beneficiary").fill("天津康润钢铁集团 annual meeting");
    await page.getByTestId("cancel-submit").click();
    const cert = page.getByTestId("certificate");
    await cert.waitFor({ timeout: 60_000 });
    const count = await portal.contracts.compliance.certificateCount();
    expect(await page.getByTestId("certificate-number").innerText()).to.equal(`No. ${count}`);
    expect(await page.getByTestId("certificate-beneficiary").innerText()).to.equal("天津康润钢铁集团 annual meeting");
    expect(await page.getByTestId("certificate-total").innerText()).to.match(/^5 t CO2e/);
    expect((await portal.contracts.compliance.certificate(count)).holder).to.equal(me);
    await screenshot(page, "participant-certificate");
    await page.emulateMedia({ media: "print" });
    expect(await page.getByTestId("certificate-print").isVisible()).to.equal(false);
    expect(await page.locator(".tabs").isVisible()).to.equal(false);
    await page.emulateMedia({ media: "screen" });
  });

  it("shows WALLET_REJECTED when a browser wallet declines to sign an order or a transaction, and sends nothing", async () => {
    // A stand-in for an injected wallet (EIP-1193) of entity-1001 that forwards reads to the
    // portal's node and declines every signature and transaction.
    const context = await portal.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(
      ({ address }) => {
        localStorage.setItem("ets.language", "en");
        const rpc = async (method: string, params: unknown[]) => {
          const res = await fetch("/rpc", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
          });
          const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
          if (body.error) throw Object.assign(new Error(body.error.message), body.error);
          return body.result;
        };
        (window as unknown as { ethereum: unknown }).ethereum = {
          async request({ method, params }: { method: string; params?: unknown[] }) {
            if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
            if (/^(eth_sign|personal_sign|eth_sendTransaction)/.test(method)) {
              throw Object.assign(new Error("User rejected the request."), { code: 4001 });
            }
            return rpc(method, params ?? []);
          },
          on() {},
          removeListener() {},
        };
      },
      { address: me },
    );
    const wallet = await context.newPage();
    wallet.setDefaultTimeout(30_000);
    try {
      await wallet.goto(`${portal.url}/#/participant/trade`);
      await wallet.getByRole("button", { name: "Connect browser wallet" }).click();
      await wallet.getByTestId("wallet-badge").waitFor();
      const orders = (await api.orders(me)).length;
      await wallet.getByTestId("order-quantity").fill("1");
      await wallet.getByTestId("order-price").fill("28");
      await wallet.getByTestId("order-submit").click();
      await wallet.getByTestId("order-status").locator('[data-code="WALLET_REJECTED"]').waitFor();
      expect((await api.orders(me)).length).to.equal(orders);

      await wallet.getByRole("link", { name: "Transfers", exact: true }).click();
      await wallet.getByTestId("transfer-product-id").fill("2013");
      await wallet.getByTestId("transfer-to").fill(other);
      await wallet.getByTestId("transfer-amount").fill("1");
      const nonce = await portal.provider.getTransactionCount(me);
      await wallet.getByTestId("transfer-submit").click();
      await wallet.getByTestId("transfer-status").locator('[data-code="WALLET_REJECTED"]').waitFor();
      expect(await portal.provider.getTransactionCount(me)).to.equal(nonce);
      expect(await portal.contracts.allowances.lockedBalanceOf(me, VINTAGE)).to.equal(0n);
    } finally {
      await context.close();
    }
  });

  it("transfers immediately to a trusted account once its trust delay has passed", async () => {
    await tab("Trusted accounts");
    await page.getByTestId("trusted-account").fill(other);
    await page.getByTestId("trusted-submit").click();
    await ok("trusted-status");
    // Chain time past the trust delay (26 h by default).
    const delay = await portal.contracts.rules.trustDelay();
    await portal.provider.send("evm_increaseTime", [Number(delay) + 60]);
    await portal.provider.send("evm_mine", []);

    const before = await registryBalance(other);
    await tab("Transfers");
    await page.getByTestId("transfer-product-kind").selectOption("allowance");
    await page.getByTestId("transfer-product-id").fill("2013");
    await page.getByTestId("transfer-to").fill(other);
    await page.getByTestId("transfer-preview").getByText("the transfer is immediate").waitFor();
    await page.getByTestId("transfer-amount").fill("3");
    await page.getByTestId("transfer-submit").click();
    expect(await ok("transfer-status")).to.match(/Transferred 3 t of TJEA13 to .*: immediate/);
    expect(await registryBalance(other)).to.equal(before + 3n);
  });

  it("fits every participant page on a phone's screen", async () => {
    const context = await portal.browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.addInitScript(() => localStorage.setItem("ets.language", "zh-CN"));
    const phone = await context.newPage();
    phone.setDefaultTimeout(30_000);
    try {
      await connectKeystore(portal, phone, "entity-1001", "/participant/holdings");
      const pages: [string, string][] = [
        ["holdings", "holdings-allowances"],
        ["transfers", "transfer-form"],
        ["trusted", "trusted-form"],
        ["funds", "withdraw-form"],
        ["trade", "order-form"],
        ["orders", "my-orders"],
        ["compliance", "surrender-form"],
        ["cancel", "my-certificates"],
        ["certificate/1", "certificate"],
      ];
      for (const [path, testId] of pages) {
        await phone.evaluate((p) => (window.location.hash = `#/participant/${p}`), path);
        await phone.getByTestId(testId).waitFor();
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `horizontal overflow on ${path}`).to.be.at.most(0);
        await screenshot(phone, `participant-${path.replace("/", "-")}-phone-zh`);
      }
      await phone.evaluate(() => (window.location.hash = "#/participant/trade"));
      await phone.getByTestId("order-form").waitFor();
      await phone.getByTestId("recent-trades").waitFor();
      await phone.getByTestId("market-chart").waitFor();
      await screenshot(phone, "participant-trade-phone-zh");
    } finally {
      await context.close();
    }
  });
});
