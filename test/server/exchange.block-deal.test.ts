import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { Wallet } from "ethers";
import { run } from "../../client/cli/program";
import type { CliDeps } from "../../client/cli/io";
import { importKeystore } from "../../sdk/keystore";
import { writeManifest } from "../../sdk/manifest";
import { clearingDomain, signCancel, type Cancel, type Order } from "../../sdk/orders";
import { freePort } from "../../scripts/lib/anvil";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import {
  body,
  orderFor,
  post,
  signed,
  silentLog,
  spawnExchange,
  startMarket,
  VINTAGE,
  waitFor,
  type ExchangeProcess,
  type Market,
} from "./harness";

type Trader = Market["traders"][0];

const UNITS = 1_000_000n; // tonnes of 2014 in each trading account at the start
const CASH = 1_000_000_000n; // fen (CNY 10 million) in each trading account at the start
const MAKER_BPS = 5n;
const TAKER_BPS = 10n;
const TOKEN = "block-deal-test-operator-token";

describe("block deals: POST /v1/block-deals (real Anvil node)", function () {
  this.timeout(180_000);
  let m: Market;
  let ex: RunningExchange | undefined;
  let journal: string;
  let a: Trader, b: Trader, c: Trader, d: Trader;
  const nonces = new Map<string, bigint>();
  const nextNonce = (t: Trader) => {
    const n = (nonces.get(t.address) ?? 0n) + 1n;
    nonces.set(t.address, n);
    return n;
  };
  const allowances = () => m.manifest.contracts.AllowanceToken;
  const cashToken = () => m.manifest.contracts.CashToken;
  const url = () => ex!.url;

  const start = async () => {
    ex = await startExchangeServer({
      env: readExchangeEnv({ ETS_EXCHANGE_PORT: "0", ETS_SETTLEMENT_LATENCY_MS: "20", ETS_OPERATOR_TOKEN: TOKEN }),
      manifest: m.manifest,
      operator: m.operator,
      journalFile: journal,
      log: silentLog,
    });
  };

  /** Both orders of a deal, signed by their traders (`edit` changes an order before it is signed). */
  const deal = async (
    buyer: Trader,
    seller: Trader,
    price: bigint,
    quantity: bigint,
    edit: { buy?: Partial<Order>; sell?: Partial<Order> } = {},
  ) => ({
    buy: await signed(
      m,
      buyer,
      orderFor(m, buyer, { isBuy: true, price, quantity, nonce: nextNonce(buyer), timeInForce: 2, ...edit.buy }),
    ),
    sell: await signed(
      m,
      seller,
      orderFor(m, seller, { isBuy: false, price, quantity, nonce: nextNonce(seller), timeInForce: 2, ...edit.sell }),
    ),
  });

  const onChain = async (t: Trader) => ({
    units: await m.clearing.balanceOf(t.address, allowances(), VINTAGE),
    cash: await m.clearing.balanceOf(t.address, cashToken(), 0n),
  });

  /** Everything a refused request must leave as it was. */
  const state = () => ({
    journal: ex!.exchange.journalLength,
    trades: ex!.exchange.core.trades.lastId,
    positions: m.traders.map((t) =>
      [...ex!.exchange.core.accounts.of(t.address)].map(([k, p]) => `${k}=${p.balance}/${p.reserved}`).join(","),
    ),
    orders: m.traders.map((t) => ex!.exchange.core.ordersOf(t.address).length),
  });

  const settledEvents = async () =>
    (await m.clearing.queryFilter(m.clearing.filters.TradeSettled(), 0, "latest")).map((e) => e.args.tradeId);

  before(async function () {
    m = await startMarket(4, UNITS, CASH, { fees: [Number(MAKER_BPS), Number(TAKER_BPS)] });
    [a, b, c, d] = m.traders as [Trader, Trader, Trader, Trader];
    journal = path.join(m.dir, "journal.log");
    await start();
    await waitFor(
      () =>
        m.traders.every(
          (t) => ex!.exchange.core.accounts.available(t.address, `${cashToken().toLowerCase()}:0`) === CASH,
        ),
      10_000,
      "the deposits",
    );
  });

  after(async function () {
    await ex?.close();
    await m?.stop();
  });

  it("trades two orders that name each other outside the book, and settles them on chain exactly once", async function () {
    const before = [await onChain(a), await onChain(b)];
    // ¥35.00 is outside the continuous band (¥27.00–33.00) but inside the block band (¥21.00–39.00).
    const pair = await deal(b, a, 3500n, 100_000n);
    const r = await post(`${url()}/v1/block-deals`, body(pair as never));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.trade).to.deep.include({
      tradeId: "1",
      product: "TJEA14",
      kind: "block",
      price: "3500",
      quantity: "100000",
      buyer: b.address,
      seller: a.address,
    });
    expect(r.body.buy).to.deep.include({ side: "buy", status: "filled", filled: "100000", nonce: "1" });
    expect(r.body.sell).to.deep.include({ side: "sell", status: "filled", filled: "100000", nonce: "1" });

    await waitFor(async () => (await m.clearing.lastTradeId()) === 1n, 20_000, "settlement");
    await waitFor(() => ex!.exchange.pipeline.lastConfirmedTradeId === 1n, 20_000, "the exchange's confirmation");
    const notional = 3500n * 100_000n;
    const buyerFee = (notional * TAKER_BPS) / 10_000n; // the buy order counts as the taker
    const sellerFee = (notional * MAKER_BPS) / 10_000n; // the sell order as the maker (the offer)
    expect(await onChain(b)).to.deep.equal({
      units: before[1]!.units + 100_000n,
      cash: before[1]!.cash - notional - buyerFee,
    });
    expect(await onChain(a)).to.deep.equal({
      units: before[0]!.units - 100_000n,
      cash: before[0]!.cash + notional - sellerFee,
    });
    expect(await m.clearing.orderState(a.address, 1n)).to.deep.equal([0n, true]);
    expect(await m.clearing.orderState(b.address, 1n)).to.deep.equal([0n, true]);
    expect((await settledEvents()).map(String)).to.deep.equal(["1"]);

    // The exchange's accounts agree, nothing stays reserved, and the trade is in the day's block volume only.
    const cash = `${cashToken().toLowerCase()}:0`;
    expect(ex!.exchange.core.accounts.position(b.address, cash)).to.deep.equal({
      balance: CASH - notional - buyerFee,
      reserved: 0n,
    });
    const book = (await (await fetch(`${url()}/v1/books/TJEA14`)).json()) as any;
    expect(book.day).to.deep.include({ blockVolume: 100_000, volume: 0, trades: 0, close: 3000 });
    expect(book.asks).to.deep.equal([]);
    const trades = (await (await fetch(`${url()}/v1/trades?product=TJEA14`)).json()) as any;
    expect(trades.trades[0]).to.deep.include({ tradeId: "1", kind: "block", settlement: "settled" });

    // The same pair again is refused: its nonces are used.
    const again = await post(`${url()}/v1/block-deals`, body(pair as never));
    expect([again.status, again.body.error.code]).to.deep.equal([409, "ORDER_NONCE_REUSED"]);
  });

  describe("when the deal is not acceptable, it is refused with its code and nothing changes", function () {
    type Case = [string, () => Promise<unknown>, number, string, RegExp?];
    const cases: Case[] = [
      ["below the minimum size", () => deal(c, d, 3000n, 99_999n), 400, "BLOCK_DEAL_TOO_SMALL", /at least 100000 t/],
      [
        "above the ±30 % band",
        () => deal(c, d, 3901n, 100_000n),
        400,
        "BLOCK_DEAL_PRICE_OUTSIDE_BAND",
        /2100–3900 fen/,
      ],
      ["below the ±30 % band", () => deal(c, d, 2099n, 100_000n), 400, "BLOCK_DEAL_PRICE_OUTSIDE_BAND"],
      [
        "orders at different prices",
        () => deal(c, d, 3000n, 100_000n, { sell: { price: 2990n } }),
        400,
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        /differ in price/,
      ],
      [
        "orders for different quantities",
        () => deal(c, d, 3000n, 100_000n, { sell: { quantity: 100_001n } }),
        400,
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        /differ in quantity/,
      ],
      [
        "orders for different products",
        () => deal(c, d, 3000n, 100_000n, { sell: { tokenId: 2015n } }),
        400,
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        /differ in product/,
      ],
      [
        "two buy orders",
        () => deal(c, d, 3000n, 100_000n, { sell: { isBuy: true } }),
        400,
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        /sell order .* is signed as a buy/,
      ],
      [
        "two sell orders",
        () => deal(c, d, 3000n, 100_000n, { buy: { isBuy: false } }),
        400,
        "BLOCK_DEAL_ORDERS_MISMATCHED",
        /buy order .* is signed as a sell/,
      ],
      ["the same trader on both sides", () => deal(c, c, 3000n, 100_000n), 400, "BLOCK_DEAL_SAME_TRADER"],
      [
        "a sell order signed by another key",
        async () => {
          const p = await deal(c, d, 3000n, 100_000n);
          return { ...p, sell: await signed(m, c, p.sell.order) };
        },
        403,
        "ORDER_SIGNATURE_INVALID",
        /sell order is not signed by its trader/,
      ],
      [
        "a buy order changed after signing",
        async () => {
          const p = await deal(c, d, 3000n, 100_000n);
          return { ...p, buy: { ...p.buy, order: { ...p.buy.order, price: 2900n } } };
        },
        403,
        "ORDER_SIGNATURE_INVALID",
        /buy order is not signed/,
      ],
      [
        "a malformed signature",
        async () => {
          const p = await deal(c, d, 3000n, 100_000n);
          return { ...p, buy: { ...p.buy, signature: "0x1234" } };
        },
        403,
        "ORDER_SIGNATURE_INVALID",
      ],
      [
        "a buyer without the cash (price × quantity + fees)",
        () => deal(c, d, 3500n, 300_000n),
        409,
        "INSUFFICIENT_TRADING_BALANCE",
        /The buy order needs 1051050000 fen/,
      ],
      [
        "an expired order",
        () => deal(c, d, 3000n, 100_000n, { sell: { expiry: 1_000n } }),
        400,
        "ORDER_EXPIRED",
        /sell order of the block deal has expired/,
      ],
      [
        "an unregistered trader",
        async () => {
          const stranger = Wallet.createRandom() as unknown as Trader;
          return deal(c, stranger, 3000n, 100_000n);
        },
        403,
        "TRADER_NOT_ACTIVE",
      ],
      [
        "an unknown field",
        async () => ({ ...(await deal(c, d, 3000n, 100_000n)), counterparty: d.address }),
        400,
        "REQUEST_INVALID",
        /counterparty/,
      ],
      [
        "a missing order",
        async () => ({ buy: (await deal(c, d, 3000n, 100_000n)).buy }),
        400,
        "REQUEST_INVALID",
        /sell: Required/,
      ],
    ];
    for (const [what, make, status, code, message] of cases) {
      it(`${what}: ${status} ${code}`, async function () {
        const payload = await make();
        const before = state();
        const r = await post(`${url()}/v1/block-deals`, body(payload as never));
        expect([r.status, r.body.error?.code], JSON.stringify(r.body)).to.deep.equal([status, code]);
        if (message) expect(r.body.error.message).to.match(message);
        expect(state()).to.deep.equal(before);
      });
    }

    it("a seller whose units are reserved by a resting order: 409 INSUFFICIENT_TRADING_BALANCE", async function () {
      const resting = await signed(
        m,
        d,
        orderFor(m, d, { isBuy: false, price: 3300n, quantity: UNITS - 50_000n, nonce: nextNonce(d) }),
      );
      expect((await post(`${url()}/v1/orders`, body(resting))).status).to.equal(201);
      const payload = await deal(c, d, 3000n, 100_000n);
      const before = state();
      const r = await post(`${url()}/v1/block-deals`, body(payload as never));
      expect([r.status, r.body.error.code]).to.deep.equal([409, "INSUFFICIENT_TRADING_BALANCE"]);
      expect(r.body.error.message).to.match(/The sell order sells 100000 t but 50000 t are available/);
      expect(state()).to.deep.equal(before);
      // Cancelled, the units are free again.
      const cancel: Cancel = { trader: d.address, nonce: resting.order.nonce, expiry: 0n };
      const domain = clearingDomain(m.manifest.chainId, m.manifest.contracts.Clearing!);
      const signature = await signCancel(d, domain, cancel);
      const cr = await post(`${url()}/v1/orders/cancel`, JSON.stringify({ cancel, signature }, jsonBigint));
      expect(cr.status).to.equal(200);
    });

    it("a halted product: 400 PRODUCT_HALTED; accepted again once resumed", async function () {
      const admin = (act: string) =>
        fetch(`${url()}/v1/admin/products/TJEA14/${act}`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}` },
        });
      expect((await admin("halt")).status).to.equal(200);
      const payload = await deal(c, d, 3000n, 100_000n);
      const before = state();
      const r = await post(`${url()}/v1/block-deals`, body(payload as never));
      expect([r.status, r.body.error.code]).to.deep.equal([400, "PRODUCT_HALTED"]);
      expect(state()).to.deep.equal(before);
      expect((await admin("resume")).status).to.equal(200);
      // The very same signed orders go through now (nothing of them was used by the refusal).
      const ok = await post(`${url()}/v1/block-deals`, body(payload as never));
      expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
      expect(ok.body.trade).to.deep.include({ tradeId: "2", kind: "block", quantity: "100000", price: "3000" });
      await waitFor(async () => (await m.clearing.lastTradeId()) === 2n, 20_000, "settlement of trade 2");
      await waitFor(() => ex!.exchange.pipeline.lastConfirmedTradeId === 2n, 20_000, "the confirmation");
    });
  });

  describe("across restarts", function () {
    let child: ExchangeProcess | undefined;
    afterEach(async function () {
      await child?.kill();
      child = undefined;
    });

    it("settles a deal acknowledged just before a kill -9 exactly once, and never again after another restart", async function () {
      const before = [await onChain(c), await onChain(d)];
      const lastBefore = await m.clearing.lastTradeId();
      // The exchange as its own process, holding trades for a fuller batch for a minute: the deal is
      // journalled and acknowledged, but not yet sent to the chain, when the process is killed.
      await ex!.close();
      ex = undefined;
      child = await spawnExchange(m, journal, await freePort(), { ETS_SETTLEMENT_LATENCY_MS: "60000" });
      const pair = await deal(c, d, 2800n, 200_000n);
      const r = await post(`${child.url}/v1/block-deals`, body(pair as never));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const tradeId = BigInt(r.body.trade.tradeId as string);
      expect(tradeId).to.equal(lastBefore + 1n);
      await new Promise((res) => setTimeout(res, 300));
      expect(await m.clearing.lastTradeId(), "not settled before the kill").to.equal(lastBefore);
      await child.kill();
      child = undefined;

      // Restarted: the journal gives the deal back, and settlement sends it once.
      await start();
      await waitFor(async () => (await m.clearing.lastTradeId()) === tradeId, 20_000, "settlement after the kill");
      await waitFor(() => ex!.exchange.pipeline.lastConfirmedTradeId === tradeId, 20_000, "the confirmation");
      const notional = 2800n * 200_000n;
      const after = [await onChain(c), await onChain(d)];
      expect(after[0]).to.deep.equal({
        units: before[0]!.units + 200_000n,
        cash: before[0]!.cash - notional - (notional * TAKER_BPS) / 10_000n,
      });
      expect(after[1]).to.deep.equal({
        units: before[1]!.units - 200_000n,
        cash: before[1]!.cash + notional - (notional * MAKER_BPS) / 10_000n,
      });

      // Once more: nothing is settled a second time, and the deal's orders stay used.
      await ex!.close();
      await start();
      await new Promise((res) => setTimeout(res, 500));
      expect(await m.clearing.lastTradeId()).to.equal(tradeId);
      expect([await onChain(c), await onChain(d)]).to.deep.equal(after);
      const ids = (await settledEvents()).map(String);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids).to.deep.equal(["1", "2", String(tradeId)]);
      const again = await post(`${url()}/v1/block-deals`, body(pair as never));
      expect([again.status, again.body.error.code]).to.deep.equal([409, "ORDER_NONCE_REUSED"]);
      const trades = (await (await fetch(`${url()}/v1/trades?product=TJEA14`)).json()) as any;
      expect(trades.trades[0]).to.deep.include({ tradeId: String(tradeId), kind: "block", settlement: "settled" });
      const book = (await (await fetch(`${url()}/v1/books/TJEA14`)).json()) as any;
      expect(book.day.blockVolume).to.equal(400_000);
    });
  });

  describe("ets order block", function () {
    const PASSWORD = "block deal test password";
    let walletDir: string;
    let deploymentsDir: string;

    before(async function () {
      walletDir = path.join(m.dir, "cli-wallets");
      deploymentsDir = path.join(m.dir, "cli-deployments");
      writeManifest(deploymentsDir, m.manifest);
      await importKeystore(walletDir, "alice", a.privateKey, PASSWORD, { light: true });
      await importKeystore(walletDir, "bob", b.privateKey, PASSWORD, { light: true });
    });

    const cli = async (argv: string[]) => {
      let stdout = "";
      let stderr = "";
      const deps: CliDeps = {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        stdin: Readable.from([]),
        env: { ETS_PASSWORD: PASSWORD },
        cwd: m.dir,
      };
      const global = [
        "--rpc",
        m.node.url,
        "--exchange",
        url(),
        "--wallets",
        walletDir,
        "--deployments",
        deploymentsDir,
      ];
      const code = await run([...argv, ...global], deps);
      return { code, stdout, stderr };
    };

    it("signs one side for the counterparty, who signs the other and submits the deal", async function () {
      const offer = path.join(m.dir, "offer.json");
      const s = await cli([
        "order",
        "block",
        "sell",
        "150000",
        "--vintage",
        "2014",
        "--price",
        "31.00",
        "--out",
        offer,
        "--from",
        "alice",
      ]);
      expect(s.code, s.stderr).to.equal(0);
      expect(s.stdout).to.match(/Signed a block-deal sell order: 150,000 t of TJEA14 at CNY 31\.00\/t/);
      expect(fs.statSync(offer).mode & 0o777).to.equal(0o600);
      const file = JSON.parse(fs.readFileSync(offer, "utf8")) as { order: Record<string, unknown> };
      expect(file.order).to.include({
        trader: a.address,
        isBuy: false,
        price: "3100",
        quantity: "150000",
        timeInForce: 2,
      });

      // The counterparty describes other terms: refused before anything is signed or sent.
      const before = ex!.exchange.journalLength;
      const wrong = await cli([
        "order",
        "block",
        "buy",
        "150000",
        "--vintage",
        "2014",
        "--price",
        "30.00",
        "--counter",
        offer,
        "--from",
        "bob",
      ]);
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr).to.match(
        /^error \[BLOCK_DEAL_ORDERS_MISMATCHED\]: .*price \(theirs CNY 31\.00\/t, yours CNY 30\.00\/t\)/,
      );
      const self = await cli([
        "order",
        "block",
        "buy",
        "150000",
        "--vintage",
        "2014",
        "--price",
        "31.00",
        "--counter",
        offer,
        "--from",
        "alice",
      ]);
      expect(self.stderr).to.match(/^error \[BLOCK_DEAL_SAME_TRADER\]/);
      expect(ex!.exchange.journalLength).to.equal(before);

      const lastBefore = await m.clearing.lastTradeId();
      const done = await cli([
        "order",
        "block",
        "buy",
        "150000",
        "--vintage",
        "2014",
        "--price",
        "31.00",
        "--counter",
        offer,
        "--from",
        "bob",
        "--json",
      ]);
      expect(done.code, done.stderr).to.equal(0);
      const out = JSON.parse(done.stdout) as any;
      expect(out.trade).to.deep.include({ price: "3100", quantity: "150000", buyer: b.address, seller: a.address });
      expect(out.buy.status).to.equal("filled");
      expect(out.sell.status).to.equal("filled");
      await waitFor(async () => (await m.clearing.lastTradeId()) === lastBefore + 1n, 20_000, "settlement");
    });
  });
});

function jsonBigint(_k: string, v: unknown) {
  return typeof v === "bigint" ? v.toString() : v;
}
