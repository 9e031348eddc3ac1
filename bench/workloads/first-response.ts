import type { CellConfig, Metrics } from "../ipc-messages.ts";
import { LatencyRecorder } from "../stats.ts";
import { SMALL_PAYLOAD, type WorkloadContext } from "./workload-context.ts";

/** Samples discarded first (module warm-up, JIT). */
const WARMUP_SAMPLES = 3;
/** Samples taken even when the time budget is spent, unless 3 budgets passed. */
const MIN_SAMPLES = 5;

/**
 * Workload f: a new peer's first response. Each sample sets up a new peer
 * untimed (for libp2p a new node with a new identity), then times connect +
 * handshakes + one 32-byte unary call, then closes the peer untimed.
 */
export async function runFirstResponse(
  context: WorkloadContext,
  cell: CellConfig,
): Promise<Metrics> {
  const recorder = new LatencyRecorder();
  const started = performance.now();
  const budget = cell.durationMs;
  for (let sample = 0; sample < WARMUP_SAMPLES + cell.maxConnectSamples; sample++) {
    const spent = performance.now() - started;
    const measuredSoFar = Math.max(0, sample - WARMUP_SAMPLES);
    if (spent >= budget && (measuredSoFar >= MIN_SAMPLES || spent >= 3 * budget)) {
      break;
    }
    const peer = await context.system.newPeer();
    try {
      const start = performance.now();
      await peer.connectAndCall(SMALL_PAYLOAD);
      if (sample >= WARMUP_SAMPLES) {
        recorder.add(performance.now() - start);
      }
    } finally {
      await peer.close();
    }
  }
  if (recorder.count === 0) {
    throw new Error("no sample within the time budget");
  }
  return { ...recorder.summary(), samples: recorder.count };
}
