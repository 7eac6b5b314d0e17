import fs from "node:fs";
import path from "node:path";
import type { InterfaceAbi } from "ethers";

/** The solc-js compiler from the npm package `solc` (the same one Hardhat uses; never downloaded). */
const solc = require("solc") as { compile(input: string): string };

export interface CompiledMock {
  abi: InterfaceAbi;
  bytecode: string;
}

const cache = new Map<string, CompiledMock>();

/**
 * Compiles a test-only contract from `<dir>/<name>.sol` (by default `test/contracts/mocks/`). Mocks
 * live outside `contracts/` so that they never ship with the registry; they must be self-contained
 * (no imports).
 */
export function compileMock(name: string, dir: string = __dirname): CompiledMock {
  const file = `${name}.sol`;
  const key = path.join(dir, file);
  const hit = cache.get(key);
  if (hit) return hit;
  const input = {
    language: "Solidity",
    sources: { [file]: { content: fs.readFileSync(key, "utf8") } },
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const artifact = output.contracts?.[file]?.[name];
  if (!artifact) throw new Error(`${file} has no contract ${name}`);
  const compiled = { abi: artifact.abi, bytecode: `0x${artifact.evm.bytecode.object}` };
  cache.set(key, compiled);
  return compiled;
}
