import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ContractFactory, type BaseContract, type Signer, type TypedDataDomain } from "ethers";
import { deployClearing } from "../../../scripts/deploy-clearing";
import {
  clearingDomain,
  signOrder,
  signWithdrawal,
  type Order,
  type SignedOrder,
  type Withdrawal,
} from "../../../sdk/orders";
import type { Clearing, IClearing } from "../../../typechain-types/contracts/exchange/Clearing";
import { ENTITY, OTHER_VINTAGE, VINTAGE, fundedFixture, ref, type RegistryFixture } from "../fixtures";
import { compileExchangeMock } from "./mocks/compile";

/** The fee schedule the fixture deploys with (basis points); fees go to the EXCHANGE signer's trading account. */
export const FEES = { maker: 10n, taker: 20n } as const;
/** The CCER batch traded in these suites. */
export const CCER = 1n;
/** ¥50.00 per tonne, in fen. */
export const PRICE = 5_000n;
/** The escape-hatch delay the contract starts with (24 h). */
export const WITHDRAWAL_DELAY = 24 * 3600;
/** The largest escape-hatch delay (30 days). */
export const MAX_WITHDRAWAL_DELAY = 30 * 24 * 3600;

/** What each trader of the fixture deposits into its trading account. */
export const DEPOSITS = {
  alice: { TJEA14: 400n, TJEA13: 100n, CCER1: 100n, cash: 100_000n },
  bob: { TJEA14: 300n, TJEA13: 0n, CCER1: 0n, cash: 300_000n },
  carol: { TJEA14: 0n, TJEA13: 0n, CCER1: 0n, cash: 200_000n },
} as const;

/** `IClearing.RejectReason`, as the contract numbers it. */
export const Reason = {
  None: 0,
  BadSignature: 1,
  Expired: 2,
  Cancelled: 3,
  Overfilled: 4,
  PriceOutsideLimit: 5,
  ProductMismatch: 6,
  SameSide: 7,
  InsufficientCash: 8,
  InsufficientUnits: 9,
  AccountNotActive: 10,
  UnknownToken: 11,
  BadOrderIndex: 12,
  ZeroQuantity: 13,
} as const;
export type ReasonName = keyof typeof Reason;

export interface ClearingFixture extends RegistryFixture {
  /** The Clearing contract, connected to the regulator. */
  clearing: Clearing;
  /** The same, connected to the EXCHANGE signer (the operator that settles). */
  exchange: Clearing;
  address: string;
  chainId: bigint;
  /** The EIP-712 domain orders and withdrawals are signed for. */
  domain: TypedDataDomain;
}

/** A product of a trading account: a token contract and a token id. */
export interface Asset {
  label: string;
  token: string;
  id: bigint;
}

/** Deploys the registry with units and cash issued, then the Clearing through `scripts/deploy-clearing.ts`. */
export async function clearingBareFixture(): Promise<ClearingFixture> {
  const f = await fundedFixture();
  const { s } = f;
  const { manifest, clearing } = await deployClearing({
    regulator: s.regulator,
    manifest: f.manifest,
    contracts: f.c,
    exchangeEntity: { entityId: ENTITY.exchange, name: "Tianjin Climate Exchange", creditCode: "USCC:tcx" },
    exchangeOperator: s.exchange.address,
    makerFeeBps: Number(FEES.maker),
    takerFeeBps: Number(FEES.taker),
  });
  const address = await clearing.getAddress();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    ...f,
    manifest,
    clearing,
    exchange: clearing.connect(s.exchange),
    address,
    chainId,
    domain: clearingDomain(chainId, address),
  };
}

/** Units and cash into a trading account, the ways a trader deposits: an ERC-1155 transfer, approve + depositCash. */
export async function deposit(
  f: ClearingFixture,
  trader: HardhatEthersSigner,
  amounts: { TJEA14?: bigint; TJEA13?: bigint; CCER1?: bigint; cash?: bigint },
): Promise<void> {
  const { c } = f;
  const units = [
    { token: c.allowances, id: VINTAGE, amount: amounts.TJEA14 },
    { token: c.allowances, id: OTHER_VINTAGE, amount: amounts.TJEA13 },
    { token: c.offsets, id: CCER, amount: amounts.CCER1 },
  ];
  for (const { token, id, amount } of units) {
    if (amount) await token.connect(trader).safeTransferFrom(trader.address, f.address, id, amount, "0x");
  }
  if (amounts.cash) {
    await c.cash.connect(trader).approve(f.address, amounts.cash);
    await f.clearing.connect(trader).depositCash(amounts.cash);
  }
}

/**
 * The Clearing with trading accounts: alice holds allowances of two vintages, CCER and cash; bob
 * allowances and cash; carol (an institution) cash only. Dave has nothing at the exchange.
 */
export async function clearingFixture(): Promise<ClearingFixture> {
  const f = await clearingBareFixture();
  const { c, s } = f;
  await c.cash.connect(s.bank).deposit(s.carol.address, DEPOSITS.carol.cash, ref("bank-0003"));
  await deposit(f, s.alice, DEPOSITS.alice);
  await deposit(f, s.bob, DEPOSITS.bob);
  await deposit(f, s.carol, DEPOSITS.carol);
  return f;
}

export interface WalletFixture extends ClearingFixture {
  /** An ERC-1271 contract wallet with an account of the institution, 50 t and ¥1,000.00 at the exchange. */
  wallet: BaseContract;
  walletAddress: string;
  /** Its owner, whose ECDSA signatures the wallet accepts as its own. */
  owner: HardhatEthersSigner;
}

export const WALLET_DEPOSITS = { TJEA14: 50n, cash: 100_000n } as const;

/** {@link clearingFixture} plus an ERC-1271 contract wallet that trades at the exchange. */
export async function walletFixture(): Promise<WalletFixture> {
  const f = await clearingFixture();
  const { c, s } = f;
  const owner = s.spare;
  const { abi, bytecode } = compileExchangeMock("ContractWallet");
  const wallet = await (
    await new ContractFactory(abi, bytecode, s.regulator).deploy(owner.address)
  ).waitForDeployment();
  const walletAddress = await wallet.getAddress();
  await c.registry.connect(s.operator).openAccount(ENTITY.institution, walletAddress);
  await c.allowances.connect(s.minter).mint(walletAddress, VINTAGE, WALLET_DEPOSITS.TJEA14);
  await c.cash.connect(s.bank).deposit(walletAddress, WALLET_DEPOSITS.cash, ref("bank-wallet"));
  const exec = (target: string, data: string) => wallet.connect(owner).getFunction("exec")(target, data);
  await exec(
    f.manifest.contracts.AllowanceToken,
    c.allowances.interface.encodeFunctionData("safeTransferFrom", [
      walletAddress,
      f.address,
      VINTAGE,
      WALLET_DEPOSITS.TJEA14,
      "0x",
    ]),
  );
  await exec(
    f.manifest.contracts.CashToken,
    c.cash.interface.encodeFunctionData("approve", [f.address, WALLET_DEPOSITS.cash]),
  );
  await exec(f.address, f.clearing.interface.encodeFunctionData("depositCash", [WALLET_DEPOSITS.cash]));
  return { ...f, wallet, walletAddress, owner };
}

// ───────────────────────────────────────── orders ─────────────────────────────────────────

/** A GTC order of `trader` for 10 t of the 2014 vintage at ¥50.00, nonce 1, no expiry; override any field. */
export function order(f: ClearingFixture, trader: { address: string } | string, overrides: Partial<Order> = {}): Order {
  return {
    trader: typeof trader === "string" ? trader : trader.address,
    token: f.manifest.contracts.AllowanceToken,
    tokenId: VINTAGE,
    isBuy: false,
    price: PRICE,
    quantity: 10n,
    timeInForce: 0,
    nonce: 1n,
    expiry: 0n,
    ...overrides,
  };
}

export const buy = (f: ClearingFixture, trader: { address: string } | string, o: Partial<Order> = {}): Order =>
  order(f, trader, { isBuy: true, ...o });
export const sell = (f: ClearingFixture, trader: { address: string } | string, o: Partial<Order> = {}): Order =>
  order(f, trader, { isBuy: false, ...o });

/** The order signed by `signer` (its trader, or anyone else for a forgery) for `domain` (the fixture's by default). */
export function sign(
  f: ClearingFixture,
  signer: Signer,
  o: Order,
  domain: TypedDataDomain = f.domain,
): Promise<SignedOrder> {
  return signOrder(signer, domain, o);
}

/** One matched trade of a batch: the buy and sell orders by index, quantity and price. */
export function fill(
  tradeId: bigint | number,
  buyIndex: number,
  sellIndex: number,
  quantity: bigint,
  price: bigint = PRICE,
  buyerIsMaker = false,
): IClearing.FillStruct {
  return { tradeId: BigInt(tradeId), buy: buyIndex, sell: sellIndex, quantity, price, buyerIsMaker };
}

/** A settlement batch; empty lists for what is left out. */
export function batch(parts: Partial<IClearing.BatchStruct>): IClearing.BatchStruct {
  return { orders: [], fills: [], withdrawals: [], requests: [], ...parts };
}

/** Fee of `notional` fen at `bps` basis points, rounded down as the contract does. */
export const fee = (notional: bigint, bps: bigint): bigint => (notional * bps) / 10_000n;

// ─────────────────────────────────────── withdrawals ──────────────────────────────────────

/** A withdrawal of 10 t of the 2014 vintage, nonce 1, no expiry; override any field. */
export function withdrawal(
  f: ClearingFixture,
  trader: { address: string } | string,
  o: Partial<Withdrawal> = {},
): Withdrawal {
  return {
    trader: typeof trader === "string" ? trader : trader.address,
    token: f.manifest.contracts.AllowanceToken,
    tokenId: VINTAGE,
    amount: 10n,
    nonce: 1n,
    expiry: 0n,
    ...o,
  };
}

export async function signedWithdrawal(
  f: ClearingFixture,
  signer: Signer,
  w: Withdrawal,
  domain: TypedDataDomain = f.domain,
): Promise<IClearing.SignedWithdrawalStruct> {
  return { withdrawal: w, signature: await signWithdrawal(signer, domain, w) };
}

// ───────────────────────────────────────── ledger ─────────────────────────────────────────

export function assetsOf(f: ClearingFixture): Asset[] {
  const c = f.manifest.contracts;
  return [
    { label: "TJEA14", token: c.AllowanceToken, id: VINTAGE },
    { label: "TJEA13", token: c.AllowanceToken, id: OTHER_VINTAGE },
    { label: "CCER1", token: c.OffsetToken, id: CCER },
    { label: "cash", token: c.CashToken, id: 0n },
  ];
}

/** The accounts every ledger reads: the fixture's traders and the fee recipient. */
export function accountsOf(f: ClearingFixture): Record<string, string> {
  const { s } = f;
  return {
    alice: s.alice.address,
    bob: s.bob.address,
    carol: s.carol.address,
    dave: s.dave.address,
    fees: s.exchange.address,
  };
}

export interface Watch {
  /** Orders whose fill state is read. */
  orders?: Order[];
  /** Accounts beyond {@link accountsOf}, by label. */
  accounts?: Record<string, string>;
}

/**
 * Everything a settlement, deposit or withdrawal can change, flat so that a deep equality shows what
 * moved: trading balances and registry-wallet balances of every account in every asset, the units
 * and cash the Clearing really holds, pending transfers on each token, the last trade id, each
 * account's minimum nonce, and the fill state of the watched orders.
 */
export async function ledger(f: ClearingFixture, watch: Watch = {}): Promise<Record<string, bigint | string>> {
  const { c, clearing } = f;
  const accounts = { ...accountsOf(f), ...watch.accounts };
  const out: Record<string, bigint | string> = { lastTradeId: await clearing.lastTradeId() };
  const walletBalance = (a: Asset, holder: string): Promise<bigint> =>
    a.token === f.manifest.contracts.CashToken
      ? c.cash.balanceOf(holder)
      : a.token === f.manifest.contracts.AllowanceToken
        ? c.allowances.balanceOf(holder, a.id)
        : c.offsets.balanceOf(holder, a.id);
  for (const a of assetsOf(f)) {
    out[`held ${a.label}`] = await walletBalance(a, f.address);
    for (const [label, address] of Object.entries(accounts)) {
      out[`trading ${label} ${a.label}`] = await clearing.balanceOf(address, a.token, a.id);
      out[`wallet ${label} ${a.label}`] = await walletBalance(a, address);
    }
  }
  out["pending TJEA"] = await c.allowances.pendingTransferCount();
  out["pending CCER"] = await c.offsets.pendingTransferCount();
  out["pending cash"] = await c.cash.pendingTransferCount();
  for (const [label, address] of Object.entries(accounts))
    out[`minNonce ${label}`] = await clearing.minNonceOf(address);
  const labelOf = (address: string) => Object.entries(accounts).find(([, a]) => a === address)?.[0] ?? address;
  for (const o of watch.orders ?? []) {
    const [filled, finished] = await clearing.orderState(o.trader, o.nonce);
    out[`order ${labelOf(o.trader)}#${o.nonce}`] = `${filled}${finished ? " finished" : ""}`;
  }
  return out;
}
