import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { readExchangeEnv } from "../../server/config";
import { startExchangeServer, type RunningExchange } from "../../server/server";
import { body, orderFor, post, signed, silentLog, startMarket, waitFor, type Market } from "./harness";

describe("exchange snapshots", function () {
  this.timeout(120_000);
  let m: Market;
  const start = (every: string) =>
    startExchangeServer({
      env: readExchangeEnv({ ETS_EXCHANGE_PORT: "0", ETS_SETTLEMENT_LATENCY_MS: "20", ETS_SNAPSHOT_EVERY: every }),
      manifest: m.manifest,
      operator: m.operator,
      journalFile: path.join(m.dir, "journal.log"),
      log: silentLog,
    });
  const state = async (ex: RunningExchange) => ({
    book: await (await fetch(`${ex.url}/v1/books/TJEA14`)).json(),
    trades: await (await fetch(`${ex.url}/v1/trades?limit=1000`)).json(),
    accounts: await Promise.all(m.traders.map(async (t) => (await fetch(`${ex.url}/v1/accounts/${t.address}`)).json())),
    orders: await Promise.all(
      m.traders.map(async (t) => (await fetch(`${ex.url}/v1/orders?trader=${t.address}`)).json()),
    ),
  });

  before(async function () {
    m = await startMarket(3, 1_000n, 10_000_000n);
  });
  after(async function () {
    await m?.stop();
  });

  it("restores from snapshot + journal tail exactly the state a full replay gives", async function () {
    let ex = await start("7");
    await waitFor(() => ex.exchange.core.accounts.traders().length >= 3, 10_000, "deposits");
    const [a, b, c] = m.traders as [(typeof m.traders)[0], (typeof m.traders)[0], (typeof m.traders)[0]];
    let nonce = 0n;
    for (let i = 0; i < 20; i++) {
      const t = [a, b, c][i % 3]!;
      const s = await signed(
        m,
        t,
        orderFor(m, t, {
          isBuy: i % 2 === 0,
          price: 2990n + BigInt((i * 7) % 20),
          quantity: BigInt(1 + (i % 9)),
          nonce: ++nonce,
        }),
      );
      expect((await post(`${ex.url}/v1/orders`, body(s))).status).to.equal(201);
    }
    // Settled as the exchange knows it (its pipeline saw the receipts), not only on chain.
    await waitFor(
      () => ex.exchange.pipeline.lastConfirmedTradeId === ex.exchange.core.trades.lastId,
      20_000,
      "settlement",
    );
    const before = await state(ex);
    const journal = path.join(m.dir, "journal.log");
    const snapshot = `${journal}.snapshot`;
    const records = ex.exchange.journalLength;
    // The last periodic snapshot (every 7 records) lies behind the journal's end.
    const periodic = JSON.parse(fs.readFileSync(snapshot, "utf8")) as { journalRecords: number };
    expect(periodic.journalRecords).to.be.lessThan(records);
    const periodicText = fs.readFileSync(snapshot, "utf8");
    await ex.close();

    // 1. The periodic snapshot and the journal's tail.
    fs.writeFileSync(snapshot, periodicText);
    ex = await start("1000000");
    expect(await state(ex)).to.deep.equal(before);
    await ex.close();
    // 2. No snapshot at all: the whole journal.
    fs.rmSync(snapshot);
    ex = await start("1000000");
    expect(await state(ex)).to.deep.equal(before);
    await ex.close();
    // 3. The snapshot written at the clean stop, with no tail.
    expect((JSON.parse(fs.readFileSync(snapshot, "utf8")) as { journalRecords: number }).journalRecords).to.equal(
      records,
    );
    ex = await start("1000000");
    expect(await state(ex)).to.deep.equal(before);
    await ex.close();
  });
});
