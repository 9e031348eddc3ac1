/**
 * What an idle process allocates: V8's sampling heap profiler over a window,
 * counting objects the scavenger and the mark-compactor have already
 * collected, so the figure is the allocation rate, not what survived.
 *
 * Why it matters for idle peers: V8 shrinks a young generation it has grown
 * only at a GC that sees an allocation rate under 1,000 bytes per ms
 * (`kLowAllocationThroughput` in `Heap::ShouldResizeNewSpace`), so an idle
 * node that allocates faster than that keeps the young generation its
 * connection burst grew (see bench/README, "Where an idle peer's bytes go").
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { getHeapSpaceStatistics } from "node:v8";

/** What the window saw. */
export interface IdleAllocation {
  readonly seconds: number;
  /** Bytes allocated per second (sampled, collected objects included). */
  readonly bytesPerSecond: number;
  /** CPU of the whole process over the window, % of one core. */
  readonly cpuPercent: number;
  /** V8's young generation at the end (`new_space`'s `space_size`), bytes. */
  readonly newSpaceBytes: number;
  /** The functions that allocated most, by self size, largest first. */
  readonly top: readonly { readonly site: string; readonly bytesPerSecond: number }[];
}

interface ProfileNode {
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/** Samples every 1 KiB on average: fine enough for a few MB per second. */
const SAMPLING_INTERVAL = 1024;

function site(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split("/").slice(-2).join("/");
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/**
 * Samples this process's allocations for `ms` and reports the rate, the
 * process's CPU and the `topCount` functions that allocated most. With
 * `IDLE_PROFILE_DIR` in the environment, the whole profile is also written
 * there as `<pid>.heapprofile` (Chrome DevTools opens it, with call stacks).
 *
 * @example
 * const idle = await sampleIdleAllocation(20_000);
 * console.log(`${(idle.bytesPerSecond / 1e6).toFixed(2)} MB/s`);
 */
export async function sampleIdleAllocation(ms: number, topCount = 8): Promise<IdleAllocation> {
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.enable");
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await new Promise((resolve) => setTimeout(resolve, ms));
    const { profile } = await session.post("HeapProfiler.stopSampling");
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = (performance.now() - started) / 1000;
    const profileDir = process.env.IDLE_PROFILE_DIR;
    if (profileDir !== undefined) {
      writeFileSync(join(profileDir, `${process.pid}.heapprofile`), JSON.stringify(profile));
    }
    const bySite = new Map<string, number>();
    let total = 0;
    const pending: ProfileNode[] = [profile.head as ProfileNode];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (node.selfSize > 0) {
        const key = site(node);
        bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      pending.push(...node.children);
    }
    const top = [...bySite]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topCount)
      .map(([key, bytes]) => ({ site: key, bytesPerSecond: bytes / seconds }));
    const newSpaceBytes =
      getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
    return {
      seconds,
      bytesPerSecond: total / seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
      newSpaceBytes,
      top,
    };
  } finally {
    await session.post("HeapProfiler.disable").catch(() => {});
    session.disconnect();
  }
}

/** Lines for a report: the rate, the CPU, the young generation and the top sites. */
export function formatIdleAllocation(side: string, idle: IdleAllocation): string[] {
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(2);
  return [
    `${side}: ${mb(idle.bytesPerSecond)} MB/s allocated over ${idle.seconds.toFixed(0)} s idle, CPU ${idle.cpuPercent.toFixed(2)}% of a core, young generation ${(idle.newSpaceBytes / 1024 / 1024).toFixed(0)} MiB at the end`,
    ...idle.top.map((entry) => `  ${mb(entry.bytesPerSecond).padStart(6)} MB/s  ${entry.site}`),
  ];
}
