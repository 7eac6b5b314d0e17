import { expect } from "chai";
import path from "node:path";
import WebSocket from "ws";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import { body, orderFor, post, signed, silentLog, startMarket, waitFor, type Market } from "./harness";

type Message = Record<string, any>;

/** A WebSocket client of /v1/stream that keeps every message it receives, in order. */
class StreamClient {
  readonly messages: Message[] = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => this.messages.push(JSON.parse(String(data)) as Message));
    ws.on("close", () => (this.closed = true));
  }

  static async connect(url: string): Promise<StreamClient> {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/v1/stream`);
    const client = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    await client.next((m) => m.type === "hello");
    return client;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** The first message from `from` on that passes `match` (waits for it); returns it and its index. */
  async next(match: (m: Message) => boolean, from = 0, what = "a stream message"): Promise<[Message, number]> {
    let found = -1;
    await waitFor(
      () => {
        found = this.messages.findIndex((m, i) => i >= from && match(m));
        return found >= 0;
      },
      10_000,
      what,
    );
    return [this.messages[found]!, found];
  }

  close(): void {
    this.ws.terminate();
  }
}

describe("exchange WebSocket stream /v1/stream (real Anvil node)", function () {
  this.timeout(120_000);
  let m: Market;
  let ex: RunningExchange;
  const clients: StreamClient[] = [];

  before(async function () {
    m = await startMarket(2, 1_000n, 10_000_000n);
    ex = await startExchangeServer({
      env: readExchangeEnv({ ETS_EXCHANGE_PORT: "0", ETS_SETTLEMENT_LATENCY_MS: "20" }),
      manifest: m.manifest,
      operator: m.operator,
      journalFile: path.join(m.dir, "journal.log"),
      log: silentLog,
    });
    await waitFor(() => ex.exchange.core.product("TJEA14") !== undefined, 10_000, "the deposits");
  });

  after(async function () {
    for (const c of clients) c.close();
    await ex?.close();
    await m?.stop();
  });

  const connect = async () => {
    const c = await StreamClient.connect(ex.url);
    clients.push(c);
    return c;
  };

  it("greets a client with the products and channels", async function () {
    const c = await connect();
    expect(c.messages[0]).to.deep.equal({ type: "hello", products: ["TJEA14"], channels: ["trade", "book"] });
  });

  it("answers a malformed subscribe with a clear error, keeps that connection open, and closes no other subscriber", async function () {
    const follower = await connect();
    follower.send(JSON.stringify({ type: "subscribe", products: ["TJEA14"] }));
    await follower.next((m) => m.type === "subscribed");

    const bad = await connect();
    const cases: [string, RegExp][] = [
      ["{not json", /not JSON/],
      [JSON.stringify({ type: "subscribe", products: ["TJEA2014"] }), /products\.0: must be a product name/],
      [JSON.stringify({ type: "subscribe", channels: ["quotes"] }), /channels\.0/],
      [JSON.stringify({ type: "unsubscribe" }), /type/],
      [JSON.stringify({ type: "subscribe", colour: "red" }), /colour/],
    ];
    for (const [text, message] of cases) {
      const from = bad.messages.length;
      bad.send(text);
      const [err] = await bad.next((x) => x.type === "error", from, `the error for ${text}`);
      expect(err.error.code).to.equal("STREAM_MESSAGE_INVALID");
      expect(err.error.message).to.match(message);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(bad.closed, "the sender of bad messages stays connected").to.equal(false);
    expect(follower.closed, "the other subscriber stays connected").to.equal(false);
    expect(follower.messages.some((x) => x.type === "error")).to.equal(false);

    // The connection that sent garbage still works: it can subscribe properly afterwards.
    bad.send(JSON.stringify({ type: "subscribe", channels: ["trade"] }));
    const [ok] = await bad.next((x) => x.type === "subscribed");
    expect(ok).to.deep.equal({ type: "subscribed", products: "all", channels: ["trade"] });
  });

  it("delivers the trade, then the book it left, in order, to a subscriber of the product", async function () {
    const [a, b] = m.traders as [Market["traders"][0], Market["traders"][0]];
    const c = await connect();
    c.send(JSON.stringify({ type: "subscribe", products: ["tjea14"] }));
    const [sub, subAt] = await c.next((x) => x.type === "subscribed");
    expect(sub).to.deep.equal({ type: "subscribed", products: ["TJEA14"], channels: ["trade", "book"] });
    // The current book comes right after the subscription.
    const [snapshot] = await c.next((x) => x.type === "book", subAt);
    expect(snapshot).to.deep.equal({ type: "book", product: "TJEA14", halted: false, bids: [], asks: [] });
    const tradesOnly = await connect();
    tradesOnly.send(JSON.stringify({ type: "subscribe", channels: ["trade"] }));
    await tradesOnly.next((x) => x.type === "subscribed");
    const tradesOnlyFrom = tradesOnly.messages.length;

    // A resting sell: a book update with the ask.
    let from = c.messages.length;
    const sell = await signed(m, a, orderFor(m, a, { isBuy: false, price: 3000n, quantity: 100n, nonce: 1n }));
    expect((await post(`${ex.url}/v1/orders`, body(sell))).status).to.equal(201);
    const [ask] = await c.next((x) => x.type === "book" && x.asks.length === 1, from, "the book with the ask");
    expect(ask.asks).to.deep.equal([{ price: "3000", quantity: "100", orders: 1 }]);
    expect(ask.bids).to.deep.equal([]);

    // A crossing buy: the trade, then the book with what is left of the ask.
    from = c.messages.length;
    const buy = await signed(
      m,
      b,
      orderFor(m, b, { isBuy: true, price: 3100n, quantity: 60n, nonce: 1n, timeInForce: 1 }),
    );
    const r = await post(`${ex.url}/v1/orders`, body(buy));
    expect(r.status).to.equal(201);
    const [trade, tradeAt] = await c.next((x) => x.type === "trade", from, "the trade");
    const [book, bookAt] = await c.next(
      (x) => x.type === "book" && x.asks[0]?.quantity === "40",
      from,
      "the book after the trade",
    );
    expect(tradeAt).to.be.lessThan(bookAt);
    expect(c.messages.slice(from, bookAt + 1).filter((x) => x.type === "trade")).to.have.length(1);
    expect(trade.trade).to.deep.include({
      tradeId: "1",
      product: "TJEA14",
      price: "3000",
      quantity: "60",
      buyer: b.address,
      seller: a.address,
      kind: "continuous",
      aggressor: "buy",
    });
    expect(trade.trade).to.deep.equal({ ...r.body.trades[0], settlement: trade.trade.settlement });
    expect(book).to.deep.equal({
      type: "book",
      product: "TJEA14",
      halted: false,
      bids: [],
      asks: [{ price: "3000", quantity: "40", orders: 1 }],
    });

    // The trade-only subscriber got the trade and no book message.
    const [t2] = await tradesOnly.next((x) => x.type === "trade", tradesOnlyFrom);
    expect(t2.trade.tradeId).to.equal("1");
    await new Promise((r) => setTimeout(r, 250));
    expect(tradesOnly.messages.slice(tradesOnlyFrom).map((x) => x.type)).to.deep.equal(["trade"]);
  });

  it("sends nothing of a product a client does not follow", async function () {
    const c = await connect();
    c.send(JSON.stringify({ type: "subscribe", products: ["CCER-9"] }));
    await c.next((x) => x.type === "subscribed");
    const from = c.messages.length;
    const [a, b] = m.traders as [Market["traders"][0], Market["traders"][0]];
    const sell = await signed(m, a, orderFor(m, a, { isBuy: false, price: 3000n, quantity: 5n, nonce: 2n }));
    const buy = await signed(m, b, orderFor(m, b, { isBuy: true, price: 3000n, quantity: 5n, nonce: 2n }));
    expect((await post(`${ex.url}/v1/orders`, body(sell))).status).to.equal(201);
    expect((await post(`${ex.url}/v1/orders`, body(buy))).status).to.equal(201);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.messages.slice(from)).to.deep.equal([]);
  });
});
