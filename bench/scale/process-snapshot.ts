import { readdirSync } from "node:fs";
import { takeSnapshot } from "../ipc-messages.ts";
import type { SnapshotGc } from "./scale-messages.ts";

/** One process's CPU, clock, memory and open files at one moment. */
export interface ProcessSnapshot {
  /** User + system CPU time of the process (all its threads), microseconds. */
  readonly cpuMicros: number;
  /** Monotonic clock of the process, microseconds. */
  readonly timeMicros: number;
  readonly rss: number;
  /** JS heap in use, and what the heap holds from the system. */
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** Memory of C++ objects bound to JS objects, ArrayBuffers included. */
  readonly external: number;
  readonly arrayBuffers: number;
  /** Entries of /proc/self/fd; absent where there is no /proc. */
  readonly openFiles?: number;
}

/** Open file descriptors of this process, undefined where /proc is missing. */
function openFiles(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

/**
 * This process's snapshot, after the collection asked for: none (what a
 * user sees), a full GC, or V8's memory-reducing GC (`takeSnapshot` in
 * bench/ipc-messages.ts runs them, twice; the process needs --expose-gc).
 */
export function processSnapshot(gc: SnapshotGc): ProcessSnapshot {
  const { cpuMicros, timeMicros } = takeSnapshot(gc !== "none", gc === "reducing");
  const memory = process.memoryUsage();
  const files = openFiles();
  return {
    cpuMicros,
    timeMicros,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    ...(files === undefined ? {} : { openFiles: files }),
  };
}

/** CPU between two snapshots of one process, % of one core (can exceed 100: helper threads). */
export function cpuPercentBetween(start: ProcessSnapshot, end: ProcessSnapshot): number {
  const wall = end.timeMicros - start.timeMicros;
  return wall > 0 ? (100 * (end.cpuMicros - start.cpuMicros)) / wall : Number.NaN;
}

/**
 * What RSS holds beyond the JS heap and external memory: libuv handles,
 * native addons' memory, and heap pages V8 has freed but keeps.
 */
export function nativeBytes(snapshot: ProcessSnapshot): number {
  return snapshot.rss - snapshot.heapTotal - snapshot.external;
}
