import { setTimeout as sleep } from "node:timers/promises";
import { formatNumber } from "../report/format-number.ts";
import { LatencyRecorder } from "../stats.ts";
import { checkHeadroom } from "./check-headroom.ts";
import { sampleIdle } from "./sample-idle.ts";
import type { ScaleOptions } from "./scale-options.ts";
import { ScaleProcess } from "./scale-process.ts";
import type { CallSample, IdleSample, ScaleMeasurements, StepRecord } from "./step-record.ts";

/** Longest a process may take to start and answer `ready`, ms. */
const START_TIMEOUT_MS = 60_000;
/** Longest a `held` count may take, ms. */
const HELD_TIMEOUT_MS = 30_000;

/** `total` split over `parts` as evenly as whole numbers allow, the larger shares first. */
export function splitEvenly(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0),
  );
}

/** What `runScale` needs besides the options. */
export interface ScaleRunInit {
  readonly options: ScaleOptions;
  /** The client and server processes' open-file limit. */
  readonly maxOpenFiles: number | undefined;
  /** Where `--profile-idle` writes the server's profile. */
  readonly profileFile: string;
  readonly log: (line: string) => void;
}

/**
 * Runs the curve: one server process and `options.clients` client
 * processes; a baseline idle sample with no peer; then for each count the
 * client processes grow their peers (one node each, connected with one call)
 * until the server holds that many, wait `settleMs`, and the step samples
 * the idle window, memory and `calls` unary calls from random peers. The set
 * grows from step to step (peers are never closed), so a step costs only its
 * new peers' connections. It stops early, with the reason, when a count
 * would not fit (open files, ports, memory: `checkHeadroom`), when peers
 * fail to connect or drop while idle, or when growing takes longer than
 * `stepBudgetMs`. Every process is stopped before it returns.
 */
export async function runScale(init: ScaleRunInit): Promise<ScaleMeasurements> {
  const { options, maxOpenFiles } = init;
  const { process: server, address } = await ScaleProcess.start(
    "server",
    "scale server",
    maxOpenFiles,
    undefined,
    START_TIMEOUT_MS,
  );
  const clients: ScaleProcess[] = [];
  try {
    clients.push(
      ...(
        await Promise.all(
          Array.from({ length: options.clients }, (_, index) =>
            ScaleProcess.start(
              "client",
              `scale client ${index + 1}`,
              maxOpenFiles,
              address,
              START_TIMEOUT_MS,
            ),
          ),
        )
      ).map((started) => started.process),
    );
    return await runSteps(init, server, clients);
  } finally {
    await Promise.all([server, ...clients].map((child) => child.stop()));
  }
}

async function runSteps(
  init: ScaleRunInit,
  server: ScaleProcess,
  clients: readonly ScaleProcess[],
): Promise<ScaleMeasurements> {
  const { options, maxOpenFiles, log } = init;
  log(`baseline: ${clients.length} client processes, no peers; idle ${options.idleMs} ms`);
  const baseline = await sampleIdle(server, clients, options.idleMs, { reduceFirst: true });
  log(idleLine("baseline", baseline));
  const steps: StepRecord[] = [];
  let current: IdleSample = baseline;
  let held = 0;
  for (const [index, peers] of options.peers.entries()) {
    const blocked = checkHeadroom({
      next: peers,
      held,
      baseline,
      current,
      clients: clients.length,
      maxOpenFiles,
    });
    if (blocked !== undefined) {
      return { baseline, steps, stopped: { peers, reason: blocked }, maxOpenFiles };
    }
    const last = index === options.peers.length - 1;
    let step: StepRecord;
    try {
      step = await runStep(init, server, clients, peers, held, last);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { baseline, steps, stopped: { peers, reason }, maxOpenFiles };
    }
    steps.push(step);
    log(stepLine(step));
    if (step.connectFailures > 0 || step.held < peers) {
      const reason =
        step.connectFailures > 0
          ? `${step.connectFailures} of ${step.newPeers} new peers failed to connect (first: ${step.firstConnectError})`
          : `the server held ${step.held} of ${peers} connections after the idle window`;
      return { baseline, steps, stopped: { peers, reason }, maxOpenFiles };
    }
    current = step;
    held = peers;
  }
  return { baseline, steps, stopped: undefined, maxOpenFiles };
}

async function runStep(
  init: ScaleRunInit,
  server: ScaleProcess,
  clients: readonly ScaleProcess[],
  peers: number,
  before: number,
  last: boolean,
): Promise<StepRecord> {
  const { options, log } = init;
  log(`step ${peers}: connecting ${peers - before} new peers`);
  const started = performance.now();
  const grown = await Promise.all(
    splitEvenly(peers, clients.length).map((total, index) =>
      (clients[index] as ScaleProcess).ask(
        {
          kind: "grow",
          total,
          parallel: options.parallel,
          timeoutMs: options.connectTimeoutMs,
        },
        options.stepBudgetMs,
      ),
    ),
  ).catch((error: unknown) => {
    throw new Error(
      `growing to ${peers} peers: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const connectMs = performance.now() - started;
  const connectFailures = grown.reduce((total, { grow }) => total + grow.failures, 0);
  const firstConnectError = grown.find(({ grow }) => grow.firstError !== undefined)?.grow
    .firstError;
  await sleep(options.settleMs);
  const profile = {
    async start() {
      await server.ask({ kind: "profile-start" }, HELD_TIMEOUT_MS);
    },
    async end() {
      await server.ask({ kind: "profile-stop", file: init.profileFile }, HELD_TIMEOUT_MS);
      log(`server CPU profile of the last idle window: ${init.profileFile}`);
    },
  };
  const idle = await sampleIdle(
    server,
    clients,
    options.idleMs,
    last && options.profileIdle ? { window: profile } : {},
  );
  const [{ held }, ...clientsHeld] = await Promise.all(
    [server, ...clients].map((child) => child.ask({ kind: "held" }, HELD_TIMEOUT_MS)),
  );
  const calls = await measureCalls(options, clients);
  return {
    ...idle,
    peers,
    newPeers: peers - before,
    held,
    clientsHeld: clientsHeld.reduce((total, answer) => total + answer.held, 0),
    connectMs,
    connectPerSec: (peers - before) / (connectMs / 1000),
    connectFailures,
    firstConnectError,
    calls,
  };
}

/** `options.calls` unary calls over all client processes, from random connected peers. */
async function measureCalls(
  options: ScaleOptions,
  clients: readonly ScaleProcess[],
): Promise<CallSample> {
  const perClient = Math.max(1, Math.round(options.inFlight / clients.length));
  // Every call has its deadline; the answer's own bound covers them all.
  const budgetMs = options.callTimeoutMs * Math.ceil(options.calls / perClient) + 30_000;
  const started = performance.now();
  const answers = await Promise.all(
    splitEvenly(options.calls, clients.length).map((count, index) =>
      count === 0
        ? undefined
        : (clients[index] as ScaleProcess).ask(
            { kind: "calls", count, inFlight: perClient, timeoutMs: options.callTimeoutMs },
            budgetMs,
          ),
    ),
  );
  const elapsedMs = performance.now() - started;
  const recorder = new LatencyRecorder();
  let failures = 0;
  let firstError: string | undefined;
  for (const answer of answers) {
    if (answer === undefined) {
      continue;
    }
    for (const latency of answer.calls.latenciesMs) {
      recorder.add(latency);
    }
    failures += answer.calls.failures;
    firstError ??= answer.calls.firstError;
  }
  const { p50Ms, p99Ms } = recorder.summary();
  return {
    count: recorder.count,
    failures,
    firstError,
    inFlight: perClient * answers.filter((answer) => answer !== undefined).length,
    p50Ms,
    p99Ms,
    callsPerSec: recorder.count / (elapsedMs / 1000),
  };
}

const MiB = 2 ** 20;

function idleLine(label: string, sample: IdleSample): string {
  return (
    `${label}: server ${formatNumber(sample.server.memory.rss / MiB)} MiB RSS ` +
    `(${formatNumber(sample.server.memory.rssFullGc / MiB)} after GC), idle CPU ${formatNumber(sample.server.idleCpuPercent)}%; ` +
    `clients ${formatNumber(sample.clients.memory.rss / MiB)} MiB, ${formatNumber(sample.clients.idleCpuPercent)}%; ` +
    `others ${formatNumber(sample.otherCpuPercent)}%; load ${sample.loadAverage.map((value) => value.toFixed(2)).join(" ")}`
  );
}

function stepLine(step: StepRecord): string {
  return (
    `${idleLine(`step ${step.peers}`, step)}\n` +
    `  held ${step.held} (clients: ${step.clientsHeld}); ${step.newPeers} new in ${formatNumber(step.connectMs / 1000)} s (${formatNumber(step.connectPerSec)}/s, ${step.connectFailures} failed); ` +
    `calls p50 ${formatNumber(step.calls.p50Ms)} ms, p99 ${formatNumber(step.calls.p99Ms)} ms (${step.calls.count} ok, ${step.calls.failures} failed)`
  );
}
