import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { INDEXER_ERRORS } from "../../indexer/errors";
import { CHAIN_ERRORS } from "../../sdk/errors";
import { CLIENT_ERRORS } from "../../sdk/client-errors";
import { EXCHANGE_ERRORS } from "../../server/api/error-catalogue";

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("indexer error catalogue", function () {
  it("lists every code the indexer raises, and raises every code it lists", function () {
    const raised = new Set<string>();
    for (const file of sources(path.resolve(__dirname, "..", "..", "indexer"))) {
      const text = fs.readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:indexerError\(\s*|code: |code = )"([A-Z][A-Z0-9_]+)"/g)) raised.add(m[1]!);
    }
    const listed = Object.keys(INDEXER_ERRORS);
    expect(
      [...raised].filter((c) => !listed.includes(c)),
      "raised but not listed",
    ).to.deep.equal([]);
    expect(
      listed.filter((c) => !raised.has(c)),
      "listed but never raised",
    ).to.deep.equal([]);
  });

  it("gives each code one meaning across the indexer, the contracts, the clients and the exchange", function () {
    const chain = new Set(Object.values(CHAIN_ERRORS).map((e) => e.code));
    for (const code of Object.keys(INDEXER_ERRORS)) {
      expect(chain.has(code), `${code} is also a contract error code`).to.equal(false);
      expect(code in CLIENT_ERRORS, `${code} is also a client error code`).to.equal(false);
      expect(code in EXCHANGE_ERRORS, `${code} is also an exchange error code`).to.equal(false);
    }
  });
});
