import type { Logger } from "pino";
import type { Clearing } from "../../typechain-types";
import { toDomainError } from "../../sdk/errors";
import type { Command } from "../exchange/commands";

/**
 * Follows the Clearing contract's deposits and on-chain withdrawal requests and hands each to the
 * exchange as a command, exactly once (commands carry the log's reference and block, which the
 * journal keeps, so a restart resumes from the last block seen and skips what it already has).
 */
export class ChainWatcher {
  private cursor: number;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly seen = new Set<string>();
  /** Last block scanned, and whether the node answered the last poll. */
  status = { block: 0, reachable: true };

  constructor(
    private readonly clearing: Clearing,
    fromBlock: number,
    private readonly handle: (cmd: Command) => Promise<void>,
    private readonly log: Logger,
    private readonly pollMs = 250,
    private readonly maxRange = 2_000,
  ) {
    this.cursor = fromBlock;
  }

  /**
   * Marks an event as already handled (from the journal) and moves the cursor to its block: a
   * deposit by `txHash:logIndex`, a withdrawal request by `request:<id>`.
   */
  remember(ref: string, block: number): void {
    this.seen.add(ref);
    if (block > this.cursor) this.cursor = block;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Scans up to the head once (tests and start-up call it directly). */
  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const provider = this.clearing.runner!.provider!;
      const head = await provider.getBlockNumber();
      while (this.cursor <= head) {
        const to = Math.min(head, this.cursor + this.maxRange - 1);
        const deposited = this.clearing.interface.getEvent("Deposited").topicHash;
        const requested = this.clearing.interface.getEvent("WithdrawalRequested").topicHash;
        const logs = await provider.getLogs({
          address: await this.clearing.getAddress(),
          fromBlock: this.cursor,
          toBlock: to,
          topics: [[deposited, requested]],
        });
        for (const log of logs) {
          const parsed = this.clearing.interface.parseLog(log);
          if (!parsed) continue;
          const ref = parsed.name === "Deposited" ? `${log.transactionHash}:${log.index}` : `request:${parsed.args[0]}`;
          if (this.seen.has(ref)) continue;
          const at = Math.floor(Date.now() / 1000);
          const cmd: Command =
            parsed.name === "Deposited"
              ? { type: "deposit", at, trader: parsed.args[0], token: parsed.args[1], tokenId: parsed.args[2], amount: parsed.args[3], ref, block: log.blockNumber }
              : { type: "withdrawalRequest", at, requestId: parsed.args[0], trader: parsed.args[1], token: parsed.args[2], tokenId: parsed.args[3], amount: parsed.args[4], block: log.blockNumber };
          await this.handle(cmd);
          this.seen.add(ref);
        }
        this.cursor = to + 1;
        this.status.block = to;
      }
      this.status.reachable = true;
    } catch (err) {
      if (this.status.reachable) this.log.warn({ code: toDomainError(err).code }, "cannot follow the chain; retrying");
      this.status.reachable = false;
    } finally {
      this.busy = false;
    }
  }
}
