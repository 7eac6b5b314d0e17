import { expect } from "chai";
import fc from "fast-check";
import { Signature, Wallet, TypedDataEncoder } from "ethers";
import { ORDER_TYPES, clearingDomain, signOrder, type Order } from "../../sdk/orders";
import { domainSeparator, orderDigest, recoverSigner } from "../../sdk/signatures";

describe("fast order signatures", function () {
  const domain = clearingDomain(31337, "0x18B43F625004d3B4980dCD83C07e36cb94b1405a");
  const sep = domainSeparator(domain);
  const wallet = Wallet.createRandom();
  const base: Order = {
    trader: wallet.address,
    token: "0x81cC952Bfe5979b1bE04523Ff0578F1767C4057e",
    tokenId: 2014n,
    isBuy: true,
    price: 3000n,
    quantity: 10n,
    timeInForce: 0,
    nonce: 1n,
    expiry: 0n,
  };

  it("computes the same digest as ethers' generic EIP-712 encoder", function () {
    const u256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });
    fc.assert(
      fc.property(
        u256,
        fc.boolean(),
        u256,
        u256,
        fc.integer({ min: 0, max: 255 }),
        u256,
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (tokenId, isBuy, price, quantity, timeInForce, nonce, expiry) => {
          const o = { ...base, tokenId, isBuy, price, quantity, timeInForce, nonce, expiry };
          expect(orderDigest(sep, o)).to.equal(TypedDataEncoder.hash(domain, ORDER_TYPES, o));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("recovers the signer, and nobody from a tampered, malformed or malleable signature", async function () {
    const { signature } = await signOrder(wallet, domain, base);
    const digest = orderDigest(sep, base);
    expect(recoverSigner(digest, signature)).to.equal(wallet.address.toLowerCase());
    expect(recoverSigner(orderDigest(sep, { ...base, quantity: 11n }), signature)).to.not.equal(
      wallet.address.toLowerCase(),
    );
    expect(recoverSigner(digest, "0x1234")).to.equal(undefined);
    expect(recoverSigner(digest, "not hex")).to.equal(undefined);
    // The same signature with s replaced by n − s (and v flipped) is valid maths but refused, as on chain.
    const sig = Signature.from(signature);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const high = `${sig.r}${(n - BigInt(sig.s)).toString(16).padStart(64, "0")}${(sig.v === 27 ? 28 : 27).toString(16)}`;
    expect(recoverSigner(digest, high)).to.equal(undefined);
  });
});
