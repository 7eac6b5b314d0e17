import { expect } from "chai";
import path from "node:path";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import { body, orderFor, post, signed, silentLog, startMarket, VINTAGE, waitFor, type Market } from "./harness";

describe("exchange end to end (real Anvil node)", function () {
  this.timeout(120_000);
  let m: Market;
  let ex: RunningExchange;
  const cashToken = () => m.manifest.contracts.CashToken;
  const allowances = () => m.manifest.contracts.AllowanceToken;

  before(async function () {
    m = await startMarket(4, 1_000n, 10_000_000n, { fees: [5, 10] });
    ex = await startExchangeServer({
      env: readExchangeEnv({ ETS_EXCHANGE_PORT: "0", ETS_SETTLEMENT_LATENCY_MS: "20" }),
      manifest: m.manifest,
      operator: m.operator,
      journalFile: path.join(m.dir, "journal.log"),
      log: silentLog,
    });
  });

  after(async function () {
    await ex?.close();
    await m?.stop();
  });

  it("sees every deposit in the trading accounts", async function () {
    await waitFor(
      () =>
        ex.exchange.core.accounts.available(m.traders[0]!.address, `${cashToken().toLowerCase()}:0`) === 10_000_000n,
      10_000,
      "deposits",
    );
    const res = await fetch(`${ex.url}/v1/accounts/${m.traders[1]!.address}`);
    const json = (await res.json()) as { positions: { token: string; tokenId: string; available: string }[] };
    expect(json.positions).to.deep.include({
      token: allowances().toLowerCase(),
      tokenId: "2014",
      balance: "1000",
      reserved: "0",
      available: "1000",
    });
  });

  it("matches signed orders and settles the trade on chain exactly once", async function () {
    const [a, b] = m.traders as [(typeof m.traders)[0], (typeof m.traders)[0]];
    const sell = await signed(m, a!, orderFor(m, a!, { isBuy: false, price: 3000n, quantity: 100n, nonce: 1n }));
    const r1 = await post(`${ex.url}/v1/orders`, body(sell));
    expect(r1.status).to.equal(201);
    expect(r1.body.order.status).to.equal("open");
    const buy = await signed(
      m,
      b!,
      orderFor(m, b!, { isBuy: true, price: 3100n, quantity: 60n, nonce: 1n, timeInForce: 1 }),
    );
    const r2 = await post(`${ex.url}/v1/orders`, body(buy));
    expect(r2.status).to.equal(201);
    expect(r2.body.order.status).to.equal("filled");
    expect(r2.body.trades).to.have.length(1);
    expect(r2.body.trades[0]).to.include({ price: "3000", quantity: "60", aggressor: "buy" });

    await waitFor(async () => (await m.clearing.lastTradeId()) === 1n, 20_000, "settlement");
    await waitFor(() => ex.exchange.pipeline.lastConfirmedTradeId === 1n, 20_000, "the exchange's confirmation");
    const notional = 3000n * 60n;
    const buyerFee = (notional * 10n) / 10_000n; // taker
    const sellerFee = (notional * 5n) / 10_000n; // maker
    expect(await m.clearing.balanceOf(b!.address, allowances(), VINTAGE)).to.equal(1_060n);
    expect(await m.clearing.balanceOf(a!.address, allowances(), VINTAGE)).to.equal(940n);
    expect(await m.clearing.balanceOf(b!.address, cashToken(), 0n)).to.equal(10_000_000n - notional - buyerFee);
    expect(await m.clearing.balanceOf(a!.address, cashToken(), 0n)).to.equal(10_000_000n + notional - sellerFee);
    expect(await m.clearing.balanceOf(m.operator.address, cashToken(), 0n)).to.equal(buyerFee + sellerFee);
    expect(await m.clearing.orderState(a!.address, 1n)).to.deep.equal([60n, false]);
    const trades = (await (await fetch(`${ex.url}/v1/trades?product=TJEA14`)).json()) as any;
    expect(trades.trades[0]).to.include({ tradeId: "1", settlement: "settled" });
  });

  describe("when the input is bad", function () {
    const cases: [string, (b: any) => void, number, string][] = [
      ["a fractional quantity", (b) => (b.order.quantity = "1.5"), 400, "REQUEST_INVALID"],
      ["a negative price", (b) => (b.order.price = "-3000"), 400, "REQUEST_INVALID"],
      ["a wrong type", (b) => (b.order.isBuy = "yes"), 400, "REQUEST_INVALID"],
      ["an unknown field", (b) => (b.order.colour = "red"), 400, "REQUEST_INVALID"],
    ];
    for (const [what, mutate, status, code] of cases) {
      it(`refuses ${what} with ${status} ${code} and journals nothing`, async function () {
        const t = m.traders[2]!;
        const s = await signed(m, t, orderFor(m, t, { isBuy: true, price: 3000n, quantity: 10n, nonce: 100n }));
        const json = JSON.parse(body(s));
        mutate(json);
        const before = ex.exchange.journalLength;
        const r = await post(`${ex.url}/v1/orders`, JSON.stringify(json));
        expect(r.status).to.equal(status);
        expect(r.body.error.code).to.equal(code);
        expect(ex.exchange.journalLength).to.equal(before);
      });
    }

    it("refuses a signed order for zero tonnes with ORDER_QUANTITY_INVALID", async function () {
      const t = m.traders[2]!;
      const before = ex.exchange.journalLength;
      const s = await signed(m, t, orderFor(m, t, { isBuy: true, price: 3000n, quantity: 0n, nonce: 101n }));
      const r = await post(`${ex.url}/v1/orders`, body(s));
      expect([r.status, r.body.error.code]).to.deep.equal([400, "ORDER_QUANTITY_INVALID"]);
      expect(ex.exchange.journalLength).to.equal(before);
    });

    it("refuses malformed JSON", async function () {
      const r = await post(`${ex.url}/v1/orders`, "{not json");
      expect(r.status).to.equal(400);
      expect(r.body.error.code).to.equal("REQUEST_MALFORMED_JSON");
    });

    it("refuses a signature that is not the trader's, a price outside the band, a reused nonce and an uncovered order", async function () {
      const [a, b, c] = m.traders as typeof m.traders;
      const forged = await signed(m, b!, orderFor(m, a!, { isBuy: true, price: 3000n, quantity: 1n, nonce: 200n }));
      expect((await post(`${ex.url}/v1/orders`, body(forged))).body.error.code).to.equal("ORDER_SIGNATURE_INVALID");
      const far = await signed(m, c!, orderFor(m, c!, { isBuy: true, price: 3301n, quantity: 1n, nonce: 201n }));
      const r = await post(`${ex.url}/v1/orders`, body(far));
      expect([r.status, r.body.error.code]).to.deep.equal([400, "ORDER_PRICE_OUTSIDE_BAND"]);
      const reused = await signed(m, a!, orderFor(m, a!, { isBuy: false, price: 3000n, quantity: 1n, nonce: 1n }));
      expect((await post(`${ex.url}/v1/orders`, body(reused))).body.error.code).to.equal("ORDER_NONCE_REUSED");
      const big = await signed(m, c!, orderFor(m, c!, { isBuy: true, price: 3000n, quantity: 5_000n, nonce: 202n }));
      const r2 = await post(`${ex.url}/v1/orders`, body(big));
      expect([r2.status, r2.body.error.code]).to.deep.equal([409, "INSUFFICIENT_TRADING_BALANCE"]);
      expect(ex.exchange.core.accounts.position(c!.address, `${cashToken().toLowerCase()}:0`).reserved).to.equal(0n);
    });

    it("refuses an unregistered trader", async function () {
      const { Wallet } = await import("ethers");
      const stranger = Wallet.createRandom();
      const s = await signed(
        m,
        stranger as never,
        orderFor(m, stranger as never, { isBuy: true, price: 3000n, quantity: 1n, nonce: 1n }),
      );
      const r = await post(`${ex.url}/v1/orders`, body(s));
      expect([r.status, r.body.error.code]).to.deep.equal([403, "TRADER_NOT_ACTIVE"]);
    });
  });

  it("serves the order book, the OpenAPI document, health and metrics", async function () {
    const book = (await (await fetch(`${ex.url}/v1/books/TJEA14`)).json()) as any;
    expect(book.asks[0]).to.deep.equal({ price: "3000", quantity: "40", orders: 1 });
    expect(book.band).to.deep.equal({ low: 2700, high: 3300 });
    const doc = (await (await fetch(`${ex.url}/v1/openapi.json`)).json()) as any;
    expect(doc.paths).to.have.property("/v1/orders");
    expect((await fetch(`${ex.url}/healthz`)).status).to.equal(200);
    expect(await (await fetch(`${ex.url}/metrics`)).text()).to.match(/ets_trades_total 1/);
    const missing = await fetch(`${ex.url}/v1/books/TJEA99`);
    expect(missing.status).to.equal(404);
  });
});
