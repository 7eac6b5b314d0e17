import { expect } from "chai";
import { formatDuration, progressLine } from "../../indexer/sync/progress";

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

  it("formats durations for people", function () {
    expect([formatDuration(0), formatDuration(59.4), formatDuration(61), formatDuration(3 * 3600 + 125)]).to.deep.equal(
      ["0s", "59s", "1m 1s", "3h 2m"],
    );
    expect(formatDuration(Infinity)).to.equal("?");
  });
});
