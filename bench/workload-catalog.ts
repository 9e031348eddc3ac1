/** The workloads, named by their letter in the benchmark issue. */
export const WORKLOAD_IDS = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] as const;

export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/**
 * The workloads `--cold` measures a second time in a fresh client process:
 * unary one and 64 in flight, ping-pong and the small server stream, whose
 * figures depend on the client's JIT warm-up. (e) and (i) move bulk through
 * native code mostly, (f) is a new peer each sample already, (g) and (h)
 * measure memory, and (j) compares two phases of one process.
 */
export const COLD_WORKLOAD_IDS: readonly WorkloadId[] = ["a", "b", "c", "d"];

export interface WorkloadInfo {
  readonly id: WorkloadId;
  /** Short name for tables and the chart. */
  readonly name: string;
  /** The name in lines short enough for a chart group. */
  readonly chartLines: readonly string[];
  /** The metric the chart and the summary show. */
  readonly primary: string;
  /** Unit of the primary metric. */
  readonly unit: string;
  /** Whether a larger primary metric is better (throughput) or worse (latency, memory). */
  readonly higherIsBetter: boolean;
}

export const WORKLOADS: Readonly<Record<WorkloadId, WorkloadInfo>> = {
  a: {
    id: "a",
    name: "unary, 1 in flight",
    chartLines: ["unary", "1 in flight"],
    primary: "reqPerSec",
    unit: "req/s",
    higherIsBetter: true,
  },
  b: {
    id: "b",
    name: "unary, 64 in flight",
    chartLines: ["unary", "64 in flight"],
    primary: "reqPerSec",
    unit: "req/s",
    higherIsBetter: true,
  },
  c: {
    id: "c",
    name: "bidi ping-pong",
    chartLines: ["bidi", "ping-pong"],
    primary: "msgPerSec",
    unit: "msg/s",
    higherIsBetter: true,
  },
  d: {
    id: "d",
    name: "server stream, 32 B",
    chartLines: ["server stream", "32 B msgs"],
    primary: "msgPerSec",
    unit: "msg/s",
    higherIsBetter: true,
  },
  e: {
    id: "e",
    name: "bulk, 64 KiB msgs",
    chartLines: ["bulk", "64 KiB msgs"],
    primary: "mbPerSec",
    unit: "MB/s",
    higherIsBetter: true,
  },
  f: {
    id: "f",
    name: "new peer → 1st response",
    chartLines: ["new peer →", "1st response"],
    primary: "p50Ms",
    unit: "ms (p50)",
    higherIsBetter: false,
  },
  g: {
    id: "g",
    name: "RSS per idle peer",
    chartLines: ["RSS per", "idle peer"],
    primary: "serverKiBPerPeer",
    unit: "server KiB",
    higherIsBetter: false,
  },
  h: {
    id: "h",
    name: "many open server streams",
    chartLines: ["open server", "streams"],
    primary: "msgPerSec",
    unit: "msg/s",
    higherIsBetter: true,
  },
  i: {
    id: "i",
    name: "bulk, 1 MiB msgs",
    chartLines: ["bulk", "1 MiB msgs"],
    primary: "mbPerSec",
    unit: "MB/s",
    higherIsBetter: true,
  },
  j: {
    id: "j",
    name: "unary during bulk",
    chartLines: ["unary p99", "during bulk"],
    primary: "p99Factor",
    unit: "× idle p99",
    higherIsBetter: false,
  },
};
