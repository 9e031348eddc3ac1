import { availableParallelism, loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { cpuShareBetween, readMachineLoad } from "../report/machine-load.ts";
import { cpuPercentBetween, nativeBytes, type ProcessSnapshot } from "./process-snapshot.ts";
import type { SnapshotGc } from "./scale-messages.ts";
import type { ScaleProcess } from "./scale-process.ts";
import type { IdleSample, SideMemory, SideSample } from "./step-record.ts";

/** Longest a snapshot (with its GC) may take, ms: a full GC of a few GiB takes seconds. */
const SNAPSHOT_TIMEOUT_MS = 120_000;

function snapshots(processes: readonly ScaleProcess[], gc: SnapshotGc): Promise<ProcessSnapshot[]> {
  return Promise.all(
    processes.map(async (process) => {
      const answer = await process.ask({ kind: "snapshot", gc }, SNAPSHOT_TIMEOUT_MS);
      return answer.snapshot;
    }),
  );
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function sumOf(all: readonly ProcessSnapshot[], pick: (snapshot: ProcessSnapshot) => number) {
  return sum(all.map(pick));
}

function memoryOf(
  noGc: readonly ProcessSnapshot[],
  full: readonly ProcessSnapshot[],
  live: readonly ProcessSnapshot[],
): SideMemory {
  const files = noGc.map((snapshot) => snapshot.openFiles);
  return {
    rss: sumOf(noGc, (snapshot) => snapshot.rss),
    rssFullGc: sumOf(full, (snapshot) => snapshot.rss),
    heapUsed: sumOf(full, (snapshot) => snapshot.heapUsed),
    heapTotal: sumOf(full, (snapshot) => snapshot.heapTotal),
    external: sumOf(full, (snapshot) => snapshot.external),
    arrayBuffers: sumOf(full, (snapshot) => snapshot.arrayBuffers),
    native: sumOf(full, nativeBytes),
    rssLive: sumOf(live, (snapshot) => snapshot.rss),
    ...(files.every((count) => count !== undefined) ? { openFiles: sum(files) } : {}),
  };
}

/** Options of {@link sampleIdle}. */
export interface IdleSampleOptions {
  /** A memory-reducing GC before the window (the baseline's). */
  readonly reduceFirst?: boolean;
  /** Called just before the window's first snapshot and after its last (a profiler's start and stop). */
  readonly window?: { start(): Promise<void>; end(): Promise<void> };
}

/**
 * Measures everything connected so far at rest: both sides' CPU over an idle
 * window of `idleMs` (no calls run; the orchestrator only waits), their
 * memory without a forced GC at its end, then after a full GC and after a
 * memory-reducing GC. With `reduceFirst` (the baseline, before any peer), a
 * memory-reducing GC runs before the window, as (g) takes its "before":
 * start-up's garbage and young generation are then not in the baseline, and
 * later steps' growth counts all the heap the peers grew.
 */
export async function sampleIdle(
  server: ScaleProcess,
  clients: readonly ScaleProcess[],
  idleMs: number,
  options: IdleSampleOptions = {},
): Promise<IdleSample> {
  const everyone = [server, ...clients];
  if (options.reduceFirst === true) {
    await snapshots(everyone, "reducing");
  }
  await options.window?.start();
  const cores = availableParallelism();
  const machineStart = readMachineLoad().ticks;
  const ownStart = process.cpuUsage();
  const [serverStart, ...clientsStart] = await snapshots(everyone, "none");
  await sleep(idleMs);
  const [serverEnd, ...clientsEnd] = await snapshots(everyone, "none");
  await options.window?.end();
  const ownCpu = process.cpuUsage(ownStart);
  const machineEnd = readMachineLoad().ticks;
  const loadAverage = loadavg() as [number, number, number];

  const serverCpu = cpuPercentBetween(serverStart as ProcessSnapshot, serverEnd as ProcessSnapshot);
  const clientsCpu = sum(
    clientsStart.map((start, index) =>
      cpuPercentBetween(start, clientsEnd[index] as ProcessSnapshot),
    ),
  );
  const windowMicros =
    (serverEnd as ProcessSnapshot).timeMicros - (serverStart as ProcessSnapshot).timeMicros;
  const ownPercent = (100 * (ownCpu.user + ownCpu.system)) / windowMicros;
  const machinePercent = cpuShareBetween(machineStart, machineEnd).busyPercent * cores;

  const full = await snapshots(everyone, "full");
  const live = await snapshots(everyone, "reducing");
  const side = (indexes: readonly number[], idleCpuPercent: number): SideSample => {
    const pick = (all: readonly ProcessSnapshot[]) =>
      indexes.map((index) => all[index] as ProcessSnapshot);
    return {
      idleCpuPercent,
      memory: memoryOf(pick([serverEnd as ProcessSnapshot, ...clientsEnd]), pick(full), pick(live)),
    };
  };
  const clientIndexes = clients.map((_, index) => index + 1);
  return {
    server: side([0], serverCpu),
    clients: side(clientIndexes, clientsCpu),
    otherCpuPercent: Math.max(0, machinePercent - serverCpu - clientsCpu - ownPercent),
    idleWindowMs: windowMicros / 1000,
    loadAverage,
  };
}
