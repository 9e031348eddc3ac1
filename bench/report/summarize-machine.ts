import type { MachineCheck } from "./machine-check.ts";
import { type CpuShare, cpuShareBetween } from "./machine-load.ts";
import { DISTURBED_CPU_PERCENT, type MachineVerdict, machineVerdict } from "./machine-verdict.ts";
import type { CellRecord } from "./summarize-cells.ts";

/** The machine over a run: both checks, the whole run's CPU share and the verdict. */
export interface MachineReport {
  readonly start: MachineCheck;
  readonly end: MachineCheck;
  /**
   * Busy and steal share of all cores from the start check to the end
   * check. Busy includes the benchmark's own processes, so it says how much
   * of the machine the run had, not who disturbed it; steal is the
   * hypervisor's.
   */
  readonly overRun: CpuShare;
  /** Measured windows, and those in which other processes used `DISTURBED_CPU_PERCENT` or more. */
  readonly windows: number;
  readonly disturbedWindows: number;
  readonly verdict: MachineVerdict;
}

/** Puts the two checks and the run's windows together and judges the run. */
export function summarizeMachine(
  start: MachineCheck,
  end: MachineCheck,
  records: readonly CellRecord[],
): MachineReport {
  const others = records.flatMap((record) =>
    record.metrics?.otherCpu === undefined ? [] : [record.metrics.otherCpu],
  );
  return summarizeMachineWindows(start, end, others);
}

/**
 * The same for a tool with windows of its own (`bench:scale`'s idle
 * windows): `others` is what other processes used in each measured window,
 * % of one core.
 */
export function summarizeMachineWindows(
  start: MachineCheck,
  end: MachineCheck,
  others: readonly number[],
): MachineReport {
  const windows = others.length;
  const disturbedWindows = others.filter((other) => other >= DISTURBED_CPU_PERCENT).length;
  const overRun = cpuShareBetween(start.ticks, end.ticks);
  const verdict = machineVerdict({
    probeSlowdownAtStart: start.probeSlowdown,
    probeSlowdownAtEnd: end.probeSlowdown,
    idleBusyPercentAtStart: start.idle.busyPercent,
    idleBusyPercentAtEnd: end.idle.busyPercent,
    stealPercent: overRun.stealPercent,
    windows,
    disturbedWindows,
  });
  return { start, end, overRun, windows, disturbedWindows, verdict };
}
