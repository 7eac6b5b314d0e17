import net from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { id } from "ethers";
import { Clearing__factory } from "../../typechain-types";
import { run } from "../../client/cli/program";
import type { CliDeps } from "../../client/cli/io";
import { allErrorCodes, CLIENT_ERRORS } from "../../sdk/client-errors";
import { toDomainError, CHAIN_ERRORS } from "../../sdk/errors";
import { importKeystore } from "../../sdk/keystore";
import { writeManifest } from "../../sdk/manifest";
import { Roles } from "../../sdk/roles";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import { silentLog, startMarket, VINTAGE, waitFor, type Market } from "../server/harness";
import { PASSWORD } from "./cli.fixture";

/**
 * The trading commands of `ets` against a real Anvil node with the registry and the Clearing
 * contract (`startMarket`: three registered traders with 1,000 t of 2014 and CNY 10,000 in their
 * trading accounts, fees 5/10 bp) and the exchange in-process; the CLI runs in-process with
 * light-KDF keystores of the traders. Bad input is refused with its code, sentence and exit code,
 * and changes nothing: not the exchange's journal, nor its positions, nor anything on chain.
 */

type Json = Record<string, any>;

describe("ets CLI: trading at the exchange", function () {
  this.timeout(60_000);
  const MAKER_BPS = 5n;
  const TAKER_BPS = 10n;
  const CASH = 1_000_000n; // fen in each trading account at the start
  const names = ["alice", "bob", "carol"] as const;
  type Name = (typeof names)[number];
  let m: Market;
  let ex: RunningExchange;
  let exchangeUp = true;
  let walletDir: string;
  let deploymentsDir: string;
  const addr: Record<Name, string> = { alice: "", bob: "", carol: "" };
  const allowances = () => m.manifest.contracts.AllowanceToken;
  const cashToken = () => m.manifest.contracts.CashToken;

  before(async function () {
    m = await startMarket(3, 1_000n, CASH, { fees: [Number(MAKER_BPS), Number(TAKER_BPS)] });
    walletDir = path.join(m.dir, "wallets");
    deploymentsDir = path.join(m.dir, "deployments");
    writeManifest(deploymentsDir, m.manifest);
    await Promise.all(
      names.map(async (name, i) => {
        const entry = await importKeystore(walletDir, name, m.traders[i]!.privateKey, PASSWORD, { light: true });
        addr[name] = entry.address;
      }),
    );
    // What stays in the registry wallets for `ets deposit`: 500 t of 2014 (alice), CNY 2,000 (bob);
    // and vintage 2015, issued but never deposited, so the exchange does not trade TJEA15.
    const c = m.contracts;
    await (await c.allowances.mint(addr.alice, VINTAGE, 500n)).wait();
    await (await c.allowances.mint(addr.carol, 2015n, 10n)).wait();
    await (await c.authority.grantRole(Roles.CLEARING_BANK, m.regulator.address, 0)).wait();
    await (await c.cash.deposit(addr.bob, 200_000n, id("exchange-cli-bank-1"))).wait();
    ex = await startExchangeServer({
      env: readExchangeEnv({ ETS_EXCHANGE_PORT: "0", ETS_SETTLEMENT_LATENCY_MS: "20" }),
      manifest: m.manifest,
      operator: m.operator,
      journalFile: path.join(m.dir, "journal.log"),
      log: silentLog,
    });
    await waitFor(
      () => names.every((n) => available(n, "cash") === CASH && available(n, "units") === 1_000n),
      10_000,
      "the exchange to see the deposits",
    );
  });

  after(async function () {
    if (exchangeUp) await ex?.close();
    await m?.stop();
  });

  // ─────────────────────────────────────────── helpers ───────────────────────────────────────────

  function asset(kind: "units" | "cash"): string {
    return kind === "cash" ? `${cashToken().toLowerCase()}:0` : `${allowances().toLowerCase()}:${VINTAGE}`;
  }

  /** What the exchange has available in a trading account. */
  function available(name: Name, kind: "units" | "cash"): bigint {
    return ex.exchange.core.accounts.available(addr[name], asset(kind));
  }

  interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
    json: Json;
  }

  async function cli(argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
    let stdout = "";
    let stderr = "";
    const deps: CliDeps = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: Readable.from([]),
      env: {
        ETS_RPC_URL: m.node.url,
        ETS_WALLET_DIR: walletDir,
        ETS_DEPLOYMENTS_DIR: deploymentsDir,
        ETS_EXCHANGE_URL: ex.url,
        ETS_PASSWORD: PASSWORD,
        TZ: process.env.TZ,
        ...env,
      },
      cwd: m.dir,
    };
    const code = await run(argv, deps);
    let json: Json = {};
    try {
      json = JSON.parse(stdout) as Json;
    } catch {
      // text output
    }
    return { code, stdout, stderr, json };
  }

  /** Runs a command that must succeed; its JSON result. */
  async function ok(argv: string[]): Promise<Json> {
    const r = await cli([...argv, "--json"]);
    expect(r.code, `ets ${argv.join(" ")} failed: ${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stderr).to.equal("");
    return r.json;
  }

  /** Runs a command that must succeed; its text. */
  async function text(argv: string[]): Promise<string> {
    const r = await cli(argv);
    expect(r.code, `ets ${argv.join(" ")} failed: ${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stderr).to.equal("");
    return r.stdout;
  }

  /**
   * Everything a refused command could have changed: the exchange's journal and its view of every
   * trading account (positions, orders), and on chain the block height, the traders' nonces, their
   * trading-account balances and their registry balances.
   */
  async function snapshot(): Promise<string> {
    // The exchange follows the chain asynchronously: let it catch up with what earlier steps did
    // (an on-chain cancellation, a deposit) before taking the picture.
    // (Bounded: once a test has closed the exchange, there is nothing to wait for.)
    const head = await m.provider.getBlockNumber();
    for (let i = 0; i < 20 && !ex.exchange.closed; i++) {
      const journal = ex.exchange.journalLength;
      await new Promise((r) => setTimeout(r, 150));
      await ex.exchange.watcher.poll();
      if (ex.exchange.watcher.status.block >= head && ex.exchange.journalLength === journal) break;
    }
    const clearing = Clearing__factory.connect(m.manifest.contracts.Clearing!, m.provider);
    const reads: unknown[] = [ex.exchange.journalLength, await m.provider.getBlockNumber()];
    for (const name of names) {
      const a = addr[name];
      const positions = [asset("units"), asset("cash")].map((k) => ex.exchange.core.accounts.position(a, k));
      reads.push(
        name,
        positions.map((p) => `${p.balance}/${p.reserved}`),
        ex.exchange.core.ordersOf(a).map((o) => `${o.order.nonce}:${o.status}:${o.filled}`),
        await m.provider.getTransactionCount(a, "pending"),
        await clearing.balanceOf(a, allowances(), VINTAGE),
        await clearing.balanceOf(a, cashToken(), 0n),
        await m.contracts.allowances.balanceOf(a, VINTAGE),
        await m.contracts.cash.balanceOf(a),
      );
    }
    return JSON.stringify(reads, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }

  /**
   * Runs a command that must be refused: `error [CODE]: sentence` on one line of stderr (and the
   * JSON form), the exit code, and nothing changed.
   */
  async function rejects(
    argv: string[],
    expected: { code: string; message: RegExp; exit: 1 | 2 },
    env: Record<string, string> = {},
  ): Promise<void> {
    const before = await snapshot();
    const r = await cli(argv, env);
    const line = `error [${expected.code}]: `;
    expect(r.stderr, `stderr of ets ${argv.join(" ")}`).to.satisfy(
      (s: string) => s.startsWith(line),
      `expected "${line}…", got: ${r.stderr}${r.stdout}`,
    );
    expect(r.stderr.slice(line.length).trimEnd()).to.match(expected.message);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).not.to.match(/\n\s+at |0x[0-9a-f]{72,}/i);
    expect(r.code).to.equal(expected.exit);
    expect(r.stdout).to.equal("");

    const j = await cli([...argv, "--json"], env);
    expect(j.code).to.equal(expected.exit);
    expect(j.stderr).to.equal("");
    expect(j.json).to.deep.equal({ error: { code: expected.code, message: j.json.error?.message } });
    expect(j.json.error.message).to.match(expected.message);
    expect(await snapshot(), "nothing changed").to.equal(before);
  }

  async function closedPortUrl(): Promise<string> {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    return `http://127.0.0.1:${port}`;
  }

  const fee = (notional: bigint, bps: bigint) => (notional * bps) / 10_000n;

  // ──────────────────────────────────────────── tests ────────────────────────────────────────────

  describe("error codes", function () {
    it("decodes every Clearing error with a code that is not a client code", function () {
      const clientCodes = new Set(Object.keys(CLIENT_ERRORS));
      const declared = Clearing__factory.abi.filter((f) => f.type === "error").map((f) => f.name);
      // Every Clearing error has its code in the one catalogue, except two that only the EIP-712
      // constructor raises.
      expect(declared.filter((n) => !CHAIN_ERRORS[n]).sort()).to.deep.equal(["InvalidShortString", "StringTooLong"]);
      for (const name of declared.filter((n) => n.startsWith("Clearing"))) {
        expect(clientCodes.has(CHAIN_ERRORS[name]!.code), name).to.equal(false);
      }
      expect(allErrorCodes().has("EXCHANGE_UNREACHABLE")).to.equal(true);

      // A Clearing revert decodes by name.
      const data = Clearing__factory.createInterface().encodeErrorResult("ClearingWithdrawalNotDue", [
        3n,
        1_700_000_000n,
      ]);
      const e = toDomainError({ code: "CALL_EXCEPTION", data });
      expect([e.code, e.kind]).to.deep.equal(["WITHDRAWAL_NOT_DUE", "conflict"]);
      expect(e.message).to.contain("2023-11-14T22:13:20Z");
    });
  });

  describe("deposits", function () {
    it("deposits allowances from the registry wallet into the trading account", async function () {
      const r = await ok(["deposit", "200", "--vintage", "2014", "--from", "alice"]);
      expect(r).to.include({ trader: addr.alice, product: "TJEA14", amount: "200", unit: "t", tradingBalance: "1200" });
      expect(r.tx).to.match(/^0x[0-9a-f]{64}$/);
      expect(await m.contracts.allowances.balanceOf(addr.alice, VINTAGE)).to.equal(300n);
      await waitFor(() => available("alice", "units") === 1_200n, 10_000, "the exchange to credit the deposit");
    });

    it("deposits cash: approves the clearing, then depositCash", async function () {
      const out = await text(["deposit", "1000.50", "--cash", "--from", "bob"]);
      expect(out).to.match(
        /^Deposited CNY 1,000\.50 into the trading account of 0x[0-9a-fA-F]{40} \(bob\) at the exchange\.$/m,
      );
      expect(out).to.match(/^Trading balance on chain: CNY 11,000\.50\./m);
      expect(out).to.match(/^Approval: Transaction 0x[0-9a-f]{64} \(block \d+\)\.$/m);
      expect(await m.contracts.cash.balanceOf(addr.bob)).to.equal(200_000n - 100_050n);
      await waitFor(() => available("bob", "cash") === CASH + 100_050n, 10_000, "the exchange to credit the cash");
    });
  });

  describe("trading", function () {
    it("a sell rests in the book and a buy trades with it", async function () {
      const sell = await ok(["order", "sell", "100", "--vintage", "2014", "--price", "30.25", "--from", "alice"]);
      expect(sell.order).to.include({
        side: "sell",
        product: "TJEA14",
        price: "3025",
        priceCny: "30.25",
        quantity: "100",
        filled: "0",
        timeInForce: "GTC",
        nonce: "1",
        status: "open",
      });
      expect(sell.trades).to.deep.equal([]);

      const out = await text(["order", "buy", "60", "--vintage", "TJEA14", "--price", "30.50", "--from", "bob"]);
      expect(out).to.match(
        /^Order nonce 1: buy 60 t of TJEA14 \(CNY 30\.50\/t, GTC\) is FILLED: 60 t of 60 t filled\.$/m,
      );
      expect(out).to.match(
        /^ {2}trade 1 {2}TJEA14 {2}60 t at CNY 30\.25\/t {2}bought from 0x[0-9a-fA-F]{40} \(alice\) /m,
      );
    });

    it("shows the trade in ets trades and the rest of the sell in ets book", async function () {
      const { trades } = await ok(["trades", "--product", "TJEA14"]);
      expect(trades).to.have.length(1);
      expect(trades[0]).to.include({
        tradeId: "1",
        product: "TJEA14",
        price: "3025",
        priceCny: "30.25",
        quantity: "60",
        buyer: addr.bob,
        buyerWallet: "bob",
        seller: addr.alice,
        sellerWallet: "alice",
        aggressor: "buy",
        buyerFee: String(fee(3025n * 60n, TAKER_BPS)),
        sellerFee: String(fee(3025n * 60n, MAKER_BPS)),
      });

      const book = await ok(["book", "TJEA14"]);
      expect(book).to.deep.include({ product: "TJEA14", halted: false, band: { low: "2700", high: "3300" } });
      expect(book.asks).to.deep.equal([{ price: "3025", priceCny: "30.25", quantity: "40", orders: 1 }]);
      expect(book.bids).to.deep.equal([]);
      expect(book.day).to.include({ open: "3025", close: "3025", volume: "60", trades: 1, previousClose: "3000" });
      const out = await text(["book", "2014", "--levels", "5"]);
      expect(out).to.match(/^Price band today: CNY 27\.00\/t – CNY 33\.00\/t \(previous close CNY 30\.00\/t\)\.$/m);
      expect(out).to.match(/^Asks \(sell orders\), best first:\n +CNY 30\.25\/t +40 t {2}1 order$/m);
    });

    it("lists an account's orders", async function () {
      const all = await ok(["order", "list", "--from", "alice"]);
      expect(all.orders).to.have.length(1);
      expect(all.orders[0]).to.include({ nonce: "1", status: "open", filled: "60", quantity: "100" });
      const mine = await ok(["order", "list", "bob", "--open"]);
      expect(mine).to.deep.include({ trader: addr.bob, wallet: "bob", orders: [] });
    });

    it("cancels a resting order through the exchange", async function () {
      const placed = await ok(["order", "sell", "10", "--vintage", "2014", "--price", "32", "--from", "alice"]);
      expect(placed.order).to.include({ nonce: "2", status: "open" });
      expect(ex.exchange.core.accounts.position(addr.alice, asset("units")).reserved).to.equal(50n);
      const r = await ok(["order", "cancel", "2", "--from", "alice"]);
      expect(r.order).to.include({ nonce: "2", status: "cancelled", filled: "0" });
      expect(ex.exchange.core.accounts.position(addr.alice, asset("units")).reserved).to.equal(40n);
      expect((await ok(["book", "TJEA14"])).asks).to.have.length(1);
    });

    it("a market order trades at once, signed at the band's protective limit", async function () {
      const buy = await ok(["order", "buy", "20", "--vintage", "2014", "--market", "--from", "carol"]);
      expect(buy.order).to.include({ price: "3300", timeInForce: "IOC", status: "filled", filled: "20" });
      expect(buy.trades).to.have.length(1);
      expect(buy.trades[0]).to.include({ tradeId: "2", price: "3025", quantity: "20", sellerWallet: "alice" });
      // No bids: a market FOK sell does not trade at all.
      const sell = await ok(["order", "sell", "5", "--vintage", "2014", "--market", "--fok", "--from", "carol"]);
      expect(sell.order).to.include({ price: "2700", timeInForce: "FOK", status: "unfilled", filled: "0" });
    });

    it("settles the trades on chain: the trading balances move", async function () {
      await waitFor(async () => (await m.clearing.lastTradeId()) === 2n, 20_000, "settlement of trades 1 and 2");
      const c = m.clearing;
      const n1 = 3025n * 60n;
      const n2 = 3025n * 20n;
      expect(await c.balanceOf(addr.alice, allowances(), VINTAGE)).to.equal(1_200n - 80n);
      expect(await c.balanceOf(addr.bob, allowances(), VINTAGE)).to.equal(1_060n);
      expect(await c.balanceOf(addr.carol, allowances(), VINTAGE)).to.equal(1_020n);
      expect(await c.balanceOf(addr.alice, cashToken(), 0n)).to.equal(
        CASH + n1 - fee(n1, MAKER_BPS) + n2 - fee(n2, MAKER_BPS),
      );
      expect(await c.balanceOf(addr.bob, cashToken(), 0n)).to.equal(CASH + 100_050n - n1 - fee(n1, TAKER_BPS));
      expect(await c.balanceOf(addr.carol, cashToken(), 0n)).to.equal(CASH - n2 - fee(n2, TAKER_BPS));
      await waitFor(
        async () => (await ok(["trades"])).trades.every((t: { settlement: string }) => t.settlement === "settled"),
        5_000,
        "the exchange to report the settlement",
      );
    });

    it("cancels an order on chain and takes it out of the exchange's book", async function () {
      const placed = await ok(["order", "sell", "5", "--vintage", "2014", "--price", "31", "--from", "alice"]);
      expect(placed.order).to.include({ nonce: "3", status: "open" });
      const r = await ok(["order", "cancel", "3", "--on-chain", "--from", "alice"]);
      expect(r).to.deep.include({ nonce: "3", onChain: "cancelled", exchange: [{ nonce: "3", status: "cancelled" }] });
      expect(await m.clearing.orderState(addr.alice, 3n)).to.deep.equal([0n, true]);
    });
  });

  describe("when the input is bad", function () {
    const sell = (qty: string, ...rest: string[]) => ["order", "sell", qty, "--vintage", "2014", ...rest];
    const buy = (qty: string, ...rest: string[]) => ["order", "buy", qty, "--vintage", "2014", ...rest];

    it("refuses a malformed price", async function () {
      await rejects(sell("1", "--price", "30.123", "--from", "alice"), {
        code: "AMOUNT_NOT_WHOLE",
        message: /^The price must be a whole number of fen \(at most two decimals of CNY\); got 30\.123\.$/,
        exit: 2,
      });
      await rejects(sell("1", "--price", "-1", "--from", "alice"), {
        code: "NEGATIVE_AMOUNT",
        message: /^The price must be positive; got -1\.$/,
        exit: 2,
      });
      await rejects(buy("1", "--price", "thirty", "--from", "bob"), {
        code: "INVALID_AMOUNT",
        message: /^The price "thirty" is not a CNY amount/,
        exit: 2,
      });
      await rejects(buy("1", "--price", "0", "--from", "bob"), {
        code: "ZERO_AMOUNT",
        message: /^The price must be greater than zero\.$/,
        exit: 2,
      });
    });

    it("refuses a zero or fractional quantity", async function () {
      await rejects(sell("0", "--price", "30", "--from", "alice"), {
        code: "ZERO_AMOUNT",
        message: /^The quantity must be greater than zero\.$/,
        exit: 2,
      });
      await rejects(sell("2.5", "--price", "30", "--from", "alice"), {
        code: "AMOUNT_NOT_WHOLE",
        message: /^The quantity must be a whole number of tonnes; got 2\.5\.$/,
        exit: 2,
      });
    });

    it("refuses an order without a price or product, or with both --ioc and --fok", async function () {
      await rejects(sell("1", "--from", "alice"), {
        code: "INVALID_USAGE",
        message: /--price <CNY>.*--market/,
        exit: 2,
      });
      await rejects(["order", "sell", "1", "--price", "30", "--from", "alice"], {
        code: "PRODUCT_REQUIRED",
        message: /^Say what to trade: --vintage <year>/,
        exit: 2,
      });
      await rejects(buy("1", "--price", "30", "--ioc", "--fok", "--from", "bob"), {
        code: "INVALID_USAGE",
        message: /^Give only one of --ioc and --fok\.$/,
        exit: 2,
      });
      await rejects(buy("1", "--price", "30", "--expires", "2001-01-01", "--from", "bob"), {
        code: "INVALID_EXPIRY",
        message: /^--expires "2001-01-01" is not in the future/,
        exit: 2,
      });
    });

    it("passes on the exchange's ORDER_PRICE_OUTSIDE_BAND for a price outside the band", async function () {
      await rejects(buy("1", "--price", "40.00", "--from", "bob"), {
        code: "ORDER_PRICE_OUTSIDE_BAND",
        message:
          /^The price is outside today's price band around the previous close\. Today's band of TJEA14: CNY 27\.00\/t – CNY 33\.00\/t\.$/,
        exit: 2,
      });
    });

    it("refuses an order or a withdrawal the trading account cannot cover", async function () {
      await rejects(sell("5000", "--price", "30", "--from", "alice"), {
        code: "INSUFFICIENT_TRADING_BALANCE",
        message:
          /^Selling 5,000 t of TJEA14 needs 5,000 t, but the trading account of 0x[0-9a-fA-F]{40} at the exchange has 1,100 t of TJEA14 available \(balance 1,120 t, reserved by open orders and withdrawals 20 t\)\. Deposit first: ets deposit <tonnes> --vintage 2014\.$/,
        exit: 1,
      });
      await rejects(buy("500", "--price", "30", "--from", "carol"), {
        code: "INSUFFICIENT_TRADING_BALANCE",
        message:
          /^Buying 500 t of TJEA14 at CNY 30\.00\/t needs CNY 15,015\.00 \(price × quantity plus fees\), but .* has CNY 9,394\.40 available\. Deposit first: ets deposit <CNY> --cash\.$/,
        exit: 1,
      });
      await rejects(["withdraw", "2000", "--vintage", "2014", "--from", "bob"], {
        code: "INSUFFICIENT_TRADING_BALANCE",
        message: /^Withdrawing 2,000 t of TJEA14 needs 2,000 t available, but .* has 1,060 t of TJEA14 available\./,
        exit: 1,
      });
      await rejects(["deposit", "5000", "--vintage", "2014", "--from", "alice"], {
        code: "INSUFFICIENT_BALANCE",
        message: /holds 300 t of TJEA14; 5,000 t were requested\.$/,
        exit: 1,
      });
    });

    it("refuses an unknown product: on chain first, then at the exchange", async function () {
      await rejects(["order", "sell", "1", "--vintage", "2099", "--price", "30", "--from", "alice"], {
        code: "VINTAGE_NOT_FOUND",
        message: /^No allowances of vintage 2099 \(TJEA99\) were ever issued\.$/,
        exit: 1,
      });
      await rejects(["order", "buy", "1", "--ccer", "7", "--price", "30", "--from", "bob"], {
        code: "BATCH_NOT_FOUND",
        message: /^There is no CCER batch 7\.$/,
        exit: 1,
      });
      await rejects(["book", "TJEA15"], {
        code: "PRODUCT_UNKNOWN",
        message: /^There is no product TJEA15\.$/,
        exit: 1,
      });
      await rejects(["book", "GOLD"], { code: "INVALID_PRODUCT", message: /^"GOLD" is not a product/, exit: 2 });
      await rejects(["book", "TJEA14", "--levels", "0"], {
        code: "INVALID_NUMBER",
        message: /between 1 and 100/,
        exit: 2,
      });
    });

    it("refuses to cancel an order that does not exist or is not open", async function () {
      await rejects(["order", "cancel", "99", "--from", "alice"], {
        code: "ORDER_NOT_FOUND",
        message: /^The exchange has no order of 0x[0-9a-fA-F]{40} with nonce 99;/,
        exit: 1,
      });
      await rejects(["order", "cancel", "2", "--from", "alice"], {
        code: "ORDER_NOT_OPEN",
        message: /^Order nonce 2 is already cancelled \(0 t of 10 t filled\); there is nothing to cancel\.$/,
        exit: 1,
      });
      await rejects(["order", "cancel", "3", "--on-chain", "--from", "alice"], {
        code: "ORDER_NOT_OPEN",
        message: /is already finished on chain/,
        exit: 1,
      });
    });

    it("refuses an unreachable exchange with EXCHANGE_UNREACHABLE", async function () {
      const url = await closedPortUrl();
      await rejects(buy("1", "--price", "30", "--from", "bob", "--exchange", url), {
        code: "EXCHANGE_UNREACHABLE",
        message: new RegExp(
          `^The exchange at ${url.replace(/\./g, "\\.")} cannot be reached \\(ECONNREFUSED\\); check that it runs \\(npm start\\) or set --exchange / ETS_EXCHANGE_URL\\. Nothing was sent\\.$`,
        ),
        exit: 1,
      });
      await rejects(
        ["trades"],
        { code: "EXCHANGE_UNREACHABLE", message: /cannot be reached/, exit: 1 },
        { ETS_EXCHANGE_URL: url },
      );
    });

    it("refuses a bad exchange URL, or something else answering at it", async function () {
      await rejects(["order", "list", "alice", "--exchange", "exchange.local"], {
        code: "INVALID_CONFIG",
        message: /^The setting --exchange \/ ETS_EXCHANGE_URL is invalid/,
        exit: 2,
      });
      await rejects(["order", "list", "alice", "--exchange", m.node.url], {
        code: "EXCHANGE_BAD_RESPONSE",
        message:
          /^GET http:\/\/.+\/v1\/orders\?trader=0x[0-9a-fA-F]{40}&status=all answered .*is http:\/\/.+ the exchange\?$/,
        exit: 1,
      });
    });

    it("refuses a wrong password before anything is signed", async function () {
      await rejects(
        buy("1", "--price", "30", "--from", "bob"),
        { code: "WALLET_BAD_PASSWORD", message: /^The password does not unlock wallet "bob"/, exit: 1 },
        { ETS_PASSWORD: "not the password" },
      );
    });
  });

  describe("withdrawals", function () {
    it("sends a signed withdrawal that the exchange pays in its next batch", async function () {
      const before = await m.contracts.allowances.balanceOf(addr.bob, VINTAGE);
      const r = await ok(["withdraw", "10", "--vintage", "2014", "--from", "bob"]);
      expect(r).to.include({ status: "accepted", product: "TJEA14", amount: "10", tradingAvailable: "1050" });
      expect(available("bob", "units")).to.equal(1_050n);
      // Paid out by the exchange's next settlement batch (needs the clearing-house payout rule).
      await waitFor(
        async () => (await m.contracts.allowances.balanceOf(addr.bob, VINTAGE)) === before + 10n,
        10_000,
        "the payout of the withdrawal",
      );
      expect(await m.clearing.balanceOf(addr.bob, allowances(), VINTAGE)).to.equal(1_050n);
    });

    it("asks on chain when the exchange is silent, and executes the request after the delay", async function () {
      await ex.close();
      exchangeUp = false;
      const out = await text(["withdraw", "3", "--cash", "--escape", "--from", "bob"]);
      expect(out).to.match(/^Withdrawal request 1 of CNY 3\.00 is recorded on chain\./m);
      expect(out).to.match(
        /^If it has not by .+ \(\d{4}-\d\d-\d\dT[\d:]+Z\), execute it yourself: ets withdraw --execute-request 1$/m,
      );
      expect((await m.clearing.withdrawalRequest(1n)).amount).to.equal(300n);

      await rejects(["withdraw", "--execute-request", "1", "--from", "bob"], {
        code: "WITHDRAWAL_NOT_DUE",
        message: /^Withdrawal request 1 can be executed by you from .+, in (1 d|23 h)/,
        exit: 1,
      });
      await rejects(["withdraw", "--execute-request", "1", "--from", "carol"], {
        code: "NOT_WITHDRAWAL_REQUESTER",
        message: /^Withdrawal request 1 was made by 0x[0-9a-fA-F]{40}; only that wallet can execute it/,
        exit: 1,
      });
      await rejects(["withdraw", "--execute-request", "9", "--from", "bob"], {
        code: "WITHDRAWAL_REQUEST_NOT_FOUND",
        message: /^There is no withdrawal request 9\.$/,
        exit: 1,
      });
      await rejects(["order", "buy", "1", "--vintage", "2014", "--price", "30", "--from", "bob"], {
        code: "EXCHANGE_UNREACHABLE",
        message: /cannot be reached \(ECONNREFUSED\)/,
        exit: 1,
      });

      await m.provider.send("evm_increaseTime", [24 * 3600 + 1]);
      await m.provider.send("evm_mine", []);
      const cashBefore = await m.contracts.cash.balanceOf(addr.bob);
      const r = await ok(["withdraw", "--execute-request", "1", "--from", "bob"]);
      expect(r).to.include({ status: "executed", requestId: "1", product: "cash", amount: "300", unit: "fen" });
      expect(await m.contracts.cash.balanceOf(addr.bob)).to.equal(cashBefore + 300n);
    });
  });

  describe("ets audit", function () {
    it("finds nothing wrong after every trade, cancellation and withdrawal above: each settled trade backed by its signed orders", async function () {
      const r = await cli(["audit", "--out", path.join(m.dir, "audit"), "--json"]);
      expect(r.json.findings, r.stdout + r.stderr).to.deep.equal([]);
      expect(r.code).to.equal(0);
      const figures = r.json.figures as Record<string, number>;
      expect(figures.trades).to.be.greaterThan(1);
    });
  });
});
