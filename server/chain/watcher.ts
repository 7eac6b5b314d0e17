import type { Logger } from "pino";
import type { Clearing, ParticipantRegistry } from "../../typechain-types";
import { toDomainError } from "../../sdk/errors";
import type { Command } from "../exchange/commands";

const ALL = 2n ** 256n;

/**
 * Follows the chain for what the exchange must know, and hands each event over exactly once (the
 * journal keeps each command's log reference and block, so a restart resumes from the last block
 * seen and skips what it already has):
 * - Clearing: deposits, on-chain withdrawal requests, orders cancelled on chain;
 * - registry: accounts frozen, closed or replaced (their open orders are cancelled) and every status
 *   change (the exchange's cache of who may trade is refreshed).
 */
export class ChainWatcher {
  private cursor: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly seen = new Set<string>();
  /** Whether the node answers `ets_durableBlockNumber` (the durable JSON-RPC of `npm start` does). */
  private durableHead: boolean | undefined;
  /** Last block scanned, and whether the node answered the last poll. */
  status = { block: 0, reachable: true };

  constructor(
    private readonly clearing: Clearing,
    private readonly registry: ParticipantRegistry,
    fromBlock: number,
    private readonly handle: (cmd: Command) => Promise<void>,
    private readonly accountChanged: (wallet: string) => void,
    private readonly log: Logger,
    private readonly pollMs = 250,
    private readonly maxRange = 2_000,
  ) {
    this.cursor = fromBlock;
  }

  /** Marks an event as handled already (from the journal) and moves the cursor to its block. */
  remember(ref: string, block: number): void {
    this.seen.add(ref);
    if (block > this.cursor) this.cursor = block;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) void this.poll();
    }, this.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * The last block to read: where the node has made everything durable, when it says so (a change
   * the chain could still lose on a crash is never acted on), else its head.
   */
  private async head(): Promise<number> {
    const provider = this.clearing.runner!.provider! as unknown as {
      send(m: string, p: unknown[]): Promise<string>;
      getBlockNumber(): Promise<number>;
    };
    if (this.durableHead !== false) {
      try {
        const n = Number(await provider.send("ets_durableBlockNumber", []));
        this.durableHead = true;
        return n;
      } catch {
        this.durableHead = false;
      }
    }
    return provider.getBlockNumber();
  }

  /** Scans up to the head once; a call during a scan waits for it, then scans again. */
  async poll(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.scan();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async scan(): Promise<void> {
    try {
      const provider = this.clearing.runner!.provider!;
      const head = await this.head();
      const c = this.clearing.interface;
      const r = this.registry.interface;
      const topics = [
        c.getEvent("Deposited").topicHash,
        c.getEvent("WithdrawalRequested").topicHash,
        c.getEvent("OrderCancelled").topicHash,
        c.getEvent("NoncesCancelled").topicHash,
        r.getEvent("AccountFrozen").topicHash,
        r.getEvent("AccountUnfrozen").topicHash,
        r.getEvent("AccountClosed").topicHash,
        r.getEvent("AccountRecovered").topicHash,
      ];
      const addresses = [await this.clearing.getAddress(), await this.registry.getAddress()];
      while (this.cursor <= head) {
        const to = Math.min(head, this.cursor + this.maxRange - 1);
        const logs = await provider.getLogs({
          address: addresses,
          fromBlock: this.cursor,
          toBlock: to,
          topics: [topics],
        });
        for (const log of logs) {
          const parsed = (log.address.toLowerCase() === addresses[0]!.toLowerCase() ? c : r).parseLog(log);
          if (!parsed) continue;
          const ref =
            parsed.name === "WithdrawalRequested" ? `request:${parsed.args[0]}` : `${log.transactionHash}:${log.index}`;
          if (this.seen.has(ref)) continue;
          const at = Math.floor(Date.now() / 1000);
          const block = log.blockNumber;
          const a = parsed.args;
          let cmd: Command | undefined;
          switch (parsed.name) {
            case "Deposited":
              cmd = { type: "deposit", at, trader: a[0], token: a[1], tokenId: a[2], amount: a[3], ref, block };
              break;
            case "WithdrawalRequested":
              cmd = {
                type: "withdrawalRequest",
                at,
                requestId: a[0],
                trader: a[1],
                token: a[2],
                tokenId: a[3],
                amount: a[4],
                block,
              };
              break;
            case "OrderCancelled":
              cmd = { type: "chainCancel", at, trader: a[0], nonce: a[1], ref, block };
              break;
            case "NoncesCancelled":
              cmd = { type: "chainCancel", at, trader: a[0], below: a[1], ref, block };
              break;
            case "AccountFrozen":
            case "AccountClosed":
            case "AccountRecovered":
              this.accountChanged(a[0]);
              cmd = { type: "chainCancel", at, trader: a[0], below: ALL, ref, block };
              break;
            case "AccountUnfrozen":
              this.accountChanged(a[0]);
              break;
          }
          if (cmd) await this.handle(cmd);
          this.seen.add(ref);
        }
        this.cursor = to + 1;
        this.status.block = to;
      }
      this.status.reachable = true;
    } catch (err) {
      if (this.status.reachable) this.log.warn({ code: toDomainError(err).code }, "cannot follow the chain; retrying");
      this.status.reachable = false;
    }
  }
}
