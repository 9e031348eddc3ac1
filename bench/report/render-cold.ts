import type { SystemId } from "../system-catalog.ts";
import { COLD_WORKLOAD_IDS, WORKLOADS, type WorkloadId } from "../workload-catalog.ts";
import { formatNumber, formatRatio } from "./format-number.ts";
import { renderSystemTable } from "./render-system-table.ts";
import type { ResultTable } from "./summarize-cells.ts";

type Metric = (name: string) => number | undefined;

interface ColdColumn {
  readonly title: string;
  readonly workload: WorkloadId;
  readonly cell: (steady: Metric, cold: Metric) => string;
}

/** "steady / cold (cold ÷ steady)" of the workload's primary metric. */
function steadyAndCold(workload: WorkloadId): ColdColumn {
  const { primary, unit } = WORKLOADS[workload];
  return {
    title: `(${workload}) ${unit} steady / cold (cold ÷ steady)`,
    workload,
    cell(steady, cold) {
      const warm = steady(primary);
      const fresh = cold(primary);
      const ratio =
        warm !== undefined && fresh !== undefined && warm > 0 ? fresh / warm : undefined;
      return `${formatNumber(warm)} / ${formatNumber(fresh)} (${formatRatio(ratio)})`;
    },
  };
}

const COLUMNS: readonly ColdColumn[] = [
  steadyAndCold("a"),
  {
    title: "(a) cold p50 / p99 ms",
    workload: "a",
    cell: (_, cold) => `${formatNumber(cold("p50Ms"))} / ${formatNumber(cold("p99Ms"))}`,
  },
  steadyAndCold("b"),
  {
    title: "(b) cold p50 / p99 ms",
    workload: "b",
    cell: (_, cold) => `${formatNumber(cold("p50Ms"))} / ${formatNumber(cold("p99Ms"))}`,
  },
  steadyAndCold("c"),
  steadyAndCold("d"),
  ...COLD_WORKLOAD_IDS.map(
    (workload): ColdColumn => ({
      title: `(${workload}) cold first answer ms`,
      workload,
      cell: (_, cold) => formatNumber(cold("firstMs")),
    }),
  ),
];

/**
 * The cold cells beside the steady ones: for each system, (a)–(d)'s primary
 * metric steady and cold with their quotient, cold latencies, and the time
 * to the first answer in the fresh process.
 */
export function renderCold(
  steady: ResultTable,
  cold: ResultTable,
  systems: readonly SystemId[],
  workloads: readonly WorkloadId[],
): string {
  return renderSystemTable(
    cold,
    systems,
    workloads,
    COLUMNS,
    (column, system) =>
      column.cell(
        (name) => steady.metric(system, column.workload, name),
        (name) => cold.metric(system, column.workload, name),
      ),
    " cold",
  );
}
