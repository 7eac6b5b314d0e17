import type { Manifest } from "../../../../sdk/manifest";
import { connectContracts, type Contracts } from "../../../../sdk/contracts";
import { ZeroFeeProvider } from "../../../../sdk/provider";
import type { PortalConfig } from "./config";

/** The chain as the portal reads it: the node behind `/rpc` and typed handles on every contract. */
export interface Chain {
  config: PortalConfig;
  manifest: Manifest;
  provider: ZeroFeeProvider;
  contracts: Contracts;
}

export function connectChain(config: PortalConfig): Chain {
  const manifest: Manifest = {
    chainId: config.chainId,
    deploymentBlock: config.deploymentBlock,
    deployedAt: "",
    contracts: config.contracts,
    accounts: config.accounts,
  };
  const url = new URL("/rpc", window.location.origin).href;
  const provider = new ZeroFeeProvider(url, config.chainId, { staticNetwork: true });
  return { config, manifest, provider, contracts: connectContracts(manifest, provider) };
}
