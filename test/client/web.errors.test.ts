import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { WEB_ERRORS } from "../../client/web/src/lib/error-catalogue";
import { CHAIN_ERRORS } from "../../sdk/errors";
import { CLIENT_ERRORS } from "../../sdk/client-errors";
import { EXCHANGE_ERRORS } from "../../server/api/error-catalogue";
import { INDEXER_ERRORS } from "../../indexer/errors";

const WEB = path.resolve(__dirname, "..", "..", "client", "web");

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? e.name === "dist"
          ? []
          : sources(path.join(dir, e.name))
        : /\.tsx?$/.test(e.name)
          ? [path.join(dir, e.name)]
          : [],
    );
}

describe("web portal error codes", () => {
  const chainCodes = new Set(Object.values(CHAIN_ERRORS).map((e) => e.code));
  const others = new Set([
    ...chainCodes,
    ...Object.keys(CLIENT_ERRORS),
    ...Object.keys(EXCHANGE_ERRORS),
    ...Object.keys(INDEXER_ERRORS),
  ]);

  it("repeats no code of the contracts, the SDK, the exchange or the indexer", () => {
    expect(Object.keys(WEB_ERRORS).filter((c) => others.has(c))).to.deep.equal([]);
  });

  it("uses only catalogued codes in the portal's sources", () => {
    const pattern =
      /(?:ServiceError\(|webError\(|problem\(|data-code=|unavailable\([^)]*,|proxyError\([^)]*,)\s*\{?"([A-Z][A-Z0-9_]+)"/g;
    const used = new Map<string, string>();
    for (const file of [...sources(path.join(WEB, "src")), ...sources(path.join(WEB, "server"))]) {
      for (const m of fs.readFileSync(file, "utf8").matchAll(pattern)) used.set(m[1]!, path.relative(WEB, file));
    }
    expect(used.size).to.be.greaterThan(5);
    const unknown = [...used].filter(([code]) => !(code in WEB_ERRORS) && !others.has(code));
    expect(unknown, "codes missing from client/web/src/lib/error-catalogue.ts").to.deep.equal([]);
  });
});
