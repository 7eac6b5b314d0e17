import { Command, CommanderError } from "commander";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { toDomainError as decodeError } from "../../sdk/errors";
import { registerAdminCommands } from "./admin";
import { registerComplianceAdminCommands } from "./compliance-admin";
import { registerBalanceCommand } from "./balance";
import { registerComplianceCommands } from "./compliance";
import { DEFAULTS, loadConfig, type GlobalFlags } from "./config";
import { toJson, type CommandResult } from "./format";
import { registerFundsCommands } from "./funds";
import type { CliDeps } from "./io";
import { registerAuditCommand } from "./audit";
import { registerBlockDealCommand } from "./block-deals";
import { registerExchangeAdminCommands } from "./exchange-admin";
import { registerExplorerCommands } from "./explorer";
import { registerMarketCommands, registerOrderCommands } from "./orders";
import { Session } from "./session";
import { registerTransferCommands } from "./transfer";
import { registerTrustedCommands } from "./trusted";
import { registerWalletCommands } from "./wallet";

/** The body of a command: positional arguments (as typed) and its own options in, a result out. */
export type CommandBody = (
  session: Session,
  args: (string | undefined)[],
  opts: Record<string, unknown>,
) => Promise<CommandResult>;

/** Turns a command body into a commander action: config, session, printing, clean-up. */
export type Action = (body: CommandBody) => (...raw: unknown[]) => Promise<void>;

/**
 * Builds the `ets` program. Nothing runs until it parses; each parse needs a fresh program (commander
 * keeps option values on it). Errors are not printed here: {@link run} formats them.
 */
export function createProgram(deps: CliDeps, outcome: { exitCode?: number } = {}): Command {
  const program = new Command("ets")
    .description(
      "ETS Ledger: wallets, balances, transfers, trading at the exchange and registry administration on the scheme's chain of record.",
    )
    .option("--rpc <url>", `JSON-RPC URL of the chain node (env ETS_RPC_URL; default ${DEFAULTS.rpcUrl})`)
    .option(
      "--exchange <url>",
      `base URL of the exchange's REST API (env ETS_EXCHANGE_URL; default ${DEFAULTS.exchangeUrl})`,
    )
    .option("--wallets <dir>", `folder of the encrypted keystores (env ETS_WALLET_DIR; default ${DEFAULTS.walletDir})`)
    .option(
      "--deployments <dir>",
      `folder of the deployment manifests (env ETS_DEPLOYMENTS_DIR; default ${DEFAULTS.deploymentsDir})`,
    )
    .option("--from <wallet>", "signing wallet, by name or address (env ETS_FROM)")
    .option(
      "--password-file <file>",
      "file whose first line is the keystore password (env ETS_PASSWORD_FILE; or ETS_PASSWORD)",
    )
    .option("--json", "print one JSON object: the result, or { error: { code, message } }")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void deps.stdout.write(s),
      writeErr: (s) => void deps.stderr.write(s),
      outputError: () => undefined,
    });

  const action: Action =
    (body) =>
    async (...raw: unknown[]) => {
      const cmd = raw[raw.length - 1] as Command;
      const opts = (raw[raw.length - 2] ?? {}) as Record<string, unknown>;
      const args = raw.slice(0, -2) as (string | undefined)[];
      const config = loadConfig(cmd.optsWithGlobals<GlobalFlags>(), deps.env, deps.cwd);
      const session = new Session(config, deps);
      try {
        const result = await body(session, args, opts);
        deps.stdout.write(config.json ? `${toJson(result.data)}\n` : `${result.text.join("\n")}\n`);
        if (result.exitCode !== undefined) outcome.exitCode = result.exitCode;
      } finally {
        session.close();
      }
    };

  registerWalletCommands(program, action);
  registerBalanceCommand(program, action);
  registerTransferCommands(program, action);
  registerTrustedCommands(program, action);
  registerFundsCommands(program, action);
  registerBlockDealCommand(registerOrderCommands(program, action), action);
  registerMarketCommands(program, action);
  registerComplianceCommands(program, action);
  registerExchangeAdminCommands(program, action);
  registerAdminCommands(program, action);
  registerComplianceAdminCommands(program, action);
  registerExplorerCommands(program, action);
  registerAuditCommand(program, action);
  return program;
}

/**
 * Runs one command line (without the `node ets` prefix) and returns the exit code: 0 on success,
 * 2 for a validation or usage error, 1 for any other failure. Every failure is printed as
 * `error [CODE]: sentence` on stderr, or as `{ "error": { "code", "message" } }` on stdout with
 * `--json`; never a stack trace.
 */
export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  const json = argv.includes("--json");
  try {
    const outcome: { exitCode?: number } = {};
    await createProgram(deps, outcome).parseAsync([...argv], { from: "user" });
    return outcome.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      if (err.code === "commander.help") {
        // A command group without its subcommand: commander printed the group's help on stderr.
        if (!json) return 2;
        return report(
          clientError("INVALID_USAGE", "A subcommand is missing; run the command with --help."),
          json,
          deps,
        );
      }
      return report(clientError("INVALID_USAGE", usageMessage(err.message)), json, deps);
    }
    return report(decodeError(err), json, deps);
  }
}

function report(error: DomainError, json: boolean, deps: CliDeps): number {
  const message = printable(error);
  if (json) deps.stdout.write(`${toJson({ error: { code: error.code, message } })}\n`);
  else deps.stderr.write(`error [${error.code}]: ${message}\n`);
  const exitCode = error.details.exitCode;
  if (typeof exitCode === "number") return exitCode;
  return error.kind === "validation" ? 2 : 1;
}

/** The sentence of an error, on one line, without raw hex blobs or library dumps. */
function printable(error: DomainError): string {
  let message = error.message;
  if (error.code === "UNEXPECTED") {
    const short = (error.cause as { shortMessage?: unknown } | undefined)?.shortMessage;
    if (typeof short === "string" && short) message = `Unexpected error: ${short}`;
  }
  message = message
    .replace(/0x[0-9a-fA-F]{72,}/g, "0x…")
    .replace(/\s*\n\s*/g, " ")
    .trim();
  return message.length > 500 ? `${message.slice(0, 497)}…` : message;
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one sentence. */
function usageMessage(raw: string): string {
  const text = raw
    .replace(/^error:\s*/i, "")
    .replace(/\s*\n\s*/g, " ")
    .trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.?)]$/.test(sentence)
    ? `${sentence} Run the command with --help.`
    : `${sentence}. Run the command with --help.`;
}
