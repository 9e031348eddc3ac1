import { readFileSync } from "node:fs";
import * as os from "node:os";

/** Cumulative CPU time of all cores, in clock ticks (or ms where /proc/stat is missing). */
export interface CpuTicks {
  /** Time spent running anything: user, nice, system, irq, softirq. */
  readonly busy: number;
  /** Time the hypervisor ran something else while this machine wanted a CPU. */
  readonly steal: number;
  /** Everything, idle and iowait included. */
  readonly total: number;
  /** Where the ticks come from: steal is only known from /proc/stat. */
  readonly source: "/proc/stat" | "os.cpus";
}

/** The machine's load at one moment. */
export interface MachineLoad {
  /** 1, 5 and 15 minute load averages (0 on Windows). */
  readonly loadAverage: readonly [number, number, number];
  readonly ticks: CpuTicks;
}

/** Busy and steal share of all cores between two readings, in % of the machine. */
export interface CpuShare {
  readonly busyPercent: number;
  readonly stealPercent: number | undefined;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat (`user nice system idle
 * iowait irq softirq steal guest guest_nice`); undefined if there is none.
 * Guest time is already counted in user and nice, so it is not added again.
 */
export function parseProcStat(text: string): CpuTicks | undefined {
  const line = text.split("\n").find((candidate) => /^cpu\s/.test(candidate));
  if (line === undefined) {
    return undefined;
  }
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((field) => !Number.isFinite(field))) {
    return undefined;
  }
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    fields;
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + steal + idle + iowait, source: "/proc/stat" };
}

function ticksFromOs(): CpuTicks {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
    total += times.user + times.nice + times.sys + times.irq + times.idle;
  }
  return { busy, steal: 0, total, source: "os.cpus" };
}

function readTicks(): CpuTicks {
  try {
    const ticks = parseProcStat(readFileSync("/proc/stat", "utf8"));
    if (ticks !== undefined) {
      return ticks;
    }
  } catch {
    // No /proc/stat (macOS, Windows): libuv's per-core times, without steal.
  }
  return ticksFromOs();
}

/** The load average and the CPU time counters now. */
export function readMachineLoad(): MachineLoad {
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  return { loadAverage: [one, five, fifteen], ticks: readTicks() };
}

/** The busy and steal share of all cores between `start` and `end`. */
export function cpuShareBetween(start: CpuTicks, end: CpuTicks): CpuShare {
  const total = end.total - start.total;
  if (total <= 0 || start.source !== end.source) {
    return { busyPercent: Number.NaN, stealPercent: undefined };
  }
  return {
    busyPercent: (100 * (end.busy - start.busy)) / total,
    stealPercent:
      end.source === "/proc/stat" ? (100 * (end.steal - start.steal)) / total : undefined,
  };
}
