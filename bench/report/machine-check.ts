import * as os from "node:os";
import { type CpuProbeResult, runCpuProbe } from "./cpu-probe.ts";
import { type CpuShare, type CpuTicks, cpuShareBetween, readMachineLoad } from "./machine-load.ts";
import { type ProbeReference, probeSlowdown, quietReferenceFor } from "./probe-references.ts";

/** How long the machine is watched, idle, before the probe. */
export const IDLE_WINDOW_MS = 500;

/** The machine's load and speed at the start or the end of a run. */
export interface MachineCheck {
  /** When the check began (ISO 8601). */
  readonly at: string;
  /** 1, 5 and 15 minute load averages when the check began. */
  readonly loadAverage: readonly [number, number, number];
  /**
   * Busy and steal share of all cores over `IDLE_WINDOW_MS` while no
   * benchmark process runs: what everything else on the machine uses.
   */
  readonly idle: CpuShare;
  readonly probe: CpuProbeResult;
  /** The quiet reference for this CPU model and core count; undefined when none was recorded. */
  readonly reference: ProbeReference | undefined;
  /** The probe ÷ that reference (geometric mean of its parts); undefined without one. */
  readonly probeSlowdown: number | undefined;
  /** The CPU counters when the check began, for the share over the whole run. */
  readonly ticks: CpuTicks;
}

/**
 * Watches the idle machine for `IDLE_WINDOW_MS`, then runs the fixed CPU
 * probe. Call it while no benchmark process runs (before the first, after
 * the last); it takes about 2 s.
 */
export async function checkMachine(): Promise<MachineCheck> {
  const at = new Date().toISOString();
  const start = readMachineLoad();
  await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
  const idle = cpuShareBetween(start.ticks, readMachineLoad().ticks);
  const probe = await runCpuProbe();
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown";
  const reference = quietReferenceFor(cpu, os.availableParallelism());
  return {
    at,
    loadAverage: start.loadAverage,
    idle,
    probe,
    reference,
    probeSlowdown: reference === undefined ? undefined : probeSlowdown(probe, reference),
    ticks: start.ticks,
  };
}
