import { DEFAULT_PROBE_WORK } from "./cpu-probe.ts";
import { formatNumber, formatRatio } from "./format-number.ts";
import { IDLE_WINDOW_MS, type MachineCheck } from "./machine-check.ts";
import type { CpuShare } from "./machine-load.ts";
import type { MachineReport } from "./summarize-machine.ts";

function share(value: CpuShare): string {
  const steal = value.stealPercent === undefined ? "–" : `${formatNumber(value.stealPercent)}%`;
  return `${formatNumber(value.busyPercent)}% / ${steal}`;
}

function loadAverage(check: MachineCheck): string {
  return check.loadAverage.map((value) => value.toFixed(2)).join(" / ");
}

/** One line for the console: the probe and the idle machine at one end of the run. */
export function machineCheckLine(when: string, check: MachineCheck): string {
  const { jsHashMs, protobufMs, loopbackMs } = check.probe;
  const slowdown =
    check.probeSlowdown === undefined
      ? " (no quiet reference for this CPU)"
      : ` (${formatRatio(check.probeSlowdown)} the quiet reference)`;
  return (
    `machine at the ${when}: CPU probe JS ${formatNumber(jsHashMs)} ms, protobuf ${formatNumber(protobufMs)} ms, ` +
    `loopback ${formatNumber(loopbackMs)} ms${slowdown}; load average ${loadAverage(check)}; ` +
    `busy / steal while idle ${share(check.idle)}`
  );
}

/** The report's machine section: the verdict line, then both checks and the run's share. */
export function renderMachine(report: MachineReport): string {
  const { start, end } = report;
  const { reference } = start;
  const row = (title: string, first: string, second: string, third = ""): string =>
    `| ${title} | ${first} | ${second} | ${third} |`;
  const probeRow = (title: string, part: "jsHashMs" | "protobufMs" | "loopbackMs"): string =>
    row(
      title,
      formatNumber(start.probe[part]),
      formatNumber(end.probe[part]),
      formatNumber(reference?.[part]),
    );
  const lines = [
    `| | start | end | quiet reference (${reference === undefined ? "none for this CPU" : `${reference.cores}-core ${reference.cpu}`}) |`,
    "|---|--:|--:|--:|",
    probeRow("CPU probe: JavaScript hash, ms", "jsHashMs"),
    probeRow("CPU probe: protobuf encode + decode, ms", "protobufMs"),
    probeRow("CPU probe: loopback round trips, ms", "loopbackMs"),
    row(
      "CPU probe ÷ quiet reference",
      formatRatio(start.probeSlowdown),
      formatRatio(end.probeSlowdown),
      reference === undefined ? "–" : "1.00×",
    ),
    row("load average, 1 / 5 / 15 min", loadAverage(start), loadAverage(end)),
    row(
      `machine busy / steal, ${IDLE_WINDOW_MS} ms idle window`,
      share(start.idle),
      share(end.idle),
    ),
  ];
  return (
    `**${report.verdict.line}**\n\n${lines.join("\n")}\n\n` +
    `Over the run: machine busy / steal ${share(report.overRun)} of all cores (busy counts the benchmark's own processes). ` +
    "The probe is fixed work timed in the orchestrator while no benchmark process runs: " +
    "FNV-1a over a 256 KiB buffer, protobuf-es encode + decode of a 32-byte request, 32-byte loopback TCP round trips " +
    `(bench/report/cpu-probe.ts; medians of ${DEFAULT_PROBE_WORK.repeats} repeats).\n`
  );
}
