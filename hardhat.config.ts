import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/types";
import "@nomicfoundation/hardhat-ethers";
import "@nomicfoundation/hardhat-chai-matchers";
import "@typechain/hardhat";

/** The one compiler version used everywhere; it comes from the npm package `solc`. */
const SOLC_VERSION = "0.8.30";

// Hardhat would otherwise download a compiler build; this project loads solc-js from node_modules
// instead and never reaches the network for it.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  if (args.solcVersion !== SOLC_VERSION) {
    throw new Error(`Only solc ${SOLC_VERSION} (npm package "solc") is available; got ${args.solcVersion}`);
  }
  const solcPackage = path.dirname(require.resolve("solc/package.json"));
  const { version } = require("solc/package.json") as { version: string };
  if (version !== SOLC_VERSION) {
    throw new Error(`node_modules/solc is ${version}; expected ${SOLC_VERSION}. Run npm ci.`);
  }
  return {
    compilerPath: path.join(solcPackage, "soljson.js"),
    isSolcJs: true,
    version,
    longVersion: require(path.join(solcPackage, "soljson.js")).cwrap("solidity_version", "string", [])(),
  };
});

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: { evmVersion: "cancun", optimizer: { enabled: true, runs: 200 } } }],
    overrides: {
      // Settlement is the hot path of the exchange: the IR pipeline and a high run count make each
      // settled trade markedly cheaper (1,000,000 runs: about 400 gas less per trade at batch 100
      // than 10,000, for 18 KB of code; the legacy pipeline runs out of stack on `settle`).
      "contracts/exchange/Clearing.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", viaIR: true, optimizer: { enabled: true, runs: 1_000_000 } },
      },
      // Surrender and cancellation take four id/amount lists each: more than the legacy pipeline's stack.
      "contracts/compliance/Compliance.sol": {
        version: SOLC_VERSION,
        settings: { evmVersion: "cancun", viaIR: true, optimizer: { enabled: true, runs: 200 } },
      },
    },
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
      // Gas is free on the scheme's permissioned network.
      initialBaseFeePerGas: 0,
      gasPrice: 0,
    },
    localhost: { url: process.env.ETS_RPC_URL ?? "http://127.0.0.1:8545" },
  },
  paths: {
    sources: "./contracts",
    tests: "./test",
    cache: "./cache",
    artifacts: "./artifacts",
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 120_000 },
};

export default config;
