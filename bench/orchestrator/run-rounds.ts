import type { BenchOptions } from "../bench-options.ts";
import type { CellConfig, Metrics, TlsMaterial } from "../ipc-messages.ts";
import { formatNumber } from "../report/format-number.ts";
import { DISTURBED_CPU_PERCENT } from "../report/machine-verdict.ts";
import type { CellRecord } from "../report/summarize-cells.ts";
import { SYSTEMS } from "../system-catalog.ts";
import type { WorkloadId } from "../workload-catalog.ts";
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

/**
 * Runs every round: within a round each selected system in turn (A B C … A B
 * C …), each in fresh server and client processes running its workloads.
 */
export async function runRounds(
  options: BenchOptions,
  tls: TlsMaterial | undefined,
  log: (line: string) => void,
): Promise<CellRecord[]> {
  const records: CellRecord[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const system of options.systems) {
      const workloads = RUN_ORDER.filter(
        (workload) =>
          options.workloads.includes(workload) && SYSTEMS[system].workloads.includes(workload),
      );
      let session: SystemSession | undefined;
      for (const workload of workloads) {
        const prefix = `[round ${round}/${options.rounds}] ${system.padEnd(17)} (${workload})`;
        if (session === undefined || !session.alive) {
          try {
            session = await SystemSession.start(system, tls);
          } catch (error) {
            const message = `could not start: ${error instanceof Error ? error.message : String(error)}`;
            records.push({ round, system, workload, error: message });
            log(`${prefix} ERROR ${message}`);
            continue;
          }
        }
        const outcome = await session.run(
          cellConfig(options, workload),
          cellTimeoutMs(options, workload),
        );
        if ("metrics" in outcome) {
          records.push({ round, system, workload, metrics: outcome.metrics });
          const other = outcome.metrics.otherCpu ?? 0;
          const disturbed =
            other >= DISTURBED_CPU_PERCENT
              ? ` [other processes used ${formatNumber(other)}% CPU]`
              : "";
          log(`${prefix} ${describeMetrics(workload, outcome.metrics)}${disturbed}`);
        } else {
          records.push({ round, system, workload, error: outcome.error });
          log(`${prefix} ERROR ${outcome.error}`);
        }
        if (ENDS_PROCESSES.has(workload)) {
          await session.stop();
        }
      }
      await session?.stop();
    }
  }
  return records;
}
