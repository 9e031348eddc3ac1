import type { IdleSample, StepRecord } from "./step-record.ts";

const MiB = 2 ** 20;

/**
 * One curve of the scale chart: a quantity that should grow at most
 * linearly with the peers held. `value` is what is plotted and judged: for
 * memory and idle CPU the growth over the baseline with no peer (a process's
 * fixed cost is not the peers'), for the connect time the total so far, for
 * latency the figure itself.
 */
export interface ScaleMeasure {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  value(steps: readonly StepRecord[], index: number, baseline: IdleSample): number;
}

function growth(
  id: string,
  label: string,
  unit: string,
  pick: (sample: IdleSample) => number,
): ScaleMeasure {
  return {
    id,
    label,
    unit,
    value: (steps, index, baseline) => pick(steps[index] as StepRecord) - pick(baseline),
  };
}

/** The measures of the chart and the verdicts, in their order. */
export const SCALE_MEASURES: readonly ScaleMeasure[] = [
  growth("serverRss", "server RSS growth, no GC", "MiB", (s) => s.server.memory.rss / MiB),
  growth(
    "serverRssFullGc",
    "server RSS growth after a full GC",
    "MiB",
    (s) => s.server.memory.rssFullGc / MiB,
  ),
  growth(
    "serverRssLive",
    "server RSS growth after a memory-reducing GC",
    "MiB",
    (s) => s.server.memory.rssLive / MiB,
  ),
  growth(
    "clientRssFullGc",
    "client processes' RSS growth after a full GC",
    "MiB",
    (s) => s.clients.memory.rssFullGc / MiB,
  ),
  growth(
    "serverIdleCpu",
    "server idle CPU over the baseline",
    "% of a core",
    (s) => s.server.idleCpuPercent,
  ),
  growth(
    "clientIdleCpu",
    "client processes' idle CPU over the baseline",
    "% of a core",
    (s) => s.clients.idleCpuPercent,
  ),
  {
    id: "connectTime",
    label: "time to connect every peer so far",
    unit: "s",
    value: (steps, index) =>
      steps.slice(0, index + 1).reduce((total, step) => total + step.connectMs, 0) / 1000,
  },
  {
    id: "callP50",
    label: "unary call p50",
    unit: "ms",
    value: (steps, index) => (steps[index] as StepRecord).calls.p50Ms,
  },
  {
    id: "callP99",
    label: "unary call p99",
    unit: "ms",
    value: (steps, index) => (steps[index] as StepRecord).calls.p99Ms,
  },
];
