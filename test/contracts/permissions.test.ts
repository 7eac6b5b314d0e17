import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, FunctionFragment, Interface } from "ethers";
import { CLEARING_PERMISSIONS, DELAYED_ROLES, PERMISSIONS, type ContractName } from "../../sdk/permissions";
import { Roles, type RoleName } from "../../sdk/roles";
import {
  DAY,
  DEFAULT_DELAY,
  ENFORCEMENT_DELAY,
  HOUR,
  ENTITY,
  Category,
  OTHER_VINTAGE,
  Sector,
  VINTAGE,
  ccerBatch,
  creditCode,
  fundedFixture,
  ref,
  scheduleAndExecute,
  type RegistryFixture,
} from "./fixtures";
import { WITHDRAWAL_DELAY, batch, clearingFixture, sell, type ClearingFixture } from "./exchange/fixtures";
import { CENTRE, Opinion, VERIFIER_B, hashOf, planHash, tianjinRules } from "./compliance/fixtures";
import { enableReserveSales } from "../../scripts/deploy";

type Restricted = Exclude<ContractName, "Authority">;
const RESTRICTED_CONTRACTS = Object.keys(PERMISSIONS) as Restricted[];

/**
 * External non-view functions that are deliberately NOT in the permission table, and why anyone may
 * call them. Each is proven callable by an account that holds no role at all.
 */
const PUBLIC_FUNCTIONS: Record<Restricted, Record<string, string>> = {
  ParticipantRegistry: {},
  TransferRules: {
    "addTrusted(address)": "a holder edits its own trusted list (must be active)",
    "removeTrusted(address)": "a holder edits its own trusted list",
  },
  AllowanceToken: {
    "cancelPending(uint256)": "only the sender of the pending transfer may cancel it",
    "executePending(uint256)": "anyone may execute a released pending transfer",
    "setUntrustedLimit(uint256)": "a holder sets its own per-transfer maximum",
    "safeTransferFrom(address,address,uint256,uint256,bytes)": "a holder (or its approved operator) transfers",
    "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)": "a holder (or its approved operator) transfers",
    "setApprovalForAll(address,bool)": "a holder approves its own operator",
  },
  OffsetToken: {
    "cancelPending(uint256)": "only the sender of the pending transfer may cancel it",
    "executePending(uint256)": "anyone may execute a released pending transfer",
    "setUntrustedLimit(uint256)": "a holder sets its own per-transfer maximum",
    "safeTransferFrom(address,address,uint256,uint256,bytes)": "a holder (or its approved operator) transfers",
    "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)": "a holder (or its approved operator) transfers",
    "setApprovalForAll(address,bool)": "a holder approves its own operator",
  },
  CashToken: {
    "cancelPending(uint256)": "only the sender of the pending transfer may cancel it",
    "executePending(uint256)": "anyone may execute a released pending transfer",
    "setUntrustedLimit(uint256)": "a holder sets its own per-transfer maximum",
    "transfer(address,uint256)": "a holder transfers its own fen",
    "transferFrom(address,address,uint256)": "a spender uses the holder's ERC-20 allowance",
    "approve(address,uint256)": "a holder sets its own ERC-20 allowance",
    "withdraw(uint256,bytes32)": "a holder withdraws its own fen (must be active)",
  },
  Allocation: {},
  EmissionsReporting: {
    "submitReport(uint16,uint256,bytes32,bytes32,string)":
      "a covered entity's active account submits its own entity's report (checked against the registry and the allocation)",
    "attest(uint64,uint16,uint256,bytes32,uint8)":
      "only an active account of the accredited verifier assigned to the report (checked against the registry)",
  },
  Compliance: {
    "surrender(uint16,uint256[],uint256[],uint256[],uint256[])":
      "a covered entity surrenders from its own wallet, against its own approved obligation",
    "cancelUnits(uint256[],uint256[],uint256[],uint256[],string,string)":
      "an active holder cancels its own units voluntarily, outside an emergency suspension",
  },
  ReserveSales: {
    "commitBid(uint256,bytes32,uint256)": "an active account bids with its own escrowed cash, in the bidding phase",
    "revealBid(uint256,uint256,uint256,uint256,bytes32)":
      "only the bidder (or an active wallet of its entity, after a key recovery) reveals its bid, in the reveal phase",
    "finalise(uint256)": "anyone may fix the clearing price once the reveal phase is over (no choice is left)",
    "settleBid(uint256,uint256)":
      "anyone may settle a bid of a finalised auction; units and refund go to the bidder (its entity's active wallet after a key recovery), an unrevealed bid's escrow to the treasury",
    "buy(uint256,uint256)": "an active account buys with its own cash, within the sale's window and limits",
    "closeFixedSale(uint256)": "anyone may close a sale whose window is over; the unsold units go back to the reserve",
  },
};

/** AccessManaged.setAuthority: not in the table, callable only by the AccessManager itself. */
const SET_AUTHORITY = "setAuthority(address)";

/** The AccessManager's own non-view functions: its admin functions, and the ones with their own checks. */
const AUTHORITY_ADMIN_FUNCTIONS = [
  "labelRole(uint64,string)",
  "setRoleAdmin(uint64,uint64)",
  "setRoleGuardian(uint64,uint64)",
  "setGrantDelay(uint64,uint32)",
  "setTargetFunctionRole(address,bytes4[],uint64)",
  "setTargetAdminDelay(address,uint32)",
  "setTargetClosed(address,bool)",
  "updateAuthority(address,address)",
  "grantRole(uint64,address,uint32)",
  "revokeRole(uint64,address)",
];
const AUTHORITY_SELF_CHECKED_FUNCTIONS: Record<string, string> = {
  "renounceRole(uint64,address)": "an account renounces its own role (confirmation = caller)",
  "schedule(address,bytes,uint48)": "only a holder of the target's role with a delay may schedule",
  "execute(address,bytes)": "only a holder of the target's role may execute",
  "cancel(address,address,bytes)": "only the scheduler, a guardian or the admin may cancel",
  "consumeScheduledOp(address,bytes)": "only a managed target consuming its own schedule",
  "multicall(bytes[])": "each inner call is checked on its own",
};

/** Every caller of the matrix with the roles it holds, immediately or with an execution delay. */
interface Caller {
  label: string;
  signer: HardhatEthersSigner;
  roles: RoleName[];
  delayed: RoleName[];
}

async function callersOf(f: RegistryFixture): Promise<Caller[]> {
  const { s } = f;
  return [
    {
      label: "REGULATOR",
      signer: s.regulator,
      roles: ["ADMIN", "REGULATOR", "REGISTRY_OPERATOR"],
      delayed: ["ENFORCEMENT", "RECOVERY"],
    },
    { label: "REGISTRY_OPERATOR", signer: s.operator, roles: ["REGISTRY_OPERATOR"], delayed: [] },
    { label: "CLEARING_BANK", signer: s.bank, roles: ["CLEARING_BANK"], delayed: [] },
    { label: "OFFSET_REGISTRAR", signer: s.offsetRegistrar, roles: ["OFFSET_REGISTRAR"], delayed: [] },
    { label: "EXCHANGE", signer: s.exchange, roles: ["EXCHANGE"], delayed: [] },
    { label: "VERIFIER", signer: s.verifier, roles: ["VERIFIER"], delayed: [] },
    { label: "ALLOWANCE_MINTER", signer: s.minter, roles: ["ALLOWANCE_MINTER"], delayed: [] },
    { label: "ALLOWANCE_BURNER", signer: s.burner, roles: ["ALLOWANCE_BURNER"], delayed: [] },
    { label: "OFFSET_BURNER", signer: s.offsetBurner, roles: ["OFFSET_BURNER"], delayed: [] },
    {
      label: "REGISTRY_CONTRACT (the registry)",
      signer: await ethers.getImpersonatedSigner(f.manifest.contracts.ParticipantRegistry),
      roles: ["REGISTRY_CONTRACT"],
      delayed: [],
    },
    {
      label: "the allocation contract (ALLOWANCE_MINTER, ALLOWANCE_BURNER)",
      signer: await ethers.getImpersonatedSigner(f.manifest.contracts.Allocation),
      roles: ["ALLOWANCE_MINTER", "ALLOWANCE_BURNER"],
      delayed: [],
    },
    {
      label: "COMPLIANCE_CONTRACT (the compliance contract, also ALLOWANCE_BURNER, OFFSET_BURNER)",
      signer: await ethers.getImpersonatedSigner(f.manifest.contracts.Compliance),
      roles: ["ALLOWANCE_BURNER", "OFFSET_BURNER", "COMPLIANCE_CONTRACT"],
      delayed: [],
    },
    {
      label: "RESERVE_SALES (the sales contract, also ALLOWANCE_MINTER)",
      signer: await ethers.getImpersonatedSigner(f.manifest.contracts.ReserveSales),
      roles: ["ALLOWANCE_MINTER", "RESERVE_SALES"],
      delayed: [],
    },
    { label: "AUDITOR (read-only supervision)", signer: await supervisor(), roles: ["AUDITOR"], delayed: [] },
    { label: "a registered account without roles", signer: s.alice, roles: [], delayed: [] },
    { label: "a stranger", signer: s.stranger, roles: [], delayed: [] },
  ];
}

/** Hardhat signer #19: holds AUDITOR, a read-only role granted to no function, so refused everything. */
async function supervisor(): Promise<HardhatEthersSigner> {
  const signer = (await ethers.getSigners())[19];
  if (!signer) throw new Error("Hardhat signer #19 is missing");
  return signer;
}

/** Grants AUDITOR the way an operator does: the admin's grantRole, with no delay (none is set for it). */
async function grantAuditor(f: RegistryFixture): Promise<void> {
  await f.c.authority.grantRole(Roles.AUDITOR, (await supervisor()).address, 0);
}
const CALLER_LABELS = [
  "REGULATOR",
  "REGISTRY_OPERATOR",
  "CLEARING_BANK",
  "OFFSET_REGISTRAR",
  "EXCHANGE",
  "VERIFIER",
  "ALLOWANCE_MINTER",
  "ALLOWANCE_BURNER",
  "OFFSET_BURNER",
  "REGISTRY_CONTRACT (the registry)",
  "the allocation contract (ALLOWANCE_MINTER, ALLOWANCE_BURNER)",
  "COMPLIANCE_CONTRACT (the compliance contract, also ALLOWANCE_BURNER, OFFSET_BURNER)",
  "RESERVE_SALES (the sales contract, also ALLOWANCE_MINTER)",
  "AUDITOR (read-only supervision)",
  "a registered account without roles",
  "a stranger",
];

/** The compliance year of the matrix (its cap, plan and issuance done, opened) and the next one (capped and planned, not issued). */
const YEAR = 2014;
const NEXT_YEAR = 2015;
/** A year nobody has touched. */
const FREE_YEAR = 2016;
/** A time far in the future (2096), for auction and sale windows. */
const FAR = 4_000_000_000n;
const SCHEDULE = { reportingOpens: 1n, reportDeadline: 2n, surrenderDeadline: 3n };
const MATRIX_BID = { price: 1_000n, quantity: 10n, salt: ethers.id("matrix-salt") };

interface MatrixFixture extends RegistryFixture {
  /** The account of verifier B, an accredited verification body; it holds no role. */
  auditor: HardhatEthersSigner;
}

/**
 * The funded registry plus what makes every restricted call valid: a pending transfer #1 (alice →
 * carol) on each token, released; dave frozen; alice trusting carol; alice's cash allowance to the stranger.
 * And for the compliance contracts: the management centre (the treasury) and verifier B registered;
 * the reserve-sales account open; YEAR capped, planned, issued (steel 200,000 t, power 300,000 t) and
 * opened with verifier B assigned to both companies; the steel company's report approved
 * (100,000 t), the power company's submitted; NEXT_YEAR capped and planned (not issued).
 * Reserve sales of YEAR: auction 1 in bidding, auction 2 in its reveal phase with alice's bid #1,
 * auction 3 past its reveal phase with alice's bid #1 revealed, auction 4 finalised with alice's bid #1
 * to settle; fixed sale 1 open, fixed sale 2 over; alice's cash approved to the sales contract.
 */
async function matrixFixture(): Promise<MatrixFixture> {
  const f = await fundedFixture();
  const { c, s } = f;
  await c.allowances.connect(s.alice).safeTransferFrom(s.alice.address, s.carol.address, VINTAGE, 10n, "0x");
  await c.offsets.connect(s.alice).safeTransferFrom(s.alice.address, s.carol.address, 1n, 10n, "0x");
  await c.cash.connect(s.alice).transfer(s.carol.address, 10n);
  await c.registry.connect(s.operator).freeze(s.dave.address);
  await c.rules.connect(s.alice).addTrusted(s.carol.address);
  await c.cash.connect(s.alice).approve(s.stranger.address, 10n);

  const auditor = (await ethers.getSigners())[18];
  if (!auditor) throw new Error("Hardhat signer #18 is missing");
  const registry = c.registry.connect(s.operator);
  await registry.registerEntity(
    CENTRE,
    Category.Institution,
    Sector.None,
    "Centre",
    creditCode("centre"),
    s.regulator.address,
  );
  await registry.registerEntity(
    VERIFIER_B,
    Category.Verifier,
    Sector.None,
    "Verifier B",
    creditCode("ver-b"),
    auditor.address,
  );
  await enableReserveSales(c, ENTITY.exchange);

  const plan = [
    [ENTITY.steelCo, 200_000n],
    [ENTITY.powerCo, 300_000n],
  ] as const;
  await c.allocation.setCap(YEAR, 1_000_000n, 600);
  await c.allocation.registerPlan(YEAR, hashOf("inputs"), planHash(plan), 2, 500_000n, "ipfs://plan");
  await c.allocation.issue(YEAR, [
    { entityId: ENTITY.steelCo, wallet: s.alice.address, amount: 200_000n },
    { entityId: ENTITY.powerCo, wallet: s.bob.address, amount: 300_000n },
  ]);
  const next = [
    [ENTITY.steelCo, 100n],
    [ENTITY.powerCo, 100n],
  ] as const;
  await c.allocation.setCap(NEXT_YEAR, 1_000_000n, 600);
  await c.allocation.registerPlan(NEXT_YEAR, hashOf("inputs-next"), planHash(next), 2, 200n, "ipfs://plan-next");

  const t0 = BigInt(await time.latest());
  await c.compliance.openYear(
    YEAR,
    { reportingOpens: t0, reportDeadline: t0 + 30n * BigInt(DAY), surrenderDeadline: t0 + 60n * BigInt(DAY) },
    tianjinRules(),
  );
  await c.reporting.setAccreditation(VERIFIER_B, true);
  await c.reporting.assignVerifier(ENTITY.steelCo, YEAR, VERIFIER_B);
  await c.reporting.assignVerifier(ENTITY.powerCo, YEAR, VERIFIER_B);
  await c.reporting.connect(s.alice).submitReport(YEAR, 100_000n, hashOf("report-s"), hashOf("doc-s"), "ipfs://s");
  await c.reporting.connect(auditor).attest(ENTITY.steelCo, YEAR, 100_000n, hashOf("statement-s"), Opinion.Positive);
  await c.reporting.approve(ENTITY.steelCo, YEAR);
  await c.reporting.connect(s.bob).submitReport(YEAR, 150_000n, hashOf("report-p"), hashOf("doc-p"), "ipfs://p");

  const sales = c.sales;
  await c.cash.connect(s.alice).approve(f.manifest.contracts.ReserveSales, 100_000n);
  const hour = BigInt(HOUR);
  await sales.createAuction(YEAR, 100n, 1_000n, t0 + 10n * BigInt(DAY), t0 + 11n * BigInt(DAY));
  await sales.createAuction(YEAR, 100n, 1_000n, t0 + hour, t0 + 10n * BigInt(DAY));
  await sales.createAuction(YEAR, 100n, 1_000n, t0 + hour, t0 + 2n * hour);
  await sales.createAuction(YEAR, 100n, 1_000n, t0 + hour, t0 + 2n * hour);
  const { price, quantity, salt } = MATRIX_BID;
  for (const auctionId of [2n, 3n, 4n]) {
    const commitment = await sales.commitmentOf(auctionId, s.alice.address, price, quantity, salt);
    await sales.connect(s.alice).commitBid(auctionId, commitment, price * quantity);
  }
  await sales.createFixedSale(YEAR, 100n, 1_000n, t0, t0 + 10n * BigInt(DAY), 0n);
  await sales.createFixedSale(YEAR, 100n, 1_000n, t0, t0 + hour, 0n);
  await time.increaseTo(t0 + hour);
  for (const auctionId of [3n, 4n]) await sales.connect(s.alice).revealBid(auctionId, 1n, price, quantity, salt);
  await time.increaseTo(t0 + 2n * hour);
  await sales.finalise(4n);

  await time.increase(DEFAULT_DELAY);
  await grantAuditor(f);
  return { ...f, auditor };
}

/** Verifier B attests the power company's report (150,000 t). */
const attestPower = (f: MatrixFixture) =>
  f.c.reporting.connect(f.auditor).attest(ENTITY.powerCo, YEAR, 150_000n, hashOf("statement-p"), Opinion.Positive);

const contractOf = (f: RegistryFixture, name: Restricted | "Authority"): BaseContract => {
  switch (name) {
    case "Authority":
      return f.c.authority;
    case "ParticipantRegistry":
      return f.c.registry;
    case "TransferRules":
      return f.c.rules;
    case "AllowanceToken":
      return f.c.allowances;
    case "OffsetToken":
      return f.c.offsets;
    case "CashToken":
      return f.c.cash;
    case "Allocation":
      return f.c.allocation;
    case "EmissionsReporting":
      return f.c.reporting;
    case "Compliance":
      return f.c.compliance;
    case "ReserveSales":
      return f.c.sales;
  }
};

/** Valid arguments of each restricted function in the matrix fixture, and any state it needs first. */
interface Call {
  args: (f: MatrixFixture) => unknown[];
  setup?: (f: MatrixFixture) => Promise<unknown>;
}
const tokenCalls = (id: bigint): Record<string, Call> => ({
  "blockPending(uint256,string)": { args: () => [1n, "CASE-MATRIX"] },
  "forceTransfer(address,address,uint256,uint256,string)": {
    args: (f) => [f.s.alice.address, f.s.bob.address, id, 1n, "CASE-MATRIX"],
  },
  "recoverHoldings(address,address)": { args: (f) => [f.s.bob.address, f.s.alice2.address] },
});
const RESTRICTED_CALLS: Record<Restricted, Record<string, Call>> = {
  ParticipantRegistry: {
    "registerEntity(uint64,uint8,uint8,string,bytes32,address)": {
      args: (f) => [201n, Category.CoveredEntity, Sector.Heat, "Heat Co.", creditCode("heat"), f.s.spare.address],
    },
    "openAccount(uint64,address)": { args: (f) => [ENTITY.steelCo, f.s.spare.address] },
    "freeze(address)": { args: (f) => [f.s.bob.address] },
    "unfreeze(address)": { args: (f) => [f.s.dave.address] },
    "close(address)": { args: (f) => [f.s.carol.address] },
    "recover(address,address)": { args: (f) => [f.s.bob.address, f.s.spare.address] },
    "addHoldingToken(address)": { args: () => [ethers.Wallet.createRandom().address] },
    "setClearingHouse(address,bool)": { args: (f) => [f.s.clearing.address, false] },
  },
  TransferRules: {
    "setPendingDelay(uint64)": { args: () => [3600n] },
    "setTrustDelay(uint64)": { args: () => [3600n] },
    "suspend(string)": { args: () => ["matrix"] },
    "resume()": { args: () => [], setup: (f) => f.c.rules.suspend("before resume") },
  },
  AllowanceToken: {
    ...tokenCalls(VINTAGE),
    "mint(address,uint256,uint256)": { args: (f) => [f.s.carol.address, OTHER_VINTAGE, 1n] },
    "burn(address,uint256,uint256)": { args: (f) => [f.s.alice.address, VINTAGE, 1n] },
  },
  OffsetToken: {
    ...tokenCalls(1n),
    "importBatch(address,(string,string,bool,string,uint64,uint64,uint64,uint64,string))": {
      args: (f) => [f.s.carol.address, ccerBatch({ originRef: "NDRC-MATRIX" })],
    },
    "burn(address,uint256,uint256)": { args: (f) => [f.s.alice.address, 1n, 1n] },
  },
  CashToken: {
    ...tokenCalls(0n),
    "deposit(address,uint256,bytes32)": { args: (f) => [f.s.carol.address, 1n, ref("bank-matrix")] },
  },
  Allocation: {
    "setCap(uint16,uint256,uint16)": { args: () => [FREE_YEAR, 1_000n, 600] },
    "registerPlan(uint16,bytes32,bytes32,uint32,uint256,string)": {
      args: () => [FREE_YEAR, hashOf("in"), hashOf("plan"), 1, 100n, "ipfs://matrix"],
      setup: (f) => f.c.allocation.setCap(FREE_YEAR, 1_000n, 600),
    },
    "issue(uint16,(uint64,address,uint256)[])": {
      args: (f) => [NEXT_YEAR, [{ entityId: ENTITY.steelCo, wallet: f.s.alice.address, amount: 100n }]],
    },
    "issueFromReserve(uint16,uint64,address,uint256,string)": {
      args: (f) => [YEAR, ENTITY.steelCo, f.s.alice.address, 1n, "matrix adjustment"],
    },
    "clawback(uint16,address,uint256,string)": { args: (f) => [YEAR, f.s.alice.address, 1n, "CASE-MATRIX"] },
    "drawReserve(uint16,uint256)": { args: () => [YEAR, 1n] },
    "returnReserve(uint16,uint256)": { args: () => [YEAR, 1n] },
    "carryShortfall(uint64,uint16,uint256)": { args: () => [ENTITY.steelCo, YEAR, 1n] },
  },
  EmissionsReporting: {
    "openYear(uint16,(uint64,uint64,uint64))": { args: () => [FREE_YEAR, SCHEDULE] },
    "closeYear(uint16)": { args: () => [YEAR] },
    "setAccreditation(uint64,bool)": { args: () => [VERIFIER_B, false] },
    "setMaxConsecutiveYears(uint16)": { args: () => [5] },
    "assignVerifier(uint64,uint16,uint64)": { args: () => [ENTITY.powerCo, YEAR, VERIFIER_B] },
    "approve(uint64,uint16)": { args: () => [ENTITY.powerCo, YEAR], setup: attestPower },
    "returnReport(uint64,uint16,string)": { args: () => [ENTITY.powerCo, YEAR, "incomplete monitoring plan"] },
    "setEstimate(uint64,uint16,uint256,string)": {
      args: () => [ENTITY.powerCo, YEAR, 200_000n, "no verified report by the deadline"],
      setup: async (f) => time.increaseTo((await f.c.reporting.yearOf(YEAR)).schedule.reportDeadline + 1n),
    },
  },
  Compliance: {
    "openYear(uint16,(uint64,uint64,uint64),(uint16,uint64,bool,bytes32[],bytes32[]))": {
      args: () => [FREE_YEAR, SCHEDULE, tianjinRules()],
    },
    "setOffsetRules(uint16,(uint16,uint64,bool,bytes32[],bytes32[]))": {
      args: () => [YEAR, tianjinRules({ capBps: 500 })],
    },
    "setPenalties(uint16,uint256)": { args: () => [3, 2_000_000n] },
    "closeYear(uint16,uint256)": {
      args: () => [YEAR, 10n],
      setup: async (f) => {
        await attestPower(f);
        await f.c.reporting.approve(ENTITY.powerCo, YEAR);
        await time.increaseTo((await f.c.reporting.yearOf(YEAR)).schedule.surrenderDeadline);
      },
    },
  },
  ReserveSales: {
    "createAuction(uint16,uint256,uint256,uint64,uint64)": { args: () => [YEAR, 10n, 1_000n, FAR, FAR + 1n] },
    "createFixedSale(uint16,uint256,uint256,uint64,uint64,uint256)": { args: () => [YEAR, 10n, 1_000n, 0n, FAR, 0n] },
    "setTreasury(address)": { args: (f) => [f.s.alice2.address] },
  },
};

/** Valid arguments and caller of each public function: someone who holds no role. */
const PUBLIC_CALLS: Record<
  string,
  { as: "alice" | "bob" | "stranger" | "auditor"; args: (f: MatrixFixture, token: Restricted) => unknown[] }
> = {
  "addTrusted(address)": { as: "alice", args: (f) => [f.s.bob.address] },
  "removeTrusted(address)": { as: "alice", args: (f) => [f.s.carol.address] },
  "cancelPending(uint256)": { as: "alice", args: () => [1n] },
  "executePending(uint256)": { as: "stranger", args: () => [1n] },
  "setUntrustedLimit(uint256)": { as: "alice", args: () => [100n] },
  "safeTransferFrom(address,address,uint256,uint256,bytes)": {
    as: "alice",
    args: (f, token) => [f.s.alice.address, f.s.alice2.address, token === "OffsetToken" ? 1n : VINTAGE, 1n, "0x"],
  },
  "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)": {
    as: "alice",
    args: (f, token) => [
      f.s.alice.address,
      f.s.alice2.address,
      token === "OffsetToken" ? [1n, 2n] : [VINTAGE, OTHER_VINTAGE],
      [1n, 1n],
      "0x",
    ],
  },
  "setApprovalForAll(address,bool)": { as: "alice", args: (f) => [f.s.exchange.address, true] },
  "transfer(address,uint256)": { as: "alice", args: (f) => [f.s.alice2.address, 1n] },
  "transferFrom(address,address,uint256)": { as: "stranger", args: (f) => [f.s.alice.address, f.s.alice2.address, 1n] },
  "approve(address,uint256)": { as: "alice", args: (f) => [f.s.exchange.address, 1n] },
  "withdraw(uint256,bytes32)": { as: "alice", args: () => [1n, ref("payout-matrix")] },
  "submitReport(uint16,uint256,bytes32,bytes32,string)": {
    as: "bob",
    args: () => [YEAR, 151_000n, hashOf("report-p2"), hashOf("doc-p2"), "ipfs://p2"],
  },
  "attest(uint64,uint16,uint256,bytes32,uint8)": {
    as: "auditor",
    args: () => [ENTITY.powerCo, YEAR, 150_000n, hashOf("statement-p"), Opinion.Positive],
  },
  "surrender(uint16,uint256[],uint256[],uint256[],uint256[])": {
    as: "alice",
    args: () => [YEAR, [VINTAGE, OTHER_VINTAGE], [1n, 1n], [1n], [1n]],
  },
  "cancelUnits(uint256[],uint256[],uint256[],uint256[],string,string)": {
    as: "alice",
    args: () => [[VINTAGE], [1n], [2n], [1n], "Bohai Marathon 2015", "carbon-neutral event"],
  },
  "commitBid(uint256,bytes32,uint256)": { as: "alice", args: () => [1n, ethers.id("matrix-commitment"), 1_000n] },
  "revealBid(uint256,uint256,uint256,uint256,bytes32)": {
    as: "alice",
    args: () => [2n, 1n, MATRIX_BID.price, MATRIX_BID.quantity, MATRIX_BID.salt],
  },
  "finalise(uint256)": { as: "stranger", args: () => [3n] },
  "settleBid(uint256,uint256)": { as: "stranger", args: () => [4n, 1n] },
  "buy(uint256,uint256)": { as: "alice", args: () => [1n, 1n] },
  "closeFixedSale(uint256)": { as: "stranger", args: () => [2n] },
};

const isView = (fn: FunctionFragment): boolean => fn.stateMutability === "view" || fn.stateMutability === "pure";
/** The contract's functions that change state (`mutating`) or only read it. */
const functionsOf = (contract: BaseContract, mutating: boolean): FunctionFragment[] =>
  contract.interface.fragments
    .filter((x): x is FunctionFragment => x.type === "function")
    .filter((fn) => isView(fn) !== mutating);
const signatureOf = (fn: FunctionFragment): string => fn.format("sighash");

describe("Permission matrix", function () {
  let f: MatrixFixture;
  let callers: Caller[];

  beforeEach(async function () {
    f = await loadFixture(matrixFixture);
    callers = await callersOf(f);
  });

  describe("the matrix's callers", function () {
    it("hold exactly the roles the matrix assumes, on chain", async function () {
      for (const caller of callers) {
        for (const [role, id] of Object.entries(Roles) as [RoleName, bigint][]) {
          const [isMember, executionDelay] = await f.c.authority.hasRole(id, caller.signer.address);
          const expected = caller.roles.includes(role) || caller.delayed.includes(role);
          expect(isMember, `${caller.label} holds ${role}`).to.equal(expected);
          expect(executionDelay > 0n, `${caller.label} holds ${role} with a delay`).to.equal(
            caller.delayed.includes(role),
          );
        }
      }
    });

    it("cover every role of the permission table", function () {
      const used = new Set(RESTRICTED_CONTRACTS.flatMap((n) => Object.values(PERMISSIONS[n]) as RoleName[]));
      const covered = new Set(callers.flatMap((c) => [...c.roles, ...c.delayed]));
      for (const role of used) expect(covered.has(role), role).to.equal(true);
    });

    it("give the delayed roles exactly the table's DELAYED_ROLES", function () {
      const delayed = new Set(callers.flatMap((c) => c.delayed));
      expect([...delayed].sort()).to.deep.equal([...DELAYED_ROLES].sort());
    });
  });

  describe("the AccessManager's configuration", function () {
    for (const name of RESTRICTED_CONTRACTS) {
      it(`gives every function of ${name} the role of the table (ADMIN for unrestricted ones)`, async function () {
        const contract = contractOf(f, name);
        const table = PERMISSIONS[name] as Record<string, RoleName>;
        const target = await contract.getAddress();
        expect(await f.c.authority.isTargetClosed(target)).to.equal(false);
        for (const fn of [...functionsOf(contract, true), ...functionsOf(contract, false)]) {
          const role = table[signatureOf(fn)];
          expect(await f.c.authority.getTargetFunctionRole(target, fn.selector), signatureOf(fn)).to.equal(
            role === undefined ? Roles.ADMIN : Roles[role],
          );
        }
      });

      it(`lists in the table only functions ${name} has, none of them views`, function () {
        const mutating = new Set(functionsOf(contractOf(f, name), true).map(signatureOf));
        for (const signature of Object.keys(PERMISSIONS[name]))
          expect(mutating.has(signature), signature).to.equal(true);
      });

      it(`leaves out of the table only the functions of ${name} meant to be public`, function () {
        const table = PERMISSIONS[name] as Record<string, RoleName>;
        const unlisted = functionsOf(contractOf(f, name), true)
          .map(signatureOf)
          .filter((sig) => table[sig] === undefined);
        expect(unlisted.sort()).to.deep.equal([...Object.keys(PUBLIC_FUNCTIONS[name]), SET_AUTHORITY].sort());
      });
    }

    it("leaves the AccessManager's own functions to its admin logic", function () {
      const own = functionsOf(f.c.authority, true).map(signatureOf);
      expect(own.sort()).to.deep.equal(
        [...AUTHORITY_ADMIN_FUNCTIONS, ...Object.keys(AUTHORITY_SELF_CHECKED_FUNCTIONS)].sort(),
      );
    });
  });

  for (const name of RESTRICTED_CONTRACTS) {
    describe(name, function () {
      for (const [signature, role] of Object.entries(PERMISSIONS[name]) as [string, RoleName][]) {
        const call = RESTRICTED_CALLS[name][signature];
        if (!call) throw new Error(`no matrix call for ${name}.${signature}`);
        const delayed = (DELAYED_ROLES as readonly RoleName[]).includes(role);

        describe(`${signature} (${role}${delayed ? ", delayed" : ""})`, function () {
          beforeEach(async function () {
            if (call.setup) await call.setup(f);
          });
          const invoke = (who: Caller) =>
            contractOf(f, name)
              .connect(who.signer)
              .getFunction(signature)
              .staticCall(...call.args(f));

          for (const label of CALLER_LABELS) {
            it(`from ${label}`, async function () {
              const who = callers.find((c) => c.label === label);
              if (!who) throw new Error(label);
              if (who.roles.includes(role)) {
                await expect(invoke(who)).to.not.be.reverted;
              } else if (who.delayed.includes(role)) {
                await expect(invoke(who)).to.be.revertedWithCustomError(f.c.authority, "AccessManagerNotScheduled");
              } else {
                await expect(invoke(who))
                  .to.be.revertedWithCustomError(contractOf(f, name), "AccessManagedUnauthorized")
                  .withArgs(who.signer.address);
              }
            });
          }

          if (delayed) {
            it("runs when the regulator schedules it and executes it after the delay", async function () {
              const contract = contractOf(f, name);
              const data = contract.interface.encodeFunctionData(signature, call.args(f));
              await expect(scheduleAndExecute(f, contract, data)).to.not.be.reverted;
            });
          }
        });
      }

      describe("functions outside the table", function () {
        for (const [signature, why] of Object.entries(PUBLIC_FUNCTIONS[name])) {
          it(`${signature} is public: ${why}`, async function () {
            const spec = PUBLIC_CALLS[signature];
            if (!spec) throw new Error(`no public call for ${signature}`);
            const signer = spec.as === "auditor" ? f.auditor : f.s[spec.as];
            await expect(
              contractOf(f, name)
                .connect(signer)
                .getFunction(signature)
                .staticCall(...spec.args(f, name)),
            ).to.not.be.reverted;
          });
        }

        it(`${SET_AUTHORITY} answers only the AccessManager itself`, async function () {
          const contract = contractOf(f, name);
          for (const who of [f.s.regulator, f.s.stranger]) {
            await expect(contract.connect(who).getFunction(SET_AUTHORITY).staticCall(who.address))
              .to.be.revertedWithCustomError(contract, "AccessManagedUnauthorized")
              .withArgs(who.address);
          }
          await expect(
            f.c.authority.connect(f.s.stranger).updateAuthority(await contract.getAddress(), f.s.stranger.address),
          )
            .to.be.revertedWithCustomError(f.c.authority, "AccessManagerUnauthorizedAccount")
            .withArgs(f.s.stranger.address, Roles.ADMIN);
        });
      });
    });
  }

  describe("Authority", function () {
    it("refuses its admin functions to everyone but the ADMIN (the regulator)", async function () {
      const target = f.manifest.contracts.AllowanceToken;
      const adminCalls: [string, unknown[]][] = [
        ["labelRole(uint64,string)", [Roles.REGULATOR, "X"]],
        ["setRoleAdmin(uint64,uint64)", [Roles.REGULATOR, Roles.REGULATOR]],
        ["setRoleGuardian(uint64,uint64)", [Roles.ENFORCEMENT, Roles.REGISTRY_OPERATOR]],
        ["setGrantDelay(uint64,uint32)", [Roles.ENFORCEMENT, 0n]],
        ["setTargetFunctionRole(address,bytes4[],uint64)", [target, ["0x12345678"], Roles.EXCHANGE]],
        ["setTargetAdminDelay(address,uint32)", [target, 0n]],
        ["setTargetClosed(address,bool)", [target, true]],
        ["updateAuthority(address,address)", [target, f.manifest.contracts.Authority]],
        ["grantRole(uint64,address,uint32)", [Roles.ALLOWANCE_MINTER, f.s.stranger.address, 0n]],
        ["revokeRole(uint64,address)", [Roles.ALLOWANCE_MINTER, f.s.minter.address]],
      ];
      expect(adminCalls.map(([sig]) => sig).sort()).to.deep.equal([...AUTHORITY_ADMIN_FUNCTIONS].sort());
      for (const caller of callers.filter((c) => !c.roles.includes("ADMIN"))) {
        for (const [signature, args] of adminCalls) {
          await expect(
            f.c.authority
              .connect(caller.signer)
              .getFunction(signature)
              .staticCall(...args),
            `${caller.label} ${signature}`,
          )
            .to.be.revertedWithCustomError(f.c.authority, "AccessManagerUnauthorizedAccount")
            .withArgs(caller.signer.address, Roles.ADMIN);
        }
      }
      // Changes of a registry contract's function roles or authority take the target admin delay:
      // the admin schedules them, and they run once the delay has passed.
      // (Lowering the admin delay itself is immediate to call but takes effect only after the
      // difference.)
      const delayed = new Set([
        "setTargetFunctionRole(address,bytes4[],uint64)",
        "setTargetClosed(address,bool)",
        "updateAuthority(address,address)",
      ]);
      const manager = await f.c.authority.getAddress();
      for (const [signature, args] of adminCalls) {
        const call = f.c.authority.connect(f.s.regulator).getFunction(signature);
        if (!delayed.has(signature)) {
          await expect(call.staticCall(...args), signature).to.not.be.reverted;
          continue;
        }
        await expect(call.staticCall(...args), signature).to.be.revertedWithCustomError(
          f.c.authority,
          "AccessManagerNotScheduled",
        );
        const data = (f.c.authority.interface as unknown as Interface).encodeFunctionData(signature, args);
        const snapshot = await takeSnapshot();
        await f.c.authority.connect(f.s.regulator).schedule(manager, data, 0);
        await time.increase(ENFORCEMENT_DELAY + 1);
        await expect(f.c.authority.connect(f.s.regulator).execute(manager, data), signature).to.not.be.reverted;
        await snapshot.restore();
      }
    });

    it("lets only holders of a delayed role schedule, and only the scheduler execute", async function () {
      const target = f.manifest.contracts.ParticipantRegistry;
      const data = f.c.registry.interface.encodeFunctionData("recover", [f.s.bob.address, f.s.spare.address]);
      for (const caller of callers.filter((c) => !c.delayed.includes("RECOVERY"))) {
        await expect(f.c.authority.connect(caller.signer).schedule(target, data, 0))
          .to.be.revertedWithCustomError(f.c.authority, "AccessManagerUnauthorizedCall")
          .withArgs(caller.signer.address, target, data.slice(0, 10));
      }
      await f.c.authority.schedule(target, data, 0);
      await time.increase(24 * 3600);
      await expect(f.c.authority.connect(f.s.operator).execute(target, data))
        .to.be.revertedWithCustomError(f.c.authority, "AccessManagerUnauthorizedCall")
        .withArgs(f.s.operator.address, target, data.slice(0, 10));
      await expect(f.c.authority.execute(target, data)).to.not.be.reverted;
    });
  });
});

/**
 * Public functions of the Clearing contract (not in CLEARING_PERMISSIONS), why anyone may call them,
 * and a valid call by an account without roles (the Clearing matrix fixture's alice, or the token).
 */
const CLEARING_PUBLIC: Record<string, { why: string; call: (f: ClearingFixture) => Promise<unknown> }> = {
  "depositCash(uint256)": {
    why: "a trader deposits its own fen (must be active)",
    call: (f) => f.clearing.connect(f.s.alice).depositCash.staticCall(1n),
  },
  "requestWithdrawal(address,uint256,uint256)": {
    why: "a trader asks for its own balance back (the escape hatch)",
    call: (f) => f.clearing.connect(f.s.alice).requestWithdrawal.staticCall(f.manifest.contracts.CashToken, 0n, 1n),
  },
  "executeWithdrawalRequest(uint256)": {
    why: "only the requester, once the delay has passed",
    call: (f) => f.clearing.connect(f.s.alice).executeWithdrawalRequest.staticCall(1n),
  },
  "cancelOrder((address,address,uint256,bool,uint256,uint256,uint8,uint256,uint64))": {
    why: "a trader cancels its own order",
    call: (f) => f.clearing.connect(f.s.alice).cancelOrder.staticCall(sell(f, f.s.alice)),
  },
  "cancelNoncesBelow(uint256)": {
    why: "a trader cancels its own orders",
    call: (f) => f.clearing.connect(f.s.alice).cancelNoncesBelow.staticCall(1n),
  },
  "onERC1155Received(address,address,uint256,uint256,bytes)": {
    why: "the deposit hook: only the two unit tokens, for a holder's own transfer",
    call: async (f) =>
      f.clearing
        .connect(await ethers.getImpersonatedSigner(f.manifest.contracts.AllowanceToken))
        .onERC1155Received.staticCall(f.s.alice.address, f.s.alice.address, VINTAGE, 1n, "0x")
        .then((accepted) => expect(accepted).to.equal("0xf23a6e61")),
  },
  "onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)": {
    why: "the batch deposit hook, under the same conditions",
    call: async (f) =>
      f.clearing
        .connect(await ethers.getImpersonatedSigner(f.manifest.contracts.OffsetToken))
        .onERC1155BatchReceived.staticCall(f.s.alice.address, f.s.alice.address, [1n], [1n], "0x")
        .then((accepted) => expect(accepted).to.equal("0xbc197c81")),
  },
};

/** Valid arguments of each function of CLEARING_PERMISSIONS in the Clearing matrix fixture. */
const CLEARING_RESTRICTED_CALLS: Record<string, (f: ClearingFixture) => unknown[]> = {
  "settle((((address,address,uint256,bool,uint256,uint256,uint8,uint256,uint64),bytes)[],(uint64,uint32,uint32,uint128,uint128,bool)[],((address,address,uint256,uint256,uint256,uint64),bytes)[],uint256[]))":
    () => [batch({ requests: [1n] })],
  "setFees(uint16,uint16,address)": (f) => [5n, 5n, f.s.exchange.address],
  "setWithdrawalDelay(uint64)": () => [3600n],
};

/** The Clearing deployed beside the funded registry, alice with an open request past its delay and a cash approval. */
async function clearingMatrixFixture(): Promise<ClearingFixture> {
  const f = await clearingFixture();
  await f.clearing.connect(f.s.alice).requestWithdrawal(f.manifest.contracts.CashToken, 0n, 10n);
  await f.c.cash.connect(f.s.alice).approve(f.address, 10n);
  await time.increase(WITHDRAWAL_DELAY);
  await grantAuditor(f);
  return f;
}

describe("Permission matrix: the Clearing contract (CLEARING_PERMISSIONS)", function () {
  let f: ClearingFixture;
  let callers: Caller[];

  beforeEach(async function () {
    f = await loadFixture(clearingMatrixFixture);
    callers = await callersOf(f);
  });

  it("is deployed without a grant beyond the roles the matrix's callers hold", async function () {
    for (const caller of callers) {
      for (const [role, id] of Object.entries(Roles) as [RoleName, bigint][]) {
        const [isMember] = await f.c.authority.hasRole(id, caller.signer.address);
        expect(isMember, `${caller.label} holds ${role}`).to.equal(
          caller.roles.includes(role) || caller.delayed.includes(role),
        );
      }
    }
    const covered = new Set(callers.flatMap((c) => c.roles));
    for (const role of Object.values(CLEARING_PERMISSIONS) as RoleName[])
      expect(covered.has(role), role).to.equal(true);
  });

  it("gives every function the role of the table (ADMIN for unrestricted ones)", async function () {
    const table = CLEARING_PERMISSIONS as Record<string, RoleName>;
    expect(await f.c.authority.isTargetClosed(f.address)).to.equal(false);
    for (const fn of [...functionsOf(f.clearing, true), ...functionsOf(f.clearing, false)]) {
      const role = table[signatureOf(fn)];
      expect(await f.c.authority.getTargetFunctionRole(f.address, fn.selector), signatureOf(fn)).to.equal(
        role === undefined ? Roles.ADMIN : Roles[role],
      );
    }
  });

  it("lists in the table only functions the Clearing has, none of them views", function () {
    const mutating = new Set(functionsOf(f.clearing, true).map(signatureOf));
    for (const signature of Object.keys(CLEARING_PERMISSIONS))
      expect(mutating.has(signature), signature).to.equal(true);
  });

  it("leaves out of the table only the functions meant to be public", function () {
    const table = CLEARING_PERMISSIONS as Record<string, RoleName>;
    const unlisted = functionsOf(f.clearing, true)
      .map(signatureOf)
      .filter((sig) => table[sig] === undefined);
    expect(unlisted.sort()).to.deep.equal([...Object.keys(CLEARING_PUBLIC), SET_AUTHORITY].sort());
  });

  for (const [signature, role] of Object.entries(CLEARING_PERMISSIONS) as [string, RoleName][]) {
    const args = CLEARING_RESTRICTED_CALLS[signature];
    if (!args) throw new Error(`no matrix call for Clearing.${signature}`);
    describe(`${signature.split("(")[0]} (${role})`, function () {
      for (const label of CALLER_LABELS) {
        it(`from ${label}`, async function () {
          const who = callers.find((c) => c.label === label);
          if (!who) throw new Error(label);
          const invoke = f.clearing
            .connect(who.signer)
            .getFunction(signature)
            .staticCall(...args(f));
          if (who.roles.includes(role)) {
            await expect(invoke).to.not.be.reverted;
          } else {
            await expect(invoke)
              .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
              .withArgs(who.signer.address);
          }
        });
      }
    });
  }

  describe("functions outside the table", function () {
    for (const [signature, { why, call }] of Object.entries(CLEARING_PUBLIC)) {
      it(`${signature.split("(")[0]} is public: ${why}`, async function () {
        await expect(call(f)).to.not.be.reverted;
      });
    }

    it(`${SET_AUTHORITY} answers only the AccessManager itself`, async function () {
      for (const who of [f.s.regulator, f.s.exchange, f.s.stranger]) {
        await expect(f.clearing.connect(who).setAuthority.staticCall(who.address))
          .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });
});
