import type { GCProfilerResult } from "node:v8";

/** The spaces a scavenge moves survivors into: what grows there during one was promoted. */
const OLD_SPACES: ReadonlySet<string> = new Set(["old_space", "large_object_space"]);

/** What V8's collector did over some stretch of a run (`v8.GCProfiler`). */
export interface GcSummary {
  /** Scavenges (young-generation collections). */
  readonly scavenges: number;
  /** Bytes the scavenges moved into the old generation, all of them together. */
  readonly promotedBytes: number;
  /** Time spent in collections of every kind, µs. */
  readonly pauseMicros: number;
}

/**
 * Sums a `v8.GCProfiler` result: how many scavenges ran, what they promoted
 * (the growth of the old spaces across each scavenge) and the collector's
 * time. Promotion tells two regimes of the same code apart: in `bench:cpu
 * unary-64` a process either promotes next to nothing per scavenge or about
 * 0.9 MB of per-call garbage, which the next Mark-Compact frees, and then
 * costs 25–35% more CPU per call (bench/README.md, "A/A: the same commit
 * against itself").
 *
 * @example
 * ```ts
 * const profiler = new GCProfiler();
 * profiler.start();
 * await work();
 * const { promotedBytes, scavenges } = summarizeGc(profiler.stop());
 * ```
 */
export function summarizeGc(result: GCProfilerResult): GcSummary {
  let scavenges = 0;
  let promotedBytes = 0;
  let pauseMicros = 0;
  for (const gc of result.statistics) {
    pauseMicros += gc.cost;
    if (gc.gcType !== "Scavenge") {
      continue;
    }
    scavenges++;
    const before = new Map(
      gc.beforeGC.heapSpaceStatistics.map((space) => [space.spaceName, space.spaceUsedSize]),
    );
    for (const space of gc.afterGC.heapSpaceStatistics) {
      if (OLD_SPACES.has(space.spaceName)) {
        promotedBytes += Math.max(0, space.spaceUsedSize - (before.get(space.spaceName) ?? 0));
      }
    }
  }
  return { scavenges, promotedBytes, pauseMicros };
}
