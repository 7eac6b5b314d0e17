import { Interface, type EventFragment, type ParamType, type Result } from "ethers";
import { ABIS } from "../../sdk/contracts";
import type { Manifest } from "../../sdk/manifest";
import type { RpcLog } from "./rpc";

export type ContractName = keyof typeof ABIS;

/** A decoded argument: integers as decimal strings, addresses and bytes as lower-case hex. */
export type Arg = string | boolean | Arg[] | { [name: string]: Arg };
export type Args = Record<string, Arg>;

/** One event of one of the deployment's contracts, as stored and as handed to the handlers. */
export interface ChainEvent {
  blockNumber: bigint;
  logIndex: bigint;
  txHash: string;
  txIndex: bigint;
  /** The block's timestamp (unix seconds). */
  timestamp: bigint;
  contract: ContractName;
  address: string;
  name: string;
  args: Args;
}

/** Decodes the logs of the deployment's contracts with their ABIs. */
export class EventDecoder {
  private readonly byAddress = new Map<
    string,
    { contract: ContractName; iface: Interface; events: Map<string, EventFragment> }
  >();

  constructor(manifest: Manifest) {
    for (const [contract, address] of Object.entries(manifest.contracts)) {
      if (!address) continue;
      const abi = ABIS[contract as ContractName];
      if (!abi) continue;
      const iface = new Interface(abi);
      // topic0 → event, computed once: ethers' own lookup hashes every event signature per log.
      const events = new Map<string, EventFragment>();
      iface.forEachEvent((e) => events.set(e.topicHash, e));
      this.byAddress.set(address.toLowerCase(), { contract: contract as ContractName, iface, events });
    }
  }

  /** The addresses whose logs the sync asks for. */
  get addresses(): string[] {
    return [...this.byAddress.keys()];
  }

  /** The contract name of an address of the deployment. */
  contractOf(address: string): ContractName | undefined {
    return this.byAddress.get(address.toLowerCase())?.contract;
  }

  decode(log: RpcLog, timestamp: bigint): ChainEvent {
    const address = log.address.toLowerCase();
    const known = this.byAddress.get(address);
    if (!known) throw new Error(`a log from ${address}, which is not a contract of the deployment`);
    const place = {
      blockNumber: BigInt(log.blockNumber),
      logIndex: BigInt(log.logIndex),
      txHash: log.transactionHash.toLowerCase(),
      txIndex: BigInt(log.transactionIndex),
      timestamp,
      contract: known.contract,
      address,
    };
    const fragment = log.topics[0] ? known.events.get(log.topics[0].toLowerCase()) : undefined;
    if (!fragment) {
      // An event the ABI does not know (cannot happen with the deployed code): kept raw.
      return { ...place, name: "(unknown)", args: { topics: log.topics.map((t) => t.toLowerCase()), data: log.data } };
    }
    const values = known.iface.decodeEventLog(fragment, log.data, log.topics);
    return { ...place, name: fragment.name, args: encodeArgs(fragment.inputs, values) };
  }
}

function encodeArgs(params: readonly ParamType[], values: Result | unknown[]): Args {
  const out: Args = {};
  params.forEach((p, i) => (out[p.name || `arg${i}`] = encode(p, values[i])));
  return out;
}

function encode(p: ParamType, v: unknown): Arg {
  if (p.isArray()) return (v as unknown[]).map((x) => encode(p.arrayChildren, x));
  if (p.isTuple()) return encodeArgs(p.components, v as Result);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return String(v);
  if (p.type === "address" || p.type.startsWith("bytes")) return String(v).toLowerCase();
  return String(v);
}
