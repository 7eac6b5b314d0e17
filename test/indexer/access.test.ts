import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, id, type Signer } from "ethers";
import { makeExecutableSchema } from "@graphql-tools/schema";
import { parse, subscribe, execute } from "graphql";
import { SiweMessage } from "siwe";
import { createIndexer, type Indexer } from "../../indexer/app";
import { Access } from "../../indexer/auth/access";
import { enforceRestricted } from "../../indexer/auth/restricted";
import { loginToIndexer, logoutFromIndexer } from "../../sdk/indexer-login";
import { Roles } from "../../sdk/roles";
import { regulatorSession } from "./helpers";
import { World, log } from "./world";

describe("indexer access: Sign-In with Ethereum, sessions, @restricted", function () {
  this.timeout(300_000);
  let world: World;
  let dir: string;
  let idx: Indexer;
  let base: string;
  let host: string;
  /** Holds AUDITOR (granted in `before`); never sends a transaction. */
  const auditor = new Wallet(id("access-test:auditor"));
  const RECHECK_S = 1;

  async function open(): Promise<void> {
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log,
      access: { roleRecheckS: RECHECK_S },
    });
    base = await idx.listen("127.0.0.1", 0);
    host = new URL(base).host;
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-access-"));
    world = await World.start();
    await world.activity();
    const authority = world.as(world.regulator).authority;
    await (await authority.grantRole(Roles.AUDITOR, auditor.address, 0)).wait();
    await open();
    await idx.syncer.syncToHead();
  });

  after(async function () {
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function gql(query: string, headers: Record<string, string> = {}): Promise<any> {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query }),
    });
    return res.json();
  }
  const codeOf = async (query: string, headers: Record<string, string> = {}) =>
    (await gql(query, headers)).errors?.[0]?.extensions?.code;
  const ENTITIES = "{ entities(first: 5) { totalCount } }";

  async function post(route: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}/auth/${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  /** A signed login message; `edit` changes its fields before signing. */
  async function signed(signer: Signer, edit: Partial<SiweMessage> = {}) {
    const { nonce } = (await post("nonce", {})).body;
    const now = Date.now();
    const message = new SiweMessage({
      domain: host,
      address: await signer.getAddress(),
      uri: base,
      version: "1",
      chainId: world.manifest.chainId,
      nonce,
      issuedAt: new Date(now).toISOString(),
      expirationTime: new Date(now + 60_000).toISOString(),
      ...edit,
    }).prepareMessage();
    return { message, signature: await signer.signMessage(message) };
  }

  const sessionCount = async () =>
    Number(
      (
        await idx.store.db
          .selectFrom("sessions")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("refuses entity-level data without a session (UNAUTHENTICATED), with a bad token too", async function () {
    expect(await codeOf(ENTITIES)).to.equal("UNAUTHENTICATED");
    expect(await codeOf(ENTITIES, { authorization: "Bearer not-a-token" })).to.equal("UNAUTHENTICATED");
    expect(await codeOf(`{ holdings(account: "${world.steel.address}") { balance } }`)).to.equal("UNAUTHENTICATED");
    expect(await codeOf(`{ reconciliation { equal } }`)).to.equal("UNAUTHENTICATED");
  });

  it("keeps public fields open without a login; `session` is null", async function () {
    const r = await gql("{ indexerStatus { indexedBlock } supply(vintage: 2014) { minted } session { address } }");
    expect(r.errors).to.equal(undefined);
    expect(r.data.supply.minted).to.equal("505000");
    expect(r.data.session).to.equal(null);
  });

  it("gives a nonce: random, single use, with its expiry", async function () {
    const a = await post("nonce", {});
    const b = await post("nonce", {});
    expect(a.status).to.equal(200);
    expect(a.body.nonce).to.match(/^[0-9a-f]{32}$/);
    expect(a.body.nonce).to.not.equal(b.body.nonce);
    expect(Date.parse(a.body.expiresAt)).to.be.greaterThan(Date.now());
  });

  it("logs a regulator in (sdk/indexer-login.ts) and answers entity data and `session`", async function () {
    const s = await loginToIndexer(`${base}/graphql`, world.regulator);
    expect(s.role).to.equal("REGULATOR");
    expect(s.address).to.equal(world.regulator.address.toLowerCase());
    expect(Date.parse(s.expiresAt) - Date.now()).to.be.closeTo(8 * 3600_000, 60_000);
    const r = await gql(`${ENTITIES.slice(0, -1)} session { address role expiresAt } }`, s.headers);
    expect(r.errors).to.equal(undefined);
    expect(r.data.entities.totalCount).to.be.greaterThanOrEqual(5);
    expect(r.data.session).to.deep.equal({ address: s.address, role: "REGULATOR", expiresAt: s.expiresAt });
    // Only the token's sha256 is stored.
    const rows = await idx.store.db.selectFrom("sessions").selectAll().execute();
    expect(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? String(v) : v))).to.not.include(s.token);
  });

  it("logs an auditor in (AUDITOR granted on chain)", async function () {
    const s = await loginToIndexer(base, auditor, { chainId: world.manifest.chainId });
    expect(s.role).to.equal("AUDITOR");
    expect((await gql(ENTITIES, s.headers)).errors).to.equal(undefined);
  });

  it("refuses a wallet that holds neither role (NOT_REGULATOR) and opens no session", async function () {
    const before = await sessionCount();
    const r = await post("login", await signed(world.steel));
    expect(r.status).to.equal(403);
    expect(r.body.error.code).to.equal("NOT_REGULATOR");
    expect(await sessionCount()).to.equal(before);
  });

  it("refuses a replayed message (AUTH_NONCE_USED)", async function () {
    const m = await signed(world.regulator);
    expect((await post("login", m)).status).to.equal(200);
    const again = await post("login", m);
    expect(again.status).to.equal(401);
    expect(again.body.error.code).to.equal("AUTH_NONCE_USED");
  });

  it("refuses an expired or not-yet-valid message, a wrong domain, a wrong chain, an unknown nonce, a bad signature", async function () {
    const refusal = async (m: { message: string; signature: string }) => (await post("login", m)).body.error?.code;
    const past = new Date(Date.now() - 120_000);
    expect(
      await refusal(
        await signed(world.regulator, {
          issuedAt: new Date(past.getTime() - 60_000).toISOString(),
          expirationTime: past.toISOString(),
        }),
      ),
    ).to.equal("AUTH_MESSAGE_EXPIRED");
    expect(
      await refusal(await signed(world.regulator, { notBefore: new Date(Date.now() + 3600_000).toISOString() })),
    ).to.equal("AUTH_MESSAGE_EXPIRED");
    expect(await refusal(await signed(world.regulator, { domain: "evil.example.org" }))).to.equal("AUTH_WRONG_DOMAIN");
    expect(await refusal(await signed(world.regulator, { chainId: 1 }))).to.equal("AUTH_WRONG_CHAIN");
    expect(await refusal(await signed(world.regulator, { nonce: "abcdef0123456789" }))).to.equal("AUTH_NONCE_INVALID");
    const m = await signed(world.regulator);
    const forged = { message: m.message, signature: await world.steel.signMessage(m.message) };
    expect(await refusal(forged)).to.equal("AUTH_INVALID_SIGNATURE");
    expect(await refusal({ message: "hello", signature: "0x" })).to.equal("AUTH_INVALID_MESSAGE");
    const bad = await post("login", { message: 1 });
    expect([bad.status, bad.body.error.code]).to.deep.equal([400, "AUTH_INVALID_MESSAGE"]);
  });

  it("opens one session only when the same message is sent twice at once", async function () {
    const m = await signed(world.regulator);
    const [a, b] = await Promise.all([post("login", m), post("login", m)]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 401]);
    expect([a, b].find((r) => r.status === 401)!.body.error.code).to.equal("AUTH_NONCE_USED");
  });

  it("checks the configured domain (ETS_INDEXER_AUTH_DOMAIN) rather than the Host", async function () {
    const access = new Access(
      { store: idx.store, rpcUrl: world.node.url, manifest: world.manifest, log },
      { domain: "explorer.example.org" },
    );
    const ours = await signed(world.regulator, { domain: "explorer.example.org" });
    expect((await access.login(ours.message, ours.signature, host)).role).to.equal("REGULATOR");
    const theirs = await signed(world.regulator);
    try {
      await access.login(theirs.message, theirs.signature, host);
      expect.fail("a message for the Host was accepted");
    } catch (err) {
      expect((err as { code?: string }).code).to.equal("AUTH_WRONG_DOMAIN");
    }
  });

  it("refuses an expired session, and a logged-out one", async function () {
    const s = await loginToIndexer(base, world.regulator);
    expect((await gql(ENTITIES, s.headers)).errors).to.equal(undefined);
    await idx.store.db
      .updateTable("sessions")
      .set({ expires_at: BigInt(Date.now() - 1) })
      .where("address", "=", s.address)
      .where("ended_at", "is", null)
      .execute();
    expect(await codeOf(ENTITIES, s.headers)).to.equal("UNAUTHENTICATED");

    const t = await loginToIndexer(base, world.regulator);
    await logoutFromIndexer(base, t.token);
    expect(await codeOf(ENTITIES, t.headers)).to.equal("UNAUTHENTICATED");
    expect((await post("logout", {}, t.headers)).body.error.code).to.equal("UNAUTHENTICATED");
  });

  it("keeps sessions across a restart", async function () {
    const headers = await regulatorSession(base, world.regulator);
    await idx.close();
    await open();
    expect((await gql(ENTITIES, headers)).errors).to.equal(undefined);
  });

  it("refuses a session whose role was revoked on chain once the re-check interval has passed (FORBIDDEN)", async function () {
    const s = await loginToIndexer(base, auditor, { chainId: world.manifest.chainId });
    expect((await gql(ENTITIES, s.headers)).errors).to.equal(undefined);
    await (await world.as(world.regulator).authority.revokeRole(Roles.AUDITOR, auditor.address)).wait();
    await new Promise((r) => setTimeout(r, RECHECK_S * 1000 + 200));
    expect(await codeOf(ENTITIES, s.headers)).to.equal("FORBIDDEN");
    const pub = await gql("{ indexerStatus { indexedBlock } session { role } }", s.headers);
    expect(pub.errors, "public fields still answer").to.equal(undefined);
    expect(pub.data.session).to.equal(null);
    // A new login is refused too.
    const again = await post("login", await signed(auditor));
    expect(again.body.error.code).to.equal("NOT_REGULATOR");
  });

  it("wraps resolve and subscribe of every @restricted field (Subscription and object fields too)", async function () {
    const schema = enforceRestricted(
      makeExecutableSchema({
        typeDefs: `directive @restricted on FIELD_DEFINITION
          type Query { open: Thing }
          type Thing { visible: Int! hidden: Int @restricted }
          type Subscription { alerts: Int! @restricted }`,
        resolvers: {
          Query: { open: () => ({ visible: 1, hidden: 2 }) },
          Subscription: {
            alerts: {
              subscribe: async function* () {
                yield { alerts: 7 };
              },
            },
          },
        },
      }),
    );
    const anonymous = { session: null, authRefusal: null };
    const r = (await execute({
      schema,
      document: parse("{ open { visible hidden } }"),
      contextValue: anonymous,
    })) as any;
    expect(r.data.open).to.deep.equal({ visible: 1, hidden: null });
    expect(r.errors[0].extensions.code ?? r.errors[0].originalError.code).to.equal("UNAUTHENTICATED");
    const sub = (await subscribe({
      schema,
      document: parse("subscription { alerts }"),
      contextValue: anonymous,
    })) as any;
    expect(sub.errors[0].originalError.code).to.equal("UNAUTHENTICATED");
    const session = { address: "0x", role: "AUDITOR", expiresAt: Date.now() + 1000 };
    const ok = (await subscribe({
      schema,
      document: parse("subscription { alerts }"),
      contextValue: { session, authRefusal: null },
    })) as AsyncIterableIterator<any>;
    expect((await ok.next()).value.data).to.deep.equal({ alerts: 7 });
  });
});
