import { expect } from "chai";
import type { Logger } from "pino";
import { Progress, formatDuration, progressLine } from "../../indexer/sync/progress";

describe("indexer backfill progress line", function () {
  it("gives the share done, the rates and the time left at that rate", function () {
    // Blocks 1001..6000 of 1001..21000 in 10 s, 50,000 events.
    expect(progressLine(1001, 6000, 21000, 50_000, 10)).to.deep.equal({
      block: 6000,
      head: 21000,
      percent: 25,
      blocksPerSecond: 500,
      eventsPerSecond: 5000,
      eta: "30s",
    });
    expect(progressLine(0, 999, 1_000_000, 0, 1).eta).to.equal("16m 39s");
  });

  it("logs a backfill and its end, but not each block while following the head", function () {
    const lines: string[] = [];
    const log = { info: (_o: unknown, msg: string) => lines.push(msg) } as unknown as Logger;
    const p = new Progress(log, 0);
    p.begin(101, 105);
    p.advanced(101, 101, 3, 105);
    p.caughtUp(101);
    expect(lines).to.deep.equal([]);
    p.begin(102, 1_000);
    p.advanced(102, 500, 40, 1_000);
    p.caughtUp(1_000);
    expect(lines).to.deep.equal(["backfill", "caught up with the chain; following new blocks"]);
  });

  it("formats durations for people", function () {
    expect([formatDuration(0), formatDuration(59.4), formatDuration(61), formatDuration(3 * 3600 + 125)]).to.deep.equal(
      ["0s", "59s", "1m 1s", "3h 2m"],
    );
    expect(formatDuration(Infinity)).to.equal("?");
  });
});
