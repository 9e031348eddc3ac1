// `npm run bench`: compares p2prpc with grpc-js, connect-node, raw libp2p and
// node:net on loopback, each system in its own server and client processes.
// See bench/README.md. `npm run bench -- --quick` is the fast smoke run.
import { mkdir, writeFile } from "node:fs/promises";
import { enableCompileCache } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchOptions, parseBenchOptions, USAGE } from "./bench-options.ts";
import type { TlsMaterial } from "./ipc-messages.ts";
import { extractBaseline } from "./orchestrator/extract-baseline.ts";
import { runRounds } from "./orchestrator/run-rounds.ts";
import { createSelfSignedCert } from "./orchestrator/self-signed-cert.ts";
import { describeEnvironment, environmentLine } from "./report/describe-environment.ts";
import { checkMachine } from "./report/machine-check.ts";
import { type ColdResults, renderMarkdownReport } from "./report/markdown-report.ts";
import { machineCheckLine } from "./report/render-machine.ts";
import { ResultTable } from "./report/summarize-cells.ts";
import { summarizeMachine } from "./report/summarize-machine.ts";
import { renderSvgChart } from "./report/svg-chart.ts";
import { CONTEXT_SPECS, combineTargets, evaluateTargets } from "./report/targets.ts";
import { DEFAULT_SYSTEM_IDS, SYSTEMS } from "./system-catalog.ts";
import { WORKLOAD_IDS } from "./workload-catalog.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL("./results", import.meta.url));

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

// Whatever happens, the run ends: children are killed on exit (child-channel.ts).
const watchdogMs = options.quick ? 240_000 : 40 * 60_000;
const watchdog = setTimeout(() => {
  console.error(`bench: gave up after ${watchdogMs / 60_000} min; killing the child processes`);
  process.exit(1);
}, watchdogMs);
watchdog.unref();
process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

// Server and client processes start with V8's code cache on disk: loading a
// libp2p system's modules takes ~0.5 s per process without it, and a run
// starts two or three pairs of processes per system. It only shortens
// start-up (NODE_DISABLE_COMPILE_CACHE=1 turns it off).
const compileCache = enableCompileCache();
if (compileCache.directory !== undefined) {
  process.env.NODE_COMPILE_CACHE = compileCache.directory;
}

// The baseline's code is extracted once, here; its processes import it from there.
const baseline =
  options.baseline === undefined ? undefined : await extractBaseline(ROOT, options.baseline);
if (baseline !== undefined) {
  process.env.P2PRPC_BENCH_BASELINE_DIR = baseline.dir;
}
const baselineLine =
  baseline === undefined
    ? ""
    : ` Baseline ("p2prpc TCP, baseline"): ${baseline.ref} = ${baseline.commit.slice(0, 7)}.`;

const started = performance.now();
// Before any benchmark process starts: the idle machine, then the CPU probe.
const machineAtStart = await checkMachine();
const busyAtStart = machineAtStart.idle.busyPercent;
console.log(machineCheckLine("start", machineAtStart));
if (busyAtStart > 20) {
  console.log(
    `note: the machine was ${busyAtStart.toFixed(0)}% busy before starting: something else is using the CPU, expect noisy numbers`,
  );
}
const date = new Date().toISOString().slice(0, 10);
const environment = describeEnvironment(ROOT);
const complete =
  !options.quick &&
  options.rounds >= 3 &&
  options.baseline === undefined &&
  options.systems.length === DEFAULT_SYSTEM_IDS.length &&
  options.workloads.length === WORKLOAD_IDS.length;
console.log(
  `p2prpc bench (${options.quick ? "quick" : "full"}): ${options.systems.length} systems × workloads ${options.workloads.join(",")}, ` +
    `${options.rounds} round(s), ${options.durationMs} ms per cell${options.cold ? ", steady and cold" : ""}\n${environmentLine(environment)}${baselineLine}\n`,
);

let tls: TlsMaterial | undefined;
if (options.systems.some((system) => SYSTEMS[system].tls)) {
  tls = await createSelfSignedCert();
}
const records = await runRounds(options, tls, (line) => console.log(line));
// Every benchmark process has ended: the same check again.
const machineAtEnd = await checkMachine();
console.log(machineCheckLine("end", machineAtEnd));
const machine = summarizeMachine(machineAtStart, machineAtEnd, records);

const table = new ResultTable(records.filter((record) => record.mode === "steady"));
const targets = evaluateTargets(table);
const context = evaluateTargets(table, CONTEXT_SPECS);
let cold: ColdResults | undefined;
if (options.cold) {
  const coldTable = new ResultTable(records.filter((record) => record.mode === "cold"));
  cold = {
    table: coldTable,
    targets: evaluateTargets(coldTable),
    context: evaluateTargets(coldTable, CONTEXT_SPECS),
  };
}
const title = `p2prpc benchmark, ${date}${options.quick ? " (quick)" : complete ? "" : " (partial)"}`;
const markdown = renderMarkdownReport({
  title,
  options,
  table,
  targets,
  context,
  environment: `${environmentLine(environment)}${baselineLine}`,
  records,
  machine,
  cold,
});
const svg = renderSvgChart(table, options.systems, options.workloads, title);
console.log(`\n${markdown}`);

// Only a complete full run lands in bench/results/<date>.*; quick and
// filtered runs go to gitignored names (see bench/.gitignore) so that CI's
// quick runs never dirty the work tree.
const base = complete ? date : `${options.quick ? "quick" : "partial"}-${date}`;
let outDir = RESULTS_DIR;
try {
  await mkdir(outDir, { recursive: true });
} catch {
  outDir = join(tmpdir(), "p2prpc-bench");
  await mkdir(outDir, { recursive: true });
}
const json = {
  date,
  title,
  mode: options.quick ? "quick" : "full",
  complete,
  command: [
    "npm run bench",
    ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : []),
  ].join(" "),
  machineBusyAtStartPercent: busyAtStart,
  machine,
  environment,
  options,
  systems: options.systems.map((system) => SYSTEMS[system]),
  medians: table,
  targets,
  context,
  cold:
    cold === undefined
      ? undefined
      : {
          medians: cold.table,
          targets: cold.targets,
          context: cold.context,
          // Per target: true where it passes steady and cold (see combineTargets).
          holds: Object.fromEntries(
            combineTargets(targets, cold.targets).map(({ steady, holds }) => [
              steady.id,
              holds ?? null,
            ]),
          ),
        },
  cells: records,
  seconds: (performance.now() - started) / 1000,
};
await writeFile(join(outDir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
await writeFile(join(outDir, `${base}.md`), markdown);
await writeFile(join(outDir, `${base}.svg`), svg);
const failures = records.filter((record) => record.error !== undefined).length;
console.log(machine.verdict.line);
console.log(
  `wrote ${join(outDir, base)}.{json,md,svg} in ${json.seconds.toFixed(1)} s` +
    (failures > 0 ? `; ${failures} cell(s) failed` : ""),
);
process.exit(failures > 0 ? 1 : 0);
