import { FeeData, JsonRpcProvider, type JsonRpcApiProviderOptions, type Networkish } from "ethers";

/**
 * A JSON-RPC provider for the scheme's zero-fee network: every transaction is sent as a legacy
 * transaction with gas price 0, which accounts without ether can send. (ethers would otherwise ask
 * a 1 gwei priority fee.)
 */
export class ZeroFeeProvider extends JsonRpcProvider {
  constructor(url: string, network?: Networkish, options?: JsonRpcApiProviderOptions) {
    // No response cache: two transactions in a row must not see the same cached nonce.
    super(url, network, { pollingInterval: 250, cacheTimeout: -1, ...options });
  }

  override async getFeeData(): Promise<FeeData> {
    return new FeeData(0n, null, null);
  }
}

export function connectRpc(url: string): ZeroFeeProvider {
  return new ZeroFeeProvider(url, undefined, { staticNetwork: false });
}
