import type { BenchOptions } from "../bench-options.ts";
import { SYSTEMS, type SystemId } from "../system-catalog.ts";
import { WORKLOADS, type WorkloadId } from "../workload-catalog.ts";
import { formatNumber, formatRatio } from "./format-number.ts";
import { DISTURBED_CPU_PERCENT } from "./machine-verdict.ts";
import { renderCold } from "./render-cold.ts";
import { renderMachine } from "./render-machine.ts";
import { renderSystemTable } from "./render-system-table.ts";
import type { CellRecord, ResultTable } from "./summarize-cells.ts";
import type { MachineReport } from "./summarize-machine.ts";
import { combineTargets, type HeldTarget, type TargetResult } from "./targets.ts";

type Column = {
  readonly title: string;
  readonly workload: WorkloadId;
  readonly cell: (metric: (name: string) => number | undefined) => string;
};

const one =
  (name: string) =>
  (metric: (name: string) => number | undefined): string =>
    formatNumber(metric(name));
const pair =
  (first: string, second: string) =>
  (metric: (name: string) => number | undefined): string =>
    `${formatNumber(metric(first))} / ${formatNumber(metric(second))}`;

const THROUGHPUT: readonly Column[] = [
  { title: "(a) req/s", workload: "a", cell: one("reqPerSec") },
  { title: "(a) p50 / p99 ms", workload: "a", cell: pair("p50Ms", "p99Ms") },
  { title: "(b) req/s", workload: "b", cell: one("reqPerSec") },
  { title: "(b) p50 / p99 ms", workload: "b", cell: pair("p50Ms", "p99Ms") },
  { title: "(c) msg/s", workload: "c", cell: one("msgPerSec") },
  { title: "(d) msg/s", workload: "d", cell: one("msgPerSec") },
  { title: "(e) MB/s", workload: "e", cell: one("mbPerSec") },
  { title: "(i) MB/s", workload: "i", cell: one("mbPerSec") },
  {
    title: "(j) unary p99 idle / during bulk ms",
    workload: "j",
    cell: pair("idleP99Ms", "busyP99Ms"),
  },
  { title: "(j) p99 × idle", workload: "j", cell: one("p99Factor") },
];

const CONNECTIONS: readonly Column[] = [
  { title: "(f) p50 / p99 ms", workload: "f", cell: pair("p50Ms", "p99Ms") },
  { title: "(g) server KiB/peer", workload: "g", cell: one("serverKiBPerPeer") },
  { title: "(g) client KiB/peer", workload: "g", cell: one("clientKiBPerPeer") },
  {
    title: "(g) live server / client KiB/peer",
    workload: "g",
    cell: pair("serverLiveKiBPerPeer", "clientLiveKiBPerPeer"),
  },
  { title: "(h) open all, ms", workload: "h", cell: one("openMs") },
  { title: "(h) msg/s", workload: "h", cell: one("msgPerSec") },
  {
    title: "(h) server / client KiB/stream",
    workload: "h",
    cell: pair("serverKiBPerStream", "clientKiBPerStream"),
  },
];

const CPU: readonly Column[] = (["a", "b", "c", "d", "e", "h", "i"] as const).map((workload) => ({
  title: `(${workload}) client / server`,
  workload,
  cell: (metric) => `${formatNumber(metric("clientCpu"))} / ${formatNumber(metric("serverCpu"))}`,
}));

function renderTable(
  table: ResultTable,
  systems: readonly SystemId[],
  workloads: readonly WorkloadId[],
  columns: readonly Column[],
): string {
  return renderSystemTable(table, systems, workloads, columns, (column, system) =>
    column.cell((name) => table.metric(system, column.workload, name)),
  );
}

/** How much CPU other processes took during the measured windows. */
function disturbanceNote(records: readonly CellRecord[]): string {
  const windows = records.flatMap((record) =>
    record.metrics?.otherCpu === undefined ? [] : [record.metrics.otherCpu],
  );
  const disturbed = windows.filter((other) => other >= DISTURBED_CPU_PERCENT);
  if (disturbed.length === 0) {
    return `Other processes used under ${DISTURBED_CPU_PERCENT}% of a core in every measured window.\n`;
  }
  return (
    `Other processes used ${DISTURBED_CPU_PERCENT}% of a core or more in ${disturbed.length} of ${windows.length} measured windows ` +
    `(up to ${formatNumber(Math.max(...disturbed))}%; flagged in the console log, \`otherCpu\` in the JSON). ` +
    "Medians across rounds absorb one disturbed round per cell.\n"
  );
}

function measuredText(target: TargetResult): string {
  if (target.ratio === undefined) {
    return "not measured";
  }
  return target.overhead
    ? `${target.ratio >= 0 ? "+" : ""}${(target.ratio * 100).toFixed(1)}%`
    : formatRatio(target.ratio);
}

function resultText(pass: boolean | undefined): string {
  return pass === undefined ? "–" : pass ? "PASS" : "MISS";
}

/** The targets as a table, with PASS/MISS. */
export function renderTargets(targets: readonly TargetResult[]): string {
  const lines = ["| target | measured | goal | result |", "|---|--:|--:|:-:|"];
  for (const target of targets) {
    lines.push(
      `| ${target.description} | ${measuredText(target)} | ${target.goal} | ${resultText(target.pass)} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The targets on the steady and the cold cells side by side; "holds" is
 * PASS only when both pass (steady alone where the workload has no cold
 * cells, marked "steady only").
 */
export function renderHeldTargets(targets: readonly HeldTarget[]): string {
  const lines = [
    "| target | steady | cold | goal | steady | cold | holds |",
    "|---|--:|--:|--:|:-:|:-:|:-:|",
  ];
  for (const { steady, cold, holds } of targets) {
    const held =
      cold === undefined && holds !== undefined
        ? `${resultText(holds)} (steady only)`
        : resultText(holds);
    lines.push(
      `| ${steady.description} | ${measuredText(steady)} | ${cold === undefined ? "n/a" : measuredText(cold)} | ${steady.goal} | ` +
        `${resultText(steady.pass)} | ${cold === undefined ? "n/a" : resultText(cold.pass)} | ${held} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The cold cells' medians and their targets (the same specs as the steady ones). */
export interface ColdResults {
  readonly table: ResultTable;
  readonly targets: readonly TargetResult[];
  readonly context: readonly TargetResult[];
}

export interface ReportInput {
  readonly title: string;
  readonly options: BenchOptions;
  readonly table: ResultTable;
  readonly targets: readonly TargetResult[];
  readonly context: readonly TargetResult[];
  readonly environment: string;
  /** Every cell, steady and cold. */
  readonly records: readonly CellRecord[];
  /** The machine's load and speed at both ends of the run, and the verdict. */
  readonly machine: MachineReport;
  /** With `--cold`: the cold cells' medians and targets. */
  readonly cold: ColdResults | undefined;
}

/** The whole report: tables of medians, CPU, targets, errors. */
export function renderMarkdownReport(input: ReportInput): string {
  const { options, table } = input;
  const rounds = `${options.rounds} round${options.rounds === 1 ? "" : "s"}`;
  const sections = [
    `# ${input.title}\n`,
    `${input.environment}\n`,
    "## Machine\n",
    renderMachine(input.machine),
    `Medians over ${rounds} (systems interleaved within each round); ${options.durationMs} ms measured after ${options.warmupMs} ms of warm-up per cell. ` +
      `(g) holds ${options.peers} peers, (h) ${options.streams} streams × ${options.messagesPerStream} messages. ` +
      "n/a: not meaningful for that system; (k/n): only k of n rounds succeeded.\n",
    "## Throughput and latency (32-byte payloads; (e) 64 KiB messages)\n",
    renderTable(table, options.systems, options.workloads, THROUGHPUT),
    "## New peers, idle memory, many open streams\n",
    renderTable(table, options.systems, options.workloads, CONNECTIONS),
    "## CPU, % of one core over the measured window (client / server)\n",
    renderTable(table, options.systems, options.workloads, CPU),
    disturbanceNote(input.records),
  ];
  const { cold } = input;
  if (cold === undefined) {
    sections.push("## Targets (same run)\n", renderTargets([...input.targets, ...input.context]));
  } else {
    sections.push(
      "## Cold client process\n",
      "Each cold cell ran in a fresh client process against the server that had just served the steady cells, " +
        `measured from its very first call for the same ${options.durationMs} ms window, with no warm-up ` +
        "(the connection included where the system makes it on first use; the first answer shows it).\n",
      renderCold(table, cold.table, options.systems, options.workloads),
      "## Targets (same run), steady and cold\n",
      "Quote a ratio only where it holds: PASS both steady and cold.\n",
      renderHeldTargets(
        combineTargets([...input.targets, ...input.context], [...cold.targets, ...cold.context]),
      ),
    );
  }
  const tables = [
    { table, mode: "" },
    ...(cold === undefined ? [] : [{ table: cold.table, mode: " cold" }]),
  ];
  const errors = tables.flatMap(({ table: results, mode }) =>
    options.systems.flatMap((system) =>
      options.workloads.flatMap((workload) =>
        (results.get(system, workload)?.errors ?? []).map(
          (error) =>
            `- ${SYSTEMS[system].label}, (${workload})${mode} ${WORKLOADS[workload].name}, ${error}`,
        ),
      ),
    ),
  );
  if (errors.length > 0) {
    sections.push("## Errors\n", `${errors.join("\n")}\n`);
  }
  return sections.filter((section) => section !== "").join("\n");
}
