/**
 * Encrypted JSON keystores (Web3 Secret Storage, scrypt) for the wallets that `npm start` creates:
 * one `<name>.json` per wallet, owner-only (0600), the same layout the `ets` CLI reads.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Wallet, encryptKeystoreJson, getAddress, isAddress, scrypt, type ProgressCallback } from "ethers";
import { fsyncDir } from "./durable-file";

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

/** The address a keystore file declares (read without decrypting), or undefined if it is not one. */
export function keystoreAddress(file: string): string | undefined {
  try {
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { address?: unknown; crypto?: unknown; Crypto?: unknown };
    if (typeof json.address !== "string" || !(json.crypto || json.Crypto)) return undefined;
    const hex = json.address.startsWith("0x") ? json.address : `0x${json.address}`;
    return isAddress(hex) ? getAddress(hex.toLowerCase()) : undefined;
  } catch {
    return undefined;
  }
}

export function keystoreFile(dir: string, name: string): string {
  return path.join(dir, `${name}.json`);
}

/** A new random wallet (a plain private key, no mnemonic). */
export function randomWallet(): Wallet {
  return new Wallet(`0x${crypto.randomBytes(32).toString("hex")}`);
}

/**
 * Key derivation of a keystore: `standard` is ethers' default (scrypt N = 2^17, about 0.4 s to
 * unlock here); `light` is N = 2^12 (as geth's `--lightkdf`: about 3 ms, and as much cheaper to
 * brute-force), for throw-away demo wallets whose password is public anyway.
 */
export type KeyDerivation = "standard" | "light";

const LIGHT_SCRYPT_N = 1 << 12;

/**
 * Encrypts `wallet` with `password` and stores it as `<dir>/<name>.json`, owner-only; the file
 * appears whole or not at all, durably, and an existing keystore is never overwritten.
 */
export async function writeKeystore(
  dir: string,
  name: string,
  wallet: Wallet,
  password: string,
  kdf: KeyDerivation = "standard",
): Promise<string> {
  useNativeScrypt();
  const json =
    kdf === "light"
      ? await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
          scrypt: { N: LIGHT_SCRYPT_N },
        })
      : await wallet.encrypt(password);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = keystoreFile(dir, name);
  const tmp = path.join(dir, `.${name}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  const handle = await fsp.open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(json);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new Error(`a keystore named "${name}" exists already: ${file}`);
    throw err;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  await fsyncDir(dir);
  return file;
}

/** Decrypts a keystore; says which file when the password is wrong. */
export async function unlockKeystore(file: string, password: string): Promise<Wallet> {
  useNativeScrypt();
  try {
    const wallet = await Wallet.fromEncryptedJson(fs.readFileSync(file, "utf8"), password);
    return new Wallet(wallet.privateKey);
  } catch (err) {
    if (/incorrect password/i.test((err as Error).message)) {
      throw new Error(`the password (ETS_DEMO_PASSWORD) does not unlock ${file}`);
    }
    throw err;
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
