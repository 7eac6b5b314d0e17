import canonicalize from "canonicalize";
import { keccak256, toUtf8Bytes } from "ethers";

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: keys sorted by code unit, no
 * insignificant whitespace, numbers in their shortest form. Two documents that differ only in key
 * order or whitespace have the same canonical text, and so the same hash.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON form");
  return text;
}

/** keccak256 of the UTF-8 bytes of the canonical JSON: the hash recorded on chain for a document. */
export function canonicalHash(value: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(value)));
}
