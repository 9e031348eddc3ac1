import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { LatencyRecorder } from "../stats.ts";
import type { PingPong } from "../systems/system-module.ts";
import { measureCpu } from "./measure-cpu.ts";
import { MAX_OPERATIONS, SMALL_PAYLOAD, type WorkloadContext } from "./workload-context.ts";

async function roundTrips(
  call: PingPong,
  durationMs: number,
  recorder: LatencyRecorder | undefined,
): Promise<number> {
  const end = performance.now() + durationMs;
  let count = 0;
  while (count < MAX_OPERATIONS) {
    const start = performance.now();
    if (start >= end) {
      break;
    }
    await call.roundTrip(SMALL_PAYLOAD);
    recorder?.add(performance.now() - start);
    count++;
  }
  return count;
}

/** Workload c: 32-byte ping-pong on one open bidi call; msg/s counts round trips. */
export async function runPingPong(context: WorkloadContext, cell: CellConfig): Promise<Metrics> {
  const client = await context.shared();
  const call = await client.openPingPong();
  if (cell.warmupMs > 0) {
    await roundTrips(call, cell.warmupMs, undefined);
  }
  const recorder = new LatencyRecorder();
  const measured = await measureCpu(context, () => roundTrips(call, cell.durationMs, recorder));
  await call.close();
  return {
    msgPerSec: measured.value / (measured.elapsedMs / 1000),
    ...recorder.summary(),
    clientCpu: measured.clientCpu,
    serverCpu: measured.serverCpu,
    otherCpu: measured.otherCpu,
    roundTrips: measured.value,
    ...(cell.cold ? { firstMs: recorder.first } : {}),
  };
}
