import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { clientError } from "../../sdk/client-errors";
import { createKeystore, importKeystore, listKeystores, parseWalletName, type KeystoreEntry } from "../../sdk/keystore";
import { readAll } from "./io";
import type { Action } from "./program";
import type { Session } from "./session";

/** `ets wallet create|import|list`: encrypted keystores in the wallet folder. */
export function registerWalletCommands(program: Command, action: Action): void {
  const wallet = program.command("wallet").description("encrypted keystore wallets in the wallet folder");

  wallet
    .command("create")
    .description("create a new random wallet, encrypted with a password (scrypt)")
    .argument("<name>", "wallet name: letters, digits, '.', '_', '-'")
    .option("--light-kdf", "weaker, faster key derivation (scrypt N=2^12), for tests and demos only")
    .action(
      action(async (session, [name], opts) => {
        const walletName = requireNewName(session, name ?? "");
        const password = await session.password(`Password for the new wallet "${walletName}": `, true);
        const entry = await createKeystore(session.config.walletDir, walletName, password, {
          light: opts.lightKdf === true,
        });
        return created(entry, "Created");
      }),
    );

  wallet
    .command("import")
    .description("store an existing private key (from stdin or --private-key-file), encrypted with a password")
    .argument("<name>", "wallet name")
    .option("--private-key-file <file>", "file holding the private key (64 hex digits); default: read stdin")
    .option("--light-kdf", "weaker, faster key derivation (scrypt N=2^12), for tests and demos only")
    .action(
      action(async (session, [name], opts) => {
        const walletName = requireNewName(session, name ?? "");
        const key = await readPrivateKey(session, opts.privateKeyFile as string | undefined);
        if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) {
          throw clientError(
            "INVALID_PRIVATE_KEY",
            "The private key is not 64 hexadecimal digits (optionally prefixed with 0x).",
          );
        }
        const password = await session.password(`Password for the imported wallet "${walletName}": `, true);
        const entry = await importKeystore(session.config.walletDir, walletName, key, password, {
          light: opts.lightKdf === true,
        });
        return created(entry, "Imported");
      }),
    );

  wallet
    .command("list")
    .description("list the wallets of the folder (no password needed)")
    .action(
      action(async (session) => {
        const entries = listKeystores(session.config.walletDir);
        const dir = session.config.walletDir;
        return {
          data: { dir, wallets: entries.map((e) => ({ name: e.name, address: e.address })) },
          text: entries.length
            ? [`Wallets in ${dir}:`, ...entries.map((e) => `  ${e.name.padEnd(20)} ${e.address}`)]
            : [`No wallets in ${dir}; create one with: ets wallet create <name>`],
        };
      }),
    );
}

function requireNewName(session: Session, input: string): string {
  const name = parseWalletName(input);
  const file = path.join(session.config.walletDir, `${name}.json`);
  if (fs.existsSync(file))
    throw clientError("WALLET_EXISTS", `A wallet named "${name}" exists already (${file}).`, { name });
  return name;
}

async function readPrivateKey(session: Session, file: string | undefined): Promise<string> {
  if (file) {
    try {
      return fs.readFileSync(path.resolve(session.deps.cwd, file), "utf8").trim();
    } catch {
      throw clientError("FILE_UNREADABLE", `The private-key file ${file} cannot be read.`, { file });
    }
  }
  const { stdin, promptSecret } = session.deps;
  if (stdin.isTTY && promptSecret) return (await promptSecret("Private key (hex): ")).trim();
  return (await readAll(stdin)).trim();
}

function created(entry: KeystoreEntry, verb: string) {
  return {
    data: { name: entry.name, address: entry.address, file: entry.file },
    text: [
      `${verb} wallet "${entry.name}": ${entry.address}`,
      `Keystore ${entry.file} (readable by you only). Keep a backup and the password: neither can be recovered.`,
      `To hold units, the registry operator must open an account for ${entry.address}.`,
    ],
  };
}
