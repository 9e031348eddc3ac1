import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { LatencyRecorder } from "../stats.ts";
import type { BenchClient } from "../systems/system-module.ts";
import { MAX_OPERATIONS, SMALL_PAYLOAD, type WorkloadContext } from "./workload-context.ts";

const UNBOUNDED = 0xffff_ffff;
const BULK_MESSAGE_BYTES = 1024 * 1024;

/** Back-to-back 32-byte unary calls, one at a time, while `running()` holds. */
async function sequentialCalls(
  client: BenchClient,
  running: () => boolean,
  recorder: LatencyRecorder,
): Promise<void> {
  while (running() && recorder.count < MAX_OPERATIONS) {
    const start = performance.now();
    await client.unary(SMALL_PAYLOAD);
    recorder.add(performance.now() - start);
  }
}

/**
 * Workload j, fair sharing of one connection: the p50/p99 of small unary
 * calls, one at a time, first on an idle connection, then while a server
 * stream of 1 MiB messages runs as fast as flow control allows on the same
 * connection (the system's shared client). Reports both, the p99 factor
 * (busy / idle) and the bulk stream's MB/s. The small calls start once the
 * stream's first message arrived, and stop when it ends.
 */
export async function runUnaryDuringBulk(
  context: WorkloadContext,
  cell: CellConfig,
): Promise<Metrics> {
  const client = await context.shared();
  const warmup = performance.now() + cell.warmupMs;
  await sequentialCalls(client, () => performance.now() < warmup, new LatencyRecorder());
  const idle = new LatencyRecorder();
  const idleEnd = performance.now() + cell.durationMs / 2;
  await sequentialCalls(client, () => performance.now() < idleEnd, idle);

  const busy = new LatencyRecorder();
  let streaming = true;
  let flowing: () => void = () => {};
  const firstMessage = new Promise<void>((resolve) => {
    flowing = resolve;
  });
  let bytes = 0;
  const started = performance.now();
  const bulk = client
    .serverStream(
      {
        count: UNBOUNDED,
        payloadSize: BULK_MESSAGE_BYTES,
        durationMs: Math.max(1, Math.round(cell.durationMs)),
        hold: false,
      },
      (size) => {
        bytes += size;
        flowing();
      },
    )
    .finally(() => {
      streaming = false;
      flowing();
    });
  await firstMessage;
  await sequentialCalls(client, () => streaming, busy);
  await bulk;
  const seconds = (performance.now() - started) / 1000;
  const idleSummary = idle.summary();
  const busySummary = busy.summary();
  return {
    idleP50Ms: idleSummary.p50Ms,
    idleP99Ms: idleSummary.p99Ms,
    busyP50Ms: busySummary.p50Ms,
    busyP99Ms: busySummary.p99Ms,
    p99Factor: busySummary.p99Ms / idleSummary.p99Ms,
    busyCalls: busy.count,
    mbPerSec: bytes / seconds / 1e6,
  };
}
