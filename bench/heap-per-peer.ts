/**
 * Where an idle peer's bytes go: `npm exec -- node --expose-gc
 * bench/heap-per-peer.ts [tcp|quic|nodes] [peers] [snapshot dir]`.
 *
 * The same set-up as workload (g) (`bench/systems/p2prpc.ts`: a server node
 * in a child process, and in this process one `createRpcNode` per peer, each
 * connected with one unary call done), with a finer measurement: both sides
 * collect garbage and report `process.memoryUsage()` before the peers exist
 * and after they have idled past identify's delay, split into JS heap
 * (`heapUsed`, and `heapTotal` that the heap holds from the system),
 * ArrayBuffers (`arrayBuffers`, the part of `external` that is buffers),
 * other external memory, and native memory (RSS − heapTotal − external:
 * sockets, quinn's state, malloc's slack). Every figure is growth ÷ peers,
 * in KiB, after a full GC (as (g) measures) and after a memory-reducing
 * one (see `GcKind`). With a snapshot directory, both sides also write a V8 heap
 * snapshot before and after (`{client,server}-{0,N}.heapsnapshot`, after
 * the memory-reducing GC), which
 * `bench/heap-snapshot-diff.ts` attributes by constructor and owner. Keep
 * `peers` to a few hundred with snapshots: a snapshot of 1,000 client nodes
 * is over a gigabyte. `nodes` makes the client's nodes and never connects
 * them: the part of the client's figure that is a whole node per peer.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeHeapSnapshot } from "node:v8";
import type { ServerInfo } from "./ipc-messages.ts";
import { p2prpcSystem } from "./systems/p2prpc.ts";
import { SMALL_PAYLOAD } from "./workloads/workload-context.ts";

const USAGE =
  "usage: node --expose-gc bench/heap-per-peer.ts [tcp|quic|nodes] [peers] [snapshot dir]";
/** Peers connecting at once, as in (g). */
const PARALLEL = 8;
/** Idle time after the last call: identify runs 1 s after a connection opens. */
const SETTLE_MS = 2500;

/** One side's memory, bytes. */
interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Open TCP sockets (libuv handles), to check that every peer is still connected. */
  readonly tcpSockets: number;
}

/**
 * `full`: two full GCs, as (g) does. `reduce`: V8's memory-reducing GC (the
 * kind its memory reducer runs on a process gone idle, and the last resort
 * before an out-of-memory error), which also shrinks the young generation
 * and hands pooled pages back: what is left is what the peers keep alive.
 */
type GcKind = "full" | "reduce";

type ToServer = { readonly gc: GcKind; readonly snapshot: string | undefined };

type GcOptions = { type: "major"; execution: "sync"; flavor: "regular" | "last-resort" };

function measure(kind: GcKind, snapshotFile: string | undefined): Memory {
  const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc;
  if (gc === undefined) {
    throw new Error(`${USAGE}\n(--expose-gc is missing)`);
  }
  const flavor = kind === "full" ? "regular" : "last-resort";
  gc({ type: "major", execution: "sync", flavor });
  gc({ type: "major", execution: "sync", flavor });
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  if (snapshotFile !== undefined) {
    writeHeapSnapshot(snapshotFile);
  }
  const tcpSockets = process
    .getActiveResourcesInfo()
    .filter((resource) => resource === "TCPSocketWrap").length;
  return { rss, heapUsed, heapTotal, external, arrayBuffers, tcpSockets };
}

async function serve(transport: "tcp" | "quic"): Promise<void> {
  const info = await p2prpcSystem(transport).startServer({
    tls: undefined,
    waitForRelease: () => new Promise(() => {}),
  });
  process.on("message", (message: ToServer) =>
    process.send?.(measure(message.gc, message.snapshot)),
  );
  process.on("disconnect", () => process.exit(0));
  process.send?.(info);
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`the server exited (code ${code})`));
    child.once("exit", onExit);
    child.once("message", (message) => {
      child.off("exit", onExit);
      resolve(message as T);
    });
  });
}

/** `nodes`: the client's nodes only, never connected (what a client node costs by itself). */
type Mode = "tcp" | "quic" | "nodes";

async function connectPeers(server: ServerInfo, mode: Mode, peers: number): Promise<void> {
  const client = p2prpcSystem(mode === "quic" ? "quic" : "tcp").createClient({
    server,
    tls: undefined,
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < peers) {
      next++;
      const peer = await client.newPeer();
      if (mode !== "nodes") {
        await peer.connectAndCall(SMALL_PAYLOAD);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

function perPeer(side: string, before: Memory, after: Memory, peers: number): string {
  const kib = (key: keyof Memory): number => (after[key] - before[key]) / 1024 / peers;
  const native = kib("rss") - kib("heapTotal") - kib("external");
  const cells = [
    kib("rss"),
    kib("heapUsed"),
    kib("heapTotal"),
    kib("arrayBuffers"),
    kib("external") - kib("arrayBuffers"),
    native,
  ].map((value) => value.toFixed(1).padStart(8));
  return `| ${side.padEnd(14)} | ${cells.join(" | ")} |`;
}

async function main(): Promise<void> {
  const [mode = "tcp", peersText = "200", snapshotDir] = process.argv.slice(2);
  const peers = Number(peersText);
  if (
    (mode !== "tcp" && mode !== "quic" && mode !== "nodes") ||
    !Number.isInteger(peers) ||
    peers < 1
  ) {
    throw new Error(USAGE);
  }
  const file = (side: string, count: number): string | undefined =>
    snapshotDir === undefined ? undefined : join(snapshotDir, `${side}-${count}.heapsnapshot`);
  const server = fork(fileURLToPath(import.meta.url), ["serve", mode], {
    execArgv: ["--expose-gc"],
  });
  try {
    const info = await nextMessage<ServerInfo>(server);
    const askServer = (gc: GcKind, snapshot: string | undefined): Promise<Memory> => {
      server.send({ gc, snapshot } satisfies ToServer);
      return nextMessage<Memory>(server);
    };
    // Full GC first, then the memory-reducing one, on each side, before and after.
    const serverBefore = await askServer("full", undefined);
    const clientBefore = measure("full", undefined);
    const serverBeforeReduced = await askServer("reduce", file("server", 0));
    const clientBeforeReduced = measure("reduce", file("client", 0));
    const started = performance.now();
    await connectPeers(info, mode, peers);
    const connectMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const serverAfter = await askServer("full", undefined);
    const clientAfter = measure("full", undefined);
    const serverAfterReduced = await askServer("reduce", file("server", peers));
    const clientAfterReduced = measure("reduce", file("client", peers));
    console.log(`${peers} idle ${mode} peers, connected in ${connectMs.toFixed(0)} ms`);
    console.log(
      `TCP sockets open at the end: server ${serverAfterReduced.tcpSockets - serverBefore.tcpSockets}, client ${clientAfterReduced.tcpSockets - clientBefore.tcpSockets}`,
    );
    console.log("KiB per peer: RSS = heapTotal + external + native; external ⊃ arrayBuffers");
    console.log(
      "| side, GC       |      RSS | heapUsed | heapTotal | arrayBuf | other ext |   native |",
    );
    console.log(
      "| -------------- | -------: | -------: | --------: | -------: | --------: | -------: |",
    );
    console.log(perPeer("server", serverBefore, serverAfter, peers));
    console.log(perPeer("client", clientBefore, clientAfter, peers));
    console.log(perPeer("server, reduce", serverBeforeReduced, serverAfterReduced, peers));
    console.log(perPeer("client, reduce", clientBeforeReduced, clientAfterReduced, peers));
  } finally {
    server.kill("SIGKILL");
  }
  process.exit(0);
}

if (process.argv[2] === "serve") {
  await serve(process.argv[3] === "quic" ? "quic" : "tcp");
} else {
  await main();
}
