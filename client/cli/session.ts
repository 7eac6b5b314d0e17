import fs from "node:fs";
import { isAddress, getAddress, type Wallet } from "ethers";
import { clientError } from "../../sdk/client-errors";
import { connectContracts, type Contracts } from "../../sdk/contracts";
import { DomainError } from "../../sdk/errors";
import { ExchangeApi } from "../../sdk/exchange-api";
import { findKeystore, listKeystores, unlockKeystore, type KeystoreEntry } from "../../sdk/keystore";
import { manifestPath, readManifest, type Manifest } from "../../sdk/manifest";
import { connectRpc, type ZeroFeeProvider } from "../../sdk/provider";
import { toDomainError as decodeError } from "../../sdk/errors";
import type { Config } from "./config";
import type { CliDeps } from "./io";

/** The connected chain: its deployment and read-only contract handles. */
export interface Chain {
  chainId: bigint;
  provider: ZeroFeeProvider;
  manifest: Manifest;
  contracts: Contracts;
}

/** An account typed on the command line, resolved to an address (and its wallet name, if any). */
export interface AccountRef {
  address: string;
  name?: string;
}

/**
 * What one command invocation works with: the configuration, a lazily opened connection, the
 * wallet folder and the password sources. Closed after the command, whatever happened.
 */
export class Session {
  private chainPromise?: Promise<Chain>;
  private provider?: ZeroFeeProvider;
  private keystores?: KeystoreEntry[];
  private exchangeApi?: ExchangeApi;

  constructor(
    readonly config: Config,
    readonly deps: CliDeps,
  ) {}

  /** Connects to the node and loads the deployment manifest of its chain. */
  chain(): Promise<Chain> {
    this.chainPromise ??= this.connect();
    return this.chainPromise;
  }

  private async connect(): Promise<Chain> {
    const provider = connectRpc(this.config.rpcUrl);
    this.provider = provider;
    let chainId: bigint;
    try {
      chainId = (await provider.getNetwork()).chainId;
    } catch (err) {
      const e = decodeError(err);
      if (e.code === "NODE_UNREACHABLE" || e.code === "UNEXPECTED") {
        throw new DomainError(
          "NODE_UNREACHABLE",
          `The chain node at ${this.config.rpcUrl} cannot be reached; check that it runs (npm start) or set --rpc / ETS_RPC_URL.`,
          "retryable",
        );
      }
      throw e;
    }
    let manifest: Manifest | undefined;
    try {
      manifest = readManifest(this.config.deploymentsDir, chainId);
    } catch {
      throw clientError(
        "MANIFEST_INVALID",
        `The deployment manifest ${manifestPath(this.config.deploymentsDir, chainId)} cannot be parsed.`,
      );
    }
    if (!manifest) {
      throw clientError(
        "DEPLOYMENT_NOT_FOUND",
        `No deployment of chain ${chainId} in ${this.config.deploymentsDir} (expected ${chainId}.json); run npm start or set --deployments / ETS_DEPLOYMENTS_DIR.`,
        { chainId: chainId.toString() },
      );
    }
    if ((await provider.getCode(manifest.contracts.ParticipantRegistry)) === "0x") {
      throw clientError(
        "DEPLOYMENT_NOT_FOUND",
        `The manifest ${manifestPath(this.config.deploymentsDir, chainId)} names contracts that are not on chain ${chainId} (was the chain reset?).`,
        { chainId: chainId.toString() },
      );
    }
    return { chainId, provider, manifest, contracts: connectContracts(manifest, provider) };
  }

  /** The exchange's REST API (`--exchange`); nothing is contacted until a call. */
  exchange(): ExchangeApi {
    this.exchangeApi ??= new ExchangeApi(this.config.exchangeUrl, {
      unreachableHint: "check that it runs (npm start) or set --exchange / ETS_EXCHANGE_URL",
    });
    return this.exchangeApi;
  }

  /** The time the next block will have at the earliest: the later of the last block's and the clock's. */
  async chainNow(): Promise<bigint> {
    const { provider } = await this.chain();
    const block = await provider.getBlock("latest");
    const clock = BigInt(Math.floor(Date.now() / 1000));
    const last = BigInt(block?.timestamp ?? 0);
    return last > clock ? last : clock;
  }

  /** Resolves an account typed by a person: an address, or the name of a wallet in the folder. */
  resolveAccount(input: string, what: string): AccountRef {
    const text = input.trim();
    if (/^0x/i.test(text)) {
      if (!isAddress(text)) {
        throw clientError(
          "INVALID_ADDRESS",
          `The ${what} "${input}" is not an address (0x followed by 40 hex digits).`,
          { field: what },
        );
      }
      const address = getAddress(text.toLowerCase());
      this.keystores ??= listKeystores(this.config.walletDir);
      const name = this.keystores.find((e) => e.address === address)?.name;
      return name ? { address, name } : { address };
    }
    if (/^[0-9a-fA-F]{40}$/.test(text)) {
      throw clientError("INVALID_ADDRESS", `The ${what} "${input}" lacks the 0x prefix of an address.`, {
        field: what,
      });
    }
    try {
      const entry = findKeystore(this.config.walletDir, text);
      return { address: entry.address, name: entry.name };
    } catch (err) {
      if (err instanceof DomainError && err.code === "INVALID_WALLET_NAME") {
        throw clientError("INVALID_ADDRESS", `The ${what} "${input}" is neither an address nor a wallet name.`, {
          field: what,
        });
      }
      if (err instanceof DomainError && err.code === "WALLET_NOT_FOUND") {
        throw clientError(
          "WALLET_NOT_FOUND",
          `The ${what} "${text}" is not an address, and there is no wallet of that name in ${this.config.walletDir}.`,
          { field: what },
        );
      }
      throw err;
    }
  }

  /** The keystore of the signing wallet (`--from`); not unlocked yet. */
  sender(): KeystoreEntry {
    if (!this.config.from) {
      throw clientError(
        "FROM_REQUIRED",
        "This command signs a transaction: say with which wallet, --from <wallet name or address> (or ETS_FROM).",
      );
    }
    return findKeystore(this.config.walletDir, this.config.from);
  }

  /** The account a read command is about: the argument, else `--from`. */
  subject(input: string | undefined, what: string): AccountRef {
    if (input !== undefined) return this.resolveAccount(input, what);
    if (!this.config.from) {
      throw clientError(
        "FROM_REQUIRED",
        `Say which account: give the ${what} as an argument, or --from <wallet name or address>.`,
      );
    }
    return this.resolveAccount(this.config.from, what);
  }

  /** Unlocks the signing wallet and binds the contracts to it. Asks for the password if needed. */
  async signer(entry: KeystoreEntry): Promise<{ wallet: Wallet; contracts: Contracts }> {
    const chain = await this.chain();
    const password = await this.password(`Password of wallet "${entry.name}": `);
    const wallet = (await unlockKeystore(entry, password)).connect(chain.provider);
    return { wallet, contracts: connectContracts(chain.manifest, wallet) };
  }

  /**
   * The keystore password: `--password-file` (first line), else ETS_PASSWORD, else a hidden prompt
   * when stdin is a terminal. `confirm` asks twice at a prompt (new keystores).
   */
  async password(question: string, confirm = false): Promise<string> {
    if (this.config.passwordFile) {
      let text: string;
      try {
        text = fs.readFileSync(this.config.passwordFile, "utf8");
      } catch {
        throw clientError("FILE_UNREADABLE", `The password file ${this.config.passwordFile} cannot be read.`, {
          file: this.config.passwordFile,
        });
      }
      const line = text.split(/\r?\n/)[0] ?? "";
      if (!line) throw clientError("PASSWORD_REQUIRED", `The password file ${this.config.passwordFile} is empty.`);
      return line;
    }
    if (this.config.password !== undefined) return this.config.password;
    const prompt = this.deps.promptSecret;
    if (this.deps.stdin.isTTY && prompt) {
      const first = await prompt(question);
      if (confirm) {
        const second = await prompt("Repeat the password: ");
        if (first !== second) throw clientError("PASSWORD_MISMATCH", "The two passwords differ; nothing was written.");
      }
      return first;
    }
    throw clientError(
      "PASSWORD_REQUIRED",
      "No keystore password: use --password-file <file> or ETS_PASSWORD (there is no terminal to ask).",
    );
  }

  /** Stops the provider's timers. */
  close(): void {
    this.provider?.destroy();
  }
}
