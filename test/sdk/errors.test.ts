import { expect } from "chai";
import { artifacts } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ErrorFragment, ParamType } from "ethers";
import { Interface } from "ethers";
import { ABIS } from "../../sdk/contracts";
import { CHAIN_ERRORS, DomainError, chainError, findRevertData, toDomainError } from "../../sdk/errors";
import { toDomainError as decodeError } from "../../sdk/errors";
import {
  Allocation__factory,
  AllowanceToken__factory,
  Authority__factory,
  CashToken__factory,
  Clearing__factory,
  Compliance__factory,
  EmissionsReporting__factory,
  OffsetToken__factory,
  ParticipantRegistry__factory,
  ReserveSales__factory,
  TransferRules__factory,
} from "../../typechain-types";
import { DEFAULT_DELAY, VINTAGE, fundedFixture } from "../contracts/fixtures";
import { clearingFixture } from "../contracts/exchange/fixtures";

/** The contracts of the system (the ten of the registry and the exchange's Clearing), as TypeChain compiled them. */
const FACTORIES = {
  Authority: Authority__factory,
  ParticipantRegistry: ParticipantRegistry__factory,
  TransferRules: TransferRules__factory,
  AllowanceToken: AllowanceToken__factory,
  OffsetToken: OffsetToken__factory,
  CashToken: CashToken__factory,
  Allocation: Allocation__factory,
  EmissionsReporting: EmissionsReporting__factory,
  Compliance: Compliance__factory,
  ReserveSales: ReserveSales__factory,
  Clearing: Clearing__factory,
} as const;

/** Codes that two Solidity errors share on purpose, because they mean the same to a person. */
const SHARED_CODES: Record<string, string[]> = {
  ACCOUNT_NOT_ACTIVE: [
    "ClearingAccountNotActive",
    "ComplianceAccountNotActive",
    "ReportingAccountNotActive",
    "TokenAccountNotActive",
  ],
  ACCOUNT_NOT_REGISTERED: ["RegistryUnknownAccount", "TokenAccountNotRegistered"],
  INVALID_YEAR: ["AllocationInvalidYear", "ReportingInvalidYear"],
  ZERO_AMOUNT: ["AllocationZeroAmount", "ClearingZeroAmount", "TokenZeroAmount"],
};

/**
 * Errors in an ABI that no call can raise once the contract is deployed: OpenZeppelin's ShortStrings
 * reverts with them only in the EIP-712 constructor (a name or version too long), so no user ever
 * meets them and they are left to the generic CONTRACT_ERROR.
 */
const CONSTRUCTOR_ONLY = new Set(["InvalidShortString", "StringTooLong"]);

const KINDS = ["validation", "unauthorised", "not_found", "conflict", "retryable", "internal"];

/** Every custom error a call to one of the system's contracts can raise, by name, with the contracts that can raise it. */
function errorsOfTheContracts(): Map<string, { fragment: ErrorFragment; contracts: string[] }> {
  const out = new Map<string, { fragment: ErrorFragment; contracts: string[] }>();
  for (const [contract, factory] of Object.entries(FACTORIES)) {
    for (const fragment of new Interface(factory.abi).fragments) {
      if (fragment.type !== "error" || CONSTRUCTOR_ONLY.has((fragment as ErrorFragment).name)) continue;
      const error = fragment as ErrorFragment;
      const entry = out.get(error.name) ?? { fragment: error, contracts: [] };
      entry.contracts.push(contract);
      out.set(error.name, entry);
    }
  }
  return out;
}

/** A plausible value for an ABI parameter, to render a message the way a real revert would. */
function sample(param: ParamType): unknown {
  if (param.baseType === "address") return "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
  if (param.baseType === "bool") return true;
  if (param.baseType === "string") return "NDRC-2015-0001";
  if (param.type === "bytes4") return "0x12345678";
  if (param.type.startsWith("bytes")) return "0x" + "ab".repeat(32);
  if (param.type === "uint8") return 2n;
  if (param.type.startsWith("uint") || param.type.startsWith("int")) return 1_400_000_000n;
  throw new Error(`no sample for ${param.type}`);
}

/** A run of hex digits longer than one 32-byte word: an undecoded blob. */
const HEX_BLOB = /0x[0-9a-fA-F]{65,}/;

describe("sdk/errors", function () {
  describe("the catalogue CHAIN_ERRORS", function () {
    const errors = errorsOfTheContracts();

    it("is built over the ABIs of every contract of the system (ABIS)", function () {
      expect(Object.keys(ABIS).sort()).to.deep.equal(Object.keys(FACTORIES).sort());
      const clearingErrors = Clearing__factory.abi.filter((f) => f.type === "error").map((f) => f.name);
      expect(clearingErrors.filter((name) => CONSTRUCTOR_ONLY.has(name)).sort()).to.deep.equal([
        "InvalidShortString",
        "StringTooLong",
      ]);
    });

    it("has an entry for every custom error in the ABIs of the system's contracts", function () {
      const missing = [...errors.entries()]
        .filter(([name]) => CHAIN_ERRORS[name] === undefined)
        .map(([name, { contracts }]) => `${name} (${contracts.join(", ")})`);
      expect(missing).to.deep.equal([]);
      expect(errors.size).to.be.greaterThan(75);
      expect([...errors.keys()].filter((name) => name.startsWith("Clearing"))).to.have.length(14);
    });

    it("lists no error that no compiled contract of the project can raise", async function () {
      const known = new Set<string>();
      for (const name of await artifacts.getAllFullyQualifiedNames()) {
        for (const f of (await artifacts.readArtifact(name)).abi as { type: string; name?: string }[]) {
          if (f.type === "error" && f.name) known.add(f.name);
        }
      }
      expect(Object.keys(CHAIN_ERRORS).filter((name) => !known.has(name))).to.deep.equal([]);
    });

    it("gives each meaning its own code: codes are unique but for the deliberate exceptions", function () {
      const byCode = new Map<string, string[]>();
      for (const [name, spec] of Object.entries(CHAIN_ERRORS))
        byCode.set(spec.code, [...(byCode.get(spec.code) ?? []), name]);
      const shared = Object.fromEntries(
        [...byCode.entries()].filter(([, names]) => names.length > 1).map(([c, n]) => [c, n.sort()]),
      );
      expect(shared).to.deep.equal(SHARED_CODES);
    });

    it("uses stable upper-case codes and known kinds", function () {
      for (const [name, spec] of Object.entries(CHAIN_ERRORS)) {
        expect(spec.code, name).to.match(/^[A-Z][A-Z0-9_]*[A-Z0-9]$/);
        expect(KINDS, name).to.include(spec.kind);
      }
    });

    for (const [name, { fragment }] of errorsOfTheContracts()) {
      it(`turns ${fragment.format("sighash")} into a sentence that uses only its own arguments`, function () {
        const args = fragment.inputs.map(sample);
        const e = chainError(name, args);
        expect(e).to.be.instanceOf(DomainError);
        expect(e.code).to.equal(CHAIN_ERRORS[name]?.code);
        expect(e.message, name).to.not.match(/undefined|\[object|NaN|Invalid Date/);
        expect(e.message, name).to.match(/^[A-Z0-9`].*\.$/s);
        expect(e.message, name).to.not.match(HEX_BLOB);
        expect(e.details).to.deep.equal({
          error: name,
          args: args.map((a) => (typeof a === "bigint" ? a.toString() : a)),
        });
      });
    }
  });

  describe("toDomainError on a real revert", function () {
    it("decodes a transfer from an unregistered wallet", async function () {
      const { c, s } = await loadFixture(fundedFixture);
      const err = await c.allowances
        .connect(s.stranger)
        .safeTransferFrom(s.stranger.address, s.alice.address, VINTAGE, 1n, "0x")
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const data = findRevertData(err);
      expect(data, "revert data").to.be.a("string");
      const domain = toDomainError(err);
      expect(domain).to.be.instanceOf(DomainError);
      expect([domain.code, domain.kind]).to.deep.equal(["ACCOUNT_NOT_REGISTERED", "not_found"]);
      expect(domain.message).to.equal(`Wallet ${s.stranger.address} has no registry account.`);
      expect(domain.message).to.not.include(data!.slice(2, 10));
      expect(domain.details).to.deep.equal({ error: "TokenAccountNotRegistered", args: [s.stranger.address] });
      expect(domain.cause).to.equal(err);
      expect(domain.toJSON()).to.deep.equal({
        code: "ACCOUNT_NOT_REGISTERED",
        message: domain.message,
        kind: "not_found",
        details: domain.details,
      });
    });

    it("decodes units locked by a pending transfer, with the numbers", async function () {
      const { c, s } = await loadFixture(fundedFixture);
      await c.allowances.connect(s.alice).safeTransferFrom(s.alice.address, s.bob.address, VINTAGE, 900n, "0x");
      const err = await c.allowances
        .connect(s.alice)
        .safeTransferFrom(s.alice.address, s.alice2.address, VINTAGE, 101n, "0x")
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const domain = toDomainError(err);
      expect(domain.code).to.equal("BALANCE_LOCKED_BY_PENDING");
      expect(domain.message).to.equal(
        `Account ${s.alice.address} can spend only 100 of token id 2014 now: 900 are locked by pending transfers; 101 were requested.`,
      );
    });

    it("decodes a call from the wrong role, a static call and an error bubbled up through the AccessManager", async function () {
      const f = await loadFixture(fundedFixture);
      const { c, s } = f;
      const wrongRole = await c.allowances
        .connect(s.alice)
        .mint(s.alice.address, VINTAGE, 1n)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(toDomainError(wrongRole).code).to.equal("UNAUTHORISED_ROLE");

      const staticCall = await c.cash
        .connect(s.alice)
        .withdraw.staticCall(0n, "0x" + "00".repeat(32))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(toDomainError(staticCall).code).to.equal("INVALID_PAYOUT_REFERENCE");

      const data = c.cash.interface.encodeFunctionData("forceTransfer", [
        s.alice.address,
        s.alice.address,
        0n,
        1n,
        "CASE-1",
      ]);
      const target = await c.cash.getAddress();
      await c.authority.schedule(target, data, 0);
      await time.increase(24 * 3600);
      const bubbled = await c.authority.execute(target, data).then(
        () => undefined,
        (e: unknown) => e,
      );
      const domain = toDomainError(bubbled);
      expect([domain.code, domain.message]).to.deep.equal([
        "FORCED_TRANSFER_TO_SELF",
        `A forced transfer cannot go from ${s.alice.address} to itself.`,
      ]);
    });

    it("says when a pending transfer can be executed, as a date", async function () {
      const { c, s } = await loadFixture(fundedFixture);
      const tx = await c.cash.connect(s.alice).transfer(s.carol.address, 5n);
      const receipt = await tx.wait();
      const block = await tx.provider.getBlock(receipt!.blockNumber);
      const releaseAt = block!.timestamp + DEFAULT_DELAY;
      const err = await c.cash.executePending(1n).then(
        () => undefined,
        (e: unknown) => e,
      );
      const domain = toDomainError(err);
      expect(domain.code).to.equal("PENDING_TRANSFER_NOT_RELEASED");
      expect(domain.message).to.equal(
        `Pending transfer #1 can be executed from ${new Date(releaseAt * 1000).toISOString().replace(".000Z", "Z")}.`,
      );
    });

    it("tells a direct call of a delayed power to schedule it first", async function () {
      const { c, s } = await loadFixture(fundedFixture);
      const err = await c.registry.recover(s.alice.address, s.spare.address).then(
        () => undefined,
        (e: unknown) => e,
      );
      const domain = toDomainError(err);
      expect(domain.code).to.equal("OPERATION_NOT_SCHEDULED");
      expect(domain.message).to.not.match(HEX_BLOB);
    });
  });

  describe("toDomainError on a revert of the Clearing", function () {
    it("says when the escape hatch opens, as a date, through both decoders", async function () {
      const f = await loadFixture(clearingFixture);
      const tx = await f.clearing.connect(f.s.alice).requestWithdrawal(f.manifest.contracts.CashToken, 0n, 1_000n);
      const block = await tx.provider.getBlock((await tx.wait())!.blockNumber);
      const dueAt = block!.timestamp + 24 * 3600;
      const err = await f.clearing
        .connect(f.s.alice)
        .executeWithdrawalRequest(1n)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const expected = [
        "WITHDRAWAL_NOT_DUE",
        "conflict",
        `Withdrawal request 1 can be executed by the trader from ${new Date(dueAt * 1000).toISOString().replace(".000Z", "Z")}.`,
      ];
      const domain = toDomainError(err);
      expect([domain.code, domain.kind, domain.message]).to.deep.equal(expected);
      expect(domain.details).to.deep.equal({ error: "ClearingWithdrawalNotDue", args: ["1", String(dueAt)] });
      const quiet = decodeError(err);
      expect([quiet.code, quiet.kind, quiet.message]).to.deep.equal(expected);
    });

    it("decodes a settlement batch that skips trade ids", async function () {
      const f = await loadFixture(clearingFixture);
      const err = await f.exchange
        .settle({
          orders: [],
          fills: [{ tradeId: 2n, buy: 0, sell: 0, quantity: 1n, price: 1n, buyerIsMaker: false }],
          withdrawals: [],
          requests: [],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const domain = toDomainError(err);
      expect([domain.code, domain.message]).to.deep.equal([
        "TRADE_ID_GAP",
        "The settlement batch skips trade ids: 1 was expected, 2 came.",
      ]);
    });
  });

  describe("toDomainError on anything else", function () {
    it("keeps a DomainError as it is", function () {
      const e = new DomainError("ZERO_AMOUNT", "x", "validation");
      expect(toDomainError(e)).to.equal(e);
    });

    it("names an unknown revert by its selector only", function () {
      const domain = toDomainError({ data: "0xdeadbeef" + "00".repeat(64) });
      expect(domain.code).to.equal("CONTRACT_ERROR");
      expect(domain.message).to.include("0xdeadbeef");
      expect(domain.message).to.not.match(HEX_BLOB);
    });

    it("treats an unreachable node as retryable", function () {
      const domain = toDomainError(
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }),
      );
      expect([domain.code, domain.kind]).to.deep.equal(["NODE_UNREACHABLE", "retryable"]);
    });
  });
});
