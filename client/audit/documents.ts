import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { canonicalHash } from "../../sdk/canonical-json";
import type { SubmittedReport } from "./ledger";
import type { Finding } from "./types";

/**
 * The files that may hold a report version's document in `dir`, most specific first:
 * `<entityId>-<year>-v<version>.<ext>`, `<entityId>-<year>.<ext>` (any extension), then the last
 * path segment of the report's URI.
 */
export function documentCandidates(dir: string, r: SubmittedReport, names: string[]): string[] {
  const stems = [`${r.entityId}-${r.year}-v${r.version}`, `${r.entityId}-${r.year}`];
  const out: string[] = [];
  for (const stem of stems) {
    for (const n of names) if (n === stem || n.startsWith(`${stem}.`)) out.push(path.join(dir, n));
  }
  const last = r.uri.split(/[/\\]/).filter(Boolean).pop();
  if (last && names.includes(last)) out.push(path.join(dir, last));
  return [...new Set(out)];
}

/**
 * Checks each submitted report version's document in `dir` against its hashes on chain: the
 * document hash is the keccak256 of the file's bytes, or, for a report submitted without a separate
 * document, the keccak256 of the canonical JSON of the report (its content hash). A JSON report
 * file must also give the content hash. A missing document is a finding, never a failure.
 */
export function checkDocuments(dir: string, reports: SubmittedReport[], find: (f: Finding) => void): number {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    names = [];
  }
  let checked = 0;
  for (const r of reports) {
    const at = { block: r.block, tx: r.tx };
    const what = `entity ${r.entityId}'s ${r.year} report, version ${r.version}`;
    const files = documentCandidates(dir, r, names);
    if (files.length === 0) {
      find({
        ...at,
        kind: "document-missing",
        expected: `${r.entityId}-${r.year}-v${r.version}.* in ${dir}`,
        found: "no file",
        message: `The document of ${what} is not in the documents folder, so its hash cannot be checked.`,
      });
      continue;
    }
    checked++;
    const file = files[0]!;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      find({ ...at, kind: "document-unreadable", found: file, message: `The document of ${what} cannot be read.` });
      continue;
    }
    const raw = keccak256(bytes);
    let canonical: string | undefined;
    try {
      canonical = canonicalHash(JSON.parse(bytes.toString("utf8")));
    } catch {
      canonical = undefined;
    }
    const docHash = r.documentHash.toLowerCase();
    const matchesDocument =
      raw.toLowerCase() === docHash || (r.documentHash === r.contentHash && canonical?.toLowerCase() === docHash);
    if (!matchesDocument) {
      find({
        ...at,
        kind: "document-hash-mismatch",
        expected: r.documentHash,
        found: canonical && r.documentHash === r.contentHash ? canonical : raw,
        message: `The file ${path.basename(file)} does not match the document hash recorded for ${what}.`,
      });
    }
  }
  return checked;
}
