import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import { GuardedToken__factory, type GuardedToken } from "../../../typechain-types";
import { ISSUED, OTHER_VINTAGE, VINTAGE, ccerBatch, fundedFixture, ref, type RegistryFixture } from "../fixtures";

/**
 * What the shared behaviour suites need to know about one token: how to issue, burn and transfer
 * it, and which ids exist. Every token keeps alice funded with `holding` units of `id`.
 */
export interface TokenSubject {
  name: "AllowanceToken" | "OffsetToken" | "CashToken";
  /** The loadFixture-able fixture with units issued. */
  fixture: () => Promise<RegistryFixture>;
  /** The concrete contract (for event and error matchers). */
  contract(f: RegistryFixture): BaseContract;
  /** The same contract seen through the shared transfer-safety interface. */
  token(f: RegistryFixture): GuardedToken;
  /** A token id alice holds. */
  id: bigint;
  /** alice's holding of `id` in the fixture. */
  holding: bigint;
  /** The token's raw balance of `id` (or of another id). */
  balanceOf(f: RegistryFixture, account: string, id?: bigint): Promise<bigint>;
  /** The token's total supply of `id`. */
  totalSupply(f: RegistryFixture): Promise<bigint>;
  /** A holder's own transfer of `id`; the token picks the route (immediate or pending). */
  transfer(
    f: RegistryFixture,
    from: HardhatEthersSigner,
    to: string,
    amount: bigint,
  ): Promise<ContractTransactionResponse>;
  /** Issues new units through the token's issuing role; returns the id credited. */
  issue(
    f: RegistryFixture,
    to: string,
    amount: bigint,
  ): Promise<{ tx: Promise<ContractTransactionResponse>; id: bigint }>;
  /** Takes units of `id` out of circulation through the token's burning path. */
  burn(f: RegistryFixture, from: HardhatEthersSigner, amount: bigint): Promise<ContractTransactionResponse>;
  /** Asserts that `tx` emitted the token's own transfer event for a move of `id`. */
  expectTransferEvent(
    f: RegistryFixture,
    tx: Promise<ContractTransactionResponse> | ContractTransactionResponse,
    operator: string,
    from: string,
    to: string,
    amount: bigint,
  ): Promise<void>;
}

/** ERC-1155 subjects also have a second id held by alice, for batch transfers. */
export interface ERC1155Subject extends TokenSubject {
  name: "AllowanceToken" | "OffsetToken";
  otherId: bigint;
  otherHolding: bigint;
  /** The contract as an ERC-1155 (the concrete typechain handle). */
  erc1155(f: RegistryFixture): RegistryFixture["c"]["allowances"] | RegistryFixture["c"]["offsets"];
}

let nextRef = 0;

export const allowanceSubject: ERC1155Subject = {
  name: "AllowanceToken",
  fixture: fundedFixture,
  contract: (f) => f.c.allowances,
  token: (f) => GuardedToken__factory.connect(f.manifest.contracts.AllowanceToken, f.s.regulator),
  erc1155: (f) => f.c.allowances,
  id: VINTAGE,
  holding: ISSUED.allowances,
  otherId: OTHER_VINTAGE,
  otherHolding: ISSUED.allowances,
  balanceOf: (f, account, id = VINTAGE) => f.c.allowances.balanceOf(account, id),
  totalSupply: (f) => f.c.allowances["totalSupply(uint256)"](VINTAGE),
  transfer: (f, from, to, amount) =>
    f.c.allowances.connect(from).safeTransferFrom(from.address, to, VINTAGE, amount, "0x"),
  issue: async (f, to, amount) => ({ tx: f.c.allowances.connect(f.s.minter).mint(to, VINTAGE, amount), id: VINTAGE }),
  burn: (f, from, amount) => f.c.allowances.connect(f.s.burner).burn(from.address, VINTAGE, amount),
  expectTransferEvent: async (f, tx, operator, from, to, amount) => {
    await expect(tx).to.emit(f.c.allowances, "TransferSingle").withArgs(operator, from, to, VINTAGE, amount);
  },
};

export const offsetSubject: ERC1155Subject = {
  name: "OffsetToken",
  fixture: fundedFixture,
  contract: (f) => f.c.offsets,
  token: (f) => GuardedToken__factory.connect(f.manifest.contracts.OffsetToken, f.s.regulator),
  erc1155: (f) => f.c.offsets,
  id: 1n,
  holding: ISSUED.offsets,
  otherId: 2n,
  otherHolding: ISSUED.offsets2,
  balanceOf: (f, account, id = 1n) => f.c.offsets.balanceOf(account, id),
  totalSupply: (f) => f.c.offsets["totalSupply(uint256)"](1n),
  transfer: (f, from, to, amount) => f.c.offsets.connect(from).safeTransferFrom(from.address, to, 1n, amount, "0x"),
  issue: async (f, to, amount) => {
    const id = (await f.c.offsets.batchCount()) + 1n;
    const n = ++nextRef;
    const first = 90_000_000n + 1_000n * BigInt(n);
    const tx = f.c.offsets
      .connect(f.s.offsetRegistrar)
      .importBatch(to, ccerBatch({ serialFirst: first, serialLast: first + amount - 1n, originRef: `NDRC-TEST-${n}` }));
    return { tx, id };
  },
  burn: (f, from, amount) => f.c.offsets.connect(f.s.offsetBurner).burn(from.address, 1n, amount),
  expectTransferEvent: async (f, tx, operator, from, to, amount) => {
    await expect(tx).to.emit(f.c.offsets, "TransferSingle").withArgs(operator, from, to, 1n, amount);
  },
};

export const cashSubject: TokenSubject = {
  name: "CashToken",
  fixture: fundedFixture,
  contract: (f) => f.c.cash,
  token: (f) => GuardedToken__factory.connect(f.manifest.contracts.CashToken, f.s.regulator),
  id: 0n,
  holding: ISSUED.cash,
  balanceOf: (f, account) => f.c.cash.balanceOf(account),
  totalSupply: (f) => f.c.cash.totalSupply(),
  transfer: (f, from, to, amount) => f.c.cash.connect(from).transfer(to, amount),
  issue: async (f, to, amount) => ({
    tx: f.c.cash.connect(f.s.bank).deposit(to, amount, ref(`deposit-${++nextRef}`)),
    id: 0n,
  }),
  burn: (f, from, amount) => f.c.cash.connect(from).withdraw(amount, ref(`payout-${++nextRef}`)),
  expectTransferEvent: async (f, tx, _operator, from, to, amount) => {
    await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(from, to, amount);
  },
};

/** Balances, locks and pending transfers of `id` for the watched accounts, to prove a rejected call changed nothing. */
export async function ledgerOf(subject: TokenSubject, f: RegistryFixture, accounts: readonly string[]) {
  const token = subject.token(f);
  const rows = await Promise.all(
    accounts.map(async (a) => ({
      account: a,
      balance: await subject.balanceOf(f, a),
      locked: await token.lockedBalanceOf(a, subject.id),
      pending: (await token.pendingTransfersOf(a)).map((x) => x.toString()),
    })),
  );
  return { supply: await subject.totalSupply(f), pendingCount: await token.pendingTransferCount(), rows };
}
