import { Wallet, encryptKeystoreJson, id, type HDNodeWallet } from "ethers";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { deployClearing } from "../../scripts/deploy-clearing";
import { deployRegistry } from "../../scripts/deploy";
import { startAnvil, type AnvilNode } from "../../scripts/lib/anvil";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { writeManifest, type Manifest } from "../../sdk/manifest";
import { clearingDomain, signOrder, type Order } from "../../sdk/orders";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { Clearing__factory, type Clearing } from "../../typechain-types";

export const VINTAGE = 2014n;

export interface Market {
  node: AnvilNode;
  provider: ZeroFeeProvider;
  manifest: Manifest;
  contracts: Contracts;
  clearing: Clearing;
  regulator: HDNodeWallet;
  operator: HDNodeWallet;
  traders: HDNodeWallet[];
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real Anvil node with the registry and the Clearing contract, `n` registered traders (institutions)
 * each with `units` allowances of 2014 and `cash` fen deposited in their trading accounts.
 */
export async function startMarket(
  n: number,
  units: bigint,
  cash: bigint,
  opts: { blockTime?: number; fees?: [number, number]; seed?: string } = {},
): Promise<Market> {
  const node = await startAnvil({ blockTime: opts.blockTime });
  const provider = connectRpc(node.url);
  const regulator = Wallet.createRandom(provider);
  const bank = Wallet.createRandom(provider);
  const operator = Wallet.createRandom(provider);
  const { manifest: m0, contracts: regContracts } = await deployRegistry({
    regulator,
    registryOperator: regulator.address,
    clearingBank: bank.address,
    extraGrants: { ALLOWANCE_MINTER: [regulator.address] },
  });
  const { manifest } = await deployClearing({
    regulator,
    manifest: m0,
    contracts: regContracts,
    exchangeEntity: { entityId: 9000n, name: "Tianjin Climate Exchange", creditCode: "exchange" },
    exchangeOperator: operator.address,
    makerFeeBps: opts.fees?.[0] ?? 0,
    takerFeeBps: opts.fees?.[1] ?? 0,
  });
  // With a seed the traders' keys are the same in every run (to compare two runs account by account).
  const traders = Array.from({ length: n }, (_, i) =>
    opts.seed
      ? (new Wallet(id(`${opts.seed}:${i}`), provider) as unknown as HDNodeWallet)
      : Wallet.createRandom(provider),
  );
  const contracts = connectContracts(manifest, regulator);
  const bankContracts = connectContracts(manifest, bank);
  let nonce = await provider.getTransactionCount(regulator.address, "pending");
  let bankNonce = await provider.getTransactionCount(bank.address, "pending");
  const sent = [];
  for (const [i, t] of traders.entries()) {
    sent.push(
      await contracts.registry.registerEntity(
        10_000n + BigInt(i),
        2,
        0,
        `Trader ${i}`,
        id(`trader-${i}-${t.address}`),
        t.address,
        { nonce: nonce++ },
      ),
    );
  }
  for (const t of traders) {
    if (units > 0n) sent.push(await contracts.allowances.mint(t.address, VINTAGE, units, { nonce: nonce++ }));
    if (cash > 0n)
      sent.push(await bankContracts.cash.deposit(t.address, cash, id(`bank-${t.address}`), { nonce: bankNonce++ }));
  }
  await Promise.all(sent.map((tx) => tx.wait()));
  const clearingAddress = manifest.contracts.Clearing!;
  await Promise.all(
    traders.map(async (t) => {
      const mine = connectContracts(manifest, t);
      let k = 0;
      const txs = [];
      if (units > 0n)
        txs.push(
          await mine.allowances.safeTransferFrom(t.address, clearingAddress, VINTAGE, units, "0x", { nonce: k++ }),
        );
      if (cash > 0n) {
        txs.push(await mine.cash.approve(clearingAddress, cash, { nonce: k++ }));
        txs.push(await Clearing__factory.connect(clearingAddress, t).depositCash(cash, { nonce: k++ }));
      }
      await Promise.all(txs.map((tx) => tx.wait()));
    }),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-exchange-"));
  return {
    node,
    provider,
    manifest,
    contracts,
    clearing: Clearing__factory.connect(clearingAddress, provider),
    regulator,
    operator,
    traders,
    dir,
    stop: async () => {
      provider.destroy();
      await node.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const silentLog = pino({ level: process.env.ETS_TEST_LOG ?? "silent" });

export function orderFor(
  m: Market,
  trader: HDNodeWallet,
  o: Partial<Order> & { isBuy: boolean; price: bigint; quantity: bigint; nonce: bigint },
): Order {
  return {
    trader: trader.address,
    token: m.manifest.contracts.AllowanceToken,
    tokenId: VINTAGE,
    timeInForce: 0,
    expiry: 0n,
    ...o,
  };
}

export async function signed(m: Market, trader: HDNodeWallet, o: Order) {
  return signOrder(trader, clearingDomain(m.manifest.chainId, m.manifest.contracts.Clearing!), o);
}

/** The JSON body of POST /v1/orders. */
export function body(s: { order: Order; signature: string }) {
  return JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

export async function post(url: string, json: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: json });
  return { status: res.status, body: await res.json() };
}

export async function waitFor(cond: () => Promise<boolean> | boolean, ms = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ExchangeProcess {
  child: ChildProcess;
  url: string;
  /** SIGKILL of its whole process group; resolves once it exited. */
  kill(): Promise<void>;
}

/**
 * The exchange as its own process (`server/main.ts`, as `npm start` runs it) on the market's node,
 * with the operator's keystore and the manifest written under the market's folder; `env` adds or
 * overrides configuration (e.g. ETS_SETTLEMENT_LATENCY_MS). Ready once it printed its address.
 */
export async function spawnExchange(
  m: Market,
  journalFile: string,
  port: number,
  env: Record<string, string> = {},
): Promise<ExchangeProcess> {
  const deployments = path.join(m.dir, "deployments");
  const wallets = path.join(m.dir, "process-wallets");
  const password = "exchange-process-password";
  if (!fs.existsSync(path.join(wallets, "exchange.json"))) {
    writeManifest(deployments, m.manifest);
    fs.mkdirSync(wallets, { recursive: true });
    fs.writeFileSync(
      path.join(wallets, "exchange.json"),
      await encryptKeystoreJson(new Wallet(m.operator.privateKey), password, { scrypt: { N: 1 << 10 } }),
    );
  }
  // `node --import tsx` runs the server in this very process (the tsx CLI would fork a child that a
  // SIGKILL of its parent leaves running); its own process group is killed whole anyway.
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "..", "server", "main.ts")], {
    cwd: path.join(__dirname, "..", ".."),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ETS_RPC_URL: m.node.url,
      ETS_DEPLOYMENTS_DIR: deployments,
      ETS_WALLET_DIR: wallets,
      ETS_PASSWORD: password,
      ETS_EXCHANGE_JOURNAL: journalFile,
      ETS_EXCHANGE_PORT: String(port),
      ETS_LOG_LEVEL: "silent",
      ...env,
    },
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  await waitFor(() => out.includes("exchange ready") || child.exitCode !== null, 60_000, "the exchange process");
  if (child.exitCode !== null) throw new Error(`the exchange exited: ${out}`);
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid!, "SIGKILL");
      await exited;
    },
  };
}
