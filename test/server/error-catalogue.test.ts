import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { EXCHANGE_ERRORS } from "../../server/api/error-catalogue";
import { CHAIN_ERRORS } from "../../sdk/errors";
import { CLIENT_ERRORS } from "../../sdk/client-errors";

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("exchange error catalogue", function () {
  it("lists every code the exchange raises", function () {
    const raised = new Set<string>();
    for (const file of sources(path.resolve(__dirname, "..", "..", "server"))) {
      const text = fs.readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:DomainError\(|reject\(|code: )"([A-Z][A-Z0-9_]+)"/g)) raised.add(m[1]!);
      if (file.endsWith(path.join("engine", "validation.ts"))) {
        for (const m of text.matchAll(/\| "([A-Z][A-Z0-9_]+)"/g)) raised.add(m[1]!);
      }
    }
    expect(raised.size).to.be.greaterThan(20);
    const missing = [...raised].filter((c) => !(c in EXCHANGE_ERRORS));
    expect(missing, "codes raised in server/ but not in EXCHANGE_ERRORS").to.deep.equal([]);
  });

  it("gives each code one meaning across the exchange, the contracts and the clients", function () {
    const chain = new Set(Object.values(CHAIN_ERRORS).map((e) => e.code));
    // Shared on purpose with the Clearing contract or the clients: the same condition, checked early.
    const shared = new Set(["INSUFFICIENT_TRADING_BALANCE", "ORDER_NOT_FOUND", "ORDER_NOT_OPEN", "INVALID_AMOUNT"]);
    for (const code of Object.keys(EXCHANGE_ERRORS)) {
      if (shared.has(code)) continue;
      expect(chain.has(code), `${code} is also a contract error code`).to.equal(false);
      expect(code in CLIENT_ERRORS, `${code} is also a client error code`).to.equal(false);
    }
  });
});
