import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { runSoak } from "../../bench/soak/run-soak.ts";

/**
 * The heap may grow this much over the CI-sized run, after a full GC: the
 * runs measured (docs/RELIABILITY.md, "Soak") grew 1-3 MiB for 10,000 calls
 * (libp2p's and V8's caches warming up); a leak of even 500 bytes per call
 * would pass 5 MiB.
 */
const HEAP_GROWTH_LIMIT_BYTES = 8 * 2 ** 20;

describe("soak (CI size; `npm run soak` runs the full size)", () => {
  it("10,000 unary calls and 200 streams of 100 messages, a tenth cancelled: everything back to baseline", {
    timeout: 60_000,
  }, async () => {
    const result = await runSoak({
      transport: "memory",
      unaryCalls: 10_000,
      unaryConcurrency: 64,
      streams: 200,
      messagesPerStream: 100,
      streamConcurrency: 64,
      cancelRatio: 0.1,
      settleLimitMs: 10_000,
    });
    // Every call ended, as OK or as Canceled by its caller; nothing else.
    assert.deepEqual(Object.keys(result.unary).sort(), ["Canceled", "OK"]);
    assert.deepEqual(Object.keys(result.streams).sort(), ["Canceled", "OK"]);
    assert.equal((result.unary.OK ?? 0) + (result.unary.Canceled ?? 0), 10_000);
    assert.equal((result.streams.OK ?? 0) + (result.streams.Canceled ?? 0), 200);
    assert.ok((result.unary.Canceled ?? 0) <= result.cancelRequested.unary);
    assert.ok((result.streams.Canceled ?? 0) <= result.cancelRequested.streams);
    // Streams, connections, timers and handles back to (at most) the baseline.
    assert.equal(
      result.settled,
      true,
      JSON.stringify({ before: result.baseline, after: result.after }),
    );
    const growth = result.heapAfterBytes - result.heapBeforeBytes;
    assert.ok(growth < HEAP_GROWTH_LIMIT_BYTES, `heap grew ${(growth / 2 ** 20).toFixed(1)} MiB`);
  });
});
