import { getBytes, keccak256, toUtf8Bytes, TypedDataEncoder, type TypedDataDomain } from "ethers";
import * as secp from "tiny-secp256k1";
import type { Order } from "./orders";

/**
 * Fast EIP-712 order digests and signer recovery for the exchange's hot path: the struct encoding
 * is written by hand for the one fixed Order type (checked against ethers' generic encoder in the
 * tests), and recovery runs libsecp256k1 compiled to WebAssembly — about 20× faster than pure
 * JavaScript. Signatures are accepted exactly as the Clearing contract's ECDSA check does: 65 bytes,
 * v 27/28 (or 0/1), s in the lower half of the curve order.
 */

const ORDER_TYPEHASH = getBytes(
  keccak256(
    toUtf8Bytes(
      "Order(address trader,address token,uint256 tokenId,bool isBuy,uint256 price,uint256 quantity,uint8 timeInForce,uint256 nonce,uint64 expiry)",
    ),
  ),
);
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** The domain separator, computed once per domain. */
export function domainSeparator(domain: TypedDataDomain): Uint8Array {
  return getBytes(TypedDataEncoder.hashDomain(domain));
}

function putUint(buf: Uint8Array, slot: number, v: bigint): void {
  if (v < 0n || v >= 1n << 256n) throw new RangeError("value out of uint256 range");
  for (let i = 31; i >= 0; i--) {
    buf[slot * 32 + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function putAddress(buf: Uint8Array, slot: number, address: string): void {
  buf.set(getBytes(address), slot * 32 + 12);
}

/** The EIP-712 digest of an order (what the trader signs). */
export function orderDigest(separator: Uint8Array, o: Order): string {
  const enc = new Uint8Array(320);
  enc.set(ORDER_TYPEHASH, 0);
  putAddress(enc, 1, o.trader);
  putAddress(enc, 2, o.token);
  putUint(enc, 3, o.tokenId);
  putUint(enc, 4, o.isBuy ? 1n : 0n);
  putUint(enc, 5, o.price);
  putUint(enc, 6, o.quantity);
  if (o.timeInForce < 0 || o.timeInForce > 255) throw new RangeError("timeInForce out of uint8 range");
  putUint(enc, 7, BigInt(o.timeInForce));
  putUint(enc, 8, o.nonce);
  if (o.expiry >= 1n << 64n) throw new RangeError("expiry out of uint64 range");
  putUint(enc, 9, o.expiry);
  const msg = new Uint8Array(66);
  msg[0] = 0x19;
  msg[1] = 0x01;
  msg.set(separator, 2);
  msg.set(getBytes(keccak256(enc)), 34);
  return keccak256(msg);
}

/**
 * The address (lower case, 0x-prefixed) whose key made `signature` over `digest`, or undefined when
 * it is not a valid signature.
 */
export function recoverSigner(digest: string, signature: string): string | undefined {
  let sig: Uint8Array;
  try {
    sig = getBytes(signature);
  } catch {
    return undefined;
  }
  if (sig.length !== 65) return undefined;
  const v = sig[64]!;
  const recoveryId = v >= 27 ? v - 27 : v;
  if (recoveryId !== 0 && recoveryId !== 1) return undefined;
  const s = BigInt(`0x${Buffer.from(sig.subarray(32, 64)).toString("hex")}`);
  if (s === 0n || s > HALF_ORDER) return undefined;
  let pub: Uint8Array | null;
  try {
    pub = secp.recover(getBytes(digest), sig.subarray(0, 64), recoveryId as 0 | 1, false);
  } catch {
    return undefined;
  }
  if (!pub) return undefined;
  return `0x${keccak256(pub.subarray(1)).slice(-40)}`;
}
