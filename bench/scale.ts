// `npm run bench:scale`: a scale curve (issue 24, point 4). One p2prpc server
// process holds 10, 100, 1,000 and 5,000 peers (or the largest count that
// fits, with the reason it stops there), spread over several client
// processes, and records per count the RSS of both sides, their idle CPU,
// the time to connect, and unary call latency. See bench/README.md, "A
// scale curve".
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { enableCompileCache } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CpuProfile, formatProfileSummary, summarizeProfile } from "./profile-summary.ts";
import { describeEnvironment, environmentLine } from "./report/describe-environment.ts";
import { formatNumber } from "./report/format-number.ts";
import { checkMachine } from "./report/machine-check.ts";
import { machineCheckLine } from "./report/render-machine.ts";
import { summarizeMachineWindows } from "./report/summarize-machine.ts";
import { hardOpenFileLimit } from "./scale/check-headroom.ts";
import { IDLE_CPU_TARGET, judgeGrowth, judgeIdleCpu } from "./scale/growth-verdict.ts";
import { runScale } from "./scale/run-scale.ts";
import { renderScaleChart } from "./scale/scale-chart.ts";
import { SCALE_MEASURES } from "./scale/scale-measures.ts";
import {
  DEFAULT_PEERS,
  parseScaleOptions,
  SCALE_USAGE,
  type ScaleOptions,
} from "./scale/scale-options.ts";
import { type MeasureVerdict, renderScaleReport, verdictLines } from "./scale/scale-report.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL("./results", import.meta.url));
/** The whole run ends by then, whatever happens (children die with it). */
const WATCHDOG_MS = 45 * 60_000;

let options: ScaleOptions;
try {
  options = parseScaleOptions(process.argv.slice(2));
} catch (error) {
  console.error(
    `bench:scale: ${error instanceof Error ? error.message : String(error)}\n${SCALE_USAGE}`,
  );
  process.exit(2);
}

const watchdog = setTimeout(() => {
  console.error(`bench:scale: gave up after ${WATCHDOG_MS / 60_000} min`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

const compileCache = enableCompileCache();
if (compileCache.directory !== undefined) {
  process.env.NODE_COMPILE_CACHE = compileCache.directory;
}

const started = performance.now();
const machineAtStart = await checkMachine();
console.log(machineCheckLine("start", machineAtStart));
const date = new Date().toISOString().slice(0, 10);
const environment = describeEnvironment(ROOT);
const complete = options.peers.join(",") === DEFAULT_PEERS.join(",");
const command = [
  "npm run bench:scale",
  ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : []),
].join(" ");
// Each child gets the hard limit as its soft one: the most it can have.
const maxOpenFiles = hardOpenFileLimit();
console.log(
  `p2prpc scale curve: peers ${options.peers.join(", ")} over ${options.clients} client processes\n${environmentLine(environment)}\n`,
);

const profileFile = join(tmpdir(), `p2prpc-scale-server-idle-${process.pid}.cpuprofile`);
const measurements = await runScale({
  options,
  maxOpenFiles,
  profileFile,
  log: (line) => console.log(line),
});
const profiled = measurements.steps.at(-1);
if (options.profileIdle && profiled !== undefined && profiled.peers === options.peers.at(-1)) {
  // Where the idle server's busy time went, per peer held over the window.
  const profile = JSON.parse(await readFile(profileFile, "utf8")) as CpuProfile;
  console.log(
    `the server's idle window at ${profiled.peers} peers (${formatNumber(profiled.idleWindowMs / 1000)} s), profiled:\n` +
      formatProfileSummary(summarizeProfile(profile), profiled.peers, "peer"),
  );
}
const machineAtEnd = await checkMachine();
console.log(machineCheckLine("end", machineAtEnd));
const windows = [measurements.baseline, ...measurements.steps].map(
  (sample) => sample.otherCpuPercent,
);
const machine = summarizeMachineWindows(machineAtStart, machineAtEnd, windows);

const { baseline, steps } = measurements;
const verdicts: MeasureVerdict[] = SCALE_MEASURES.map((measure) => {
  const points = steps.map((step, index) => ({
    peers: step.peers,
    value: measure.value(steps, index, baseline),
  }));
  return { measure, points, verdict: judgeGrowth(points) };
});
const idleCpu = judgeIdleCpu(
  steps.map((step) => ({ peers: step.peers, serverIdleCpuPercent: step.server.idleCpuPercent })),
);
const title = `p2prpc scale curve, ${date}${complete ? "" : " (partial)"}`;
const markdown = renderScaleReport({
  title,
  command,
  environment: environmentLine(environment),
  options,
  measurements,
  verdicts,
  idleCpu,
  machine,
});
const svg = renderScaleChart(
  title,
  `peers across, log-log; red: measured; dashed: linear from the first point. ${
    machine.verdict.quotable ? "Quiet machine" : "Busy machine: figures approximate"
  } (see the report's Machine section)`,
  verdicts.map(({ measure, points, verdict }) => ({
    label: measure.label,
    unit: measure.unit,
    points,
    verdict,
    ...(measure.id === "serverIdleCpu"
      ? {
          target: {
            value: IDLE_CPU_TARGET.percent,
            label: `${IDLE_CPU_TARGET.percent}% (target at ${IDLE_CPU_TARGET.peers})`,
          },
        }
      : {}),
  })),
);
console.log(`\n${markdown}`);

// Only the full curve lands in bench/results/scale-<date>.*; other
// counts go to partial-scale-<date>.* (gitignored).
const base = `${complete ? "" : "partial-"}scale-${date}`;
let outDir = options.outDir ?? RESULTS_DIR;
try {
  await mkdir(outDir, { recursive: true });
} catch {
  outDir = join(tmpdir(), "p2prpc-bench");
  await mkdir(outDir, { recursive: true });
}
const json = {
  date,
  title,
  command,
  complete,
  options,
  environment,
  machine,
  maxOpenFiles: measurements.maxOpenFiles,
  baseline,
  steps,
  stopped: measurements.stopped,
  largestHeld: steps.at(-1)?.held ?? 0,
  verdicts: Object.fromEntries(
    verdicts.map(({ measure, points, verdict }) => [
      measure.id,
      { label: measure.label, unit: measure.unit, points, ...verdict },
    ]),
  ),
  idleCpuTarget: { ...IDLE_CPU_TARGET, ...idleCpu },
  seconds: (performance.now() - started) / 1000,
};
await writeFile(join(outDir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
await writeFile(join(outDir, `${base}.md`), markdown);
await writeFile(join(outDir, `${base}.svg`), svg);
for (const line of verdictLines({ verdicts, idleCpu })) {
  console.log(line);
}
console.log(machine.verdict.line);
console.log(`wrote ${join(outDir, base)}.{json,md,svg} in ${json.seconds.toFixed(1)} s`);
process.exit(0);
