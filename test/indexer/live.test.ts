import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createIndexer, type Indexer } from "../../indexer/app";
import { regulatorSession } from "./helpers";
import { supervisionScenario } from "./scenario";
import { FUND, POWER, World, log } from "./world";

/** The regulator's session, sent by every stream of these tests. */
let sseHeaders: Record<string, string> = {};

/** A GraphQL subscription over server-sent events: each `data:` event's JSON, as it arrives. */
class SseStream {
  readonly events: any[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly query: string,
    private readonly onEvent: (e: any) => Promise<void> | void = () => {},
    private readonly headers: Record<string, string> = sseHeaders,
  ) {}

  async open(): Promise<number> {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...this.headers },
      body: JSON.stringify({ query: this.query }),
      signal: this.abort.signal,
    });
    expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split("\n")
              .filter((l) => l.startsWith("data:"))
              .map((l) => l.slice(5).trim())
              .join("\n");
            if (!data) continue;
            const event = JSON.parse(data);
            await this.onEvent(event);
            this.events.push(event);
            this.waiters.splice(0).forEach((w) => w());
          }
        }
      } catch (err) {
        if ((err as Error).name !== "AbortError") throw err;
      }
    })();
    return res.status;
  }

  async waitFor(n: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.events.length} of ${n} events after ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

describe("live subscriptions over server-sent events", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let url: string;
  let auth: { authorization: string };
  const streams: SseStream[] = [];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-subscriptions-"));
    world = await World.start();
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
      sync: { pollIntervalMs: 20 },
    });
    url = `${await idx.listen("127.0.0.1", 0)}/graphql`;
    auth = await regulatorSession(url, world.regulator);
    sseHeaders = auth;
    idx.startSync((err) => {
      throw err;
    });
  });

  after(async function () {
    streams.forEach((s) => s.close());
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("publishes each trade and alert once its step is committed, filtered by product and rule", async function () {
    const committed: string[] = [];
    const trades = new SseStream(
      url,
      `subscription { trades(product: "TJEA14") { id product buyer seller buyerEntityId sellerEntityId quantity price block day } }`,
      async (e) => {
        // Published after the commit: the trade is already in the database, and the cursor past its block.
        const id = BigInt(e.data.trades.id);
        const row = await idx.store.db
          .selectFrom("trades")
          .select("block_number")
          .where("trade_id", "=", id)
          .executeTakeFirst();
        const cursor = await idx.store.db.selectFrom("cursor").select("block_number").executeTakeFirstOrThrow();
        if (row && cursor.block_number >= row.block_number) committed.push(e.data.trades.id);
      },
    );
    const alerts = new SseStream(
      url,
      `subscription { alerts(rule_in: ["wash_trade", "price_spike"]) { id rule subject severity entityId message block } }`,
    );
    const other = new SseStream(url, `subscription { trades(product: "TJEA15") { id } }`);
    streams.push(trades, alerts, other);
    for (const s of streams) expect(await s.open()).to.equal(200);
    await new Promise((r) => setTimeout(r, 300));

    const scenario = await supervisionScenario(world);
    await trades.waitFor(8);
    await alerts.waitFor(3);

    const got = trades.events.map((e) => e.data.trades);
    expect(got.map((t) => t.id)).to.deep.equal(scenario.trades.map((t) => t.id.toString()));
    expect(committed).to.deep.equal(got.map((t) => t.id));
    expect(got[0]).to.include({
      product: "TJEA14",
      buyer: world.fund.address.toLowerCase(),
      seller: world.power.address.toLowerCase(),
      buyerEntityId: FUND.toString(),
      sellerEntityId: POWER.toString(),
      quantity: "100",
      price: "3000",
    });
    expect(alerts.events.map((e) => `${e.data.alerts.rule} ${e.data.alerts.subject}`)).to.deep.equal([
      "wash_trade trade:3",
      "wash_trade trade:4",
      "price_spike trade:6",
    ]);
    expect(alerts.events[0].data.alerts.severity).to.equal("CRITICAL");
    expect(other.events).to.deep.equal([]);

    // The same alerts as the list, once the sync reached the head.
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({
        query: `{ alerts(where: { rule_in: ["wash_trade", "price_spike"] }, orderDirection: asc) { edges { node { id } } } }`,
      }),
    });
    const listed = ((await res.json()) as any).data.alerts.edges.map((e: any) => e.node.id);
    expect(listed).to.deep.equal(alerts.events.map((e) => e.data.alerts.id));
  });

  it("answers a subscription with a bad argument with its error code", async function () {
    const bad = new SseStream(url, `subscription { alerts(rule_in: ["spoofing"]) { id } }`);
    const product = new SseStream(url, `subscription { trades(product: "GOLD") { id } }`);
    streams.push(bad, product);
    await bad.open();
    await product.open();
    await bad.waitFor(1, 10_000);
    await product.waitFor(1, 10_000);
    expect(bad.events[0].errors[0].extensions.code).to.equal("UNKNOWN_ALERT_RULE");
    expect(product.events[0].errors[0].extensions.code).to.equal("UNKNOWN_PRODUCT");
  });

  it("refuses a subscription without a regulator's session", async function () {
    const anonymous = new SseStream(url, `subscription { trades { id } }`, undefined, {});
    const forged = new SseStream(url, `subscription { alerts { id } }`, undefined, { authorization: "Bearer 00" });
    streams.push(anonymous, forged);
    await anonymous.open();
    await forged.open();
    await anonymous.waitFor(1, 10_000);
    await forged.waitFor(1, 10_000);
    expect(anonymous.events[0].errors[0].extensions.code).to.equal("UNAUTHENTICATED");
    expect(forged.events[0].errors[0].extensions.code).to.equal("UNAUTHENTICATED");
    expect(anonymous.events[0].data ?? null).to.equal(null);
  });
});
