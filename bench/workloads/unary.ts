import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { LatencyRecorder } from "../stats.ts";
import type { BenchClient } from "../systems/system-module.ts";
import { measureCpu } from "./measure-cpu.ts";
import { MAX_OPERATIONS, SMALL_PAYLOAD, type WorkloadContext } from "./workload-context.ts";

/** `concurrency` loops of back-to-back calls until `durationMs` passed; returns the calls made. */
async function callLoop(
  client: BenchClient,
  concurrency: number,
  durationMs: number,
  recorder: LatencyRecorder | undefined,
): Promise<number> {
  const end = performance.now() + durationMs;
  let calls = 0;
  const worker = async (): Promise<void> => {
    while (calls < MAX_OPERATIONS) {
      const start = performance.now();
      if (start >= end) {
        return;
      }
      await client.unary(SMALL_PAYLOAD);
      recorder?.add(performance.now() - start);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return calls;
}

/** Workloads a (1 in flight) and b (64 in flight): 32-byte unary echo calls. */
export async function runUnary(
  context: WorkloadContext,
  cell: CellConfig,
  concurrency: number,
): Promise<Metrics> {
  const client = await context.shared();
  if (cell.warmupMs > 0) {
    await callLoop(client, concurrency, cell.warmupMs, undefined);
  }
  const recorder = new LatencyRecorder();
  const measured = await measureCpu(context, () =>
    callLoop(client, concurrency, cell.durationMs, recorder),
  );
  return {
    reqPerSec: measured.value / (measured.elapsedMs / 1000),
    ...recorder.summary(),
    clientCpu: measured.clientCpu,
    serverCpu: measured.serverCpu,
    otherCpu: measured.otherCpu,
    requests: measured.value,
    // The first call to complete; in a fresh process it includes the
    // connection where the system makes it on first use.
    ...(cell.cold ? { firstMs: recorder.first } : {}),
  };
}
