import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { createIndexer, type Indexer } from "../../indexer/app";
import { CliWorld } from "./cli.fixture";

describe("ets explorer: sessions of the regulator's GraphQL explorer", function () {
  this.timeout(120_000);
  let world: CliWorld;
  let idx: Indexer;
  let url: string;
  let dir: string;

  const entities = async (token?: string) => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: "{ entities { totalCount } }" }),
    });
    return (await res.json()) as {
      data?: { entities: { totalCount: number } };
      errors?: { extensions: { code: string } }[];
    };
  };

  before(async function () {
    world = await CliWorld.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-cli-explorer-"));
    idx = await createIndexer({
      rpcUrl: world.node.url,
      manifest: world.manifest,
      store: { sqliteFile: path.join(dir, "indexer.sqlite") },
      log: pino({ level: "silent" }),
    });
    await idx.syncer.syncToHead();
    url = await idx.listen("127.0.0.1", 0);
  });

  after(async function () {
    await idx?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("signs the regulator in; the token opens entity-level data until logout ends it", async function () {
    const session = await world.ok(["explorer", "login", "--indexer", url, "--from", "regulator"]);
    expect(session).to.include({ indexer: url, role: "REGULATOR", address: world.address("regulator").toLowerCase() });
    expect(session.token).to.match(/^[A-Za-z0-9_-]{40,}$/);
    expect(Date.parse(session.expiresAt as string)).to.be.greaterThan(Date.now());
    expect((await entities()).errors?.[0]?.extensions.code).to.equal("UNAUTHENTICATED");
    expect((await entities(session.token as string)).errors).to.equal(undefined);

    const text = await world.cli(["explorer", "login", "--indexer", `${url}/graphql`, "--from", "regulator"]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/"Authorization": "Bearer [A-Za-z0-9_-]{40,}"/);

    expect(await world.ok(["explorer", "logout", session.token as string, "--indexer", url])).to.include({
      ended: true,
    });
    expect((await entities(session.token as string)).errors?.[0]?.extensions.code).to.equal("UNAUTHENTICATED");
  });

  it("refuses a wallet without REGULATOR or AUDITOR, an indexer that does not answer, and a bad URL", async function () {
    await world.wallet("nobody");
    // The indexer's own code (its catalogue is the indexer section of docs/error-codes.md).
    const refused = await world.cli(["explorer", "login", "--indexer", url, "--from", "nobody"]);
    expect(refused.code).to.equal(1);
    expect(refused.stdout).to.equal("");
    expect(refused.stderr.trim()).to.match(/^error \[NOT_REGULATOR\]: .*REGULATOR.*AUDITOR/);
    expect(refused.stderr.trim().split("\n")).to.have.length(1);
    await world.rejects(["explorer", "login", "--indexer", "http://127.0.0.1:9", "--from", "regulator"], {
      code: "INDEXER_UNREACHABLE",
      message: /cannot be reached/,
      exit: 1,
    });
    await world.rejects(["explorer", "login", "--indexer", "ftp://example.org", "--from", "regulator"], {
      code: "INVALID_USAGE",
      message: /http\(s\) URL/,
      exit: 2,
    });
  });
});
