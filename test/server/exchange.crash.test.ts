import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Wallet, encryptKeystoreJson } from "ethers";
import { writeManifest } from "../../sdk/manifest";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer } from "../../server/server";
import { freePort } from "../../scripts/lib/anvil";
import { body, orderFor, post, signed, silentLog, startMarket, VINTAGE, waitFor, type Market } from "./harness";

const TRADERS = 6;
const ORDERS = 160;
const KILLS = 10;
const ROOT = path.resolve(__dirname, "..", "..");

/** A deterministic order flow around ¥30.00: passive and marketable limit orders of 6 traders. */
function flow(): { trader: number; isBuy: boolean; price: bigint; quantity: bigint; tif: number }[] {
  let x = 7;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648), x / 2147483648);
  return Array.from({ length: ORDERS }, () => {
    const isBuy = rnd() < 0.5;
    const crossing = rnd() < 0.35;
    const d = BigInt(1 + Math.floor(rnd() * 20));
    return {
      trader: Math.floor(rnd() * TRADERS),
      isBuy,
      price: crossing ? (isBuy ? 3000n + d : 3000n - d) : isBuy ? 3000n - d : 3000n + d,
      quantity: BigInt(1 + Math.floor(rnd() * 50)),
      tif: crossing ? 1 : 0,
    };
  });
}

async function signedFlow(m: Market) {
  const nonces = new Array<bigint>(TRADERS).fill(0n);
  return Promise.all(
    flow().map((o) => {
      const t = m.traders[o.trader]!;
      nonces[o.trader]! += 1n;
      return signed(
        m,
        t,
        orderFor(m, t, {
          isBuy: o.isBuy,
          price: o.price,
          quantity: o.quantity,
          nonce: nonces[o.trader]!,
          timeInForce: o.tif,
        }),
      );
    }),
  );
}

async function balances(m: Market): Promise<string[]> {
  const out: string[] = [];
  for (const t of m.traders) {
    out.push(
      `${await m.clearing.balanceOf(t.address, m.manifest.contracts.AllowanceToken, VINTAGE)}/${await m.clearing.balanceOf(t.address, m.manifest.contracts.CashToken, 0n)}`,
    );
  }
  return out;
}

describe("exchange crash recovery (kill -9 while orders flow)", function () {
  this.timeout(300_000);

  it(`loses no acknowledged order and settles nothing twice across ${KILLS} kills`, async function () {
    // Reference: the same flow without interruption.
    const ref = await startMarket(TRADERS, 10_000n, 100_000_000n, { seed: "crash" });
    let expected: string[];
    let expectedTrades: bigint;
    try {
      const ex = await startExchangeServer({
        env: readExchangeEnv({ ETS_EXCHANGE_PORT: "0", ETS_SETTLEMENT_LATENCY_MS: "20" }),
        manifest: ref.manifest,
        operator: ref.operator,
        journalFile: path.join(ref.dir, "journal.log"),
        log: silentLog,
      });
      await waitFor(() => ex.exchange.core.productList().length > 0, 10_000, "deposits");
      await waitFor(() => ex.exchange.core.accounts.traders().length >= TRADERS, 10_000, "all deposits");
      for (const s of await signedFlow(ref)) expect((await post(`${ex.url}/v1/orders`, body(s))).status).to.equal(201);
      expectedTrades = ex.exchange.core.trades.lastId;
      await waitFor(async () => (await ref.clearing.lastTradeId()) === expectedTrades, 30_000, "reference settlement");
      await ex.close();
      expected = await balances(ref);
    } finally {
      await ref.stop();
    }
    expect(expectedTrades).to.be.greaterThan(20n);

    // The same flow against an exchange process killed with SIGKILL at random points.
    const m = await startMarket(TRADERS, 10_000n, 100_000_000n, { seed: "crash" });
    let child: ChildProcess | undefined;
    try {
      const deployments = path.join(m.dir, "deployments");
      const wallets = path.join(m.dir, "wallets");
      writeManifest(deployments, m.manifest);
      fs.mkdirSync(wallets, { recursive: true });
      fs.writeFileSync(
        path.join(wallets, "exchange.json"),
        await encryptKeystoreJson(new Wallet(m.operator.privateKey), "crash-test-password", { scrypt: { N: 1 << 10 } }),
      );
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const start = async () => {
        // `node --import tsx` runs the server in this very process (the tsx CLI would fork a child that
        // a SIGKILL of its parent leaves running); its own process group is killed whole anyway.
        const p = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server", "main.ts")], {
          cwd: ROOT,
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
          env: {
            ...process.env,
            ETS_RPC_URL: m.node.url,
            ETS_DEPLOYMENTS_DIR: deployments,
            ETS_WALLET_DIR: wallets,
            ETS_PASSWORD: "crash-test-password",
            ETS_EXCHANGE_JOURNAL: path.join(m.dir, "journal.log"),
            ETS_EXCHANGE_PORT: String(port),
            ETS_SETTLEMENT_LATENCY_MS: "20",
            // Snapshots now and then, so that restarts go through snapshot + journal tail too.
            ETS_SNAPSHOT_EVERY: "25",
            ETS_LOG_LEVEL: "silent",
          },
        });
        let out = "";
        p.stdout!.on("data", (d) => (out += String(d)));
        p.stderr!.on("data", (d) => (out += String(d)));
        await waitFor(() => out.includes("exchange ready") || p.exitCode !== null, 60_000, "exchange start");
        if (p.exitCode !== null) throw new Error(`exchange exited: ${out}`);
        return p;
      };
      const orders = await signedFlow(m);
      // Kill points: after these many acknowledged orders (spread over the flow).
      const kills = new Set(
        Array.from({ length: KILLS }, (_, i) => Math.floor(((i + 1) * ORDERS) / (KILLS + 1)) + (i % 3)),
      );
      const acknowledged: { trader: string; nonce: bigint }[] = [];
      child = await start();
      for (let i = 0; i < orders.length; i++) {
        const s = orders[i]!;
        if (kills.has(i)) {
          // Kill while the previous acknowledgement's settlement may still be in flight.
          const inFlight = post(`${url}/v1/orders`, body(s)).catch(() => undefined);
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
          const exited = new Promise((r) => child!.once("exit", r));
          process.kill(-child.pid!, "SIGKILL");
          await exited;
          await inFlight;
          child = await start();
        }
        // Send (again): an order journalled before the kill but never acknowledged is already there.
        const r = await post(`${url}/v1/orders`, body(s));
        if (r.status !== 201) expect(r.body.error.code, JSON.stringify(r.body)).to.equal("ORDER_NONCE_REUSED");
        acknowledged.push({ trader: s.order.trader, nonce: s.order.nonce });
      }
      await waitFor(
        async () => (await m.clearing.lastTradeId()) === expectedTrades,
        60_000,
        "settlement after the kills",
      );
      // Every acknowledged order is known to the exchange after all the restarts.
      for (const t of m.traders) {
        const listed = (
          (await (await fetch(`${url}/v1/orders?trader=${t.address}`)).json()) as { orders: { nonce: string }[] }
        ).orders.map((o) => o.nonce);
        const mine = acknowledged.filter((a) => a.trader === t.address).map((a) => a.nonce.toString());
        expect(listed).to.include.members(mine);
      }
      // No trade settled twice: the settlement events carry each trade id exactly once.
      const events = await m.clearing.queryFilter(m.clearing.filters.TradeSettled(), 0, "latest");
      const ids = events.map((e) => e.args.tradeId);
      expect(new Set(ids.map(String)).size).to.equal(ids.length);
      expect(ids.length).to.equal(Number(expectedTrades));
      expect(await balances(m)).to.deep.equal(expected);
    } finally {
      if (child?.exitCode === null) process.kill(-child.pid!, "SIGKILL");
      await m.stop();
    }
  });
});
