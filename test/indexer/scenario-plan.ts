import { AbiCoder, ZeroHash, keccak256 } from "ethers";

/** The plan hash `Allocation.registerPlan` checks: a chain of keccak256(previous, entity, amount). */
export function planHash(entries: readonly (readonly [bigint, bigint])[]): string {
  const coder = AbiCoder.defaultAbiCoder();
  return entries.reduce((h, [e, a]) => keccak256(coder.encode(["bytes32", "uint64", "uint256"], [h, e, a])), ZeroHash);
}
