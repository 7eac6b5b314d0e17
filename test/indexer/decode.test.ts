import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, Interface, hexlify, toUtf8Bytes } from "ethers";
import { ABIS } from "../../sdk/contracts";
import type { Manifest } from "../../sdk/manifest";
import { EventDecoder } from "../../indexer/sync/decode";
import type { RpcLog } from "../../indexer/sync/rpc";

const RULES = "0x00000000000000000000000000000000000000a1";
const TOKEN = "0x00000000000000000000000000000000000000a2";
const manifest = {
  chainId: 31337,
  deploymentBlock: 1,
  contracts: { TransferRules: RULES, AllowanceToken: TOKEN },
} as unknown as Manifest;

const rules = new Interface(ABIS.TransferRules);
const token = new Interface(ABIS.AllowanceToken);

function log(address: string, topics: string[], data: string): RpcLog {
  return {
    address,
    topics,
    data,
    blockNumber: "0x5",
    blockHash: "0x" + "11".repeat(32),
    transactionHash: "0x" + "22".repeat(32),
    transactionIndex: "0x0",
    logIndex: "0x3",
    removed: false,
  } as RpcLog;
}

/** `TransfersSuspended(string reason)` whose reason is these raw bytes. */
function suspended(reason: Uint8Array): RpcLog {
  const event = rules.getEvent("TransfersSuspended")!;
  return log(RULES, [event.topicHash], AbiCoder.defaultAbiCoder().encode(["bytes"], [reason]));
}

describe("indexer event decoding", function () {
  const decoder = new EventDecoder(manifest);

  it("decodes a text argument as the UTF-8 it is", function () {
    const e = decoder.decode(suspended(toUtf8Bytes("配额冻结: case 7")), 9n);
    expect(e).to.include({ name: "TransfersSuspended", contract: "TransferRules", blockNumber: 5n, timestamp: 9n });
    expect(e.args).to.deep.equal({ reason: "配额冻结: case 7" });
  });

  it("decodes invalid UTF-8 and NUL in a text as U+FFFD instead of refusing the event", function () {
    const e = decoder.decode(suspended(new Uint8Array([0x41, 0xff, 0x42, 0x00, 0x43])), 0n);
    expect(e.args).to.deep.equal({ reason: "A\uFFFDB\uFFFDC" });
  });

  it("decodes any bytes of a text without throwing, to a string without NUL, equal to ethers' for valid text", function () {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const reason = decoder.decode(suspended(bytes), 0n).args.reason as string;
        expect(reason).to.be.a("string");
        expect(reason).not.to.include("\0");
        let strict: string | undefined;
        try {
          strict = rules.decodeEventLog("TransfersSuspended", suspended(bytes).data).toArray()[0] as string;
        } catch {
          strict = undefined; // not UTF-8
        }
        if (strict !== undefined && !strict.includes("\0")) expect(reason).to.equal(strict);
      }),
      { numRuns: 300 },
    );
  });

  it("decodes a text beside indexed and static arguments (ForcedTransfer's case reference)", function () {
    const event = token.getEvent("ForcedTransfer")!;
    const from = "0x" + "ab".repeat(20);
    const to = "0x" + "cd".repeat(20);
    const data = AbiCoder.defaultAbiCoder().encode(["uint256", "uint256", "string"], [2014n, 50n, "法院裁定 2014-7"]);
    const topics = [
      event.topicHash,
      hexlify(AbiCoder.defaultAbiCoder().encode(["address"], [from])),
      hexlify(AbiCoder.defaultAbiCoder().encode(["address"], [to])),
    ];
    const e = decoder.decode(log(TOKEN, topics, data), 0n);
    expect(e.name).to.equal("ForcedTransfer");
    expect(e.args).to.deep.equal({ from, to, id: "2014", amount: "50", caseRef: "法院裁定 2014-7" });
  });
});
