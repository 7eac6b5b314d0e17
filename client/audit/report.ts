import fs from "node:fs";
import path from "node:path";
import type { AuditReport } from "./types";

const esc = (s: unknown) =>
  String(s ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** A self-contained HTML page of the report (no script, no external resource). */
export function renderHtml(r: AuditReport): string {
  const figures = Object.entries(r.figures)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v.toLocaleString("en-US"))}</td></tr>`)
    .join("\n");
  const kinds = new Map<string, number>();
  for (const f of r.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const summary = [...kinds].map(([k, n]) => `<li><code>${esc(k)}</code>: ${n}</li>`).join("");
  const rows = r.findings
    .map(
      (f, i) =>
        `<tr><td>${i + 1}</td><td><code>${esc(f.kind)}</code></td><td>${esc(f.block ?? "")}</td><td class="h">${esc(f.tx ?? "")}</td><td class="h">${esc(f.expected ?? "")}</td><td class="h">${esc(f.found ?? "")}</td><td>${esc(f.message)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ETS audit of chain ${esc(r.chainId)} at block ${esc(r.head.number)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.h{font-family:monospace;font-size:12px;word-break:break-all;max-width:22em}
.clean{color:#0a6b2d;font-weight:bold}.dirty{color:#a40000;font-weight:bold}
</style></head><body>
<h1>Independent audit of the ETS ledger</h1>
<p class="${r.clean ? "clean" : "dirty"}">${r.clean ? "CLEAN: no finding." : `${r.findings.length} finding(s).`}</p>
<table>
<tr><th>chain id</th><td>${esc(r.chainId)}</td></tr>
<tr><th>node</th><td>${esc(r.rpc)}</td></tr>
<tr><th>blocks</th><td>${esc(r.fromBlock)} … ${esc(r.head.number)}</td></tr>
<tr><th>head hash</th><td class="h">${esc(r.head.hash)}</td></tr>
<tr><th>head time</th><td>${esc(new Date(r.head.timestamp * 1000).toISOString())}</td></tr>
<tr><th>audit</th><td>${esc(r.startedAt)} → ${esc(r.finishedAt)} (${(r.durationMs / 1000).toFixed(1)} s)</td></tr>
${r.indexer ? `<tr><th>indexer</th><td>${esc(r.indexer.url)} (${r.indexer.login ? `logged in as ${esc(r.indexer.login)}` : "public fields only"}; ${r.indexer.compared} figures compared${r.indexer.skipped ? `; ${esc(r.indexer.skipped)}` : ""})</td></tr>` : ""}
${r.documents ? `<tr><th>documents</th><td>${esc(r.documents.dir)}</td></tr>` : ""}
<tr><th>RPC</th><td>${r.rpcStats.requests} requests, ${r.rpcStats.calls} calls, ${r.rpcStats.outages} outage(s) waited out</td></tr>
</table>
<h2>Figures</h2>
<table>${figures}</table>
<h2>Findings</h2>
${r.findings.length === 0 ? "<p>None.</p>" : `<ul>${summary}</ul><table><tr><th>#</th><th>kind</th><th>block</th><th>tx</th><th>expected</th><th>found</th><th>what</th></tr>\n${rows}</table>`}
</body></html>
`;
}

/** Writes `audit.json` and `audit.html` into `dir`; returns their paths. */
export function writeReport(dir: string, r: AuditReport): { json: string; html: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "audit.json");
  const html = path.join(dir, "audit.html");
  fs.writeFileSync(json, JSON.stringify(r, null, 2) + "\n");
  fs.writeFileSync(html, renderHtml(r));
  return { json, html };
}
