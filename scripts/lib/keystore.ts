/**
 * Encrypted JSON keystores (Web3 Secret Storage, scrypt) for the wallets that `npm start` creates:
 * one `<name>.json` per wallet, owner-only (0600), the same layout the `ets` CLI reads.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Wallet, encryptKeystoreJson, getAddress, isAddress } from "ethers";
import { useNativeScrypt } from "../../sdk/keystore";
import { fsyncDir } from "../../sdk/durable-file";

export { useNativeScrypt };

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
