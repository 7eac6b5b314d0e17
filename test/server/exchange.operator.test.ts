import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import pino from "pino";
import { run } from "../../client/cli/program";
import type { CliDeps } from "../../client/cli/io";
import { clearingDomain, signCancel, type Cancel } from "../../sdk/orders";
import { readExchangeEnv, readOperatorToken } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import { body, orderFor, post, signed, startMarket, waitFor, type Market } from "./harness";

const TOKEN = "operator-token-for-tests-0123456789";

/** Log lines of the exchange, parsed (the operator's actions among them). */
const logLines: Record<string, any>[] = [];
const capture = pino(
  { level: "info" },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, any>) },
);

async function admin(
  url: string,
  route: string,
  opts: { token?: string; authorization?: string; body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  const res = await fetch(`${url}${route}`, {
    method: "POST",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = "";
  let stderr = "";
  const deps: CliDeps = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env,
    cwd: process.cwd(),
  };
  const code = await run(argv, deps);
  return { code, stdout, stderr, json: argv.includes("--json") ? (JSON.parse(stdout) as Record<string, any>) : {} };
}

describe("exchange operator endpoints (real Anvil node)", function () {
  this.timeout(120_000);
  let m: Market;
  let ex: RunningExchange;
  let journal: string;
  const book = async () => (await (await fetch(`${ex.url}/v1/books/TJEA14`)).json()) as any;

  const start = async (token: string | undefined) => {
    ex = await startExchangeServer({
      env: readExchangeEnv({
        ETS_EXCHANGE_PORT: "0",
        ETS_SETTLEMENT_LATENCY_MS: "20",
        ...(token ? { ETS_OPERATOR_TOKEN: token } : {}),
      }),
      manifest: m.manifest,
      operator: m.operator,
      journalFile: journal,
      log: capture,
    });
  };

  before(async function () {
    m = await startMarket(3, 10_000n, 100_000_000n);
    journal = path.join(m.dir, "journal.log");
    await start(TOKEN);
    await waitFor(() => ex.exchange.core.accounts.traders().length >= 3, 10_000, "the deposits");
  });

  after(async function () {
    await ex?.close();
    await m?.stop();
  });

  describe("when the caller is not the operator", function () {
    const cases: [string, { token?: string; authorization?: string }, string][] = [
      ["no Authorization header", {}, "OPERATOR_TOKEN_MISSING"],
      [
        "another scheme",
        { authorization: `Basic ${Buffer.from(`op:${TOKEN}`).toString("base64")}` },
        "OPERATOR_TOKEN_MISSING",
      ],
      ["an empty bearer token", { authorization: "Bearer " }, "OPERATOR_TOKEN_MISSING"],
      ["a wrong token", { token: "not-the-operator-token-0000" }, "OPERATOR_TOKEN_INVALID"],
      ["the token with one character more", { token: `${TOKEN}x` }, "OPERATOR_TOKEN_INVALID"],
      ["a prefix of the token", { token: TOKEN.slice(0, -1) }, "OPERATOR_TOKEN_INVALID"],
    ];
    for (const [what, auth, code] of cases) {
      it(`refuses ${what} with 401 ${code} and changes nothing`, async function () {
        const before = ex.exchange.journalLength;
        const bars = ex.exchange.core.bars.length;
        for (const route of [
          "/v1/admin/products/TJEA14/halt",
          "/v1/admin/products/TJEA14/resume",
          "/v1/admin/close-day",
        ]) {
          const r = await admin(ex.url, route, auth);
          expect([r.status, r.body.error.code], route).to.deep.equal([401, code]);
          expect(r.headers.get("www-authenticate")).to.match(/^Bearer realm="ets-exchange-operator"/);
        }
        expect(ex.exchange.journalLength).to.equal(before);
        expect((await book()).halted).to.equal(false);
        expect(ex.exchange.core.bars).to.have.length(bars);
      });
    }
  });

  describe("when the operator calls", function () {
    it("halts a product: its orders are refused with PRODUCT_HALTED, cancels still work; resume lets them in again", async function () {
      const [a, b] = m.traders as [Market["traders"][0], Market["traders"][0]];
      const resting = await signed(m, a, orderFor(m, a, { isBuy: false, price: 3050n, quantity: 10n, nonce: 1n }));
      expect((await post(`${ex.url}/v1/orders`, body(resting))).status).to.equal(201);
      const cancel = async (who: Market["traders"][0], nonce: bigint) => {
        const c: Cancel = { trader: who.address, nonce, expiry: 0n };
        const signature = await signCancel(who, clearingDomain(m.manifest.chainId, m.manifest.contracts.Clearing!), c);
        const json = JSON.stringify({ cancel: { ...c, nonce: String(nonce), expiry: "0" }, signature });
        return post(`${ex.url}/v1/orders/cancel`, json);
      };

      const h = await admin(ex.url, "/v1/admin/products/tjea14/halt", { token: TOKEN, body: { reason: "test halt" } });
      expect([h.status, h.body]).to.deep.equal([200, { product: "TJEA14", halted: true }]);
      expect((await book()).halted).to.equal(true);

      const before = ex.exchange.journalLength;
      const order = await signed(m, b, orderFor(m, b, { isBuy: true, price: 3000n, quantity: 5n, nonce: 1n }));
      const refused = await post(`${ex.url}/v1/orders`, body(order));
      expect([refused.status, refused.body.error.code]).to.deep.equal([400, "PRODUCT_HALTED"]);
      expect(ex.exchange.journalLength).to.equal(before);
      const cancelled = await cancel(a, 1n);
      expect([cancelled.status, cancelled.body.order.status]).to.deep.equal([200, "cancelled"]);

      // Halting twice is harmless; an unknown product is 404.
      expect((await admin(ex.url, "/v1/admin/products/TJEA14/halt", { token: TOKEN })).body.halted).to.equal(true);
      const unknown = await admin(ex.url, "/v1/admin/products/TJEA99/halt", { token: TOKEN });
      expect([unknown.status, unknown.body.error.code]).to.deep.equal([404, "PRODUCT_UNKNOWN"]);
      const badBody = await admin(ex.url, "/v1/admin/products/TJEA14/halt", { token: TOKEN, body: { colour: "red" } });
      expect([badBody.status, badBody.body.error.code]).to.deep.equal([400, "REQUEST_INVALID"]);

      const r = await admin(ex.url, "/v1/admin/products/TJEA14/resume", { token: TOKEN });
      expect([r.status, r.body]).to.deep.equal([200, { product: "TJEA14", halted: false }]);
      const accepted = await post(`${ex.url}/v1/orders`, body(order));
      expect(accepted.status).to.equal(201);
      expect(accepted.body.order.status).to.equal("open");
      expect((await cancel(b, 1n)).status).to.equal(200);
      expect((await book()).bids).to.deep.equal([]);
    });

    it("closes the day: each close is the VWAP of the day's continuous trades and centres the next band", async function () {
      const [a, b] = m.traders as [Market["traders"][0], Market["traders"][0]];
      expect(ex.exchange.core.engine.bar(0).trades).to.equal(0);
      const trade = async (price: bigint, quantity: bigint, nonce: bigint) => {
        const s = await signed(m, a, orderFor(m, a, { isBuy: false, price, quantity, nonce }));
        const o = await signed(m, b, orderFor(m, b, { isBuy: true, price, quantity, nonce, timeInForce: 1 }));
        expect((await post(`${ex.url}/v1/orders`, body(s))).status).to.equal(201);
        const r = await post(`${ex.url}/v1/orders`, body(o));
        expect(r.body.trades.map((t: any) => [t.price, t.quantity])).to.deep.equal([[String(price), String(quantity)]]);
      };
      await trade(3000n, 100n, 10n);
      await trade(3101n, 200n, 11n);
      // VWAP = (30.00 × 100 + 31.01 × 200) / 300 = 30.6733…, rounded half up to a fen.
      const vwap = 3067;

      const r = await admin(ex.url, "/v1/admin/close-day", { token: TOKEN, body: { reason: "end of session" } });
      expect(r.status).to.equal(200);
      expect(r.body.bars).to.have.length(1);
      const bar = r.body.bars[0];
      expect(bar).to.deep.include({
        product: "TJEA14",
        close: String(vwap),
        open: "3000",
        high: "3101",
        low: "3000",
        volume: "300",
        turnover: String(3000 * 100 + 3101 * 200),
        trades: 2,
        previousClose: "3000",
        blockVolume: "0",
      });

      const next = await book();
      expect(next.day).to.deep.include({ previousClose: 3067, trades: 0, volume: 0, close: 3067 });
      expect(next.band).to.deep.equal({ low: Math.ceil(3067 * 0.9), high: Math.floor(3067 * 1.1) });
    });

    it("keeps a halt and the new close across a restart, and answers 503 OPERATOR_DISABLED without a token", async function () {
      expect((await admin(ex.url, "/v1/admin/products/TJEA14/halt", { token: TOKEN })).status).to.equal(200);
      await ex.close();
      await start(undefined);
      let b = await book();
      expect(b.halted).to.equal(true);
      expect(b.day.previousClose).to.equal(3067);
      const r = await admin(ex.url, "/v1/admin/products/TJEA14/resume", { token: TOKEN });
      expect([r.status, r.body.error.code]).to.deep.equal([503, "OPERATOR_DISABLED"]);
      expect((await book()).halted).to.equal(true);

      await ex.close();
      await start(TOKEN);
      expect((await admin(ex.url, "/v1/admin/products/TJEA14/resume", { token: TOKEN })).body.halted).to.equal(false);
      b = await book();
      expect(b.halted).to.equal(false);
    });
  });

  describe("the log", function () {
    it("logs one structured line per operator action and per refusal, never the token", async function () {
      const operator = logLines.filter((l) => l.component === "operator");
      const done = operator.filter((l) => l.outcome === "done");
      expect(done.map((l) => l.action)).to.include.members(["halt", "resume", "close-day"]);
      const halt = done.find((l) => l.action === "halt" && l.reason === "test halt");
      expect(halt).to.deep.include({ level: 30, product: "TJEA14", halted: true, msg: "operator halt" });
      const close = done.find((l) => l.action === "close-day")!;
      expect(close.reason).to.equal("end of session");
      expect(close.bars[0].close).to.equal("3067");
      expect(operator.filter((l) => l.code === "OPERATOR_TOKEN_INVALID").length).to.be.greaterThan(0);
      expect(operator.filter((l) => l.code === "OPERATOR_DISABLED").length).to.be.greaterThan(0);
      expect(operator.find((l) => l.outcome === "rejected" && l.code === "PRODUCT_UNKNOWN")).to.deep.include({
        action: "halt",
        product: "TJEA99",
      });
      expect(JSON.stringify(logLines)).not.to.include(TOKEN.slice(0, 12));
    });
  });

  describe("ets exchange halt|resume|close-day", function () {
    it("halts and resumes with ETS_OPERATOR_TOKEN, and closes the day with --token-file", async function () {
      const env = { ETS_OPERATOR_TOKEN: TOKEN };
      const h = await cli(["exchange", "halt", "2014", "--exchange", ex.url, "--reason", "cli test", "--json"], env);
      expect(h.code, h.stderr).to.equal(0);
      expect(h.json).to.deep.equal({ product: "TJEA14", halted: true });
      expect((await book()).halted).to.equal(true);
      const text = await cli(["exchange", "resume", "TJEA14", "--exchange", ex.url], env);
      expect(text.code).to.equal(0);
      expect(text.stdout).to.equal("TJEA14 is trading at the exchange.\n");
      expect((await book()).halted).to.equal(false);

      const file = path.join(m.dir, "operator-token");
      fs.writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
      const c = await cli(["exchange", "close-day", "--exchange", ex.url, "--token-file", file]);
      expect(c.code, c.stderr).to.equal(0);
      expect(c.stdout).to.match(/^Closed the trading day at /);
      expect(c.stdout).to.match(/TJEA14: no continuous trades; the close stays CNY 30\.67\/t\./);
    });

    it("refuses without a token, with a wrong one, and when the exchange is not there", async function () {
      const missing = await cli(["exchange", "halt", "TJEA14", "--exchange", ex.url]);
      expect([missing.code, missing.stderr]).to.deep.equal([
        1,
        "error [OPERATOR_TOKEN_MISSING]: No operator token: set ETS_OPERATOR_TOKEN or give --token-file <file> (npm start writes data/exchange/operator-token).\n",
      ]);
      const wrong = await cli(["exchange", "halt", "TJEA14", "--exchange", ex.url, "--json"], {
        ETS_OPERATOR_TOKEN: "wrong-token-wrong-token",
      });
      expect(wrong.code).to.equal(1);
      expect(wrong.json.error.code).to.equal("OPERATOR_TOKEN_INVALID");
      const noFile = await cli(["exchange", "close-day", "--exchange", ex.url, "--token-file", "/nonexistent/token"]);
      expect(noFile.stderr).to.match(/^error \[FILE_UNREADABLE\]/);
      const badProduct = await cli(["exchange", "halt", "TJEA2014", "--exchange", ex.url], {
        ETS_OPERATOR_TOKEN: TOKEN,
      });
      expect([badProduct.code, badProduct.stderr]).to.satisfy(
        ([code, err]: [number, string]) => code === 2 && err.startsWith("error [INVALID_PRODUCT]"),
      );
      const down = await cli(["exchange", "halt", "TJEA14", "--exchange", "http://127.0.0.1:9"], {
        ETS_OPERATOR_TOKEN: TOKEN,
      });
      expect(down.stderr).to.match(/^error \[EXCHANGE_UNREACHABLE\]/);
      expect((await book()).halted).to.equal(false);
    });
  });

  describe("the operator token's configuration", function () {
    it("reads ETS_OPERATOR_TOKEN_FILE only when other users cannot read it, and refuses short tokens", function () {
      const file = path.join(m.dir, "token-file");
      fs.writeFileSync(file, `${TOKEN}\nsecond line ignored\n`, { mode: 0o600 });
      fs.chmodSync(file, 0o600);
      expect(readOperatorToken(readExchangeEnv({ ETS_OPERATOR_TOKEN_FILE: file }))).to.equal(TOKEN);
      fs.chmodSync(file, 0o644);
      expect(() => readOperatorToken(readExchangeEnv({ ETS_OPERATOR_TOKEN_FILE: file }))).to.throw(/chmod 600/);
      fs.chmodSync(file, 0o600);
      fs.writeFileSync(file, "short\n");
      expect(() => readOperatorToken(readExchangeEnv({ ETS_OPERATOR_TOKEN_FILE: file }))).to.throw(/at least 16/);
      expect(() => readExchangeEnv({ ETS_OPERATOR_TOKEN: "short" })).to.throw(/ETS_OPERATOR_TOKEN: at least 16/);
      expect(() => readExchangeEnv({ ETS_OPERATOR_TOKEN: TOKEN, ETS_OPERATOR_TOKEN_FILE: file })).to.throw(/not both/);
      expect(readOperatorToken(readExchangeEnv({ ETS_OPERATOR_TOKEN: "" }))).to.equal(undefined);
    });
  });
});
