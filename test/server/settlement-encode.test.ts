import { expect } from "chai";
import fc from "fast-check";
import { Transaction, Wallet, hexlify } from "ethers";
import { encodeSettle, signLegacyTx } from "../../server/settlement/encode";
import { Clearing__factory } from "../../typechain-types";

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b));
const u = (bits: number) => fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n });
const sig = fc.uint8Array({ minLength: 0, maxLength: 130 }).map((b) => hexlify(b));

const batch = fc.record({
  orders: fc.array(
    fc.record({
      order: fc.record({
        trader: address,
        token: address,
        tokenId: u(256),
        isBuy: fc.boolean(),
        price: u(256),
        quantity: u(256),
        timeInForce: fc.integer({ min: 0, max: 255 }),
        nonce: u(256),
        expiry: u(64),
      }),
      signature: sig,
    }),
    { maxLength: 6 },
  ),
  fills: fc.array(
    fc.record({ tradeId: u(64), buy: u(32), sell: u(32), quantity: u(128), price: u(128), buyerIsMaker: fc.boolean() }),
    { maxLength: 6 },
  ),
  withdrawals: fc.array(
    fc.record({
      withdrawal: fc.record({
        trader: address,
        token: address,
        tokenId: u(256),
        amount: u(256),
        nonce: u(256),
        expiry: u(64),
      }),
      signature: sig,
    }),
    { maxLength: 3 },
  ),
  requests: fc.array(u(256), { maxLength: 4 }),
});

describe("settlement encoding", function () {
  it("writes the same calldata as ethers' ABI coder", function () {
    const iface = Clearing__factory.createInterface();
    fc.assert(
      fc.property(batch, (b) => {
        expect(hexlify(encodeSettle(b))).to.equal(iface.encodeFunctionData("settle", [b]));
      }),
      { numRuns: 300 },
    );
  });

  it("signs the same legacy transaction as ethers", async function () {
    const wallet = Wallet.createRandom();
    for (const [nonce, data] of [
      [0, "0x"],
      [1, "0x1234"],
      [300, hexlify(new Uint8Array(70_000).fill(7))],
    ] as const) {
      const tx = {
        nonce,
        gasPrice: 0n,
        gasLimit: 30_000_000n,
        to: "0x18B43F625004d3B4980dCD83C07e36cb94b1405a",
        data: new Uint8Array(Buffer.from(data.slice(2), "hex")),
        chainId: 31337n,
      };
      const mine = signLegacyTx(tx, wallet.privateKey);
      const theirs = await wallet.signTransaction({ ...tx, data, type: 0, value: 0n });
      expect(mine.raw).to.equal(theirs);
      expect(mine.hash).to.equal(Transaction.from(theirs).hash);
    }
  });
});
