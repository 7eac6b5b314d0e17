import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { AbiCoder, ContractFactory, id, keccak256, toBeHex, zeroPadValue, type HDNodeWallet } from "ethers";
import { createIndexer, type Indexer } from "../../indexer/app";
import { run } from "../../client/cli/program";
import { importKeystore } from "../../sdk/keystore";
import { writeManifest } from "../../sdk/manifest";
import { clearingDomain, signOrder, type Order } from "../../sdk/orders";
import { compileClearingWithoutSignatureCheck } from "./audit.variant";
import { POWER, STEEL, World, YEAR, log } from "../indexer/world";

const PASSWORD = "audit-test-password";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: {
    clean?: boolean;
    figures?: Record<string, number>;
    findings?: { kind: string; block?: number; expected?: string; found?: string; message: string }[];
    report?: { json: string; html: string };
    error?: { code: string; message: string };
  };
}

describe("ets audit: the auditor's independent verification", function () {
  this.timeout(600_000);
  let world: World;
  let root: string;
  let deployments: string;
  let wallets: string;
  let snapshot: string;

  before(async function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "ets-audit-"));
    deployments = path.join(root, "deployments");
    wallets = path.join(root, "wallets");
    world = await World.start("audit-world");
    await world.activity();
    writeManifest(deployments, world.manifest);
    await importKeystore(wallets, "regulator", world.regulator.privateKey, PASSWORD, { light: true });
    snapshot = await world.provider.send("evm_snapshot", []);
  });

  after(async function () {
    await world?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  /** Puts the chain back as the activity left it. */
  async function restore(): Promise<void> {
    await world.provider.send("evm_revert", [snapshot]);
    snapshot = await world.provider.send("evm_snapshot", []);
  }

  async function audit(args: string[], rpc = world.node.url): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const out = path.join(root, `out-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    const code = await run(["audit", "--rpc", rpc, "--deployments", deployments, "--out", out, "--json", ...args], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: Readable.from([]),
      env: { ETS_PASSWORD: PASSWORD },
      cwd: root,
    });
    let json: Run["json"] = {};
    try {
      json = JSON.parse(stdout) as Run["json"];
    } catch {
      json = {};
    }
    return { code, stdout, stderr, json };
  }

  const kinds = (r: Run) => (r.json.findings ?? []).map((f) => f.kind);

  it("passes a clean chain: exit 0, no finding, figures above zero, a JSON and an HTML report", async function () {
    const r = await audit([]);
    expect(r.json.findings, r.stdout).to.deep.equal([]);
    expect(r.code).to.equal(0);
    expect(r.json.clean).to.equal(true);
    const f = r.json.figures!;
    for (const k of [
      "blocks",
      "transactions",
      "events",
      "accounts",
      "trades",
      "surrenders",
      "approvals",
      "stateFiguresCompared",
    ]) {
      expect(f[k], k).to.be.greaterThan(0);
    }
    // Every block's transactions and receipts roots were recomputed from what the node gave.
    expect(f.rootsVerified).to.equal(f.blocks);
    expect(f.rootsNotVerifiable).to.equal(0);
    const report = JSON.parse(fs.readFileSync(r.json.report!.json, "utf8")) as {
      chainId: string;
      head: { hash: string };
    };
    expect(report.chainId).to.equal(String(world.manifest.chainId));
    expect(report.head.hash).to.match(/^0x[0-9a-f]{64}$/);
    const html = fs.readFileSync(r.json.report!.html, "utf8");
    expect(html).to.contain("CLEAN").and.not.contain("<script");
  });

  it("finds a balance changed behind the contracts' back (anvil_setStorageAt)", async function () {
    const token = world.manifest.contracts.AllowanceToken;
    const account = world.steel.address;
    const balance = await world.read.allowances.balanceOf(account, YEAR);
    // OpenZeppelin's ERC1155: mapping(uint256 id => mapping(address account => uint256)) _balances.
    const coder = AbiCoder.defaultAbiCoder();
    let slot: string | undefined;
    for (let s = 0; s < 32 && !slot; s++) {
      const outer = keccak256(coder.encode(["uint256", "uint256"], [YEAR, s]));
      const inner = keccak256(coder.encode(["address", "bytes32"], [account, outer]));
      if (BigInt(await world.provider.getStorage(token, inner)) === balance) slot = inner;
    }
    expect(slot, "the balance slot").to.not.equal(undefined);
    try {
      await world.provider.send("anvil_setStorageAt", [token, slot, zeroPadValue(toBeHex(balance + 1_000n), 32)]);
      expect(await world.read.allowances.balanceOf(account, YEAR)).to.equal(balance + 1_000n);
      const r = await audit([]);
      expect(r.code, r.stdout).to.equal(1);
      const f = r.json.findings!.find((x) => x.kind === "balance-mismatch");
      expect(f, r.stdout).to.not.equal(undefined);
      expect(f!.expected).to.equal(balance.toString());
      expect(f!.found).to.equal((balance + 1_000n).toString());
      expect(f!.message).to.contain(account.toLowerCase());
    } finally {
      await restore();
    }
  });

  it("finds a settlement that no valid signature backs (a Clearing without its signature check)", async function () {
    const clearing = world.manifest.contracts.Clearing!;
    const c = world.manifest.contracts;
    const variant = compileClearingWithoutSignatureCheck();
    const deployed = await new ContractFactory(variant.abi, variant.bytecode, world.regulator).deploy(
      c.Authority,
      c.ParticipantRegistry,
      c.AllowanceToken,
      c.OffsetToken,
      c.CashToken,
    );
    await deployed.waitForDeployment();
    try {
      await world.provider.send("anvil_setCode", [clearing, await world.provider.getCode(await deployed.getAddress())]);
      const domain = clearingDomain(world.manifest.chainId, clearing);
      const order = (trader: HDNodeWallet, isBuy: boolean): Order => ({
        trader: trader.address,
        token: c.AllowanceToken,
        tokenId: BigInt(YEAR),
        isBuy,
        price: 3_000n,
        quantity: 10n,
        timeInForce: 0,
        nonce: 2n,
        expiry: 0n,
      });
      const buy = await signOrder(world.fund, domain, order(world.fund, true));
      // The seller's order "signed" by the buyer's key: a forgery the real Clearing rejects.
      const forged = await signOrder(world.fund, domain, order(world.power, false));
      const rc = await (
        await world.as(world.operator).clearing!.settle({
          orders: [buy, forged],
          fills: [{ tradeId: 2n, buy: 0, sell: 1, quantity: 10n, price: 3_000n, buyerIsMaker: true }],
          withdrawals: [],
          requests: [],
        })
      ).wait();
      const settled = rc!.logs
        .map((l) => world.read.clearing!.interface.parseLog(l))
        .find((e) => e?.name === "TradeSettled");
      expect(settled, "the compromised Clearing settled the forged trade").to.not.equal(undefined);

      const r = await audit([]);
      expect(r.code, r.stdout).to.equal(1);
      const bad = r.json.findings!.filter((x) => x.kind === "trade-bad-signature");
      expect(bad, r.stdout).to.have.length(1);
      expect(bad[0]!.block).to.equal(rc!.blockNumber);
      expect(bad[0]!.message).to.contain("Trade 2").and.contain("sell");
      expect(bad[0]!.expected).to.equal(world.power.address);
      expect(bad[0]!.found).to.equal(world.fund.address);
    } finally {
      await restore();
    }
  });

  it("reads a settlement made through the AccessManager's execute, and passes it when its orders are signed", async function () {
    const c = world.manifest.contracts;
    const domain = clearingDomain(world.manifest.chainId, c.Clearing!);
    const order = (trader: HDNodeWallet, isBuy: boolean): Order => ({
      trader: trader.address,
      token: c.AllowanceToken,
      tokenId: BigInt(YEAR),
      isBuy,
      price: 3_100n,
      quantity: 10n,
      timeInForce: 0,
      nonce: 3n,
      expiry: 0n,
    });
    try {
      const data = world.read.clearing!.interface.encodeFunctionData("settle", [
        {
          orders: [
            await signOrder(world.fund, domain, order(world.fund, true)),
            await signOrder(world.power, domain, order(world.power, false)),
          ],
          fills: [{ tradeId: 2n, buy: 0, sell: 1, quantity: 10n, price: 3_100n, buyerIsMaker: true }],
          withdrawals: [],
          requests: [],
        },
      ]);
      await (await world.as(world.operator).authority.execute(c.Clearing!, data)).wait();
      expect(await world.read.clearing!.lastTradeId()).to.equal(2n);
      const r = await audit([]);
      expect(r.json.findings, r.stdout).to.deep.equal([]);
      expect(r.code).to.equal(0);
      expect(r.json.figures!.trades).to.equal(2);
    } finally {
      await restore();
    }
  });

  it("checks report documents against their hashes: a wrong one and a missing one are findings", async function () {
    const docs = path.join(root, "documents");
    fs.mkdirSync(docs, { recursive: true });
    // The world's reports record keccak256("doc") for the steel company and keccak256("doc-p") for power.
    fs.writeFileSync(path.join(docs, `${STEEL}-${YEAR}-v1.pdf`), "doc");
    fs.writeFileSync(path.join(docs, `${POWER}-${YEAR}-v1.pdf`), "doc-p, edited after submission");
    const r = await audit(["--documents", docs]);
    expect(r.code, r.stdout).to.equal(1);
    expect(kinds(r)).to.deep.equal(["document-hash-mismatch"]);
    expect(r.json.findings![0]!.message).to.contain(`entity ${POWER}`);
    expect(r.json.findings![0]!.expected).to.equal(id("doc-p"));
    expect(r.json.figures!.documentsChecked).to.equal(2);

    fs.rmSync(path.join(docs, `${POWER}-${YEAR}-v1.pdf`));
    const missing = await audit(["--documents", docs]);
    expect(missing.code, missing.stdout).to.equal(1);
    expect(kinds(missing)).to.deep.equal(["document-missing"]);
    expect(missing.json.findings![0]!.message).to.contain(`entity ${POWER}`);

    const none = await audit(["--documents", path.join(root, "no-such-folder")]);
    expect(none.code).to.equal(1);
    expect(kinds(none)).to.deep.equal(["document-missing", "document-missing"]);
  });

  /**
   * A JSON-RPC proxy in front of the node: `drop(n)` says whether to cut the n-th request's
   * connection, `edit` may rewrite an answer (a node that lies).
   */
  async function proxy(opts: { drop?: (n: number) => boolean; edit?: (body: string) => string }) {
    const target = new URL(world.node.url);
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      if (opts.drop?.(requests)) {
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const up = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: "/",
            method: "POST",
            headers: { "content-type": "application/json" },
          },
          (r) => {
            const parts: Buffer[] = [];
            r.on("data", (c: Buffer) => parts.push(c));
            r.on("end", () => {
              const body = Buffer.concat(parts).toString("utf8");
              res.writeHead(r.statusCode ?? 502, { "content-type": "application/json" });
              res.end(opts.edit ? opts.edit(body) : body);
            });
          },
        );
        up.on("error", () => req.socket.destroy());
        up.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      requests: () => requests,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  it("waits for a node that drops mid-audit, resumes and completes", async function () {
    let downUntil = 0;
    const p = await proxy({
      drop: (n) => {
        if (n === 8) downUntil = Date.now() + 3_000;
        return Date.now() < downUntil;
      },
    });
    try {
      const r = await audit(["--batch", "3"], p.url);
      expect(r.json.findings, r.stdout + r.stderr).to.deep.equal([]);
      expect(r.code).to.equal(0);
      expect(r.stderr).to.contain("stopped answering").and.contain("answers again");
      expect(p.requests()).to.be.greaterThan(20);
    } finally {
      await p.close();
    }
  });

  it("finds a node whose receipts are not those its blocks commit to", async function () {
    // The node rewrites the amount of the steel company's surrender in the receipts it serves.
    const amount = zeroPadValue(toBeHex(140_000n), 32).slice(2);
    const edited = zeroPadValue(toBeHex(14_000n), 32).slice(2);
    const p = await proxy({
      edit: (body) =>
        body.includes('"logsBloom"') && body.includes('"cumulativeGasUsed"') ? body.split(amount).join(edited) : body,
    });
    try {
      const r = await audit([], p.url);
      expect(r.code, r.stdout).to.equal(1);
      const found = new Set(kinds(r));
      expect([...found], r.stdout).to.include.members([
        "receipts-root-mismatch",
        "log-missing-from-getlogs",
        "log-missing-from-receipts",
      ]);
    } finally {
      await p.close();
    }
  });

  it("stops with exit 2 when it cannot run: unreachable node, no manifest, bad arguments", async function () {
    const unreachable = await audit(["--max-wait", "1"], "http://127.0.0.1:9");
    expect(unreachable.code).to.equal(2);
    expect(unreachable.json.error?.code).to.equal("AUDIT_RPC_UNREACHABLE");
    let stdout = "";
    const code = await run(["audit", "--rpc", world.node.url, "--deployments", path.join(root, "empty"), "--json"], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      stdin: Readable.from([]),
      env: {},
      cwd: root,
    });
    expect(code).to.equal(2);
    expect(JSON.parse(stdout).error.code).to.equal("AUDIT_NO_MANIFEST");
    for (const args of [
      ["--max-wait", "soon"],
      ["--batch", "0"],
      ["--to-block", "-1"],
    ]) {
      const bad = await audit(args);
      expect(bad.code, args.join(" ")).to.equal(2);
      expect(bad.json.error?.code).to.equal("INVALID_USAGE");
    }
  });

  describe("with the indexer", function () {
    let idx: Indexer;
    let base: string;

    before(async function () {
      idx = await createIndexer({
        rpcUrl: world.node.url,
        manifest: world.manifest,
        store: { sqliteFile: path.join(root, "indexer.sqlite") },
        log,
      });
      base = await idx.listen("127.0.0.1", 0);
      await idx.syncer.syncToHead();
    });

    after(async function () {
      await idx?.close();
    });

    it("agrees with an honest indexer, logged in as the regulator and on public fields alone", async function () {
      const r = await audit(["--indexer", base, "--from", "regulator", "--wallets", wallets]);
      expect(r.json.findings, r.stdout + r.stderr).to.deep.equal([]);
      expect(r.code).to.equal(0);
      expect(r.json.figures!.indexerFiguresCompared).to.be.greaterThan(10);
      const pub = await audit(["--indexer", base]);
      expect(pub.json.findings, pub.stdout).to.deep.equal([]);
      expect(pub.json.figures!.indexerFiguresCompared).to.be.greaterThan(0);
    });

    it("finds a tampered holdings row in the indexer's database", async function () {
      const db = idx.store.db;
      const row = await db
        .selectFrom("holdings")
        .selectAll()
        .where("account", "=", world.power.address.toLowerCase())
        .where("token", "=", "AllowanceToken")
        .where("to_block", "is", null)
        .executeTakeFirstOrThrow();
      await db
        .updateTable("holdings")
        .set({ balance: BigInt(row.balance) + 777n })
        .where("account", "=", row.account)
        .where("token", "=", row.token)
        .where("token_id", "=", row.token_id)
        .where("to_block", "is", null)
        .execute();
      const r = await audit(["--indexer", base, "--from", "regulator", "--wallets", wallets]);
      expect(r.code, r.stdout).to.equal(1);
      const f = r.json.findings!.filter((x) => x.kind === "indexer-mismatch");
      expect(f, r.stdout).to.have.length(1);
      expect(f[0]!.message).to.contain(world.power.address.toLowerCase());
      expect(f[0]!.expected).to.equal(`${BigInt(row.balance)} (locked ${BigInt(row.locked)})`);
      expect(f[0]!.found).to.equal(`${BigInt(row.balance) + 777n} (locked ${BigInt(row.locked)})`);
    });
  });
});
