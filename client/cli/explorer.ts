import type { Command } from "commander";
import { clientError } from "../../sdk/client-errors";
import { DomainError } from "../../sdk/errors";
import { loginToIndexer, logoutFromIndexer } from "../../sdk/indexer-login";
import { named } from "./format";
import type { Action } from "./program";

/** The indexer's base URL: `--indexer`, `ETS_INDEXER_URL`, or the one `npm start` runs. */
export const DEFAULT_INDEXER_URL = "http://127.0.0.1:8700";

function indexerUrl(flag: string | undefined): string {
  const url = flag ?? process.env.ETS_INDEXER_URL ?? DEFAULT_INDEXER_URL;
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http");
  } catch {
    throw clientError("INVALID_USAGE", `--indexer must be an http(s) URL, not "${url}".`, { field: "indexer" });
  }
  return url;
}

/** A network failure (not an answer of the indexer) as INDEXER_UNREACHABLE. */
async function reaching<T>(url: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const e = err as Error & { cause?: { code?: string; message?: string } };
    throw clientError(
      "INDEXER_UNREACHABLE",
      `The indexer at ${url} cannot be reached (${e.cause?.code ?? e.cause?.message ?? e.message}); check that it runs (npm start) or set --indexer / ETS_INDEXER_URL.`,
      { url },
    );
  }
}

/**
 * `ets explorer login|logout`: a session of the regulator's GraphQL explorer for a wallet that holds
 * REGULATOR or AUDITOR, by signing a Sign-In with Ethereum message with it. The token goes in
 * GraphiQL's Headers tab (or any client's `Authorization` header) and unlocks entity-level data.
 */
export function registerExplorerCommands(program: Command, action: Action): void {
  const explorer = program
    .command("explorer")
    .description("sessions of the regulator's GraphQL explorer (the indexer) [REGULATOR or AUDITOR wallet]");

  explorer
    .command("login")
    .description("sign in with your wallet (EIP-4361) and print the session's bearer token for GraphiQL")
    .option("--indexer <url>", `the indexer's URL (env ETS_INDEXER_URL; default ${DEFAULT_INDEXER_URL})`)
    .action(
      action(async (session, _args, o) => {
        const url = indexerUrl((o as { indexer?: string }).indexer);
        const entry = session.sender();
        const { wallet } = await session.signer(entry);
        const s = await reaching(url, () => loginToIndexer(url, wallet));
        return {
          data: { indexer: url, address: s.address, role: s.role, expiresAt: s.expiresAt, token: s.token },
          text: [
            `Signed in to ${url} as ${named(entry.address, entry.name)}, holder of ${s.role}, until ${s.expiresAt}.`,
            `In GraphiQL (${url.replace(/\/$/, "")}/graphql), Headers tab:`,
            `  { "Authorization": "Bearer ${s.token}" }`,
            "Keep the token secret: it reads entity-level data until it expires or `ets explorer logout` ends it.",
          ],
        };
      }),
    );

  explorer
    .command("logout")
    .description("end an explorer session")
    .argument("<token>", "the session's bearer token")
    .option("--indexer <url>", `the indexer's URL (env ETS_INDEXER_URL; default ${DEFAULT_INDEXER_URL})`)
    .action(
      action(async (_session, [token], o) => {
        const url = indexerUrl((o as { indexer?: string }).indexer);
        await reaching(url, () => logoutFromIndexer(url, String(token ?? "")));
        return { data: { indexer: url, ended: true }, text: [`Session ended at ${url}.`] };
      }),
    );
}
