import {
  EventFragment,
  Indexed,
  Interface,
  Utf8ErrorFuncs,
  getBytes,
  toUtf8String,
  type JsonFragment,
  type JsonFragmentType,
  type ParamType,
  type Result,
} from "ethers";
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
    { contract: ContractName; iface: Interface; events: Map<string, DecodedEvent> }
  >();

  constructor(manifest: Manifest) {
    for (const [contract, address] of Object.entries(manifest.contracts)) {
      if (!address) continue;
      const abi = ABIS[contract as ContractName];
      if (!abi) continue;
      const iface = new Interface(abi);
      // topic0 → event, computed once: ethers' own lookup hashes every event signature per log.
      const events = new Map<string, DecodedEvent>();
      for (const entry of abi as readonly JsonFragment[]) {
        if (entry.type !== "event") continue;
        const fragment = EventFragment.from(entry);
        const texts = (entry.inputs ?? []).some(hasText);
        events.set(fragment.topicHash, {
          fragment,
          plan: planOf(fragment),
          // Anonymous: its own signature differs, so its topics are given without the first.
          asBytes: texts
            ? EventFragment.from({ ...entry, anonymous: true, inputs: entry.inputs?.map(stringsAsBytes) })
            : undefined,
        });
      }
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

  /** Decodes a log; `viaEthers` skips the fast path for static events (to compare the two in tests). */
  decode(log: RpcLog, timestamp: bigint, viaEthers = false): ChainEvent {
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
    const event = log.topics[0] ? known.events.get(log.topics[0].toLowerCase()) : undefined;
    if (!event) {
      // An event the ABI does not know (cannot happen with the deployed code): kept raw.
      return { ...place, name: "(unknown)", args: { topics: log.topics.map((t) => t.toLowerCase()), data: log.data } };
    }
    const fast = !viaEthers && event.plan ? decodeStatic(event.plan, log) : undefined;
    if (fast) return { ...place, name: event.fragment.name, args: fast };
    // Texts are read as the bytes they are (the same encoding), then decoded leniently.
    const values = event.asBytes
      ? known.iface.decodeEventLog(event.asBytes, log.data, log.topics.slice(1))
      : known.iface.decodeEventLog(event.fragment, log.data, log.topics);
    return { ...place, name: event.fragment.name, args: encodeArgs(event.fragment.inputs, values) };
  }
}

interface DecodedEvent {
  fragment: EventFragment;
  plan?: Plan;
  /** The event with every `string` read as `bytes`, when it has texts (anonymous: no signature check). */
  asBytes?: EventFragment;
}

/** `string` or an array of strings (`string[]`, `string[2][]`…). */
const TEXT_TYPE = /^string(?=$|\[)/;

/** Whether a parameter is or holds (in an array or tuple) a `string`. */
function hasText(p: JsonFragmentType): boolean {
  return TEXT_TYPE.test(p.type ?? "") || (p.components ?? []).some(hasText);
}

/** A parameter with every `string` (at any depth) typed `bytes`, which the ABI encodes alike. */
function stringsAsBytes(p: JsonFragmentType): JsonFragmentType {
  return {
    ...p,
    ...(p.type ? { type: p.type.replace(TEXT_TYPE, "bytes") } : {}),
    ...(p.components ? { components: p.components.map(stringsAsBytes) } : {}),
  };
}

/**
 * A text argument from its bytes: invalid UTF-8 and NUL characters become U+FFFD. A contract takes
 * any bytes as a `string`; ethers would refuse to decode such an event (the sync would stop at it)
 * and PostgreSQL's text cannot hold NUL (the stores would differ).
 */
function lenientText(bytes: string): string {
  return toUtf8String(getBytes(bytes), Utf8ErrorFuncs.replace).replace(/\0/g, "\uFFFD");
}

/**
 * How to read an event whose arguments are all static words (uintN, address, bool, bytesN): each
 * from its topic or its data word. Most hot events are (transfers, trades, surrenders); ethers'
 * general decoder costs ~10× more per log. Events with strings or arrays have no plan.
 */
type Plan = {
  name: string;
  kind: "uint" | "address" | "bool" | "bytes";
  topic?: number;
  word?: number;
  size?: number;
}[];

function planOf(e: EventFragment): Plan | undefined {
  const plan: Plan = [];
  let topic = 1;
  let word = 0;
  for (const [i, p] of e.inputs.entries()) {
    const m = /^(uint\d*|address|bool|bytes(\d+))$/.exec(p.type);
    if (!m) return undefined;
    const kind = p.type.startsWith("uint")
      ? "uint"
      : p.type === "address"
        ? "address"
        : p.type === "bool"
          ? "bool"
          : "bytes";
    const at = p.indexed ? { topic: topic++ } : { word: word++ };
    plan.push({ name: p.name || `arg${i}`, kind, ...at, ...(m[2] ? { size: Number(m[2]) } : {}) });
  }
  return plan;
}

function decodeStatic(plan: Plan, log: RpcLog): Args | undefined {
  const words = (log.data.length - 2) / 64;
  const out: Args = {};
  for (const p of plan) {
    let w: string | undefined;
    if (p.topic !== undefined) w = log.topics[p.topic]?.slice(2);
    else if (p.word !== undefined && p.word < words) w = log.data.slice(2 + 64 * p.word, 66 + 64 * p.word);
    if (w === undefined || w.length !== 64) return undefined;
    w = w.toLowerCase();
    switch (p.kind) {
      case "uint":
        out[p.name] = BigInt(`0x${w}`).toString();
        break;
      case "address":
        out[p.name] = `0x${w.slice(24)}`;
        break;
      case "bool":
        out[p.name] = BigInt(`0x${w}`) !== 0n;
        break;
      case "bytes":
        out[p.name] = `0x${w.slice(0, 2 * (p.size ?? 32))}`;
        break;
    }
  }
  return out;
}

function encodeArgs(params: readonly ParamType[], values: Result | unknown[]): Args {
  const out: Args = {};
  params.forEach((p, i) => (out[p.name || `arg${i}`] = encode(p, values[i])));
  return out;
}

function encode(p: ParamType, v: unknown): Arg {
  // An indexed dynamic argument is only its hash in a topic.
  if (v instanceof Indexed) return String(v.hash).toLowerCase();
  if (p.isArray()) return (v as unknown[]).map((x) => encode(p.arrayChildren, x));
  if (p.isTuple()) return encodeArgs(p.components, v as Result);
  if (p.baseType === "string") return lenientText(v as string);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return String(v);
  if (p.type === "address" || p.type.startsWith("bytes")) return String(v).toLowerCase();
  return String(v);
}
