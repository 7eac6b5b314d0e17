import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, Signer } from "ethers";
import { deployClearing } from "../../../scripts/deploy-clearing";
import { connectContracts } from "../../../sdk/contracts";
import {
  clearingDomain,
  hashOrder,
  ORDER_TYPES,
  type Order,
  type SignedOrder,
  type Withdrawal,
} from "../../../sdk/orders";
import { Clearing__factory } from "../../../typechain-types";
import type { IClearing } from "../../../typechain-types/contracts/exchange/Clearing";
import { AccountStatus, ENTITY, OTHER_VINTAGE, VINTAGE, pinNextBlockTime, ref } from "../fixtures";
import {
  CCER,
  DEPOSITS,
  FEES,
  MAX_WITHDRAWAL_DELAY,
  PRICE,
  Reason,
  WALLET_DEPOSITS,
  WITHDRAWAL_DELAY,
  batch,
  buy,
  clearingFixture,
  deposit,
  fee,
  fill,
  ledger,
  sell,
  sign,
  signedWithdrawal,
  walletFixture,
  withdrawal,
  type ClearingFixture,
  type ReasonName,
  type Watch,
} from "./fixtures";

/** The trade ids a settlement settled and rejected (with the reason), from its receipt. */
async function outcomes(
  f: ClearingFixture,
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<{ settled: bigint[]; rejected: [bigint, number][]; withdrawn: number }> {
  const receipt = await (await tx).wait();
  const out = { settled: [] as bigint[], rejected: [] as [bigint, number][], withdrawn: 0 };
  for (const log of receipt?.logs ?? []) {
    if (log.address !== f.address) continue;
    const parsed = f.clearing.interface.parseLog(log);
    if (parsed?.name === "TradeSettled") out.settled.push(parsed.args[0] as bigint);
    if (parsed?.name === "TradeRejected") out.rejected.push([parsed.args[0] as bigint, Number(parsed.args[1])]);
    if (parsed?.name === "Withdrawn") out.withdrawn++;
  }
  return out;
}

async function nextTradeId(f: ClearingFixture): Promise<bigint> {
  return (await f.clearing.lastTradeId()) + 1n;
}

/** `before` with the given entries changed by `delta` (balances) or replaced (anything else). */
function changed(
  before: Record<string, bigint | string>,
  deltas: Record<string, bigint>,
  set: Record<string, bigint | string> = {},
): Record<string, bigint | string> {
  const out = { ...before };
  for (const [key, d] of Object.entries(deltas)) {
    const v = out[key];
    if (typeof v !== "bigint") throw new Error(`no balance ${key} in the ledger`);
    out[key] = v + d;
  }
  for (const [key, v] of Object.entries(set)) {
    if (!(key in out)) throw new Error(`no entry ${key} in the ledger`);
    out[key] = v;
  }
  return out;
}

const settledArgs = (
  f: ClearingFixture,
  tradeId: bigint,
  b: Order,
  s: Order,
  quantity: bigint,
  price: bigint,
  buyerIsMaker: boolean,
) => {
  const notional = quantity * price;
  return [
    tradeId,
    b.trader,
    s.trader,
    b.token,
    b.tokenId,
    quantity,
    price,
    hashOrder(f.domain, b),
    hashOrder(f.domain, s),
    fee(notional, buyerIsMaker ? FEES.maker : FEES.taker),
    fee(notional, buyerIsMaker ? FEES.taker : FEES.maker),
  ] as const;
};

/** A fill of a rejection case, by index in the case's own orders. */
interface FillSpec {
  buy: number;
  sell: number;
  quantity: bigint;
  price?: bigint;
  buyerIsMaker?: boolean;
}

interface Rejection {
  title: string;
  reason: ReasonName;
  /** The case's signed orders and its fill. */
  build(f: ClearingFixture): Promise<{ orders: SignedOrder[]; fill: FillSpec }>;
  /** State the case needs before the batch (a cancellation, a freeze…). */
  setup?(f: ClearingFixture, orders: SignedOrder[]): Promise<unknown>;
}

/** A pair that would settle: bob buys 10 t from alice at ¥50.00 (nonce 1 each). */
async function pair(
  f: ClearingFixture,
  b: Partial<Order> = {},
  s: Partial<Order> = {},
  signers: { buyer?: Signer; seller?: Signer } = {},
): Promise<SignedOrder[]> {
  const bo = buy(f, f.s.bob, b);
  const so = sell(f, f.s.alice, s);
  return [await sign(f, signers.buyer ?? f.s.bob, bo), await sign(f, signers.seller ?? f.s.alice, so)];
}
const fillOf = (quantity = 10n, price = PRICE): FillSpec => ({ buy: 0, sell: 1, quantity, price });

const REJECTIONS: Rejection[] = [
  {
    title: "a forged sell order (alice's order signed by bob)",
    reason: "BadSignature",
    build: async (f) => ({ orders: await pair(f, {}, {}, { seller: f.s.bob }), fill: fillOf() }),
  },
  {
    title: "a forged buy order (bob's order signed by the exchange operator)",
    reason: "BadSignature",
    build: async (f) => ({ orders: await pair(f, {}, {}, { buyer: f.s.exchange }), fill: fillOf() }),
  },
  {
    title: "an expired order",
    reason: "Expired",
    build: async (f) => ({
      orders: await pair(f, {}, { expiry: BigInt(await time.latest()) - 1n }),
      fill: fillOf(),
    }),
  },
  {
    title: "an order its trader cancelled on chain (cancelOrder)",
    reason: "Cancelled",
    build: async (f) => ({ orders: await pair(f, {}, { nonce: 7n }), fill: fillOf() }),
    setup: (f, orders) => f.clearing.connect(f.s.alice).cancelOrder(orders[1]!.order),
  },
  {
    title: "an order below its trader's minimum nonce (cancelNoncesBelow)",
    reason: "Cancelled",
    build: async (f) => ({ orders: await pair(f, { nonce: 4n }), fill: fillOf() }),
    setup: (f) => f.clearing.connect(f.s.bob).cancelNoncesBelow(5n),
  },
  {
    title: "a fill beyond an order's signed quantity (over-filled)",
    reason: "Overfilled",
    build: async (f) => ({ orders: await pair(f, { quantity: 20n }, { quantity: 10n }), fill: fillOf(11n) }),
  },
  {
    title: "an order of more than 2^32 − 1 t",
    reason: "Overfilled",
    build: async (f) => ({ orders: await pair(f, {}, { quantity: 2n ** 32n }), fill: fillOf(1n) }),
  },
  {
    title: "a cross-chain replay (orders signed for chain id 1)",
    reason: "BadSignature",
    build: async (f) => {
      const foreign = clearingDomain(1n, f.address);
      const b = buy(f, f.s.bob);
      const s = sell(f, f.s.alice);
      return {
        orders: [await sign(f, f.s.bob, b, foreign), await sign(f, f.s.alice, s, foreign)],
        fill: fillOf(),
      };
    },
  },
  {
    title: "a cross-contract replay (orders signed for another Clearing)",
    reason: "BadSignature",
    build: async (f) => {
      const c = f.manifest.contracts;
      const other = await new Clearing__factory(f.s.regulator).deploy(
        c.Authority,
        c.ParticipantRegistry,
        c.AllowanceToken,
        c.OffsetToken,
        c.CashToken,
      );
      const foreign = clearingDomain(f.chainId, await other.getAddress());
      const b = buy(f, f.s.bob);
      const s = sell(f, f.s.alice);
      return {
        orders: [await sign(f, f.s.bob, b, foreign), await sign(f, f.s.alice, s, foreign)],
        fill: fillOf(),
      };
    },
  },
  {
    title: "a price above the buyer's limit",
    reason: "PriceOutsideLimit",
    build: async (f) => ({ orders: await pair(f, { price: 5_000n }, { price: 4_000n }), fill: fillOf(10n, 5_001n) }),
  },
  {
    title: "a price below the seller's limit",
    reason: "PriceOutsideLimit",
    build: async (f) => ({ orders: await pair(f, { price: 5_000n }, { price: 4_000n }), fill: fillOf(10n, 3_999n) }),
  },
  {
    title: "two buy orders",
    reason: "SameSide",
    build: async (f) => ({ orders: await pair(f, {}, { isBuy: true }), fill: fillOf() }),
  },
  {
    title: "two sell orders",
    reason: "SameSide",
    build: async (f) => ({ orders: await pair(f, { isBuy: false }), fill: fillOf() }),
  },
  {
    title: "the buy and sell indices swapped",
    reason: "SameSide",
    build: async (f) => ({ orders: await pair(f), fill: { buy: 1, sell: 0, quantity: 10n } }),
  },
  {
    title: "one order for the 2013 vintage, the other for 2014",
    reason: "ProductMismatch",
    build: async (f) => ({ orders: await pair(f, {}, { tokenId: OTHER_VINTAGE }), fill: fillOf() }),
  },
  {
    title: "one order for allowances, the other for CCER",
    reason: "ProductMismatch",
    build: async (f) => ({
      orders: await pair(f, {}, { token: f.manifest.contracts.OffsetToken, tokenId: VINTAGE }),
      fill: fillOf(),
    }),
  },
  {
    title: "orders for cash, which is not a product",
    reason: "UnknownToken",
    build: async (f) => {
      const cash = { token: f.manifest.contracts.CashToken, tokenId: 0n };
      return { orders: await pair(f, cash, cash), fill: fillOf() };
    },
  },
  {
    title: "orders for a token the exchange does not know",
    reason: "UnknownToken",
    build: async (f) => {
      const other = { token: f.manifest.contracts.ParticipantRegistry };
      return { orders: await pair(f, other, other), fill: fillOf() };
    },
  },
  {
    title: "a buyer without the cash (dave has no trading account)",
    reason: "InsufficientCash",
    build: async (f) => {
      const b = buy(f, f.s.dave);
      return { orders: [await sign(f, f.s.dave, b), await sign(f, f.s.alice, sell(f, f.s.alice))], fill: fillOf() };
    },
  },
  {
    title: "a seller without the units (carol holds only cash)",
    reason: "InsufficientUnits",
    build: async (f) => {
      const s = sell(f, f.s.carol);
      return { orders: [await sign(f, f.s.bob, buy(f, f.s.bob)), await sign(f, f.s.carol, s)], fill: fillOf() };
    },
  },
  {
    title: "a seller the registry froze",
    reason: "AccountNotActive",
    build: async (f) => ({ orders: await pair(f), fill: fillOf() }),
    setup: (f) => f.c.registry.connect(f.s.operator).freeze(f.s.alice.address),
  },
  {
    title: "a buyer the registry froze (checked before its cash)",
    reason: "AccountNotActive",
    build: async (f) => ({
      orders: [await sign(f, f.s.dave, buy(f, f.s.dave)), await sign(f, f.s.alice, sell(f, f.s.alice))],
      fill: fillOf(),
    }),
    setup: (f) => f.c.registry.connect(f.s.operator).freeze(f.s.dave.address),
  },
  {
    title: "a buyer with no registry account (its own valid signature)",
    reason: "AccountNotActive",
    build: async (f) => ({
      orders: [await sign(f, f.s.stranger, buy(f, f.s.stranger)), await sign(f, f.s.alice, sell(f, f.s.alice))],
      fill: fillOf(),
    }),
  },
  {
    title: "a buy index outside the batch's orders",
    reason: "BadOrderIndex",
    build: async (f) => ({ orders: await pair(f), fill: { buy: 99, sell: 1, quantity: 10n } }),
  },
  {
    title: "a sell index outside the batch's orders",
    reason: "BadOrderIndex",
    build: async (f) => ({ orders: await pair(f), fill: { buy: 0, sell: 99, quantity: 10n } }),
  },
  {
    title: "a zero quantity",
    reason: "ZeroQuantity",
    build: async (f) => ({ orders: await pair(f), fill: fillOf(0n) }),
  },
];

describe("Clearing", function () {
  let f: ClearingFixture;

  beforeEach(async function () {
    f = await loadFixture(clearingFixture);
  });

  describe("when deployed by scripts/deploy-clearing.ts", function () {
    it("signs in the EIP-712 domain of ARCHITECTURE.md and hashes orders as the SDK does", async function () {
      const domain = await f.clearing.eip712Domain();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
        "ETS Clearing",
        "1",
        f.chainId,
        f.address,
      ]);
      const o = sell(f, f.s.alice, { nonce: 42n, expiry: 1_700_000_000n, timeInForce: 2 });
      expect(await f.clearing.hashOrder(o)).to.equal(hashOrder(f.domain, o));
    });

    it("starts with the deployment's fees, a 24 h escape hatch and no trade", async function () {
      expect(await f.clearing.fees()).to.deep.equal([FEES.maker, FEES.taker, f.s.exchange.address]);
      expect(await f.clearing.withdrawalDelay()).to.equal(BigInt(WITHDRAWAL_DELAY));
      expect(await f.clearing.lastTradeId()).to.equal(0n);
    });

    it("has an active account of the exchange entity and is a designated clearing house", async function () {
      const account = await f.c.registry.accountOf(f.address);
      expect([account.entityId, account.status]).to.deep.equal([ENTITY.exchange, BigInt(AccountStatus.Active)]);
      expect(await f.c.registry.isClearingHouse(f.address)).to.equal(true);
    });

    it("is reachable through the SDK's connectContracts once the manifest names it", async function () {
      const handles = connectContracts(f.manifest, f.s.alice);
      expect(await handles.clearing?.getAddress()).to.equal(f.address);
      expect(await handles.clearing?.lastTradeId()).to.equal(0n);
      const { Clearing: _clearing, ...registryOnly } = f.manifest.contracts;
      expect(connectContracts({ ...f.manifest, contracts: registryOnly }, f.s.alice).clearing).to.equal(undefined);
    });

    it("declares itself an ERC-1155 receiver (ERC-165)", async function () {
      expect(await f.clearing.supportsInterface("0x4e2312e0")).to.equal(true);
      expect(await f.clearing.supportsInterface("0x01ffc9a7")).to.equal(true);
      expect(await f.clearing.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("when a trader deposits", function () {
    it("has credited the fixture's deposits and holds exactly them", async function () {
      const l = await ledger(f);
      for (const [name, amounts] of Object.entries(DEPOSITS)) {
        for (const [asset, amount] of Object.entries(amounts)) expect(l[`trading ${name} ${asset}`]).to.equal(amount);
      }
      for (const asset of ["TJEA14", "TJEA13", "CCER1", "cash"] as const) {
        const sum = DEPOSITS.alice[asset] + DEPOSITS.bob[asset] + DEPOSITS.carol[asset];
        expect(l[`held ${asset}`], asset).to.equal(sum);
      }
    });

    describe("when it sends allowances or CCER with an ERC-1155 transfer", function () {
      it("credits its trading account at once (no pending transfer)", async function () {
        const before = await ledger(f);
        const tx = f.c.allowances.connect(f.s.alice).safeTransferFrom(f.s.alice.address, f.address, VINTAGE, 25n, "0x");
        await expect(tx)
          .to.emit(f.clearing, "Deposited")
          .withArgs(f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE, 25n);
        await expect(tx)
          .to.emit(f.c.allowances, "TransferSingle")
          .withArgs(f.s.alice.address, f.s.alice.address, f.address, VINTAGE, 25n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, { "trading alice TJEA14": 25n, "held TJEA14": 25n, "wallet alice TJEA14": -25n }),
        );
      });

      it("credits every id of a batch transfer", async function () {
        const before = await ledger(f);
        const tx = f.c.allowances
          .connect(f.s.alice)
          .safeBatchTransferFrom(f.s.alice.address, f.address, [VINTAGE, OTHER_VINTAGE], [5n, 6n], "0x");
        await expect(tx)
          .to.emit(f.clearing, "Deposited")
          .withArgs(f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE, 5n);
        await expect(tx)
          .to.emit(f.clearing, "Deposited")
          .withArgs(f.s.alice.address, f.manifest.contracts.AllowanceToken, OTHER_VINTAGE, 6n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, {
            "trading alice TJEA14": 5n,
            "held TJEA14": 5n,
            "wallet alice TJEA14": -5n,
            "trading alice TJEA13": 6n,
            "held TJEA13": 6n,
            "wallet alice TJEA13": -6n,
          }),
        );
      });

      it("credits CCER by batch id", async function () {
        const before = await ledger(f);
        await expect(f.c.offsets.connect(f.s.alice).safeTransferFrom(f.s.alice.address, f.address, CCER, 7n, "0x"))
          .to.emit(f.clearing, "Deposited")
          .withArgs(f.s.alice.address, f.manifest.contracts.OffsetToken, CCER, 7n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, { "trading alice CCER1": 7n, "held CCER1": 7n, "wallet alice CCER1": -7n }),
        );
      });
    });

    describe("when it deposits cash with approve + depositCash", function () {
      it("credits its trading account and takes the fen at once", async function () {
        const before = await ledger(f);
        await f.c.cash.connect(f.s.alice).approve(f.address, 1_234n);
        const tx = f.clearing.connect(f.s.alice).depositCash(1_234n);
        await expect(tx)
          .to.emit(f.clearing, "Deposited")
          .withArgs(f.s.alice.address, f.manifest.contracts.CashToken, 0n, 1_234n);
        await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(f.s.alice.address, f.address, 1_234n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, { "trading alice cash": 1_234n, "held cash": 1_234n, "wallet alice cash": -1_234n }),
        );
      });

      it("refuses a deposit without an ERC-20 allowance, and changes nothing", async function () {
        const before = await ledger(f);
        await expect(f.clearing.connect(f.s.alice).depositCash(1n))
          .to.be.revertedWithCustomError(f.c.cash, "ERC20InsufficientAllowance")
          .withArgs(f.address, 0n, 1n);
        expect(await ledger(f)).to.deep.equal(before);
      });

      it("takes an account up to 2^128 - 1 fen and refuses a deposit beyond, changing nothing", async function () {
        const max = 2n ** 128n - 1n;
        const room = max - DEPOSITS.alice.cash;
        await f.c.cash.connect(f.s.bank).deposit(f.s.alice.address, room + 1n, ref("bank-large"));
        await f.c.cash.connect(f.s.alice).approve(f.address, room + 1n);
        const before = await ledger(f);
        await expect(f.clearing.connect(f.s.alice).depositCash(room + 1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingParameterOutOfRange")
          .withArgs(max + 1n, max);
        expect(await ledger(f)).to.deep.equal(before);
        await f.clearing.connect(f.s.alice).depositCash(room);
        expect(await f.clearing.balanceOf(f.s.alice.address, f.manifest.contracts.CashToken, 0n)).to.equal(max);
      });
    });

    describe("when the depositor has no registry account", function () {
      it("refuses its cash", async function () {
        const before = await ledger(f);
        await expect(f.clearing.connect(f.s.stranger).depositCash(1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingAccountNotActive")
          .withArgs(f.s.stranger.address);
        expect(await ledger(f)).to.deep.equal(before);
      });
    });

    describe("when the depositor is frozen", function () {
      it("refuses its cash", async function () {
        await f.c.cash.connect(f.s.bank).deposit(f.s.dave.address, 1_000n, ref("bank-dave"));
        await f.c.cash.connect(f.s.dave).approve(f.address, 1_000n);
        await f.c.registry.connect(f.s.operator).freeze(f.s.dave.address);
        const before = await ledger(f);
        await expect(f.clearing.connect(f.s.dave).depositCash(1_000n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingAccountNotActive")
          .withArgs(f.s.dave.address);
        expect(await ledger(f)).to.deep.equal(before);
      });

      it("cannot send units either (the token refuses first)", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
        const before = await ledger(f);
        await expect(
          f.c.allowances.connect(f.s.alice).safeTransferFrom(f.s.alice.address, f.address, VINTAGE, 1n, "0x"),
        )
          .to.be.revertedWithCustomError(f.c.allowances, "TokenAccountNotActive")
          .withArgs(f.s.alice.address, AccountStatus.Frozen);
        expect(await ledger(f)).to.deep.equal(before);
      });
    });

    describe("when units come from a token that is not traded", function () {
      it("refuses them (single and batch)", async function () {
        const caller = f.clearing.connect(f.s.stranger);
        await expect(caller.onERC1155Received(f.s.stranger.address, f.s.stranger.address, VINTAGE, 1n, "0x"))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnsupportedToken")
          .withArgs(f.s.stranger.address);
        await expect(caller.onERC1155BatchReceived(f.s.alice.address, f.s.alice.address, [VINTAGE], [1n], "0x"))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnsupportedToken")
          .withArgs(f.s.stranger.address);
      });
    });

    describe("when an operator other than the holder sends the holder's units", function () {
      it("refuses them, single and batch, and changes nothing", async function () {
        await f.c.allowances.connect(f.s.alice).setApprovalForAll(f.s.carol.address, true);
        const before = await ledger(f);
        const asCarol = f.c.allowances.connect(f.s.carol);
        await expect(asCarol.safeTransferFrom(f.s.alice.address, f.address, VINTAGE, 5n, "0x"))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnexpectedTransfer")
          .withArgs(f.s.carol.address, f.s.alice.address);
        await expect(asCarol.safeBatchTransferFrom(f.s.alice.address, f.address, [VINTAGE], [5n], "0x"))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnexpectedTransfer")
          .withArgs(f.s.carol.address, f.s.alice.address);
        expect(await ledger(f)).to.deep.equal(before);
      });

      it("refuses units minted straight to the Clearing", async function () {
        await expect(f.c.allowances.connect(f.s.minter).mint(f.address, VINTAGE, 5n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnexpectedTransfer")
          .withArgs(f.s.minter.address, ethers.ZeroAddress);
      });
    });

    describe("when the amount is zero", function () {
      it("refuses zero cash and zero units", async function () {
        const before = await ledger(f);
        await expect(f.clearing.connect(f.s.alice).depositCash(0n)).to.be.revertedWithCustomError(
          f.clearing,
          "ClearingZeroAmount",
        );
        await expect(
          f.c.allowances.connect(f.s.alice).safeTransferFrom(f.s.alice.address, f.address, VINTAGE, 0n, "0x"),
        ).to.be.revertedWithCustomError(f.c.allowances, "TokenZeroAmount");
        expect(await ledger(f)).to.deep.equal(before);
      });
    });

    describe("when the Clearing is no longer a designated clearing house", function () {
      beforeEach(async function () {
        await f.c.registry.connect(f.s.regulator).setClearingHouse(f.address, false);
      });

      it("refuses a cash deposit that would only arrive as a pending transfer, and changes nothing", async function () {
        await f.c.cash.connect(f.s.alice).approve(f.address, 1_000n);
        const before = await ledger(f);
        await expect(f.clearing.connect(f.s.alice).depositCash(1_000n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingDepositNotReceived")
          .withArgs(f.s.alice.address, 1_000n, 0n);
        expect(await ledger(f)).to.deep.equal(before);
      });

      it("credits no units that are only held pending", async function () {
        const before = await ledger(f);
        await expect(
          f.c.allowances.connect(f.s.alice).safeTransferFrom(f.s.alice.address, f.address, VINTAGE, 5n, "0x"),
        ).to.not.emit(f.clearing, "Deposited");
        expect(await ledger(f)).to.deep.equal(changed(before, { "pending TJEA": 1n }));
      });
    });
  });

  describe("when the exchange settles a batch", function () {
    describe("when a fill is valid", function () {
      it("moves units, cash and fees exactly (buyer maker: maker fee on the buyer, rounded down)", async function () {
        const b = buy(f, f.s.bob, { price: 5_100n });
        const s = sell(f, f.s.alice, { price: 4_900n });
        const orders = [await sign(f, f.s.bob, b), await sign(f, f.s.alice, s)];
        const before = await ledger(f, { orders: [b, s] });
        // 7 t × 50.37 = 352.59 yuan; maker 10 bps = 35.259 fen → 35; taker 20 bps = 70.518 fen → 70.
        const tx = f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 7n, 5_037n, true)] }));
        await expect(tx)
          .to.emit(f.clearing, "TradeSettled")
          .withArgs(...settledArgs(f, 1n, b, s, 7n, 5_037n, true));
        expect(fee(35_259n, FEES.maker)).to.equal(35n);
        expect(fee(35_259n, FEES.taker)).to.equal(70n);
        expect(await ledger(f, { orders: [b, s] })).to.deep.equal(
          changed(
            before,
            {
              "trading bob cash": -(35_259n + 35n),
              "trading bob TJEA14": 7n,
              "trading alice cash": 35_259n - 70n,
              "trading alice TJEA14": -7n,
              "trading fees cash": 105n,
            },
            { lastTradeId: 1n, "order bob#1": "7", "order alice#1": "7" },
          ),
        );
      });

      it("charges the taker fee to the buyer when the seller made the market", async function () {
        const orders = await pair(f);
        const before = await ledger(f);
        // 3 t × 50.00 = 15,000 fen; taker 20 bps = 30; maker 10 bps = 15.
        await expect(f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 3n, PRICE, false)] })))
          .to.emit(f.clearing, "TradeSettled")
          .withArgs(...settledArgs(f, 1n, orders[0]!.order, orders[1]!.order, 3n, PRICE, false));
        expect(await ledger(f)).to.deep.equal(
          changed(
            before,
            {
              "trading bob cash": -15_030n,
              "trading bob TJEA14": 3n,
              "trading alice cash": 14_985n,
              "trading alice TJEA14": -3n,
              "trading fees cash": 45n,
            },
            { lastTradeId: 1n },
          ),
        );
      });

      it("charges no fee on a trade too small for one fen", async function () {
        const orders = await pair(f, { price: 1n }, { price: 1n });
        const before = await ledger(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n, 1n)] }));
        expect(await ledger(f)).to.deep.equal(
          changed(
            before,
            {
              "trading bob cash": -10n,
              "trading bob TJEA14": 10n,
              "trading alice cash": 10n,
              "trading alice TJEA14": -10n,
            },
            { lastTradeId: 1n },
          ),
        );
      });

      it("settles CCER by batch id", async function () {
        const product = { token: f.manifest.contracts.OffsetToken, tokenId: CCER };
        const orders = await pair(f, product, product);
        const before = await ledger(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 4n)] }));
        expect(await ledger(f)).to.deep.equal(
          changed(
            before,
            {
              "trading bob cash": -(20_000n + 40n),
              "trading bob CCER1": 4n,
              "trading alice cash": 20_000n - 20n,
              "trading alice CCER1": -4n,
              "trading fees cash": 60n,
            },
            { lastTradeId: 1n },
          ),
        );
      });

      it("accepts a price equal to either limit and an order that expires in this very block", async function () {
        const now = await pinNextBlockTime();
        const orders = await pair(f, { price: 5_000n, expiry: now }, { price: 4_000n, expiry: now });
        const r = await outcomes(
          f,
          f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 2n, 5_000n), fill(2, 0, 1, 2n, 4_000n)] })),
        );
        expect(r).to.deep.equal({ settled: [1n, 2n], rejected: [], withdrawn: 0 });
      });

      it("needs the buyer's cash to cover its fee too", async function () {
        // Dave deposits exactly the notional of 10 t at ¥50.00 (50,000 fen); as taker he owes 100 fen more.
        await f.c.cash.connect(f.s.bank).deposit(f.s.dave.address, 60_000n, ref("bank-dave"));
        await deposit(f, f.s.dave, { cash: 50_000n });
        const b = buy(f, f.s.dave);
        const orders = [await sign(f, f.s.dave, b), await sign(f, f.s.alice, sell(f, f.s.alice))];
        await expect(f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] })))
          .to.emit(f.clearing, "TradeRejected")
          .withArgs(1n, Reason.InsufficientCash);
        await deposit(f, f.s.dave, { cash: 100n });
        await expect(f.exchange.settle(batch({ orders, fills: [fill(2, 0, 1, 10n)] })))
          .to.emit(f.clearing, "TradeSettled")
          .withArgs(...settledArgs(f, 2n, b, orders[1]!.order, 10n, PRICE, false));
        expect(await f.clearing.balanceOf(f.s.dave.address, f.manifest.contracts.CashToken, 0n)).to.equal(0n);
      });

      it("lets a trader trade with itself across two of its own orders (units and cash stay, fees go)", async function () {
        const b = buy(f, f.s.alice, { nonce: 1n });
        const s = sell(f, f.s.alice, { nonce: 2n });
        const orders = [await sign(f, f.s.alice, b), await sign(f, f.s.alice, s)];
        const before = await ledger(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] }));
        expect(await ledger(f)).to.deep.equal(
          changed(before, { "trading alice cash": -150n, "trading fees cash": 150n }, { lastTradeId: 1n }),
        );
      });
    });

    describe("when an order fills in part across several batches", function () {
      it("fills up to its signed quantity and then rejects any further fill as over-filled", async function () {
        const s = sell(f, f.s.alice, { quantity: 10n });
        const b = buy(f, f.s.bob, { quantity: 100n });
        const orders = [await sign(f, f.s.bob, b), await sign(f, f.s.alice, s)];
        const watch: Watch = { orders: [b, s] };
        const states: string[] = [];
        for (const [tradeId, quantity] of [
          [1n, 3n],
          [2n, 4n],
          [3n, 3n],
        ] as const) {
          await expect(f.exchange.settle(batch({ orders, fills: [fill(tradeId, 0, 1, quantity)] }))).to.emit(
            f.clearing,
            "TradeSettled",
          );
          const l = await ledger(f, watch);
          states.push(`${l["order alice#1"]} | ${l["order bob#1"]}`);
        }
        expect(states).to.deep.equal(["3 | 3", "7 | 7", "0 finished | 10"]);

        const before = await ledger(f, watch);
        await expect(f.exchange.settle(batch({ orders, fills: [fill(4, 0, 1, 1n)] })))
          .to.emit(f.clearing, "TradeRejected")
          .withArgs(4n, Reason.Overfilled);
        expect(await ledger(f, watch)).to.deep.equal({ ...before, lastTradeId: 4n });
        expect(await f.clearing.balanceOf(f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE)).to.equal(
          DEPOSITS.alice.TJEA14 - 10n,
        );
      });

      it("rejects a fill larger than what is left, then takes exactly the rest", async function () {
        const s = sell(f, f.s.alice, { quantity: 10n });
        const orders = [await sign(f, f.s.bob, buy(f, f.s.bob, { quantity: 100n })), await sign(f, f.s.alice, s)];
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 6n)] }));
        const r = await outcomes(
          f,
          f.exchange.settle(batch({ orders, fills: [fill(2, 0, 1, 5n), fill(3, 0, 1, 4n), fill(4, 0, 1, 1n)] })),
        );
        expect(r).to.deep.equal({
          settled: [3n],
          rejected: [
            [2n, Reason.Overfilled],
            [4n, Reason.Overfilled],
          ],
          withdrawn: 0,
        });
        expect(await f.clearing.orderState(f.s.alice.address, 1n)).to.deep.equal([0n, true]);
      });

      it("counts several fills of one order within one batch", async function () {
        const orders = await pair(f, { quantity: 100n }, { quantity: 10n });
        const r = await outcomes(
          f,
          f.exchange.settle(
            batch({ orders, fills: [fill(1, 0, 1, 3n), fill(2, 0, 1, 3n), fill(3, 0, 1, 4n), fill(4, 0, 1, 1n)] }),
          ),
        );
        expect(r).to.deep.equal({ settled: [1n, 2n, 3n], rejected: [[4n, Reason.Overfilled]], withdrawn: 0 });
        expect(await f.clearing.orderState(f.s.bob.address, 1n)).to.deep.equal([10n, false]);
      });

      it("keeps the fill counts of neighbouring nonces apart", async function () {
        const nonces = [0n, 1n, 7n, 8n, 127n, 128n, 2n ** 255n];
        const buys = nonces.map((nonce) => buy(f, f.s.bob, { nonce, quantity: 100n }));
        const sells = nonces.map((nonce) => sell(f, f.s.alice, { nonce, quantity: 50n }));
        const orders = [
          ...(await Promise.all(buys.map((o) => sign(f, f.s.bob, o)))),
          ...(await Promise.all(sells.map((o) => sign(f, f.s.alice, o)))),
        ];
        const n = nonces.length;
        const fills = nonces.map((_, i) => fill(i + 1, i, n + i, BigInt(i + 1)));
        expect((await outcomes(f, f.exchange.settle(batch({ orders, fills })))).settled).to.have.length(n);
        for (const [i, nonce] of nonces.entries()) {
          expect(await f.clearing.orderState(f.s.bob.address, nonce), `bob#${nonce}`).to.deep.equal([
            BigInt(i + 1),
            false,
          ]);
          expect(await f.clearing.orderState(f.s.alice.address, nonce), `alice#${nonce}`).to.deep.equal([
            BigInt(i + 1),
            false,
          ]);
        }
      });
    });

    describe("when a fill is invalid", function () {
      /**
       * Runs [good #1, bad #2, good #3] and, from the same starting point, [good #1, good #2]: the
       * first must reject #2 with the reason and end exactly where the second ends (but for the
       * last trade id), and the bad fill's orders must be as they were.
       */
      async function expectRejected(rejection: Rejection): Promise<void> {
        const { s } = f;
        const bad = await rejection.build(f);
        await rejection.setup?.(f, bad.orders);
        const goodBuy = buy(f, s.carol, { nonce: 100n, quantity: 5n });
        const goodSell = sell(f, s.bob, { nonce: 100n, quantity: 5n });
        const good = [await sign(f, s.carol, goodBuy), await sign(f, s.bob, goodSell)];
        const orders = [...good, ...bad.orders];
        const watch: Watch = { orders: orders.map((o) => o.order) };
        const badFill = fill(
          2,
          bad.fill.buy + 2,
          bad.fill.sell + 2,
          bad.fill.quantity,
          bad.fill.price ?? PRICE,
          bad.fill.buyerIsMaker ?? false,
        );
        const start = await takeSnapshot();
        const before = await ledger(f, watch);

        const tx = f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 2n), badFill, fill(3, 0, 1, 3n)] }));
        await expect(tx).to.emit(f.clearing, "TradeRejected").withArgs(2n, Reason[rejection.reason]);
        expect(await outcomes(f, tx)).to.deep.equal({
          settled: [1n, 3n],
          rejected: [[2n, Reason[rejection.reason]]],
          withdrawn: 0,
        });
        const after = await ledger(f, watch);
        expect(after.lastTradeId).to.equal(3n);

        await start.restore();
        await f.exchange.settle(batch({ orders: good, fills: [fill(1, 0, 1, 2n), fill(2, 0, 1, 3n)] }));
        const control = await ledger(f, watch);
        expect({ ...after, lastTradeId: 2n }).to.deep.equal(control);
        // The control did settle something: the equality above is not between two untouched ledgers.
        expect(control["trading carol TJEA14"]).to.equal((before["trading carol TJEA14"] as bigint) + 5n);
      }

      for (const rejection of REJECTIONS) {
        it(`rejects ${rejection.title} (${rejection.reason}) and settles the batch's other fills`, async function () {
          await expectRejected(rejection);
        });
      }

      it("rejects an order signed for another Clearing even after it settled there", async function () {
        const { manifest, clearing: other } = await deployClearing({
          regulator: f.s.regulator,
          manifest: f.manifest,
          contracts: f.c,
          exchangeEntity: { entityId: ENTITY.exchange, name: "Tianjin Climate Exchange", creditCode: "USCC:tcx" },
          exchangeOperator: f.s.exchange.address,
        });
        const otherAddress = manifest.contracts.Clearing!;
        const otherDomain = clearingDomain(f.chainId, otherAddress);
        await f.c.allowances.connect(f.s.alice).safeTransferFrom(f.s.alice.address, otherAddress, VINTAGE, 10n, "0x");
        await f.c.cash.connect(f.s.bob).approve(otherAddress, 50_000n);
        await other.connect(f.s.bob).depositCash(50_000n);
        const b = buy(f, f.s.bob);
        const s = sell(f, f.s.alice);
        const orders = [await sign(f, f.s.bob, b, otherDomain), await sign(f, f.s.alice, s, otherDomain)];
        await expect(other.connect(f.s.exchange).settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] }))).to.emit(
          other,
          "TradeSettled",
        );
        expect(ethers.verifyTypedData(otherDomain, ORDER_TYPES, s, orders[1]!.signature)).to.equal(f.s.alice.address);

        const before = await ledger(f, { orders: [b, s] });
        await expect(f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] })))
          .to.emit(f.clearing, "TradeRejected")
          .withArgs(1n, Reason.BadSignature);
        expect(await ledger(f, { orders: [b, s] })).to.deep.equal({ ...before, lastTradeId: 1n });
      });

      it("reports the first failing check of each order once per batch", async function () {
        const expired = sell(f, f.s.alice, { nonce: 3n, expiry: 1n });
        const orders = [await sign(f, f.s.bob, buy(f, f.s.bob)), await sign(f, f.s.bob, expired)];
        const r = await outcomes(
          f,
          f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 1n), fill(2, 0, 1, 1n)] })),
        );
        // Forged and expired: expiry is checked first, and the cached result is the same for both fills.
        expect(r.rejected).to.deep.equal([
          [1n, Reason.Expired],
          [2n, Reason.Expired],
        ]);
      });

      it("rejects every order of a frozen trader and settles the others' in a batch of many orders", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.carol.address);
        const orders: SignedOrder[] = [];
        const fills: IClearing.FillStruct[] = [];
        const buyers = [f.s.bob, f.s.carol, f.s.bob, f.s.carol, f.s.carol, f.s.bob];
        for (const [k, buyer] of buyers.entries()) {
          const nonce = BigInt(k + 1);
          orders.push(
            await sign(f, buyer, buy(f, buyer, { nonce })),
            await sign(f, f.s.alice, sell(f, f.s.alice, { nonce })),
          );
          fills.push(fill(k + 1, 2 * k, 2 * k + 1, 1n));
        }
        const r = await outcomes(f, f.exchange.settle(batch({ orders, fills })));
        expect(r).to.deep.equal({
          settled: [1n, 3n, 6n],
          rejected: [
            [2n, Reason.AccountNotActive],
            [4n, Reason.AccountNotActive],
            [5n, Reason.AccountNotActive],
          ],
          withdrawn: 0,
        });
      });
    });

    describe("when the operator tries to settle a trade no one signed", function () {
      const attempts: [string, (f: ClearingFixture) => Promise<SignedOrder[]>][] = [
        [
          "orders without signatures",
          async (f) => [
            { order: buy(f, f.s.bob), signature: "0x" },
            { order: sell(f, f.s.alice), signature: "0x" },
          ],
        ],
        [
          "orders the operator signed itself",
          async (f) => [await sign(f, f.s.exchange, buy(f, f.s.bob)), await sign(f, f.s.exchange, sell(f, f.s.alice))],
        ],
        [
          "genuine signatures on orders the operator altered (quantity, price)",
          async (f) => {
            const [b, s] = await pair(f, { quantity: 1n }, { price: 9_000n });
            return [
              { ...b!, order: { ...b!.order, quantity: 10n } },
              { ...s!, order: { ...s!.order, price: 4_000n } },
            ];
          },
        ],
        [
          "alice's genuine signature moved to an order of her entity's other account",
          async (f) => {
            const [b, s] = await pair(f);
            return [b!, { ...s!, order: { ...s!.order, trader: f.s.alice2.address } }];
          },
        ],
        [
          "orders in the name of the Clearing contract itself (an active account with code)",
          async (f) => [
            await sign(f, f.s.exchange, buy(f, f.address)),
            { order: sell(f, f.address), signature: "0x1626ba7e" },
          ],
        ],
      ];

      for (const [title, build] of attempts) {
        it(`rejects ${title} as BadSignature and moves nothing`, async function () {
          const orders = await build(f);
          const watch: Watch = { orders: orders.map((o) => o.order) };
          const before = await ledger(f, watch);
          const r = await outcomes(
            f,
            f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 1n), fill(2, 0, 1, 10n)] })),
          );
          expect(r).to.deep.equal({
            settled: [],
            rejected: [
              [1n, Reason.BadSignature],
              [2n, Reason.BadSignature],
            ],
            withdrawn: 0,
          });
          expect(await ledger(f, watch)).to.deep.equal({ ...before, lastTradeId: 2n });
        });
      }

      it("cannot pay out a trader's units with a withdrawal the trader did not sign", async function () {
        const w = withdrawal(f, f.s.alice, { amount: 400n });
        const before = await ledger(f);
        await expect(f.exchange.settle(batch({ withdrawals: [await signedWithdrawal(f, f.s.exchange, w)] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingInvalidWithdrawal")
          .withArgs(f.s.alice.address, 1n);
        await expect(f.exchange.settle(batch({ requests: [1n] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnknownWithdrawalRequest")
          .withArgs(1n);
        expect(await ledger(f)).to.deep.equal(before);
      });
    });

    describe("when a batch is resubmitted", function () {
      it("changes nothing: settled and rejected trades and served requests are skipped", async function () {
        await f.clearing.connect(f.s.bob).requestWithdrawal(f.manifest.contracts.CashToken, 0n, 1_000n);
        const orders = await pair(f);
        const b = batch({
          orders,
          fills: [fill(1, 0, 1, 4n), fill(2, 0, 1, 0n), fill(3, 0, 1, 6n)],
          requests: [1n],
        });
        expect(await outcomes(f, f.exchange.settle(b))).to.deep.equal({
          settled: [1n, 3n],
          rejected: [[2n, Reason.ZeroQuantity]],
          withdrawn: 1,
        });
        const watch: Watch = { orders: orders.map((o) => o.order) };
        const before = await ledger(f, watch);
        const again = f.exchange.settle(b);
        await expect(again).to.not.emit(f.clearing, "TradeSettled");
        await expect(again).to.not.emit(f.clearing, "TradeRejected");
        await expect(again).to.not.emit(f.clearing, "Withdrawn");
        expect(await ledger(f, watch)).to.deep.equal(before);
      });

      it("settles only the new trades of a batch that overlaps an earlier one", async function () {
        const orders = await pair(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 1n), fill(2, 0, 1, 1n)] }));
        const r = await outcomes(
          f,
          f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 1n), fill(2, 0, 1, 1n), fill(3, 0, 1, 1n)] })),
        );
        expect(r).to.deep.equal({ settled: [3n], rejected: [], withdrawn: 0 });
        expect(await f.clearing.orderState(f.s.alice.address, 1n)).to.deep.equal([3n, false]);
      });

      it("processes a trade id listed twice in one batch only once", async function () {
        const orders = await pair(f);
        const r = await outcomes(
          f,
          f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 2n), fill(1, 0, 1, 2n)] })),
        );
        expect(r).to.deep.equal({ settled: [1n], rejected: [], withdrawn: 0 });
        expect(await f.clearing.orderState(f.s.alice.address, 1n)).to.deep.equal([2n, false]);
      });

      it("reverts as a whole when it carries a signed withdrawal already executed, and changes nothing", async function () {
        const orders = await pair(f);
        const b = batch({
          orders,
          fills: [fill(1, 0, 1, 4n)],
          withdrawals: [await signedWithdrawal(f, f.s.alice, withdrawal(f, f.s.alice, { nonce: 9n }))],
        });
        await f.exchange.settle(b);
        const before = await ledger(f, { orders: orders.map((o) => o.order) });
        await expect(f.exchange.settle(b))
          .to.be.revertedWithCustomError(f.clearing, "ClearingInvalidWithdrawal")
          .withArgs(f.s.alice.address, 9n);
        expect(await ledger(f, { orders: orders.map((o) => o.order) })).to.deep.equal(before);
      });
    });

    describe("when trade ids skip", function () {
      it("reverts ClearingTradeIdGap on the first batch that does not start at 1", async function () {
        const orders = await pair(f);
        await expect(f.exchange.settle(batch({ orders, fills: [fill(2, 0, 1, 1n)] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingTradeIdGap")
          .withArgs(1n, 2n);
      });

      it("reverts the whole batch on a gap after its first trades, and changes nothing", async function () {
        const orders = await pair(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 1n), fill(2, 0, 1, 1n)] }));
        const watch: Watch = { orders: orders.map((o) => o.order) };
        const before = await ledger(f, watch);
        await expect(f.exchange.settle(batch({ orders, fills: [fill(3, 0, 1, 1n), fill(5, 0, 1, 1n)] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingTradeIdGap")
          .withArgs(4n, 5n);
        expect(await ledger(f, watch)).to.deep.equal(before);
      });

      it("reverts on trade ids out of order", async function () {
        const orders = await pair(f);
        await expect(f.exchange.settle(batch({ orders, fills: [fill(2, 0, 1, 1n), fill(1, 0, 1, 1n)] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingTradeIdGap")
          .withArgs(1n, 2n);
      });
    });

    describe("when the caller is not the exchange", function () {
      it("refuses settle to everyone but EXCHANGE", async function () {
        const orders = await pair(f);
        const b = batch({ orders, fills: [fill(1, 0, 1, 1n)] });
        for (const who of [f.s.regulator, f.s.alice, f.s.bank, f.s.clearing, f.s.stranger]) {
          await expect(f.clearing.connect(who).settle(b))
            .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await f.clearing.lastTradeId()).to.equal(0n);
      });
    });

    describe("when a trader is an ERC-1271 contract wallet", function () {
      it("accepts the wallet's signature (its owner's) and settles", async function () {
        const w = await loadFixture(walletFixture);
        const b = buy(w, w.walletAddress);
        const s = sell(w, w.s.alice);
        const orders = [await sign(w, w.owner, b), await sign(w, w.s.alice, s)];
        await expect(w.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] })))
          .to.emit(w.clearing, "TradeSettled")
          .withArgs(...settledArgs(w, 1n, b, s, 10n, PRICE, false));
        expect(await w.clearing.balanceOf(w.walletAddress, w.manifest.contracts.AllowanceToken, VINTAGE)).to.equal(
          WALLET_DEPOSITS.TJEA14 + 10n,
        );
        expect(await w.clearing.balanceOf(w.walletAddress, w.manifest.contracts.CashToken, 0n)).to.equal(
          WALLET_DEPOSITS.cash - 50_000n - 100n,
        );
      });

      it("rejects an order in the wallet's name that its owner did not sign, or a malformed signature", async function () {
        const w = await loadFixture(walletFixture);
        const s = await sign(w, w.s.alice, sell(w, w.s.alice));
        const byStranger = await sign(w, w.s.stranger, buy(w, w.walletAddress, { nonce: 1n }));
        const genuine = await sign(w, w.owner, buy(w, w.walletAddress, { nonce: 2n }));
        const truncated = { ...genuine, signature: genuine.signature.slice(0, 130) };
        const watch: Watch = { orders: [byStranger.order, genuine.order], accounts: { wallet: w.walletAddress } };
        const before = await ledger(w, watch);
        const r = await outcomes(
          w,
          w.exchange.settle(
            batch({ orders: [byStranger, truncated, s], fills: [fill(1, 0, 2, 1n), fill(2, 1, 2, 1n)] }),
          ),
        );
        expect(r.rejected).to.deep.equal([
          [1n, Reason.BadSignature],
          [2n, Reason.BadSignature],
        ]);
        expect(await ledger(w, watch)).to.deep.equal({ ...before, lastTradeId: 2n });
      });

      it("executes the wallet's signed withdrawal and pays out to the wallet contract", async function () {
        const w = await loadFixture(walletFixture);
        const wd = withdrawal(w, w.walletAddress, { amount: 20n });
        await expect(w.exchange.settle(batch({ withdrawals: [await signedWithdrawal(w, w.owner, wd)] })))
          .to.emit(w.clearing, "Withdrawn")
          .withArgs(w.walletAddress, w.manifest.contracts.AllowanceToken, VINTAGE, 20n, 0n, 1n);
        expect(await w.c.allowances.balanceOf(w.walletAddress, VINTAGE)).to.equal(20n);
      });
    });
  });

  describe("when a trader cancels", function () {
    describe("one order (cancelOrder)", function () {
      it("finishes the order's nonce and emits OrderCancelled with its hash", async function () {
        const s = sell(f, f.s.alice, { nonce: 5n });
        await expect(f.clearing.connect(f.s.alice).cancelOrder(s))
          .to.emit(f.clearing, "OrderCancelled")
          .withArgs(f.s.alice.address, 5n, hashOrder(f.domain, s));
        expect(await f.clearing.orderState(f.s.alice.address, 5n)).to.deep.equal([0n, true]);
      });

      it("stops the rest of an order filled in part", async function () {
        const orders = await pair(f, { quantity: 100n });
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 4n)] }));
        await f.clearing.connect(f.s.alice).cancelOrder(orders[1]!.order);
        await expect(f.exchange.settle(batch({ orders, fills: [fill(2, 0, 1, 1n)] })))
          .to.emit(f.clearing, "TradeRejected")
          .withArgs(2n, Reason.Cancelled);
        expect(await f.clearing.balanceOf(f.s.bob.address, f.manifest.contracts.AllowanceToken, VINTAGE)).to.equal(
          DEPOSITS.bob.TJEA14 + 4n,
        );
      });

      it("refuses to cancel someone else's order", async function () {
        const s = sell(f, f.s.alice);
        await expect(f.clearing.connect(f.s.bob).cancelOrder(s))
          .to.be.revertedWithCustomError(f.clearing, "ClearingNotOrderOwner")
          .withArgs(f.s.alice.address, f.s.bob.address);
        expect(await f.clearing.orderState(f.s.alice.address, 1n)).to.deep.equal([0n, false]);
      });
    });

    describe("every order below a nonce (cancelNoncesBelow)", function () {
      it("raises the minimum nonce and finishes every order below it", async function () {
        await expect(f.clearing.connect(f.s.alice).cancelNoncesBelow(5n))
          .to.emit(f.clearing, "NoncesCancelled")
          .withArgs(f.s.alice.address, 5n);
        expect(await f.clearing.minNonceOf(f.s.alice.address)).to.equal(5n);
        expect(await f.clearing.orderState(f.s.alice.address, 4n)).to.deep.equal([0n, true]);
        expect(await f.clearing.orderState(f.s.alice.address, 5n)).to.deep.equal([0n, false]);
        const low = await pair(f, {}, { nonce: 4n });
        const high = await pair(f, { nonce: 2n }, { nonce: 5n });
        const r = await outcomes(
          f,
          f.exchange.settle(batch({ orders: [...low, ...high], fills: [fill(1, 0, 1, 1n), fill(2, 2, 3, 1n)] })),
        );
        expect(r).to.deep.equal({ settled: [2n], rejected: [[1n, Reason.Cancelled]], withdrawn: 0 });
      });

      it("keeps a minimum of any size, up to 2^256 - 1 (every nonce but the last)", async function () {
        const large = 2n ** 200n;
        for (const minimum of [2n ** 128n - 2n, 2n ** 128n - 1n, large, 2n ** 256n - 1n]) {
          await expect(f.clearing.connect(f.s.alice).cancelNoncesBelow(minimum))
            .to.emit(f.clearing, "NoncesCancelled")
            .withArgs(f.s.alice.address, minimum);
          expect(await f.clearing.minNonceOf(f.s.alice.address)).to.equal(minimum);
          expect((await f.clearing.orderState(f.s.alice.address, minimum - 1n)).finished).to.equal(true);
          expect(await f.clearing.orderState(f.s.alice.address, minimum)).to.deep.equal([0n, false]);
          const tradeId = await nextTradeId(f);
          const orders = [
            ...(await pair(f, { nonce: 7n }, { nonce: minimum - 5n })),
            ...(await pair(f, { nonce: 8n }, { nonce: minimum })),
          ];
          const r = await outcomes(
            f,
            f.exchange.settle(batch({ orders, fills: [fill(tradeId, 0, 1, 1n), fill(tradeId + 1n, 2, 3, 1n)] })),
          );
          expect(r).to.deep.equal({ settled: [tradeId + 1n], rejected: [[tradeId, Reason.Cancelled]], withdrawn: 0 });
        }
        await expect(f.clearing.connect(f.s.alice).cancelNoncesBelow(large))
          .to.be.revertedWithCustomError(f.clearing, "ClearingNonceNotIncreasing")
          .withArgs(2n ** 256n - 1n, large);
        // Alice's cash, which shares a slot with her minimum nonce, moved only with her four sales.
        expect(await f.clearing.balanceOf(f.s.alice.address, f.manifest.contracts.CashToken, 0n)).to.equal(
          DEPOSITS.alice.cash + 4n * (PRICE - fee(PRICE, FEES.maker)),
        );
      });

      it("refuses a minimum that does not go up", async function () {
        await f.clearing.connect(f.s.alice).cancelNoncesBelow(5n);
        await expect(f.clearing.connect(f.s.alice).cancelNoncesBelow(5n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingNonceNotIncreasing")
          .withArgs(5n, 5n);
        await expect(f.clearing.connect(f.s.alice).cancelNoncesBelow(3n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingNonceNotIncreasing")
          .withArgs(5n, 3n);
        expect(await f.clearing.minNonceOf(f.s.alice.address)).to.equal(5n);
      });
    });
  });

  describe("when a trader withdraws", function () {
    describe("with a signed withdrawal the exchange executes", function () {
      it("pays units out to the registry wallet at once (the Clearing is a clearing house)", async function () {
        const w = withdrawal(f, f.s.alice, { amount: 30n, nonce: 7n });
        const before = await ledger(f);
        const tx = f.exchange.settle(batch({ withdrawals: [await signedWithdrawal(f, f.s.alice, w)] }));
        await expect(tx)
          .to.emit(f.clearing, "Withdrawn")
          .withArgs(f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE, 30n, 0n, 7n);
        await expect(tx)
          .to.emit(f.c.allowances, "TransferSingle")
          .withArgs(f.address, f.address, f.s.alice.address, VINTAGE, 30n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, { "trading alice TJEA14": -30n, "held TJEA14": -30n, "wallet alice TJEA14": 30n }),
        );
        expect(await f.clearing.withdrawalNonceUsed(f.s.alice.address, 7n)).to.equal(true);
      });

      it("pays out cash and CCER the same way", async function () {
        const c = f.manifest.contracts;
        const cash = withdrawal(f, f.s.alice, { token: c.CashToken, tokenId: 0n, amount: 12_345n, nonce: 1n });
        const ccer = withdrawal(f, f.s.alice, { token: c.OffsetToken, tokenId: CCER, amount: 3n, nonce: 2n });
        const before = await ledger(f);
        const tx = f.exchange.settle(
          batch({
            withdrawals: [await signedWithdrawal(f, f.s.alice, cash), await signedWithdrawal(f, f.s.alice, ccer)],
          }),
        );
        await expect(tx).to.emit(f.c.cash, "Transfer").withArgs(f.address, f.s.alice.address, 12_345n);
        await expect(tx).to.emit(f.clearing, "Withdrawn").withArgs(f.s.alice.address, c.OffsetToken, CCER, 3n, 0n, 2n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, {
            "trading alice cash": -12_345n,
            "held cash": -12_345n,
            "wallet alice cash": 12_345n,
            "trading alice CCER1": -3n,
            "held CCER1": -3n,
            "wallet alice CCER1": 3n,
          }),
        );
      });

      it("settles the batch's fills before its withdrawals", async function () {
        const orders = await pair(f);
        const w = withdrawal(f, f.s.bob, { amount: DEPOSITS.bob.TJEA14 + 10n });
        await f.exchange.settle(
          batch({ orders, fills: [fill(1, 0, 1, 10n)], withdrawals: [await signedWithdrawal(f, f.s.bob, w)] }),
        );
        // Bob's wallet: the 1,000 t issued to him, of which he had deposited 300, plus the 10 t he bought.
        expect(await f.c.allowances.balanceOf(f.s.bob.address, VINTAGE)).to.equal(1_000n + 10n);
      });

      const invalid: [string, (f: ClearingFixture) => Promise<IClearing.SignedWithdrawalStruct>][] = [
        [
          "a nonce used before",
          async (f) => {
            const first = withdrawal(f, f.s.alice, { nonce: 3n, amount: 1n });
            await f.exchange.settle(batch({ withdrawals: [await signedWithdrawal(f, f.s.alice, first)] }));
            return signedWithdrawal(f, f.s.alice, withdrawal(f, f.s.alice, { nonce: 3n, amount: 2n }));
          },
        ],
        [
          "an expired withdrawal",
          async (f) =>
            signedWithdrawal(
              f,
              f.s.alice,
              withdrawal(f, f.s.alice, { nonce: 3n, expiry: BigInt(await time.latest()) }),
            ),
        ],
        [
          "a withdrawal signed by someone else",
          async (f) => signedWithdrawal(f, f.s.bob, withdrawal(f, f.s.alice, { nonce: 3n })),
        ],
        [
          "a withdrawal signed for another chain",
          async (f) =>
            signedWithdrawal(f, f.s.alice, withdrawal(f, f.s.alice, { nonce: 3n }), clearingDomain(1n, f.address)),
        ],
        [
          "a withdrawal signed as an order would be",
          async (f) => ({
            withdrawal: withdrawal(f, f.s.alice, { nonce: 3n }),
            signature: (await sign(f, f.s.alice, sell(f, f.s.alice, { nonce: 3n }))).signature,
          }),
        ],
      ];
      for (const [title, build] of invalid) {
        it(`reverts ClearingInvalidWithdrawal on ${title}, with the batch's fills, and changes nothing`, async function () {
          const sw = await build(f);
          const orders = await pair(f, { nonce: 50n }, { nonce: 50n });
          const before = await ledger(f, { orders: orders.map((o) => o.order) });
          await expect(
            f.exchange.settle(batch({ orders, fills: [fill(await nextTradeId(f), 0, 1, 1n)], withdrawals: [sw] })),
          )
            .to.be.revertedWithCustomError(f.clearing, "ClearingInvalidWithdrawal")
            .withArgs(f.s.alice.address, 3n);
          expect(await ledger(f, { orders: orders.map((o) => o.order) })).to.deep.equal(before);
        });
      }

      it("reverts ClearingInsufficientBalance on a withdrawal the account cannot cover, and changes nothing", async function () {
        // Alice withdraws all she deposited, but the batch's fill (checked first) sells 1 t of it.
        const w = withdrawal(f, f.s.alice, { amount: DEPOSITS.alice.TJEA14 });
        const orders = await pair(f);
        const before = await ledger(f, { orders: orders.map((o) => o.order) });
        await expect(
          f.exchange.settle(
            batch({ orders, fills: [fill(1, 0, 1, 1n)], withdrawals: [await signedWithdrawal(f, f.s.alice, w)] }),
          ),
        )
          .to.be.revertedWithCustomError(f.clearing, "ClearingInsufficientBalance")
          .withArgs(
            f.s.alice.address,
            f.manifest.contracts.AllowanceToken,
            VINTAGE,
            DEPOSITS.alice.TJEA14 - 1n,
            DEPOSITS.alice.TJEA14,
          );
        expect(await ledger(f, { orders: orders.map((o) => o.order) })).to.deep.equal(before);
      });

      it("refuses an unsupported token, cash with a token id, and a zero amount", async function () {
        const c = f.manifest.contracts;
        const cases: [Partial<Withdrawal>, string, unknown[]][] = [
          [{ token: c.ParticipantRegistry }, "ClearingUnsupportedToken", [c.ParticipantRegistry]],
          [{ token: c.CashToken, tokenId: 1n }, "ClearingUnsupportedToken", [c.CashToken]],
          [{ amount: 0n }, "ClearingZeroAmount", []],
        ];
        for (const [o, error, args] of cases) {
          const sw = await signedWithdrawal(f, f.s.alice, withdrawal(f, f.s.alice, o));
          await expect(f.exchange.settle(batch({ withdrawals: [sw] })))
            .to.be.revertedWithCustomError(f.clearing, error)
            .withArgs(...args);
        }
      });

      it("refuses to pay out to a frozen account", async function () {
        await f.c.registry.connect(f.s.operator).freeze(f.s.alice.address);
        const sw = await signedWithdrawal(f, f.s.alice, withdrawal(f, f.s.alice));
        await expect(f.exchange.settle(batch({ withdrawals: [sw] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingAccountNotActive")
          .withArgs(f.s.alice.address);
      });
    });

    describe("through the escape hatch (requestWithdrawal)", function () {
      async function request(amount = 40n): Promise<{ requestId: bigint; requestedAt: bigint; dueAt: bigint }> {
        const requestedAt = await pinNextBlockTime();
        const dueAt = requestedAt + BigInt(WITHDRAWAL_DELAY);
        await expect(
          f.clearing.connect(f.s.alice).requestWithdrawal(f.manifest.contracts.AllowanceToken, VINTAGE, amount),
        )
          .to.emit(f.clearing, "WithdrawalRequested")
          .withArgs(1n, f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE, amount, dueAt);
        return { requestId: 1n, requestedAt, dueAt };
      }

      it("records the request and moves nothing yet", async function () {
        const before = await ledger(f);
        const { requestedAt } = await request();
        expect(await f.clearing.withdrawalRequest(1n)).to.deep.equal([
          f.s.alice.address,
          f.manifest.contracts.AllowanceToken,
          VINTAGE,
          40n,
          requestedAt,
          false,
        ]);
        expect(await ledger(f)).to.deep.equal(before);
      });

      it("cannot be executed by the trader before the delay", async function () {
        const { dueAt } = await request();
        await time.setNextBlockTimestamp(dueAt - 1n);
        await expect(f.clearing.connect(f.s.alice).executeWithdrawalRequest(1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingWithdrawalNotDue")
          .withArgs(1n, dueAt);
      });

      it("works when the operator stays silent: after the delay the trader withdraws alone, once", async function () {
        const { dueAt } = await request();
        const before = await ledger(f);
        await time.setNextBlockTimestamp(dueAt);
        const tx = f.clearing.connect(f.s.alice).executeWithdrawalRequest(1n);
        await expect(tx)
          .to.emit(f.clearing, "Withdrawn")
          .withArgs(f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE, 40n, 1n, 0n);
        expect(await ledger(f)).to.deep.equal(
          changed(before, { "trading alice TJEA14": -40n, "held TJEA14": -40n, "wallet alice TJEA14": 40n }),
        );
        expect((await f.clearing.withdrawalRequest(1n)).done).to.equal(true);
        await expect(f.clearing.connect(f.s.alice).executeWithdrawalRequest(1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnknownWithdrawalRequest")
          .withArgs(1n);
      });

      it("gives a trader everything back when the exchange never settles again", async function () {
        const c = f.manifest.contracts;
        const assets: [string, bigint, bigint][] = [
          [c.AllowanceToken, VINTAGE, DEPOSITS.alice.TJEA14],
          [c.AllowanceToken, OTHER_VINTAGE, DEPOSITS.alice.TJEA13],
          [c.OffsetToken, CCER, DEPOSITS.alice.CCER1],
          [c.CashToken, 0n, DEPOSITS.alice.cash],
        ];
        for (const [token, id, amount] of assets)
          await f.clearing.connect(f.s.alice).requestWithdrawal(token, id, amount);
        await time.increase(WITHDRAWAL_DELAY);
        for (const id of [1n, 2n, 3n, 4n]) await f.clearing.connect(f.s.alice).executeWithdrawalRequest(id);
        const l = await ledger(f);
        for (const asset of ["TJEA14", "TJEA13", "CCER1", "cash"])
          expect(l[`trading alice ${asset}`], asset).to.equal(0n);
        expect(l["wallet alice TJEA14"]).to.equal(1_000n);
        expect(l["wallet alice cash"]).to.equal(500_000n);
      });

      it("cannot be executed by anyone but the requester, even after the delay", async function () {
        const { dueAt } = await request();
        await time.increaseTo(dueAt);
        for (const who of [f.s.bob, f.s.exchange, f.s.regulator]) {
          await expect(f.clearing.connect(who).executeWithdrawalRequest(1n))
            .to.be.revertedWithCustomError(f.clearing, "ClearingNotRequester")
            .withArgs(1n, who.address);
        }
        expect((await f.clearing.withdrawalRequest(1n)).done).to.equal(false);
      });

      it("refuses an unknown request", async function () {
        await expect(f.clearing.connect(f.s.alice).executeWithdrawalRequest(9n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnknownWithdrawalRequest")
          .withArgs(9n);
      });

      it("is served by the exchange in a batch before the delay, and then cannot be executed again", async function () {
        await request();
        const before = await ledger(f);
        await expect(f.exchange.settle(batch({ requests: [1n] })))
          .to.emit(f.clearing, "Withdrawn")
          .withArgs(f.s.alice.address, f.manifest.contracts.AllowanceToken, VINTAGE, 40n, 1n, 0n);
        const after = await ledger(f);
        expect(after).to.deep.equal(
          changed(before, { "trading alice TJEA14": -40n, "held TJEA14": -40n, "wallet alice TJEA14": 40n }),
        );
        await expect(f.exchange.settle(batch({ requests: [1n] }))).to.not.emit(f.clearing, "Withdrawn");
        await time.increase(WITHDRAWAL_DELAY);
        await expect(f.clearing.connect(f.s.alice).executeWithdrawalRequest(1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnknownWithdrawalRequest")
          .withArgs(1n);
        expect(await ledger(f)).to.deep.equal(after);
      });

      it("refuses a request the account cannot cover, a zero amount and an unsupported token", async function () {
        const c = f.manifest.contracts;
        const asAlice = f.clearing.connect(f.s.alice);
        await expect(asAlice.requestWithdrawal(c.AllowanceToken, VINTAGE, DEPOSITS.alice.TJEA14 + 1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingInsufficientBalance")
          .withArgs(f.s.alice.address, c.AllowanceToken, VINTAGE, DEPOSITS.alice.TJEA14, DEPOSITS.alice.TJEA14 + 1n);
        await expect(asAlice.requestWithdrawal(c.AllowanceToken, VINTAGE, 0n)).to.be.revertedWithCustomError(
          f.clearing,
          "ClearingZeroAmount",
        );
        await expect(asAlice.requestWithdrawal(c.CashToken, 7n, 1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnsupportedToken")
          .withArgs(c.CashToken);
        await expect(asAlice.requestWithdrawal(c.ParticipantRegistry, 0n, 1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingUnsupportedToken")
          .withArgs(c.ParticipantRegistry);
      });

      it("fails on a balance spent after the request, for the trader and for the exchange alike", async function () {
        await request(DEPOSITS.alice.TJEA14);
        const orders = await pair(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] }));
        const left = DEPOSITS.alice.TJEA14 - 10n;
        const token = f.manifest.contracts.AllowanceToken;
        await expect(f.exchange.settle(batch({ requests: [1n] })))
          .to.be.revertedWithCustomError(f.clearing, "ClearingInsufficientBalance")
          .withArgs(f.s.alice.address, token, VINTAGE, left, DEPOSITS.alice.TJEA14);
        await time.increase(WITHDRAWAL_DELAY);
        await expect(f.clearing.connect(f.s.alice).executeWithdrawalRequest(1n))
          .to.be.revertedWithCustomError(f.clearing, "ClearingInsufficientBalance")
          .withArgs(f.s.alice.address, token, VINTAGE, left, DEPOSITS.alice.TJEA14);
        expect((await f.clearing.withdrawalRequest(1n)).done).to.equal(false);
      });

      it("follows a shorter delay set by the regulator for new requests", async function () {
        await f.clearing.connect(f.s.regulator).setWithdrawalDelay(0n);
        const requestedAt = await pinNextBlockTime();
        await expect(f.clearing.connect(f.s.alice).requestWithdrawal(f.manifest.contracts.CashToken, 0n, 5n))
          .to.emit(f.clearing, "WithdrawalRequested")
          .withArgs(1n, f.s.alice.address, f.manifest.contracts.CashToken, 0n, 5n, requestedAt);
        await expect(f.clearing.connect(f.s.alice).executeWithdrawalRequest(1n)).to.emit(f.clearing, "Withdrawn");
      });
    });
  });

  describe("when the regulator sets parameters", function () {
    describe("setFees", function () {
      it("sets maker and taker fees up to 100 bps and their recipient, applied to the next fills", async function () {
        await expect(f.clearing.setFees(100, 100, f.s.carol.address))
          .to.emit(f.clearing, "FeesSet")
          .withArgs(100n, 100n, f.s.carol.address);
        expect(await f.clearing.fees()).to.deep.equal([100n, 100n, f.s.carol.address]);
        const orders = await pair(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] }));
        expect(await f.clearing.balanceOf(f.s.carol.address, f.manifest.contracts.CashToken, 0n)).to.equal(
          DEPOSITS.carol.cash + 1_000n,
        );
      });

      it("refuses a maker or taker fee above 100 bps", async function () {
        await expect(f.clearing.setFees(101, 0, f.s.exchange.address))
          .to.be.revertedWithCustomError(f.clearing, "ClearingParameterOutOfRange")
          .withArgs(101n, 100n);
        await expect(f.clearing.setFees(0, 101, f.s.exchange.address))
          .to.be.revertedWithCustomError(f.clearing, "ClearingParameterOutOfRange")
          .withArgs(101n, 100n);
        expect(await f.clearing.fees()).to.deep.equal([FEES.maker, FEES.taker, f.s.exchange.address]);
      });

      it("refuses fees without a recipient, but allows no fees and no recipient", async function () {
        await expect(f.clearing.setFees(1, 0, ethers.ZeroAddress))
          .to.be.revertedWithCustomError(f.clearing, "ClearingAccountNotActive")
          .withArgs(ethers.ZeroAddress);
        await expect(f.clearing.setFees(0, 0, ethers.ZeroAddress))
          .to.emit(f.clearing, "FeesSet")
          .withArgs(0n, 0n, ethers.ZeroAddress);
        const orders = await pair(f);
        const before = await ledger(f);
        await f.exchange.settle(batch({ orders, fills: [fill(1, 0, 1, 10n)] }));
        expect(await ledger(f)).to.deep.equal(
          changed(
            before,
            {
              "trading bob cash": -50_000n,
              "trading bob TJEA14": 10n,
              "trading alice cash": 50_000n,
              "trading alice TJEA14": -10n,
            },
            { lastTradeId: 1n },
          ),
        );
      });

      it("is the REGULATOR's alone", async function () {
        for (const who of [f.s.exchange, f.s.alice, f.s.operator, f.s.stranger]) {
          await expect(f.clearing.connect(who).setFees(0, 0, who.address))
            .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
      });
    });

    describe("setWithdrawalDelay", function () {
      it("accepts 0 to 30 days and refuses more", async function () {
        await expect(f.clearing.setWithdrawalDelay(MAX_WITHDRAWAL_DELAY))
          .to.emit(f.clearing, "WithdrawalDelaySet")
          .withArgs(BigInt(MAX_WITHDRAWAL_DELAY));
        await expect(f.clearing.setWithdrawalDelay(MAX_WITHDRAWAL_DELAY + 1))
          .to.be.revertedWithCustomError(f.clearing, "ClearingParameterOutOfRange")
          .withArgs(BigInt(MAX_WITHDRAWAL_DELAY + 1), BigInt(MAX_WITHDRAWAL_DELAY));
        expect(await f.clearing.withdrawalDelay()).to.equal(BigInt(MAX_WITHDRAWAL_DELAY));
        await expect(f.clearing.setWithdrawalDelay(0)).to.emit(f.clearing, "WithdrawalDelaySet").withArgs(0n);
      });

      it("is the REGULATOR's alone", async function () {
        for (const who of [f.s.exchange, f.s.alice, f.s.operator, f.s.stranger]) {
          await expect(f.clearing.connect(who).setWithdrawalDelay(0))
            .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
            .withArgs(who.address);
        }
        expect(await f.clearing.withdrawalDelay()).to.equal(BigInt(WITHDRAWAL_DELAY));
      });
    });
  });
});
