import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, encryptKeystoreJson, getAddress, isAddress, scrypt, type ProgressCallback } from "ethers";
import { clientError } from "./client-errors";
import { DomainError } from "./errors";

/**
 * Wallets as encrypted JSON keystores (the Web3 Secret Storage format of geth and ethers, scrypt
 * key derivation) in one folder, one `<name>.json` per wallet, readable by its owner only (0600).
 */

let registered = false;

/**
 * Makes ethers derive keystore keys with Node's native, asynchronous `crypto.scrypt` (libuv thread
 * pool) instead of its pure-JavaScript scrypt: about 0.4 s instead of several seconds per keystore
 * at ethers' default N = 2^17, and several keystores at once. At most `concurrency` derivations run
 * together (default: the number of CPUs): each takes 128 MiB and one core, and running more than
 * there are cores only thrashes the caches (measured: 4 at once on 2 cores take 3.3× as long as 2).
 */
export function useNativeScrypt(concurrency = os.availableParallelism()): void {
  if (registered) return;
  const limit = new Semaphore(Math.max(1, concurrency));
  scrypt.register(
    (
      passwd: Uint8Array,
      salt: Uint8Array,
      N: number,
      r: number,
      p: number,
      dkLen: number,
      progress?: ProgressCallback,
    ) =>
      limit.run(
        () =>
          new Promise<Uint8Array>((resolve, reject) => {
            progress?.(0);
            // Node refuses to use more than `maxmem` bytes; scrypt needs 128·N·r·p.
            crypto.scrypt(passwd, salt, dkLen, { N, r, p, maxmem: 256 * N * r * p + (1 << 20) }, (err, key) => {
              if (err) return reject(err);
              progress?.(1);
              resolve(new Uint8Array(key));
            });
          }),
      ),
  );
  registered = true;
}

/** A keystore file of the folder. */
export interface KeystoreEntry {
  name: string;
  /** Checksummed address, read from the file without decrypting it. */
  address: string;
  file: string;
}

export interface KeystoreOptions {
  /**
   * Light key derivation (scrypt N = 2^12 instead of 2^17), as geth's `--lightkdf`: much faster to
   * unlock and much cheaper to brute-force. For tests and throw-away demo wallets only.
   */
  light?: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LIGHT_N = 1 << 12;

/** Checks a wallet name: 1-64 of letters, digits, '.', '_', '-', starting with a letter or digit, not an address. */
export function parseWalletName(input: string): string {
  const name = input.trim();
  if (!NAME.test(name) || /^0x[0-9a-f]*$/i.test(name)) {
    throw clientError(
      "INVALID_WALLET_NAME",
      `"${input}" is not a wallet name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (and not an address).`,
      { field: "wallet name" },
    );
  }
  return name;
}

/** Every keystore of the folder, by name (an absent folder holds none). */
export function listKeystores(dir: string): KeystoreEntry[] {
  if (!fs.existsSync(dir)) return [];
  const entries: KeystoreEntry[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith(".json")) continue;
    const name = file.slice(0, -".json".length);
    if (!NAME.test(name)) continue;
    const full = path.join(dir, file);
    const address = keystoreAddress(full);
    if (address) entries.push({ name, address, file: full });
  }
  return entries;
}

/** Finds a keystore by wallet name or by address. */
export function findKeystore(dir: string, nameOrAddress: string): KeystoreEntry {
  const ref = nameOrAddress.trim();
  if (/^0x/i.test(ref)) {
    if (!isAddress(ref)) {
      throw clientError("INVALID_ADDRESS", `"${nameOrAddress}" is not an address (0x followed by 40 hex digits).`, {
        field: "wallet",
      });
    }
    const address = getAddress(ref.toLowerCase());
    const entry = listKeystores(dir).find((e) => e.address === address);
    if (!entry) throw clientError("WALLET_NOT_FOUND", `No keystore for ${address} in ${dir}.`, { address, dir });
    return entry;
  }
  const name = parseWalletName(ref);
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    throw clientError(
      "WALLET_NOT_FOUND",
      `There is no wallet named "${name}" in ${dir}; \`ets wallet list\` shows the wallets.`,
      { name, dir },
    );
  }
  const address = keystoreAddress(file);
  if (!address) throw clientError("WALLET_FILE_INVALID", `${file} is not an encrypted JSON keystore.`, { file });
  return { name, address, file };
}

/** Creates a new random wallet and stores it encrypted under `name`. */
export async function createKeystore(
  dir: string,
  name: string,
  password: string,
  opts: KeystoreOptions = {},
): Promise<KeystoreEntry> {
  return storeKeystore(dir, name, new Wallet(Wallet.createRandom().privateKey), password, opts);
}

/** Stores an existing private key encrypted under `name`. */
export async function importKeystore(
  dir: string,
  name: string,
  privateKey: string,
  password: string,
  opts: KeystoreOptions = {},
): Promise<KeystoreEntry> {
  const hex = privateKey.trim().replace(/^0x/i, "");
  let wallet: Wallet;
  try {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error("form");
    wallet = new Wallet(`0x${hex}`);
  } catch {
    throw clientError(
      "INVALID_PRIVATE_KEY",
      "The private key is not 64 hexadecimal digits (optionally prefixed with 0x).",
      {},
    );
  }
  return storeKeystore(dir, name, wallet, password, opts);
}

/** Decrypts a keystore; a wrong password is WALLET_BAD_PASSWORD. */
export async function unlockKeystore(entry: KeystoreEntry, password: string): Promise<Wallet> {
  useNativeScrypt();
  let json: string;
  try {
    json = fs.readFileSync(entry.file, "utf8");
  } catch {
    throw clientError("WALLET_NOT_FOUND", `The keystore ${entry.file} cannot be read.`, { file: entry.file });
  }
  try {
    const decrypted = await Wallet.fromEncryptedJson(json, password);
    return new Wallet(decrypted.privateKey);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === "INVALID_ARGUMENT" && /incorrect password/.test(e.message ?? "")) {
      throw clientError(
        "WALLET_BAD_PASSWORD",
        `The password does not unlock wallet "${entry.name}" (${entry.address}).`,
        {
          wallet: entry.name,
        },
      );
    }
    throw clientError("WALLET_FILE_INVALID", `${entry.file} is not a valid encrypted JSON keystore.`, {
      file: entry.file,
    });
  }
}

async function storeKeystore(
  dir: string,
  rawName: string,
  wallet: Wallet,
  password: string,
  opts: KeystoreOptions,
): Promise<KeystoreEntry> {
  const name = parseWalletName(rawName);
  if (password.length < 8) {
    throw clientError("PASSWORD_TOO_SHORT", "A keystore password must have at least 8 characters.", {});
  }
  const file = path.join(dir, `${name}.json`);
  if (fs.existsSync(file))
    throw clientError("WALLET_EXISTS", `A wallet named "${name}" exists already (${file}).`, { name });
  const twin = listKeystores(dir).find((e) => e.address === wallet.address);
  if (twin) {
    throw clientError("WALLET_EXISTS", `Wallet ${wallet.address} is stored already as "${twin.name}".`, {
      name: twin.name,
    });
  }
  useNativeScrypt();
  const json = opts.light
    ? await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
        scrypt: { N: LIGHT_N },
      })
    : await wallet.encrypt(password);

  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Write a private temp file, then link it into place: the keystore appears whole or not at all,
  // and an existing file is never overwritten (link fails with EEXIST).
  const tmp = path.join(dir, `.${name}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, json);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.chmodSync(tmp, 0o600);
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw clientError("WALLET_EXISTS", `A wallet named "${name}" exists already (${file}).`, { name });
    }
    throw new DomainError(
      "UNEXPECTED",
      `The keystore could not be written to ${file}.`,
      "internal",
      {},
      { cause: err },
    );
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { name, address: wallet.address, file };
}

function keystoreAddress(file: string): string | undefined {
  try {
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { address?: unknown; crypto?: unknown; Crypto?: unknown };
    if (typeof json.address !== "string" || !(json.crypto || json.Crypto)) return undefined;
    const hex = json.address.startsWith("0x") ? json.address : `0x${json.address}`;
    return isAddress(hex) ? getAddress(hex.toLowerCase()) : undefined;
  } catch {
    return undefined;
  }
}

/** A counting semaphore. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // a finishing task hands its slot over
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
