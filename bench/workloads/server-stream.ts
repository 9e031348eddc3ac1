import type { CellConfig, Metrics } from "../ipc-messages.ts";
import type { BenchClient } from "../systems/system-module.ts";
import { measureCpu } from "./measure-cpu.ts";
import type { WorkloadContext } from "./workload-context.ts";

const UNBOUNDED = 0xffff_ffff;

interface Received {
  readonly messages: number;
  readonly bytes: number;
  /** From the first message to the last, in milliseconds. */
  readonly spanMs: number;
  /** From the call's start to its first message, in milliseconds. */
  readonly firstMs: number;
}

/** One server-streaming call that the server ends after `durationMs`. */
async function receive(
  client: BenchClient,
  payloadSize: number,
  durationMs: number,
): Promise<Received> {
  const started = performance.now();
  let first = 0;
  let last = 0;
  let messages = 0;
  let bytes = 0;
  await client.serverStream(
    { count: UNBOUNDED, payloadSize, durationMs: Math.max(1, Math.round(durationMs)), hold: false },
    (size) => {
      last = performance.now();
      if (messages === 0) {
        first = last;
      } else {
        bytes += size;
      }
      messages++;
    },
  );
  if (messages < 2) {
    throw new Error(`the server stream delivered ${messages} message(s)`);
  }
  // Rates count what arrived after the first message, over first → last.
  return { messages: messages - 1, bytes, spanMs: last - first, firstMs: first - started };
}

/**
 * Workloads d (32-byte messages, msg/s), e (64 KiB messages, MB/s) and i
 * (1 MiB messages, MB/s, above the reader's 256 KiB high-water mark): one
 * server-streaming call sending as fast as flow control allows for the
 * measured duration, after a shorter warm-up call.
 */
export async function runServerStream(
  context: WorkloadContext,
  cell: CellConfig,
  payloadSize: number,
): Promise<Metrics> {
  const client = await context.shared();
  if (cell.warmupMs > 0) {
    await receive(client, payloadSize, cell.warmupMs);
  }
  const measured = await measureCpu(context, () => receive(client, payloadSize, cell.durationMs));
  const { messages, bytes, spanMs, firstMs } = measured.value;
  const seconds = spanMs / 1000;
  return {
    msgPerSec: messages / seconds,
    mbPerSec: bytes / seconds / 1e6,
    clientCpu: measured.clientCpu,
    serverCpu: measured.serverCpu,
    otherCpu: measured.otherCpu,
    messages,
    ...(cell.cold ? { firstMs } : {}),
  };
}
