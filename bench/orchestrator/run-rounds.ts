import type { BenchOptions } from "../bench-options.ts";
import type { CellConfig, Metrics, TlsMaterial } from "../ipc-messages.ts";
import { formatNumber } from "../report/format-number.ts";
import { DISTURBED_CPU_PERCENT } from "../report/machine-verdict.ts";
import type { CellRecord } from "../report/summarize-cells.ts";
import { SYSTEMS } from "../system-catalog.ts";
import { COLD_WORKLOAD_IDS, type WorkloadId } from "../workload-catalog.ts";
import { SystemSession } from "./system-session.ts";

/**
 * Workload order within a system's turn. (g) and (h) each run alone in new
 * processes: RSS rarely shrinks after GC, so a process that already ran (d)
 * or (e) would hide what they allocate; (g) leaves 1,000 peers open; and the
 * state 1,000 streams leave behind must not leak into (a)–(f), which share
 * one further pair of processes.
 */
const RUN_ORDER: readonly WorkloadId[] = ["g", "h", "a", "b", "c", "d", "e", "i", "j", "f"];
/** Run first, each in new processes that end with it. */
const ENDS_PROCESSES: ReadonlySet<WorkloadId> = new Set(["g", "h"]);

function cellConfig(options: BenchOptions, workload: WorkloadId): CellConfig {
  return {
    workload,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    peers: options.peers,
    streams: options.streams,
    messagesPerStream: options.messagesPerStream,
    maxConnectSamples: options.maxConnectSamples,
    cold: false,
  };
}

/** How long a cell may take before it counts as stuck. */
function cellTimeoutMs(options: BenchOptions, workload: WorkloadId): number {
  const slack = options.quick ? 10_000 : 20_000;
  switch (workload) {
    case "f":
      return 3 * options.durationMs + slack;
    case "g":
      return (options.quick ? 0 : 60_000) + slack + 20_000;
    case "h":
      return (options.quick ? 0 : 30_000) + slack;
    default:
      return 2 * (options.warmupMs + options.durationMs) + slack;
  }
}

/** One line of progress for a cell. */
function describeMetrics(workload: WorkloadId, metrics: Metrics): string {
  const n = (name: string): string => formatNumber(metrics[name]);
  switch (workload) {
    case "a":
    case "b":
      return `${n("reqPerSec")} req/s, p50 ${n("p50Ms")} ms, p99 ${n("p99Ms")} ms, CPU ${n("clientCpu")}% / ${n("serverCpu")}%`;
    case "c":
      return `${n("msgPerSec")} msg/s, p50 ${n("p50Ms")} ms, CPU ${n("clientCpu")}% / ${n("serverCpu")}%`;
    case "d":
      return `${n("msgPerSec")} msg/s, CPU ${n("clientCpu")}% / ${n("serverCpu")}%`;
    case "e":
    case "i":
      return `${n("mbPerSec")} MB/s, CPU ${n("clientCpu")}% / ${n("serverCpu")}%`;
    case "f":
      return `p50 ${n("p50Ms")} ms, p99 ${n("p99Ms")} ms (${n("samples")} samples)`;
    case "g":
      return `server ${n("serverKiBPerPeer")} KiB/peer, client ${n("clientKiBPerPeer")} KiB/peer, live ${n("serverLiveKiBPerPeer")} / ${n("clientLiveKiBPerPeer")} (${n("peers")} peers)`;
    case "j":
      return `idle p99 ${n("idleP99Ms")} ms, during bulk p50 ${n("busyP50Ms")} / p99 ${n("busyP99Ms")} ms (${n("p99Factor")}×, ${n("busyCalls")} calls), bulk ${n("mbPerSec")} MB/s`;
    case "h":
      return `open ${n("openMs")} ms, ${n("msgPerSec")} msg/s, server ${n("serverKiBPerStream")} KiB/stream`;
  }
}

/** A cell's place in the run: its record without an outcome. */
type CellKey = Omit<CellRecord, "metrics" | "error">;

/** Where cells' outcomes go: the run's records and its console lines. */
interface RunLog {
  readonly records: CellRecord[];
  readonly log: (line: string) => void;
}

function prefix(key: CellKey, rounds: number): string {
  const mode = key.mode === "cold" ? " cold" : "";
  return `[round ${key.round}/${rounds}] ${key.system.padEnd(17)} (${key.workload})${mode}`;
}

function recordError(run: RunLog, key: CellKey, rounds: number, message: string): void {
  run.records.push({ ...key, error: message });
  run.log(`${prefix(key, rounds)} ERROR ${message}`);
}

/** Runs one cell in `session` and records it, with a line of progress. */
async function runCell(
  run: RunLog,
  key: CellKey,
  options: BenchOptions,
  session: SystemSession,
): Promise<void> {
  const cell: CellConfig =
    key.mode === "cold"
      ? { ...cellConfig(options, key.workload), warmupMs: 0, cold: true }
      : cellConfig(options, key.workload);
  const outcome = await session.run(cell, cellTimeoutMs(options, key.workload));
  if ("error" in outcome) {
    recordError(run, key, options.rounds, outcome.error);
    return;
  }
  const { metrics } = outcome;
  run.records.push({ ...key, metrics });
  const other = metrics.otherCpu ?? 0;
  const disturbed =
    other >= DISTURBED_CPU_PERCENT ? ` [other processes used ${formatNumber(other)}% CPU]` : "";
  const first =
    metrics.firstMs === undefined ? "" : `, first answer ${formatNumber(metrics.firstMs)} ms`;
  run.log(
    `${prefix(key, options.rounds)} ${describeMetrics(key.workload, metrics)}${first}${disturbed}`,
  );
}

/** The session `start` gives, or undefined with the reason recorded as the cell's error. */
async function openSession(
  run: RunLog,
  key: CellKey,
  rounds: number,
  start: () => Promise<SystemSession>,
): Promise<SystemSession | undefined> {
  try {
    return await start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    recordError(run, key, rounds, `could not start: ${message}`);
    return undefined;
  }
}

/**
 * Runs every round: within a round each selected system in turn (A B C … A B
 * C …), each in fresh server and client processes running its workloads.
 * With `--cold`, each system's turn ends with its cold cells: for each of
 * (a)–(d) a new client process, against the server that has just served
 * the steady cells, measured from its first call with no warm-up.
 */
export async function runRounds(
  options: BenchOptions,
  tls: TlsMaterial | undefined,
  log: (line: string) => void,
): Promise<CellRecord[]> {
  const run: RunLog = { records: [], log };
  for (let round = 1; round <= options.rounds; round++) {
    for (const system of options.systems) {
      const selected = (workload: WorkloadId): boolean =>
        options.workloads.includes(workload) && SYSTEMS[system].workloads.includes(workload);
      let session: SystemSession | undefined;
      for (const workload of RUN_ORDER.filter(selected)) {
        const key: CellKey = { mode: "steady", round, system, workload };
        if (session === undefined || !session.alive) {
          session = await openSession(run, key, options.rounds, () =>
            SystemSession.start(system, tls),
          );
          if (session === undefined) {
            continue;
          }
        }
        await runCell(run, key, options, session);
        if (ENDS_PROCESSES.has(workload)) {
          await session.stop();
        }
      }
      for (const workload of options.cold ? COLD_WORKLOAD_IDS.filter(selected) : []) {
        const key: CellKey = { mode: "cold", round, system, workload };
        const warm = session?.alive === true ? session : undefined;
        session = await openSession(run, key, options.rounds, async () => {
          if (warm === undefined) {
            // No server left from the steady cells: both processes are new.
            return SystemSession.start(system, tls);
          }
          await warm.freshClient();
          return warm;
        });
        if (session !== undefined) {
          await runCell(run, key, options, session);
        }
      }
      await session?.stop();
    }
  }
  return run.records;
}
