/**
 * CPU time per call with client and server in one process, over loopback:
 * `node bench/cpu-per-call.ts [unary|unary-64|ping-pong|server-stream|bulk] [windows] [system[,system…]] [rounds]`.
 *
 * The two-process harness measures what users see, but on a small VM its
 * figures move by ±15% from run to run, mostly with how the two processes
 * get scheduled. One process pays no cross-process wake-ups, so CPU time per
 * call (user + system, both sides) is a steadier yardstick for a change to
 * the per-call path: run it on the old and the new code alternately and
 * compare medians. It prints one line per measured window (1.5 s each, after
 * one warm-up window) and the median over all of them. Server and client are
 * the harness's own system (`bench/systems/`), p2prpc over TCP unless another
 * is named: `libp2p-one-stream` gives the same figure for raw libp2p on one
 * reused stream, the baseline of the overhead target, and `connect-on-libp2p`
 * the floor under p2prpc's API (Connect + protobuf on that stream; unary only).
 * `server-stream` measures one server-streaming call of 32-byte messages per
 * window, as (d) does, and gives CPU time per message; `bulk` does the same
 * with 64 KiB messages, as (e) does. `unary-64` keeps 64 unary calls in
 * flight, as (b) does, where `unary` makes one at a time, as (a) does.
 * Several systems, comma-separated, run one process each, alternated for
 * `rounds` rounds (default 3), and end with each one's median over all its
 * windows ({@link alternateCpuPerCall}).
 * `--profile` (anywhere among the arguments) also records a CPU profile of
 * the measured windows, writes it to the OS's temporary directory and prints
 * where the busy time went, per call or message, by package and by function
 * ({@link summarizeProfile}). Sampling adds some CPU of its own.
 * Each process also prints what V8's collector did over the measured
 * windows ({@link summarizeGc}): what its scavenges promoted tells apart two
 * regimes of the same code that differ by 25–35% in `unary-64`.
 * `--server-process` runs the server in a process of its own (the harness's
 * server process) and counts, and profiles, the client alone: which side
 * costs what, e.g. the client that limits (e).
 * `--baseline=<git ref>` makes `p2prpc-tcp-baseline` p2prpc TCP as of that
 * commit (see `extractBaseline`): `unary 4 p2prpc-tcp,p2prpc-tcp-baseline 5`
 * then measures a change against it, alternated.
 */

import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GCProfiler } from "node:v8";
import { alternateCpuPerCall, formatMicros, unitOf } from "./alternate-cpu-per-call.ts";
import { summarizeGc } from "./gc-summary.ts";
import { extractBaseline } from "./orchestrator/extract-baseline.ts";
import { startServerProcess } from "./orchestrator/system-session.ts";
import { type CpuProfile, formatProfileSummary, summarizeProfile } from "./profile-summary.ts";
import { median } from "./stats.ts";
import { SYSTEM_IDS, type SystemId } from "./system-catalog.ts";
import { loadSystem } from "./systems/load-system.ts";

const WINDOW_MS = 1500;
/** Systems that run without a TLS certificate, which only the harness makes. */
const PLAIN_SYSTEMS: readonly SystemId[] = SYSTEM_IDS.filter((id) => id !== "grpc-js-tls");
const MODES = ["unary", "unary-64", "ping-pong", "server-stream", "bulk"];
/** Calls in flight at once in each mode; 64 in `unary-64`, as in (b). */
const IN_FLIGHT: Readonly<Record<string, number>> = { "unary-64": 64 };
/** Payload bytes per message of the streaming modes, as in (d) and (e). */
const STREAM_PAYLOAD_BYTES: Readonly<Record<string, number>> = {
  "server-stream": 32,
  bulk: 64 * 1024,
};
const USAGE = `usage: node bench/cpu-per-call.ts [${MODES.join("|")}] [windows ≥ 1] [system[,system…]] [rounds ≥ 1] [--profile] [--server-process] [--baseline=<git ref>]; systems: ${PLAIN_SYSTEMS.join(", ")}`;
/** Sampling interval of `--profile`, µs. */
const PROFILE_INTERVAL_MICROS = 100;
const FLAGS = ["--profile", "--server-process"];
const profile = process.argv.includes("--profile");
const serverProcess = process.argv.includes("--server-process");
const baselineRef = process.argv.find((arg) => arg.startsWith("--baseline="))?.slice(11);
if (baselineRef !== undefined) {
  const root = new URL("..", import.meta.url).pathname;
  process.env.P2PRPC_BENCH_BASELINE_DIR = (await extractBaseline(root, baselineRef)).dir;
}
const args = process.argv
  .slice(2)
  .filter((arg) => !FLAGS.includes(arg) && !arg.startsWith("--baseline="));
const mode = args[0] ?? "unary";
const windows = Number(args[1] ?? 3);
const systemIds = (args[2] ?? "p2prpc-tcp").split(",") as SystemId[];
const rounds = Number(args[3] ?? 3);
if (
  !MODES.includes(mode) ||
  !Number.isInteger(windows) ||
  windows < 1 ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  !systemIds.every((id) => PLAIN_SYSTEMS.includes(id))
) {
  throw new Error(USAGE);
}
if (systemIds.length > 1) {
  alternateCpuPerCall(mode, windows, systemIds, rounds, { profile, serverProcess });
  process.exit(0);
}
const systemId = systemIds[0] as SystemId;

const system = await loadSystem(systemId, serverProcess ? "client" : "both");
const serverChild = serverProcess ? await startServerProcess(systemId) : undefined;
const server =
  serverChild?.info ??
  (await system.startServer({
    tls: undefined,
    waitForRelease: () => Promise.resolve(),
  }));
if (serverChild !== undefined) {
  console.log(`${systemId}: server in its own process, CPU of the client alone`);
}
const client = await system.createClient({ server, tls: undefined }).connect();
const payload = new Uint8Array(32);
const pingPong = mode === "ping-pong" ? await client.openPingPong() : undefined;
const call = (): Promise<unknown> =>
  pingPong === undefined ? client.unary(payload) : pingPong.roundTrip(payload);
const unit = unitOf(mode);

/** Calls (or messages) completed in one window. */
async function runWindow(started: number): Promise<number> {
  let count = 0;
  const payloadSize = STREAM_PAYLOAD_BYTES[mode];
  if (payloadSize !== undefined) {
    const request = { count: 0xffffffff, payloadSize, durationMs: WINDOW_MS, hold: false };
    await client.serverStream(request, () => {
      count++;
    });
    return count;
  }
  const worker = async (): Promise<void> => {
    while (performance.now() - started < WINDOW_MS) {
      await call();
      count++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT[mode] ?? 1 }, worker));
  return count;
}

const perUnit: number[] = [];
let profiledUnits = 0;
const session = profile ? new Session() : undefined;
const gcProfiler = new GCProfiler();
for (let window = 0; window <= windows; window++) {
  if (window === 1) {
    gcProfiler.start();
  }
  if (window === 1 && session !== undefined) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: PROFILE_INTERVAL_MICROS });
    await session.post("Profiler.start");
  }
  const started = performance.now();
  const cpu = process.cpuUsage();
  const count = await runWindow(started);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  if (window > 0) {
    const micros = (used.user + used.system) / count;
    perUnit.push(micros);
    profiledUnits += count;
    console.log(
      `${systemId} ${mode}: ${Math.round((count / elapsed) * 1000)} ${unit}s/s, ${formatMicros(micros)} µs CPU per ${unit}`,
    );
  }
}
const gc = summarizeGc(gcProfiler.stop());
console.log(`${systemId} ${mode} median: ${formatMicros(median(perUnit))} µs CPU per ${unit}`);
console.log(
  `${systemId} ${mode} gc: ${gc.scavenges} scavenges promoting ${Math.round(gc.promotedBytes / Math.max(1, gc.scavenges) / 1024)} KiB each, ${formatMicros(gc.pauseMicros / profiledUnits)} µs of collection per ${unit}`,
);
if (session !== undefined) {
  const { profile: recorded } = await session.post("Profiler.stop");
  session.disconnect();
  const file = join(tmpdir(), `p2prpc-cpu-${systemId}-${mode}-${process.pid}.cpuprofile`);
  writeFileSync(file, JSON.stringify(recorded));
  console.log(`profile of the ${windows} measured windows: ${file}`);
  console.log(formatProfileSummary(summarizeProfile(recorded as CpuProfile), profiledUnits, unit));
}
await pingPong?.close();
await client.close();
await serverChild?.channel.stop();
// The server runs until its process ends, as in the harness.
process.exit(0);
