import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { deployRegistry } from "../../scripts/deploy";
import { startAnvil, type AnvilNode } from "../../scripts/lib/anvil";
import { allErrorCodes } from "../../sdk/client-errors";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { createKeystore, findKeystore, unlockKeystore } from "../../sdk/keystore";
import { writeManifest, type Manifest } from "../../sdk/manifest";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { TOKEN_KINDS, guardedToken } from "../../sdk/transfers";
import type { CliDeps } from "../../client/cli/io";
import { run } from "../../client/cli/program";

export const PASSWORD = "correct horse battery staple";
/** Execution delay of key recovery and forced transfers in the test deployment. */
export const ENFORCEMENT_DELAY = 3600;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is one JSON object. */
  json: Record<string, unknown>;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  tty?: boolean;
  promptSecret?: (question: string) => Promise<string>;
}

/**
 * A real Anvil node with the registry deployed, a temp wallet folder with the regulator, the
 * registry operator and the clearing bank (light-KDF keystores), and the CLI run in-process.
 */
export class CliWorld {
  readonly addresses: Record<string, string> = {};

  private constructor(
    readonly node: AnvilNode,
    readonly provider: ZeroFeeProvider,
    readonly manifest: Manifest,
    /** Contracts signed by the regulator (fixture set-up only: minting allowances). */
    readonly regulator: Contracts,
    readonly root: string,
    readonly walletDir: string,
    readonly deploymentsDir: string,
  ) {}

  static async start(): Promise<CliWorld> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ets-cli-"));
    const walletDir = path.join(root, "wallets");
    const deploymentsDir = path.join(root, "deployments");
    const node = await startAnvil();
    const provider = connectRpc(node.url);
    const [regulator, operator, bank] = await Promise.all(
      ["regulator", "operator", "bank"].map((name) => createKeystore(walletDir, name, PASSWORD, { light: true })),
    );
    if (!regulator || !operator || !bank) throw new Error("keystores");
    const regulatorWallet = (await unlockKeystore(regulator, PASSWORD)).connect(provider);
    const { manifest } = await deployRegistry({
      regulator: regulatorWallet,
      registryOperator: operator.address,
      clearingBank: bank.address,
      enforcementDelay: ENFORCEMENT_DELAY,
      extraGrants: { ALLOWANCE_MINTER: [regulator.address] },
    });
    writeManifest(deploymentsDir, manifest);
    const world = new CliWorld(
      node,
      provider,
      manifest,
      connectContracts(manifest, regulatorWallet),
      root,
      walletDir,
      deploymentsDir,
    );
    world.addresses.regulator = regulator.address;
    world.addresses.operator = operator.address;
    world.addresses.bank = bank.address;
    return world;
  }

  /** Read-only contracts. */
  get contracts(): Contracts {
    return connectContracts(this.manifest, this.provider);
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      ETS_RPC_URL: this.node.url,
      ETS_WALLET_DIR: this.walletDir,
      ETS_DEPLOYMENTS_DIR: this.deploymentsDir,
      ETS_PASSWORD: PASSWORD,
      TZ: process.env.TZ,
      ...extra,
    };
  }

  /** Runs `ets <argv>` in-process. */
  async cli(argv: string[], opts: RunOptions = {}): Promise<CliRun> {
    let stdout = "";
    let stderr = "";
    const stdin = Readable.from(opts.stdin === undefined ? [] : [opts.stdin]) as Readable & { isTTY?: boolean };
    if (opts.tty) stdin.isTTY = true;
    const deps: CliDeps = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin,
      env: this.env(opts.env),
      cwd: this.root,
      ...(opts.promptSecret ? { promptSecret: opts.promptSecret } : {}),
    };
    const code = await run(argv, deps);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(stdout) as Record<string, unknown>;
    } catch {
      // text output
    }
    return { code, stdout, stderr, json };
  }

  /** Runs a command that must succeed and returns its JSON result. */
  async ok(argv: string[], opts: RunOptions = {}): Promise<Record<string, unknown>> {
    const r = await this.cli([...argv, "--json"], opts);
    expect(r.code, `ets ${argv.join(" ")} failed: ${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stderr).to.equal("");
    return r.json;
  }

  /** Creates a light-KDF wallet through the CLI and remembers its address. */
  async wallet(name: string): Promise<string> {
    const r = await this.ok(["wallet", "create", name, "--light-kdf"]);
    this.addresses[name] = r.address as string;
    return r.address as string;
  }

  /** The address of a wallet of the folder. */
  address(name: string): string {
    return this.addresses[name] ?? findKeystore(this.walletDir, name).address;
  }

  /** Moves chain time forward and mines a block. */
  async increaseTime(seconds: number): Promise<void> {
    await this.provider.send("evm_increaseTime", [seconds]);
    await this.provider.send("evm_mine", []);
  }

  /**
   * Everything a bad command could have changed: the block height (Anvil mines a block for every
   * transaction), every wallet's nonce, and the registry state of every known wallet — status,
   * every balance and lock on every token, trusted lists — plus pending-transfer counters,
   * suspension and delays.
   */
  async snapshot(): Promise<string> {
    const c = this.contracts;
    const [batches, vintages] = await Promise.all([c.offsets.batchCount(), c.allowances.vintages()]);
    const ids: Record<string, bigint[]> = {
      allowance: [...vintages],
      ccer: Array.from({ length: Number(batches) }, (_, i) => BigInt(i + 1)),
      cash: [0n],
    };
    const reads: Promise<unknown>[] = [
      this.provider.getBlockNumber(),
      c.rules.suspended(),
      c.rules.trustDelay(),
      c.rules.pendingDelay(),
      ...TOKEN_KINDS.map((kind) => guardedToken(c, kind).pendingTransferCount()),
    ];
    for (const [name, address] of Object.entries(this.addresses).sort()) {
      reads.push(
        Promise.resolve(name),
        this.provider.getTransactionCount(address, "pending"),
        c.registry.accountOf(address).then((a) => [a.status, a.entityId]),
      );
      for (const kind of TOKEN_KINDS) {
        const token = guardedToken(c, kind);
        for (const id of ids[kind] ?? [])
          reads.push(token.availableBalanceOf(address, id), token.lockedBalanceOf(address, id));
      }
      reads.push(c.rules.trustedAccounts(address).then((list) => list.map((t) => `${t.account}@${t.activeFrom}`)));
    }
    return JSON.stringify(await Promise.all(reads), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }

  /**
   * Runs a command that must be rejected: checks the code, the sentence, the exit code, the
   * `error [CODE]: …` form (and the JSON form), and that nothing changed on chain.
   */
  async rejects(
    argv: string[],
    expected: { code: string; message: RegExp; exit: 1 | 2 },
    opts: RunOptions = {},
  ): Promise<void> {
    const before = await this.snapshot();
    const r = await this.cli(argv, opts);
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
    expect(allErrorCodes().has(expected.code), `${expected.code} is catalogued`).to.equal(true);

    const j = await this.cli([...argv, "--json"], opts);
    expect(j.code).to.equal(expected.exit);
    expect(j.stderr).to.equal("");
    expect(j.stdout.trim().split("\n")).to.have.length(1);
    expect(Object.keys(j.json)).to.deep.equal(["error"]);
    const error = j.json.error as { code: string; message: string };
    expect(Object.keys(error)).to.deep.equal(["code", "message"]);
    expect(error.code).to.equal(expected.code);
    expect(error.message).to.match(expected.message);
    expect(await this.snapshot(), "nothing changed on chain").to.equal(before);
  }

  async stop(): Promise<void> {
    this.provider.destroy();
    await this.node.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
