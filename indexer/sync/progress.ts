import type { Logger } from "pino";

/**
 * The progress line of a long backfill: every `intervalMs` while behind, the block reached, the
 * share done, the rate in blocks and events per second, and the time left at that rate.
 */
/** Blocks behind the head that are still "following", not a backfill. */
const FOLLOWING = 10;

export class Progress {
  private startedAt = 0;
  private startBlock = 0;
  private events = 0;
  private lastLine = 0;
  private backfilling = false;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  /**
   * Called before a step fetches `from`…: starts the clock of a backfill when the indexer is more
   * than a few blocks behind `head` (following the head block by block is not a backfill, and says
   * nothing).
   */
  begin(from: number, head: number): void {
    if (this.backfilling || head - from + 1 <= FOLLOWING) return;
    const now = performance.now();
    this.backfilling = true;
    this.startedAt = now;
    this.startBlock = from;
    this.events = 0;
    this.lastLine = now;
  }

  advanced(from: number, to: number, events: number, head: number): void {
    const now = performance.now();
    this.begin(from, head);
    if (!this.backfilling) return;
    this.events += events;
    if (now - this.lastLine < this.intervalMs || head - to <= 1) return;
    this.lastLine = now;
    this.log.info(progressLine(this.startBlock, to, head, this.events, (now - this.startedAt) / 1000), "backfill");
  }

  caughtUp(block: number): void {
    if (!this.backfilling) return;
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.backfilling = false;
    this.log.info(
      {
        block,
        blocks: block - this.startBlock + 1,
        events: this.events,
        seconds: Math.round(seconds * 10) / 10,
        eventsPerSecond: Math.round(this.events / Math.max(seconds, 0.001)),
      },
      "caught up with the chain; following new blocks",
    );
  }
}

export function progressLine(startBlock: number, block: number, head: number, events: number, seconds: number) {
  const done = block - startBlock + 1;
  const total = Math.max(1, head - startBlock + 1);
  const blocksPerSecond = done / Math.max(seconds, 0.001);
  const eta = (head - block) / Math.max(blocksPerSecond, 1e-9);
  return {
    block,
    head,
    percent: Math.round((done / total) * 1000) / 10,
    blocksPerSecond: Math.round(blocksPerSecond),
    eventsPerSecond: Math.round(events / Math.max(seconds, 0.001)),
    eta: formatDuration(eta),
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
