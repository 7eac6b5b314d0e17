import fs from "node:fs";
import path from "node:path";
import type { InterfaceAbi } from "ethers";

const solc = require("solc") as { compile(input: string, callbacks?: unknown): string };
const ROOT = path.resolve(__dirname, "..", "..");

/** The signature check of Clearing.sol, exactly as written there. */
const CHECK =
  /\(address recovered, ECDSA\.RecoverError err, \) = ECDSA\.tryRecover\(digest, signature\);[\s\S]*?SignatureChecker\.isValidERC1271SignatureNow\(signer, digest, signature\);/;

let cached: { abi: InterfaceAbi; bytecode: string } | undefined;

/**
 * A compromised build of the production `Clearing` for tests only: the same source, compiled here
 * with its signature check replaced by `return true`. Same storage layout by construction; never in
 * contracts/ and never deployed outside a test.
 */
export function compileClearingWithoutSignatureCheck(): { abi: InterfaceAbi; bytecode: string } {
  if (cached) return cached;
  const source = fs.readFileSync(path.join(ROOT, "contracts/exchange/Clearing.sol"), "utf8");
  if (!CHECK.test(source)) throw new Error("Clearing.sol's signature check has changed; update the test variant");
  const variant = source.replace(CHECK, "signer; digest; signature; return true;");
  const input = {
    language: "Solidity",
    sources: { "contracts/exchange/Clearing.sol": { content: variant } },
    settings: {
      evmVersion: "cancun",
      viaIR: true,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "contracts/exchange/Clearing.sol": { Clearing: ["abi", "evm.bytecode.object"] } },
    },
  };
  const findImports = (p: string) => {
    const file = p.startsWith("@") ? path.join(ROOT, "node_modules", p) : path.join(ROOT, p);
    try {
      return { contents: fs.readFileSync(file, "utf8") };
    } catch {
      return { error: `not found: ${p}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const artifact = output.contracts!["contracts/exchange/Clearing.sol"]!.Clearing!;
  cached = { abi: artifact.abi, bytecode: `0x${artifact.evm.bytecode.object}` };
  return cached;
}
