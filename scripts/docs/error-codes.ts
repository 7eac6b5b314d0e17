/**
 * Generates docs/error-codes.md from the catalogues (contract errors with their NatSpec, client
 * errors, exchange errors): `npm run docs:errors`. A test fails when the file is out of date.
 */
import fs from "node:fs";
import path from "node:path";
import { CHAIN_ERRORS } from "../../sdk/errors";
import { CLIENT_ERRORS } from "../../sdk/client-errors";
import { EXCHANGE_ERRORS } from "../../server/api/error-catalogue";
import { INDEXER_ERRORS } from "../../indexer/errors";
import { WEB_ERRORS } from "../../client/web/src/lib/error-catalogue";

const ROOT = path.resolve(__dirname, "..", "..");
export const ERROR_DOC = path.join(ROOT, "docs", "error-codes.md");

const HTTP: Record<string, string> = {
  validation: "400",
  unauthorised: "403",
  not_found: "404",
  conflict: "409",
  retryable: "503",
  internal: "500",
};

/** `error Name(` → the sentence of its `/// @notice Thrown when …` in our Solidity sources. */
function natspec(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".sol") ? [path.join(dir, e.name)] : [],
      );
  for (const file of walk(path.join(ROOT, "contracts"))) {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const m = /^\s*error\s+(\w+)\(/.exec(line);
      if (!m) return;
      const doc: string[] = [];
      for (let j = i - 1; j >= 0 && /^\s*\/\/\//.test(lines[j]!); j--)
        doc.unshift(lines[j]!.replace(/^\s*\/\/\/\s?(@notice\s+)?/, ""));
      if (doc.length > 0) out.set(m[1]!, doc.join(" ").trim());
    });
  }
  return out;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderErrorDoc(): string {
  const docs = natspec();
  const lines: string[] = [
    "# Error codes",
    "",
    "Every error of the system has a stable code and a sentence that says what happened. The CLI",
    'prints `error [CODE]: sentence` (or `{ "error": { "code", "message" } }` with `--json`); the',
    'exchange answers `{ "error": { "code", "message" } }` with the HTTP status shown. Nothing is',
    "changed when an error is reported. This file is generated from the catalogues",
    "(`sdk/errors.ts`, `sdk/client-errors.ts`, `server/api/error-catalogue.ts`, `indexer/errors.ts`,",
    "`client/web/src/lib/error-catalogue.ts`) by",
    "`npm run docs:errors`; a test keeps it current.",
    "",
    "## Contract errors",
    "",
    "Raised by the contracts and decoded by the SDK (`toDomainError`): the CLI and the exchange show",
    "the code below instead of a revert blob. Where a client checks the same condition before sending,",
    "it uses the same code.",
    "",
    "| code | Solidity error | when | kind |",
    "| --- | --- | --- | --- |",
  ];
  const byCode = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(CHAIN_ERRORS))
    byCode.set(spec.code, [...(byCode.get(spec.code) ?? []), name]);
  for (const code of [...byCode.keys()].sort()) {
    const names = byCode.get(code)!;
    const spec = CHAIN_ERRORS[names[0]!]!;
    const when =
      names.map((n) => docs.get(n)).find((d) => d) ??
      `OpenZeppelin \`${names[0]}\`: ${spec.message(["…", "…", "…", "…", "…"]).replace(/…/g, "…")}`;
    lines.push(`| \`${code}\` | ${names.map((n) => `\`${n}\``).join(", ")} | ${cell(when)} | ${spec.kind} |`);
  }
  lines.push(
    "",
    "## Client errors",
    "",
    "Raised by the CLI and the SDK before anything is sent (input, wallets, configuration, connection).",
    "",
    "| code | kind | why, and how to fix it |",
    "| --- | --- | --- |",
  );
  for (const [code, spec] of Object.entries(CLIENT_ERRORS).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| \`${code}\` | ${spec.kind} | ${cell(spec.help)} |`);
  }
  lines.push(
    "",
    "## Exchange API errors",
    "",
    "Answered by the exchange's REST API (`/v1`); nothing is journalled or reserved.",
    "",
    "| code | HTTP | why, and how to fix it |",
    "| --- | --- | --- |",
  );
  for (const [code, spec] of Object.entries(EXCHANGE_ERRORS).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| \`${code}\` | ${spec.status} | ${cell(spec.help)} |`);
  }
  lines.push(
    "",
    "## Indexer errors",
    "",
    "Raised by the indexer's sync (in its log) and answered by its GraphQL API as `extensions.code`.",
    "",
    "| code | kind | why, and how to fix it |",
    "| --- | --- | --- |",
  );
  for (const [code, spec] of Object.entries(INDEXER_ERRORS).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| \`${code}\` | ${spec.kind} | ${cell(spec.help)} |`);
  }
  lines.push(
    "",
    "## Web portal errors",
    "",
    "Shown by the web portal (code and sentence under the form or page) or answered by its server's",
    'proxies as `{ "error": { "code", "message" } }`. The portal shows every other code as it comes.',
    "",
    "| code | kind | why, and how to fix it |",
    "| --- | --- | --- |",
  );
  for (const [code, spec] of Object.entries(WEB_ERRORS).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| \`${code}\` | ${spec.kind} | ${cell(spec.help)} |`);
  }
  lines.push(
    "",
    `Contract errors map to HTTP statuses by kind: ${Object.entries(HTTP)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
  );
  return lines.join("\n");
}

if (require.main === module) {
  fs.writeFileSync(ERROR_DOC, renderErrorDoc());
  console.log(`written ${path.relative(ROOT, ERROR_DOC)}`);
}
