import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { keystoreAddress } from "../../scripts/lib/keystore";
import {
  connectKeystore,
  injectWallet,
  openPage,
  PASSWORD,
  requireChromium,
  screenshot,
  startPortal,
  type Portal,
} from "./web.fixture";

/** The portal's shell in a real browser: languages, wallet connection, holdings, role gates. */
describe("web portal: shell, wallet and holdings (Chromium)", function () {
  this.timeout(180_000);
  let portal: Portal;

  before(async function () {
    requireChromium(this);
    portal = await startPortal();
  });
  after(async () => portal?.stop());

  it("serves the app, its configuration and the chain behind one address", async () => {
    const config = (await (await fetch(`${portal.url}/config.json`)).json()) as Record<string, unknown>;
    expect(config.chainId).to.equal(31337);
    expect(config.contracts).to.deep.equal(portal.manifest.contracts);
    expect(config.exchange).to.equal(true);
    expect(config.indexer).to.equal(true);
    const rpc = await fetch(`${portal.url}/rpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    expect(((await rpc.json()) as { result: string }).result).to.equal("0x7a69");
    const book = await fetch(`${portal.url}/v1/products`);
    expect(book.status).to.equal(200);
    const gql = await fetch(`${portal.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ indexerStatus { nodeReachable } }" }),
    });
    const status = (await gql.json()) as { data: { indexerStatus: { nodeReachable: boolean } } };
    expect(status.data.indexerStatus.nodeReachable).to.equal(true);
  });

  it("shows the home page in Chinese by default and switches to English", async () => {
    const context = await portal.browser.newContext();
    const page = await context.newPage();
    await page.goto(portal.url);
    await page.getByText("天津碳排放权交易试点").waitFor();
    expect(await page.locator("html").getAttribute("lang")).to.equal("zh-CN");
    await page.getByTestId("head-block").waitFor();
    await screenshot(page, "home-zh");
    await page.getByTestId("language-switch").click();
    await page.getByText("Tianjin emissions trading scheme").waitFor();
    expect(await page.locator("html").getAttribute("lang")).to.equal("en");
    await page.reload();
    await page.getByText("Tianjin emissions trading scheme").waitFor(); // the choice is kept
    await context.close();
  });

  it("connects a keystore wallet and shows its holdings as the chain has them", async () => {
    const { context, page } = await openPage(portal);
    await connectKeystore(portal, page, "entity-1001", "/participant/holdings");
    const address = keystoreAddress(portal.walletFile("entity-1001"))!;
    await page.getByTestId("wallet-badge").getByText(address.slice(0, 8)).waitFor();
    const ids = await portal.contracts.allowances.heldIds(address);
    expect(ids.length).to.be.greaterThan(0);
    const table = page.getByTestId("holdings-allowances");
    await table.waitFor();
    for (const id of ids) {
      const balance = await portal.contracts.allowances.balanceOf(address, id);
      const row = table.locator("tr", { hasText: `TJEA${String(id).slice(2)}` });
      await row.waitFor();
      expect(await row.innerText()).to.contain(BigInt(balance).toLocaleString("en-US"));
    }
    await screenshot(page, "participant-holdings");
    await context.close();
  });

  it("refuses a wrong password and a file that is not a keystore, and stays disconnected", async () => {
    const { context, page } = await openPage(portal);
    await page.goto(`${portal.url}/#/participant`);
    await page.getByTestId("keystore-file").setInputFiles(portal.walletFile("entity-1002"));
    await page.getByTestId("keystore-password").fill("not-the-password");
    await page.getByTestId("keystore-unlock").click();
    await page.locator('[data-code="WRONG_PASSWORD"]').waitFor();

    const junk = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ets-web-junk-")), "junk.json");
    fs.writeFileSync(junk, JSON.stringify({ hello: "world" }));
    await page.getByTestId("keystore-file").setInputFiles(junk);
    await page.getByTestId("keystore-password").fill(PASSWORD);
    await page.getByTestId("keystore-unlock").click();
    await page.locator('[data-code="KEYSTORE_INVALID"]').waitFor();
    expect(await page.getByTestId("wallet-badge").count()).to.equal(0);
    await context.close();
  });

  it("names the missing role when a participant opens the regulator's and the verifier's pages", async () => {
    const { context, page } = await openPage(portal);
    await connectKeystore(portal, page, "entity-1003");
    await page.getByRole("link", { name: "Regulator", exact: true }).click();
    await page.locator('[data-code="MISSING_ROLE"]').waitFor();
    await page.getByRole("link", { name: "Verifier", exact: true }).click();
    await page.locator('[data-code="MISSING_ROLE"]').waitFor();
    await context.close();
  });

  it("fits a phone's screen: no page-wide horizontal scrolling", async () => {
    const context = await portal.browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${portal.url}/#/participant/holdings`);
    await page.getByTestId("keystore-file").setInputFiles(portal.walletFile("entity-1001"));
    await page.getByTestId("keystore-password").fill(PASSWORD);
    await page.getByTestId("keystore-unlock").click();
    await page.getByTestId("holdings-allowances").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).to.be.at.most(0);
    await screenshot(page, "participant-holdings-phone");
    await context.close();
  });

  it("refuses a browser wallet on another chain, then connects once it switched", async () => {
    const { context, page } = await openPage(portal);
    const address = keystoreAddress(portal.walletFile("entity-1004"))!;
    await injectWallet(context, { address, chainId: "0x1" });
    await page.goto(`${portal.url}/#/participant/holdings`);
    await page.getByRole("button", { name: "Connect browser wallet" }).click();
    await page.locator('[data-code="WRONG_CHAIN"]').waitFor();
    expect(await page.getByTestId("wallet-badge").count()).to.equal(0);
    await page.getByRole("button", { name: "Switch the wallet to this chain" }).click();
    await page.getByTestId("wallet-badge").waitFor();
    const calls = await page.evaluate(
      () => (window as unknown as { __walletCalls: { method: string }[] }).__walletCalls,
    );
    expect(calls.map((c) => c.method)).to.include("wallet_switchEthereumChain");
    await page.getByTestId("holdings-allowances").waitFor();
    await context.close();
  });

  it("says so when the person declines to connect in the browser wallet", async () => {
    const { context, page } = await openPage(portal);
    const address = keystoreAddress(portal.walletFile("entity-1004"))!;
    await injectWallet(context, { address, chainId: "0x7a69", reject: ["eth_requestAccounts"] });
    await page.goto(`${portal.url}/#/participant/holdings`);
    await page.getByRole("button", { name: "Connect browser wallet" }).click();
    await page.locator('[data-code="WALLET_REJECTED"]').waitFor();
    expect(await page.getByTestId("wallet-badge").count()).to.equal(0);
    await context.close();
  });
});
