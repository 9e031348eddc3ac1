// `npm run demo`: starts examples/greeter/server.ts, then runs
// examples/greeter/client.ts against it twice, over TCP and over QUIC, each
// in its own process with its own PeerId; then examples/pool/run-pool.ts, a
// client balancing over three servers while one is stopped. Everything stays
// on 127.0.0.1.
//
// Exits 0 only if both client runs succeed. A watchdog kills everything and
// exits non-zero if the demo takes longer than it should.
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

const ROOT = resolve(import.meta.dirname, "../..");
const SERVER = "examples/greeter/server.ts";
const CLIENT = "examples/greeter/client.ts";
const POOL = "examples/pool/run-pool.ts";
const LISTEN = ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"];
const KEY_FILE = ".p2prpc-demo/server.key";
const WATCHDOG_MS = 40_000;

const children = new Set<ChildProcess>();
const started = performance.now();

/** Ends the demo, killing whatever child process is still running. */
function abort(reason: string, exitCode: number): never {
  console.error(`\ndemo: ${reason}`);
  for (const child of children) {
    child.kill("SIGKILL");
  }
  process.exit(exitCode);
}

const watchdog = setTimeout(
  () => abort(`gave up after ${WATCHDOG_MS / 1000} s; killed the child processes`, 1),
  WATCHDOG_MS,
);
process.once("SIGINT", () => abort("interrupted", 130));
process.once("SIGTERM", () => abort("terminated", 143));

/** Runs a TypeScript file of this repository with the Node running the demo. */
function run(file: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--conditions=p2prpc-source", file, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("close", () => children.delete(child));
  return child;
}

/**
 * Copies a child's stdout and stderr to our stdout, each line prefixed with
 * `label` (one stream keeps the order of its lines and ours).
 */
function relay(child: ChildProcess, label: string, onLine?: (line: string) => void): void {
  const print = (line: string): void => console.log(line === "" ? label : `${label} ${line}`);
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      print(line);
      onLine?.(line);
    });
  }
  if (child.stderr !== null) {
    createInterface({ input: child.stderr }).on("line", print);
  }
}

/** The exit code of `child` once it has ended and its output is read (signal → 128 + n). */
function closed(child: ChildProcess): Promise<number> {
  return new Promise((resolvePromise) => {
    child.once("close", (code, signal) =>
      resolvePromise(code ?? 128 + (signal === null ? 0 : constants.signals[signal])),
    );
  });
}

function banner(text: string): void {
  console.log(`\n=== ${text} ===`);
}

// 1. Start the server and read its addresses from its `LISTEN` lines.
banner(`server: ${SERVER}`);
const server = run(SERVER, ["--key", KEY_FILE, ...LISTEN]);
const serverClosed = closed(server);
const addresses: string[] = [];
const ready = new Promise<void>((resolvePromise, reject) => {
  relay(server, "[server]", (line) => {
    if (line.startsWith("LISTEN ")) {
      addresses.push(line.slice("LISTEN ".length));
    } else if (line === "READY") {
      resolvePromise();
    }
  });
  void serverClosed.then((code) =>
    reject(new Error(`the server exited with code ${code} before READY`)),
  );
});
try {
  await ready;
} catch (error) {
  abort((error as Error).message, 1);
}

const tcp = addresses.find((address) => address.includes("/tcp/"));
const quic = addresses.find((address) => address.includes("/quic-v1/"));
if (tcp === undefined || quic === undefined) {
  abort(`expected a TCP and a QUIC address, got: ${addresses.join(" ")}`, 1);
}

// 2. Run the client once per transport, one after the other.
const results: [string, number][] = [];
for (const [name, address] of [
  ["TCP", tcp],
  ["QUIC", quic],
] as const) {
  banner(`client over ${name}: ${CLIENT} ${address}`);
  const client = run(CLIENT, [address]);
  relay(client, `[${name.toLowerCase()} client]`);
  results.push([name, await closed(client)]);
}

// 3. Stop the server the way an operator would.
banner("stopping the server (SIGTERM)");
server.kill("SIGTERM");
const serverCode = await serverClosed;

// 4. The pool: one client balancing over three servers, one of them stopped mid-way.
banner(`pool: ${POOL}`);
const pool = run(POOL, []);
relay(pool, "[pool]");
results.push(["a pool of three", await closed(pool)]);
clearTimeout(watchdog);

banner("summary");
for (const [name, code] of results) {
  console.log(
    `${`client over ${name}`.padEnd(16)}: ${code === 0 ? "ok" : `FAILED (exit code ${code})`}`,
  );
}
console.log(`${"server".padEnd(16)}: exited with code ${serverCode}`);
console.log(`${"total".padEnd(16)}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(results.every(([, code]) => code === 0) ? 0 : 1);
