import type { SystemId } from "../system-catalog.ts";
import { COLD_WORKLOAD_IDS, type WorkloadId } from "../workload-catalog.ts";
import type { ResultTable } from "./summarize-cells.ts";

/** One target of the benchmark issue, evaluated on a run. */
export interface TargetResult {
  readonly id: string;
  /** What is compared, in words. */
  readonly description: string;
  /** The workload both sides of the ratio come from. */
  readonly workload: WorkloadId;
  /** The measured ratio (undefined when a side was not measured). */
  readonly ratio: number | undefined;
  /** "≥ 2" or "≤ 1". */
  readonly goal: string;
  readonly pass: boolean | undefined;
  /** The ratio is an overhead (0.1 = 10% slower), not a plain quotient. */
  readonly overhead: boolean;
}

interface TargetSpec {
  readonly id: string;
  readonly description: string;
  readonly workload: WorkloadId;
  readonly metric: string;
  readonly system: SystemId;
  readonly baseline: SystemId;
  /** The ratio system ÷ baseline must be at least `min`, or at most `max`. */
  readonly min?: number;
  readonly max?: number;
  /** Reported as `baseline ÷ system − 1` (an overhead) rather than a ratio. */
  readonly overhead?: boolean;
}

/** The targets, in the benchmark issue's order. */
export const TARGET_SPECS: readonly TargetSpec[] = [
  {
    id: "b-throughput",
    description: "(b) unary ×64 req/s: p2prpc TCP ÷ grpc-js h2c",
    workload: "b",
    metric: "reqPerSec",
    system: "p2prpc-tcp",
    baseline: "grpc-js",
    min: 2,
  },
  {
    id: "a-throughput",
    description: "(a) unary ×1 req/s: p2prpc TCP ÷ grpc-js h2c",
    workload: "a",
    metric: "reqPerSec",
    system: "p2prpc-tcp",
    baseline: "grpc-js",
    min: 1.5,
  },
  {
    id: "a-p50",
    description: "(a) unary ×1 p50 latency: p2prpc TCP ÷ grpc-js h2c",
    workload: "a",
    metric: "p50Ms",
    system: "p2prpc-tcp",
    baseline: "grpc-js",
    max: 1,
  },
  {
    id: "d-throughput",
    description: "(d) server stream msg/s: p2prpc TCP ÷ grpc-js h2c",
    workload: "d",
    metric: "msgPerSec",
    system: "p2prpc-tcp",
    baseline: "grpc-js",
    min: 5,
  },
  {
    id: "c-throughput",
    description: "(c) bidi ping-pong msg/s: p2prpc TCP ÷ grpc-js h2c",
    workload: "c",
    metric: "msgPerSec",
    system: "p2prpc-tcp",
    baseline: "grpc-js",
    min: 1,
  },
  {
    id: "e-vs-grpc",
    description: "(e) bulk MB/s: p2prpc TCP ÷ grpc-js h2c",
    workload: "e",
    metric: "mbPerSec",
    system: "p2prpc-tcp",
    baseline: "grpc-js",
    min: 1,
  },
  {
    id: "e-vs-raw",
    description: "(e) bulk MB/s: p2prpc TCP ÷ raw libp2p, one stream",
    workload: "e",
    metric: "mbPerSec",
    system: "p2prpc-tcp",
    baseline: "libp2p-one-stream",
    min: 0.8,
  },
  {
    id: "f-quic-vs-tls",
    description: "(f) new peer → first response p50: p2prpc QUIC ÷ grpc-js TLS",
    workload: "f",
    metric: "p50Ms",
    system: "p2prpc-quic",
    baseline: "grpc-js-tls",
    max: 1,
  },
  {
    id: "overhead-vs-raw",
    description:
      "p2prpc overhead over raw libp2p, (a) unary ×1 on TCP vs raw libp2p on one reused stream (raw req/s ÷ p2prpc req/s − 1)",
    workload: "a",
    metric: "reqPerSec",
    system: "p2prpc-tcp",
    baseline: "libp2p-one-stream",
    max: 0.15,
    overhead: true,
  },
];

/** Comparisons printed next to the targets, for context only. */
export const CONTEXT_SPECS: readonly TargetSpec[] = [
  {
    id: "overhead-vs-raw-new-stream",
    description:
      "(info) p2prpc overhead over raw libp2p with a new stream per request, (a) unary ×1 on TCP",
    workload: "a",
    metric: "reqPerSec",
    system: "p2prpc-tcp",
    baseline: "libp2p-new-stream",
    overhead: true,
  },
  {
    id: "b-overhead-vs-raw",
    description:
      "(info) p2prpc overhead over raw libp2p on 64 reused streams, (b) unary ×64 on TCP",
    workload: "b",
    metric: "reqPerSec",
    system: "p2prpc-tcp",
    baseline: "libp2p-one-stream",
    overhead: true,
  },
  {
    id: "a-floor-vs-raw",
    description:
      "(info) the floor's overhead over raw libp2p: Connect + protobuf on raw libp2p's one stream, (a) unary ×1",
    workload: "a",
    metric: "reqPerSec",
    system: "connect-on-libp2p",
    baseline: "libp2p-one-stream",
    overhead: true,
  },
  {
    id: "a-overhead-vs-floor",
    description:
      "(info) p2prpc overhead over that floor (its own protocol: headers, status, deadlines, cancellation, stream pool), (a) unary ×1",
    workload: "a",
    metric: "reqPerSec",
    system: "p2prpc-tcp",
    baseline: "connect-on-libp2p",
    overhead: true,
  },
];

export function evaluateTargets(table: ResultTable, specs = TARGET_SPECS): TargetResult[] {
  return specs.map((spec) => {
    const value = table.metric(spec.system, spec.workload, spec.metric);
    const base = table.metric(spec.baseline, spec.workload, spec.metric);
    let ratio: number | undefined;
    if (value !== undefined && base !== undefined && value > 0 && base > 0) {
      ratio = spec.overhead === true ? base / value - 1 : value / base;
    }
    const goal =
      spec.min !== undefined
        ? `≥ ${spec.min}`
        : spec.max !== undefined
          ? `≤ ${spec.overhead === true ? `${spec.max * 100}%` : spec.max}`
          : "–";
    let pass: boolean | undefined;
    if (ratio !== undefined && (spec.min !== undefined || spec.max !== undefined)) {
      pass =
        (spec.min === undefined || ratio >= spec.min) &&
        (spec.max === undefined || ratio <= spec.max);
    }
    return {
      id: spec.id,
      description: spec.description,
      workload: spec.workload,
      ratio,
      goal,
      pass,
      overhead: spec.overhead === true,
    };
  });
}

/** One target evaluated on the steady cells and on the cold ones. */
export interface HeldTarget {
  readonly steady: TargetResult;
  /** Undefined when the target's workload has no cold cells (not in `COLD_WORKLOAD_IDS`). */
  readonly cold: TargetResult | undefined;
  /**
   * Whether the ratio may be quoted: it passes steady and cold (steady alone
   * where the workload has no cold cells). False when either misses;
   * undefined when a needed side was not measured or the line has no goal.
   */
  readonly holds: boolean | undefined;
}

/** Pairs each steady target with its cold evaluation (same order, same specs). */
export function combineTargets(
  steady: readonly TargetResult[],
  cold: readonly TargetResult[],
): HeldTarget[] {
  return steady.map((target) => {
    const applicable = COLD_WORKLOAD_IDS.includes(target.workload);
    const coldTarget = applicable
      ? cold.find((candidate) => candidate.id === target.id)
      : undefined;
    let holds: boolean | undefined;
    if (target.pass === false || coldTarget?.pass === false) {
      holds = false;
    } else if (target.pass === true && (!applicable || coldTarget?.pass === true)) {
      holds = true;
    }
    return { steady: target, cold: coldTarget, holds };
  });
}
