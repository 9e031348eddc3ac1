import { formatNumber } from "../report/format-number.ts";
import { renderMachine } from "../report/render-machine.ts";
import type { MachineReport } from "../report/summarize-machine.ts";
import {
  type CurvePoint,
  type GrowthVerdict,
  IDLE_CPU_TARGET,
  type IdleCpuVerdict,
  LINEAR_SLACK,
  REFERENCE_PEERS,
} from "./growth-verdict.ts";
import type { ScaleMeasure } from "./scale-measures.ts";
import type { ScaleOptions } from "./scale-options.ts";
import type { IdleSample, ScaleMeasurements, StepRecord } from "./step-record.ts";

/** A measure with its verdict, as the report and the JSON give it. */
export interface MeasureVerdict {
  readonly measure: ScaleMeasure;
  /** The measure's value at each step held. */
  readonly points: readonly CurvePoint[];
  readonly verdict: GrowthVerdict;
}

/** Everything the scale report shows. */
export interface ScaleReportInput {
  readonly title: string;
  readonly command: string;
  readonly environment: string;
  readonly options: ScaleOptions;
  readonly measurements: ScaleMeasurements;
  readonly verdicts: readonly MeasureVerdict[];
  readonly idleCpu: IdleCpuVerdict;
  readonly machine: MachineReport;
}

const MiB = 2 ** 20;
const mib = (bytes: number): string => formatNumber(bytes / MiB);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [
    line(header),
    line(header.map((_, index) => (index === 0 ? "---" : "--:"))),
    ...rows.map(line),
  ].join("\n");
}

/** KiB per peer of `now` over `before`; "–" at 0 peers. */
function perPeer(now: number, before: number, peers: number): string {
  return peers === 0 ? "–" : formatNumber((now - before) / 1024 / peers);
}

function memoryRows(baseline: IdleSample, steps: readonly StepRecord[]): string[][] {
  const rows: [number, IdleSample][] = [
    [0, baseline],
    ...steps.map((step): [number, IdleSample] => [step.peers, step]),
  ];
  return rows.map(([peers, sample]) => {
    const server = sample.server.memory;
    const clients = sample.clients.memory;
    const before = baseline.server.memory;
    const clientsBefore = baseline.clients.memory;
    return [
      formatNumber(peers),
      mib(server.rss),
      mib(server.rssFullGc),
      `${mib(server.heapUsed)} / ${mib(server.heapTotal)}`,
      mib(server.external),
      mib(server.native),
      mib(server.rssLive),
      `${perPeer(server.rss, before.rss, peers)} / ${perPeer(server.rssFullGc, before.rssFullGc, peers)} / ${perPeer(server.rssLive, before.rssLive, peers)}`,
      `${mib(clients.rss)} / ${mib(clients.rssFullGc)}`,
      `${perPeer(clients.rss, clientsBefore.rss, peers)} / ${perPeer(clients.rssFullGc, clientsBefore.rssFullGc, peers)} / ${perPeer(clients.rssLive, clientsBefore.rssLive, peers)}`,
      `${formatNumber(server.openFiles)} / ${formatNumber(clients.openFiles)}`,
    ];
  });
}

function cpuRows(baseline: IdleSample, steps: readonly StepRecord[]): string[][] {
  const rows: [number, IdleSample][] = [
    [0, baseline],
    ...steps.map((step): [number, IdleSample] => [step.peers, step]),
  ];
  return rows.map(([peers, sample]) => [
    formatNumber(peers),
    formatNumber(sample.server.idleCpuPercent),
    formatNumber(sample.clients.idleCpuPercent),
    formatNumber(sample.otherCpuPercent),
    formatNumber(sample.idleWindowMs / 1000),
    sample.loadAverage.map((value) => value.toFixed(2)).join(" / "),
  ]);
}

function connectRows(steps: readonly StepRecord[]): string[][] {
  return steps.map((step) => [
    formatNumber(step.peers),
    `${formatNumber(step.held)} / ${formatNumber(step.clientsHeld)}`,
    formatNumber(step.newPeers),
    formatNumber(step.connectMs / 1000),
    formatNumber(step.connectPerSec),
    formatNumber(step.connectFailures),
    formatNumber(step.calls.p50Ms),
    formatNumber(step.calls.p99Ms),
    `${formatNumber(step.calls.count)} / ${formatNumber(step.calls.failures)}`,
    formatNumber(step.calls.inFlight),
    formatNumber(step.calls.callsPerSec),
  ]);
}

function verdictRows(verdicts: readonly MeasureVerdict[]): string[][] {
  const point = (value: { peers: number; value: number } | undefined, unit: string): string =>
    value === undefined
      ? "–"
      : `${formatNumber(value.value)} ${unit} at ${formatNumber(value.peers)} (${formatNumber(value.value / value.peers)} per peer)`;
  return verdicts.map(({ measure, verdict }) => [
    measure.label,
    point(verdict.reference, measure.unit),
    point(verdict.largest, measure.unit),
    verdict.ratio === undefined ? "–" : `${verdict.ratio.toFixed(2)}×`,
    verdict.verdict,
  ]);
}

/** The one line per measure the console ends with. */
export function verdictLines(input: Pick<ScaleReportInput, "verdicts" | "idleCpu">): string[] {
  const lines = input.verdicts.map(
    ({ measure, verdict }) =>
      `${verdict.verdict === "n/a" ? "n/a " : verdict.verdict}  ${measure.label}: ${
        verdict.ratio === undefined
          ? "not judged (fewer than two counts, or no growth at the reference)"
          : `per peer ${verdict.ratio.toFixed(2)}× from ${verdict.reference?.peers} to ${verdict.largest?.peers} peers (at most ${LINEAR_SLACK}× is linear)`
      }`,
  );
  const { percent, verdict } = input.idleCpu;
  lines.push(
    `${verdict === "not reached" ? "n/a " : verdict}  server idle CPU at ${formatNumber(IDLE_CPU_TARGET.peers)} peers < ${IDLE_CPU_TARGET.percent}% of a core: ${
      percent === undefined ? "not reached" : `${formatNumber(percent)}%`
    }`,
  );
  return lines;
}

/** The scale run's Markdown report. */
export function renderScaleReport(input: ScaleReportInput): string {
  const { measurements, options } = input;
  const { baseline, steps, stopped } = measurements;
  const largest = steps.at(-1);
  const stop =
    stopped === undefined
      ? `Every count was held (largest: ${formatNumber(largest?.peers)}).`
      : `**Stopped at ${formatNumber(stopped.peers)} peers**: ${stopped.reason}. Largest count held: ${formatNumber(largest?.held ?? 0)}.`;
  return `# ${input.title}

\`${input.command}\`

${input.environment} ${options.clients} client processes; open-file limit of each process ${formatNumber(measurements.maxOpenFiles)}.

${stop}

One server process (\`createRpcNode\` serving BenchService over TCP, as the harness's p2prpc TCP server) and ${options.clients} client processes, each holding its share of the peers, every peer a \`createRpcNode\` of its own (own identity) connected to the server with one unary call done, then idle. The set grows from step to step. Per step: ${formatNumber(options.settleMs / 1000)} s after the last new peer, an idle window of ${formatNumber(options.idleMs / 1000)} s (CPU from \`process.cpuUsage()\` of each process, no calls running), RSS at its end without a forced GC, then after a full GC and after a memory-reducing GC, then ${formatNumber(options.calls)} unary calls from random peers, ${formatNumber(options.inFlight)} in flight, each with a ${formatNumber(options.callTimeoutMs / 1000)} s deadline.

## Verdicts

A measure grows at most linearly when its value per peer at the largest count is at most ${LINEAR_SLACK}× its value per peer at ${REFERENCE_PEERS} peers (the first count when none reaches ${REFERENCE_PEERS}). Memory and idle CPU count the growth over the baseline with no peer; the connect time is the total for every peer so far.

${table(["measure", "reference", "largest", "per-peer ratio", "verdict"], verdictRows(input.verdicts))}

Server idle CPU at ${formatNumber(IDLE_CPU_TARGET.peers)} peers below ${IDLE_CPU_TARGET.percent}% of one core: **${input.idleCpu.verdict}**${input.idleCpu.percent === undefined ? "" : ` (${formatNumber(input.idleCpu.percent)}%)`}.

## Connecting and calling

${table(["peers", "held: server / clients", "new", "connect s", "new peers/s", "failed", "call p50 ms", "call p99 ms", "calls ok / failed", "in flight", "calls/s"], connectRows(steps))}

## Memory (MiB; KiB per peer over the baseline)

${table(["peers", "server RSS, no GC", "server RSS, full GC", "heap used / total", "external", "native", "server RSS, reducing GC", "server KiB/peer: no GC / full / reducing", "clients RSS, no GC / full GC", "client KiB/node: no GC / full / reducing", "open files: server / clients"], memoryRows(baseline, steps))}

Native is RSS − heapTotal − external after the full GC (libuv handles, native addons, freed heap pages V8 keeps).

## Idle CPU (% of one core over the window)

${table(["peers", "server", "clients (all)", "other processes", "window s", "load average 1 / 5 / 15"], cpuRows(baseline, steps))}
${options.profileIdle ? "\nThe last step's idle window ran under the CPU profiler (`--profile-idle`, a sample every 500 µs): its server figure includes the profiler's own cost.\n" : ""}
## Machine

${renderMachine(input.machine)}`;
}
