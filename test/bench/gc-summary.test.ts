import assert from "node:assert/strict";
import { GCProfiler, type GCProfilerResult, type HeapStatistics } from "node:v8";
import { describe, it } from "vitest";
import { summarizeGc } from "../../bench/gc-summary.ts";

type GcEntry = GCProfilerResult["statistics"][number];

/** One collection: its kind, its cost (µs) and the used bytes of some spaces before and after. */
function entry(
  gcType: string,
  cost: number,
  before: Record<string, number>,
  after: Record<string, number>,
): GcEntry {
  const spaces = (used: Record<string, number>) =>
    Object.entries(used).map(([spaceName, spaceUsedSize]) => ({
      spaceName,
      spaceUsedSize,
      spaceSize: 0,
      spaceAvailableSize: 0,
      physicalSpaceSize: 0,
    }));
  const heapStatistics = {} as HeapStatistics;
  return {
    gcType,
    cost,
    beforeGC: { heapStatistics, heapSpaceStatistics: spaces(before) },
    afterGC: { heapStatistics, heapSpaceStatistics: spaces(after) },
  };
}

function result(statistics: GcEntry[]): GCProfilerResult {
  return { version: 1, startTime: 0, endTime: 1, statistics };
}

describe("summarizeGc", () => {
  it("counts what scavenges moved into the old spaces, and every collection's time", () => {
    const summary = summarizeGc(
      result([
        entry(
          "Scavenge",
          10,
          { new_space: 5_000, old_space: 1_000, large_object_space: 0 },
          { new_space: 100, old_space: 1_600, large_object_space: 100 },
        ),
        entry(
          "MarkSweepCompact",
          30,
          { new_space: 900, old_space: 1_000 },
          { new_space: 0, old_space: 1_200 },
        ),
        entry(
          "Scavenge",
          20,
          { new_space: 4_000, old_space: 1_000 },
          { new_space: 50, old_space: 1_050 },
        ),
      ]),
    );
    assert.deepEqual(summary, { scavenges: 2, promotedBytes: 750, pauseMicros: 60 });
  });

  it("counts an old space that shrank during a scavenge (swept meanwhile) as nothing promoted", () => {
    const summary = summarizeGc(
      result([entry("Scavenge", 5, { old_space: 2_000 }, { old_space: 1_500 })]),
    );
    assert.equal(summary.promotedBytes, 0);
  });

  it("sees V8's own spaces: objects kept across scavenges are promoted, garbage is not", () => {
    const profiled = (work: () => void) => {
      const profiler = new GCProfiler();
      profiler.start();
      work();
      return summarizeGc(profiler.stop());
    };
    // Garbage first, twice: the first run's scavenges also promote what the
    // worker had in its young generation; and what the kept run leaves there
    // would be promoted by a later run (its array, old by then, points at it).
    let length = 0;
    const makeGarbage = () => {
      for (let i = 0; i < 1_000_000; i++) {
        length += `object ${i}`.length;
      }
    };
    profiled(makeGarbage);
    const garbage = profiled(makeGarbage);
    const kept: string[] = [];
    const keeping = profiled(() => {
      for (let i = 0; i < 1_000_000; i++) {
        const text = `object ${i}`;
        if (i % 2 === 0) {
          kept.push(text);
        }
      }
    });
    assert.ok(length > 0 && kept.length === 500_000);
    assert.ok(garbage.scavenges > 0 && keeping.scavenges > 0);
    assert.ok(keeping.promotedBytes > 5_000_000, `kept: ${keeping.promotedBytes} bytes promoted`);
    assert.ok(
      garbage.promotedBytes < keeping.promotedBytes / 5,
      `garbage: ${garbage.promotedBytes} against ${keeping.promotedBytes} bytes promoted`,
    );
  });
});
