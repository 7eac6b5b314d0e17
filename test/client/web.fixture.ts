/**
 * The web portal's browser tests: the whole system started as `npm start` does (a real chain
 * node, the exchange, the indexer and the portal, on a temporary data folder and free ports), and
 * Debian's Chromium driven by playwright-core. Screenshots go to `test/artifacts/web/`.
 *
 * Chromium is found at ETS_CHROMIUM or /usr/bin/chromium (`apt-get install chromium`). Without it
 * the browser suites are skipped with a message, except under CI, where they fail.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { Wallet } from "ethers";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { readManifest, type Manifest } from "../../sdk/manifest";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { freePort } from "../../scripts/lib/anvil";
import { unlockKeystore } from "../../scripts/lib/keystore";
import { launchStart, type StartProcess } from "../../scripts/lib/start-process";

export const ARTIFACTS = path.resolve(__dirname, "..", "artifacts", "web");
const CHROMIUM = process.env.ETS_CHROMIUM ?? "/usr/bin/chromium";
export const PASSWORD = "demo-password";

export interface Portal {
  url: string;
  rpcUrl: string;
  dataDir: string;
  manifest: Manifest;
  provider: ZeroFeeProvider;
  contracts: Contracts;
  browser: Browser;
  /** The keystore file of a demo wallet (`entity-1001`, `regulator`, `verifier-1`, …). */
  walletFile(name: string): string;
  /** The demo wallet, unlocked and connected to the chain (for the test's own transactions). */
  signer(name: string): Promise<Wallet>;
  stop(): Promise<void>;
}

export function chromiumAvailable(): boolean {
  return fs.existsSync(CHROMIUM);
}

/** Skips the suite when Chromium is missing (fails under CI, which installs it). */
export function requireChromium(ctx: Mocha.Context): void {
  if (chromiumAvailable()) return;
  if (process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
  process.stderr.write(`  (browser tests skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)\n`);
  ctx.skip();
}

export async function startPortal(): Promise<Portal> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-web-"));
  let running: StartProcess | undefined;
  let browser: Browser | undefined;
  let provider: ZeroFeeProvider | undefined;
  try {
    running = launchStart(
      {
        ETS_DATA_DIR: dataDir,
        ETS_RPC_PORT: String(await freePort()),
        ETS_EXCHANGE_PORT: "0",
        ETS_INDEXER_PORT: "0",
        ETS_WEB_PORT: "0",
        ETS_LOG_LEVEL: "info",
      },
      120_000,
    );
    const ready = await running.ready;
    if (!ready.webUrl) throw new Error("npm start did not report the web portal's address");
    provider = connectRpc(ready.rpcUrl);
    const manifest = readManifest(path.join(dataDir, "deployments"), ready.chainId);
    if (!manifest) throw new Error("no deployment manifest");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const walletFile = (name: string) => path.join(dataDir, "wallets", `${name}.json`);
    const p = provider;
    const b = browser;
    const r = running;
    return {
      url: ready.webUrl.replace(/\/$/, ""),
      rpcUrl: ready.rpcUrl,
      dataDir,
      manifest,
      provider: p,
      contracts: connectContracts(manifest, p),
      browser: b,
      walletFile,
      async signer(name) {
        return (await unlockKeystore(walletFile(name), PASSWORD)).connect(p) as Wallet;
      },
      async stop() {
        await b.close().catch(() => undefined);
        p.destroy();
        r.signalGroup("SIGTERM");
        await r.exited;
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    provider?.destroy();
    if (running) {
      running.signalGroup("SIGKILL");
      await running.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** A new page in its own context (own storage), English unless `language` says otherwise. */
export async function openPage(
  portal: Portal,
  language: "en" | "zh-CN" = "en",
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await portal.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((lng) => localStorage.setItem("ets.language", lng), language);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** Opens `hash` (e.g. `/participant/holdings`) and connects the demo keystore `name`. */
export async function connectKeystore(portal: Portal, page: Page, name: string, hash = "/participant"): Promise<void> {
  await page.goto(`${portal.url}/#${hash}`);
  await page.getByTestId("keystore-file").setInputFiles(portal.walletFile(name));
  await page.getByTestId("keystore-password").fill(PASSWORD);
  await page.getByTestId("keystore-unlock").click();
  await page.getByTestId("wallet-badge").waitFor();
}

/** Saves a full-page screenshot as `test/artifacts/web/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface InjectedWalletStub {
  /** The account the stub wallet reports. */
  address: string;
  /** The chain id it reports (hex), e.g. `0x1` for a wallet on the wrong chain. */
  chainId: string;
  /** Methods the person "declines" (EIP-1193 error 4001), e.g. `personal_sign`. */
  reject?: string[];
}

/**
 * An EIP-1193 wallet in the page (`window.ethereum`) standing in for a browser extension such as
 * MetaMask: it reports `address` on `chainId`, declines the methods in `reject` with error 4001,
 * records switch requests in `window.__walletCalls`, and forwards reads to the portal's `/rpc`.
 */
export async function injectWallet(context: BrowserContext, stub: InjectedWalletStub): Promise<void> {
  await context.addInitScript((s: InjectedWalletStub) => {
    const calls: { method: string; params?: unknown }[] = [];
    (window as unknown as { __walletCalls: typeof calls }).__walletCalls = calls;
    let chainId = s.chainId;
    (window as unknown as { ethereum: unknown }).ethereum = {
      isMetaMask: true,
      on() {},
      removeListener() {},
      async request({ method, params }: { method: string; params?: unknown[] }) {
        calls.push({ method, params });
        if (s.reject?.includes(method)) throw Object.assign(new Error("User rejected the request."), { code: 4001 });
        switch (method) {
          case "eth_requestAccounts":
          case "eth_accounts":
            return [s.address];
          case "eth_chainId":
            return chainId;
          case "net_version":
            return String(parseInt(chainId, 16));
          case "wallet_switchEthereumChain":
            chainId = (params?.[0] as { chainId: string }).chainId;
            return null;
          default: {
            const res = await fetch("/rpc", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }),
            });
            const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
            if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code });
            return body.result;
          }
        }
      },
    };
  }, stub);
}
