/** One point of a curve: a quantity at a count of peers. */
export interface CurvePoint {
  readonly peers: number;
  readonly value: number;
}

/** How far the per-peer cost may rise from the reference to the largest count and still count as linear. */
export const LINEAR_SLACK = 1.2;
/** The count whose per-peer cost is the reference (the first step at or above it; else the first step). */
export const REFERENCE_PEERS = 100;

/** Whether a curve grows at most linearly, and the figures that say so. */
export interface GrowthVerdict {
  readonly reference: CurvePoint | undefined;
  readonly largest: CurvePoint | undefined;
  /** Per-peer value at the largest count ÷ per-peer value at the reference. */
  readonly ratio: number | undefined;
  /** PASS: at most linear; MISS: faster; n/a: fewer than two counts, or nothing grew at the reference. */
  readonly verdict: "PASS" | "MISS" | "n/a";
}

/**
 * Judges a curve: it grows at most linearly when its value per peer at the
 * largest count is at most `slack` × its value per peer at the reference
 * count (`referencePeers`, or the first count when none reaches it; the
 * smallest counts are left out because there a process's noise is as large
 * as what the peers add). A value that did not grow at the reference (≤ 0)
 * cannot be judged; one that did not grow at the largest count passes.
 */
export function judgeGrowth(
  points: readonly CurvePoint[],
  slack = LINEAR_SLACK,
  referencePeers = REFERENCE_PEERS,
): GrowthVerdict {
  const largest = points.at(-1);
  const reference = points.find((point) => point.peers >= referencePeers) ?? points[0];
  if (reference === undefined || largest === undefined || reference === largest) {
    return { reference, largest, ratio: undefined, verdict: "n/a" };
  }
  if (!(reference.value > 0)) {
    return { reference, largest, ratio: undefined, verdict: "n/a" };
  }
  const ratio = largest.value / largest.peers / (reference.value / reference.peers);
  return { reference, largest, ratio, verdict: ratio <= slack ? "PASS" : "MISS" };
}

/** The idle CPU target: the server under 10% of one core at 5,000 peers. */
export const IDLE_CPU_TARGET = { peers: 5000, percent: 10 } as const;

/** The idle CPU target's outcome. */
export interface IdleCpuVerdict {
  /** The server's idle CPU at the target's count, % of one core; undefined when not reached. */
  readonly percent: number | undefined;
  readonly verdict: "PASS" | "MISS" | "not reached";
}

/** PASS when the server's idle CPU at `target.peers` is below `target.percent`. */
export function judgeIdleCpu(
  steps: readonly { readonly peers: number; readonly serverIdleCpuPercent: number }[],
  target: { readonly peers: number; readonly percent: number } = IDLE_CPU_TARGET,
): IdleCpuVerdict {
  const step = steps.find((candidate) => candidate.peers === target.peers);
  if (step === undefined) {
    return { percent: undefined, verdict: "not reached" };
  }
  return {
    percent: step.serverIdleCpuPercent,
    verdict: step.serverIdleCpuPercent < target.percent ? "PASS" : "MISS",
  };
}
