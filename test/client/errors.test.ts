import { expect } from "chai";
import { loadConfig } from "../../client/cli/config";
import { CLIENT_ERRORS, allErrorCodes } from "../../sdk/client-errors";
import { CHAIN_ERRORS, DomainError } from "../../sdk/errors";
import { creditCodeHash, parseAmount, parseDate, parseDuration } from "../../sdk/input";
import { parseTransferRef } from "../../sdk/transfers";
import { systemInterface as errorInterface, toDomainError as decodeError } from "../../sdk/errors";
import { keccak256, toUtf8Bytes } from "ethers";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return "no error";
}

describe("client error catalogue", function () {
  it("has no code that is also a chain code (a reused chain code keeps its meaning)", function () {
    const chain = new Set(Object.values(CHAIN_ERRORS).map((s) => s.code));
    expect(Object.keys(CLIENT_ERRORS).filter((code) => chain.has(code))).to.deep.equal([]);
    expect(allErrorCodes().size).to.equal(chain.size + Object.keys(CLIENT_ERRORS).length);
  });

  it("explains every client code", function () {
    for (const [code, spec] of Object.entries(CLIENT_ERRORS)) {
      expect(code).to.match(/^[A-Z][A-Z0-9_]+$/);
      expect(spec.help.length, code).to.be.greaterThan(20);
    }
  });

  it("decodes a revert by its custom error, printing nothing", function () {
    // AccessManagedUnauthorized(address) of the registry's authority check.
    const data = `0x068ca9d8${"00".repeat(12)}${"ab".repeat(20)}`;
    const e = decodeError({ code: "CALL_EXCEPTION", data });
    expect(e.code).to.equal("UNAUTHORISED_ROLE");
    expect(e.message).to.match(/does not hold the role/);
    expect(decodeError({ data: "0xdeadbeef" }).code).to.equal("CONTRACT_ERROR");
    // Errors only: ethers logs "duplicate definition - constructor" for an interface with several constructors.
    expect(errorInterface().fragments.every((f) => f.type === "error")).to.equal(true);
    expect(errorInterface().getError("TokenBalanceLocked")).to.not.equal(null);
  });
});

describe("input parsing", function () {
  it("tells bad amounts apart", function () {
    expect(parseAmount("1200", "tonnes")).to.equal(1200n);
    expect(parseAmount("25.3", "yuan")).to.equal(2530n);
    expect(parseAmount("25.300", "yuan")).to.equal(2530n);
    expect(codeOf(() => parseAmount("0", "tonnes"))).to.equal("ZERO_AMOUNT");
    expect(codeOf(() => parseAmount("-0.5", "yuan"))).to.equal("NEGATIVE_AMOUNT");
    expect(codeOf(() => parseAmount("2.5", "tonnes"))).to.equal("AMOUNT_NOT_WHOLE");
    expect(codeOf(() => parseAmount("2.555", "yuan"))).to.equal("AMOUNT_NOT_WHOLE");
    expect(codeOf(() => parseAmount("90071992547409920", "tonnes"))).to.equal("AMOUNT_TOO_LARGE");
    expect(codeOf(() => parseAmount("1e3", "tonnes"))).to.equal("INVALID_AMOUNT");
    expect(codeOf(() => parseAmount("", "tonnes"))).to.equal("INVALID_AMOUNT");
  });

  it("parses dates, durations, transfer references and credit codes", function () {
    expect(parseDate("2014-01-01")).to.equal(1388534400n);
    expect(codeOf(() => parseDate("2014-13-01"))).to.equal("INVALID_DATE");
    expect(parseDuration("26h")).to.equal(93600n);
    expect(parseDuration("90")).to.equal(90n);
    expect(parseTransferRef("ccer:3")).to.deep.equal({ kind: "ccer", id: 3n });
    expect(parseTransferRef("7")).to.deep.equal({ id: 7n });
    expect(codeOf(() => parseTransferRef("ccer:0"))).to.equal("INVALID_TRANSFER_ID");
    expect(creditCodeHash(" 91120116ma05k00011 ")).to.equal(keccak256(toUtf8Bytes("91120116MA05K00011")));
  });

  it("reads the CLI configuration from flags, then the environment, then defaults", function () {
    const env = { ETS_RPC_URL: "http://node:8545", ETS_WALLET_DIR: "w" };
    const c = loadConfig({ wallets: "/abs/wallets" }, env, "/home/x");
    expect(c).to.deep.include({
      rpcUrl: "http://node:8545",
      walletDir: "/abs/wallets",
      deploymentsDir: "/home/x/data/deployments",
      json: false,
    });
    expect(loadConfig({}, {}, "/home/x").walletDir).to.equal("/home/x/data/wallets");
    expect(codeOf(() => loadConfig({ rpc: "ws://x" }, {}, "/"))).to.equal("INVALID_CONFIG");
  });
});
