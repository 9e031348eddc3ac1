import { cpus } from "node:os";
import { type ServerSnapshot, takeSnapshot } from "../ipc-messages.ts";
import type { WorkloadContext } from "./workload-context.ts";

export interface Measured<T> {
  readonly value: T;
  /** Client process CPU, % of one core over the window. */
  readonly clientCpu: number;
  /** Server process CPU, % of one core over its own view of the window. */
  readonly serverCpu: number;
  /**
   * CPU used by everything else on the machine over the window, % of one
   * core (all cores' busy time minus client and server): other processes
   * disturbing the measurement. Millisecond-grained, so only a rough guide.
   */
  readonly otherCpu: number;
  readonly elapsedMs: number;
}

/** Busy time of all cores so far, in milliseconds. */
function machineBusyMs(): number {
  let busy = 0;
  for (const { times } of cpus()) {
    busy += times.user + times.nice + times.sys + times.irq;
  }
  return busy;
}

function cpuPercent(start: ServerSnapshot, end: ServerSnapshot): number {
  const wall = end.timeMicros - start.timeMicros;
  return wall > 0 ? (100 * (end.cpuMicros - start.cpuMicros)) / wall : Number.NaN;
}

/** Runs `body` between CPU snapshots of both processes. */
export async function measureCpu<T>(
  context: WorkloadContext,
  body: () => Promise<T>,
): Promise<Measured<T>> {
  const serverStart = await context.askServer({ kind: "snapshot", gc: false });
  // Outside the client's window: elapsedMs is the denominator of rates.
  const machineStart = machineBusyMs();
  const clientStart = takeSnapshot(false);
  const value = await body();
  const clientEnd = takeSnapshot(false);
  const machineEnd = machineBusyMs();
  const serverEnd = await context.askServer({ kind: "snapshot", gc: false });
  const elapsedMs = (clientEnd.timeMicros - clientStart.timeMicros) / 1000;
  const clientCpu = cpuPercent(clientStart, clientEnd);
  const serverCpu = cpuPercent(serverStart, serverEnd);
  const machineCpu = (100 * (machineEnd - machineStart)) / elapsedMs;
  return {
    value,
    clientCpu,
    serverCpu,
    otherCpu: Math.max(0, machineCpu - clientCpu - serverCpu),
    elapsedMs,
  };
}
