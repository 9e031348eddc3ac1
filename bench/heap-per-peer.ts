/**
 * Where an idle peer's bytes go: `npm exec -- node --expose-gc
 * bench/heap-per-peer.ts [tcp|quic|nodes|pooled] [peers] [snapshot dir]`.
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
 * `pooled` turns the set-up around to measure the client's side of a pooled
 * peer: the child process runs `peers` server nodes, and this process one
 * client node (made before the first measurement, so it is not counted)
 * whose pool calls each of them once over TCP and keeps them all (its
 * `maxPeers` and idle timeout raised for it); the server figure is then a
 * whole node per peer. `SETTLE_MS` in the environment sets how long the
 * peers idle before the measurement (default 2,500 ms). With
 * `IDLE_ALLOCATION_MS`, both sides then sample what they allocate while idle
 * for that long (`sampleIdleAllocation`), before the measurement.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { createClient } from "@connectrpc/connect";
import { BenchService } from "../gen/p2prpc/bench/v1/bench_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../src/index.ts";
import {
  formatIdleAllocation,
  type IdleAllocation,
  sampleIdleAllocation,
} from "./idle-allocation.ts";
import type { ServerInfo } from "./ipc-messages.ts";
import { MANY_PEERS_CONNECTION_MANAGER } from "./systems/many-peers.ts";
import { p2prpcSystem } from "./systems/p2prpc.ts";
import { SMALL_PAYLOAD } from "./workloads/workload-context.ts";

const USAGE =
  "usage: node --expose-gc bench/heap-per-peer.ts [tcp|quic|nodes|pooled] [peers] [snapshot dir]";
/** Peers connecting at once, as in (g). */
const PARALLEL = 8;
/** Idle time after the last call: identify runs 1 s after a connection opens. */
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 2500);
/** How long each side samples its idle allocations; 0: not sampled. */
const IDLE_ALLOCATION_MS = Number(process.env.IDLE_ALLOCATION_MS ?? 0);

/** One side's memory, bytes. */
interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Open TCP sockets (libuv handles), to check that every peer is still connected. */
  readonly tcpSockets: number;
  /** V8's young generation as reserved (`new_space`'s `space_size`). */
  readonly newSpace: number;
}

/**
 * `full`: two full GCs, as (g) does. `reduce`: V8's memory-reducing GC (the
 * kind its memory reducer runs on a process gone idle, and the last resort
 * before an out-of-memory error), which also shrinks the young generation
 * and hands pooled pages back: what is left is what the peers keep alive.
 */
type GcKind = "full" | "reduce";

type ToServer =
  | { readonly gc: GcKind; readonly snapshot: string | undefined }
  | { readonly idleAllocationMs: number };

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
  const newSpace =
    getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
  return { rss, heapUsed, heapTotal, external, arrayBuffers, tcpSockets, newSpace };
}

/** Runs `count` server nodes; sends the first's info, with every node's address in `addresses`. */
async function serve(transport: "tcp" | "quic", count: number): Promise<void> {
  const system = p2prpcSystem(transport);
  const context = { tls: undefined, waitForRelease: () => new Promise<void>(() => {}) };
  const infos: ServerInfo[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      infos.push(await system.startServer(context));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
  process.on("message", (message: ToServer) => {
    if ("idleAllocationMs" in message) {
      sampleIdleAllocation(message.idleAllocationMs).then(
        (idle) => process.send?.(idle),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
      return;
    }
    process.send?.(measure(message.gc, message.snapshot));
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ ...infos[0], addresses: infos.map((info) => info.address) });
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

/**
 * `nodes`: the client's nodes only, never connected (what a client node
 * costs by itself). `pooled`: one client node calling many server nodes.
 */
type Mode = "tcp" | "quic" | "nodes" | "pooled";

/** What the child sends first: its first node's info and every node's address. */
type ServedInfo = ServerInfo & { readonly addresses: readonly string[] };

/** The client node of `pooled`: keeps every peer it calls, as a pool of that size would. */
function pooledClient(peers: number): ReturnType<typeof createRpcNode> {
  return createRpcNode({
    listen: [],
    connectionKeeper: { maxPeers: peers, idleTimeoutMs: 3_600_000 },
    libp2p: { connectionManager: MANY_PEERS_CONNECTION_MANAGER },
  });
}

/** One unary call from `node` to each address, `PARALLEL` at a time, each within 10 s. */
async function callEach(
  node: Awaited<ReturnType<typeof createRpcNode>>,
  addresses: readonly string[],
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < addresses.length) {
      const peer = addresses[next++] as string;
      const client = createClient(BenchService, createLibp2pTransport({ libp2p: node, peer }));
      await client.unary({ payload: SMALL_PAYLOAD }, { timeoutMs: 10_000 });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

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
    (mode !== "tcp" && mode !== "quic" && mode !== "nodes" && mode !== "pooled") ||
    !Number.isInteger(peers) ||
    peers < 1
  ) {
    throw new Error(USAGE);
  }
  const file = (side: string, count: number): string | undefined =>
    snapshotDir === undefined ? undefined : join(snapshotDir, `${side}-${count}.heapsnapshot`);
  const pooled = mode === "pooled";
  const server = fork(
    fileURLToPath(import.meta.url),
    ["serve", mode === "quic" ? "quic" : "tcp", String(pooled ? peers : 1)],
    { execArgv: ["--expose-gc"] },
  );
  const node = pooled ? await pooledClient(peers) : undefined;
  try {
    const info = await nextMessage<ServedInfo>(server);
    const askServer = (gc: GcKind, snapshot: string | undefined): Promise<Memory> => {
      server.send({ gc, snapshot } satisfies ToServer);
      return nextMessage<Memory>(server);
    };
    // Before, as (g) does: the memory-reducing GC first, which shrinks the
    // young generation start-up grew, so the full GC's figure after the
    // peers counts all their growth; after: the full GC, then the reducing one.
    const serverBeforeReduced = await askServer("reduce", file("server", 0));
    const clientBeforeReduced = measure("reduce", file("client", 0));
    const serverBefore = await askServer("full", undefined);
    const clientBefore = measure("full", undefined);
    const started = performance.now();
    if (node === undefined) {
      await connectPeers(info, mode, peers);
    } else {
      await callEach(node, info.addresses);
    }
    const connectMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (IDLE_ALLOCATION_MS > 0) {
      server.send({ idleAllocationMs: IDLE_ALLOCATION_MS } satisfies ToServer);
      const [serverIdle, clientIdle] = await Promise.all([
        nextMessage<IdleAllocation>(server),
        sampleIdleAllocation(IDLE_ALLOCATION_MS),
      ]);
      console.log(
        [
          ...formatIdleAllocation("server", serverIdle),
          ...formatIdleAllocation("client", clientIdle),
        ].join("\n"),
      );
    }
    const serverAfter = await askServer("full", undefined);
    const clientAfter = measure("full", undefined);
    const serverAfterReduced = await askServer("reduce", file("server", peers));
    const clientAfterReduced = measure("reduce", file("client", peers));
    console.log(`${peers} idle ${mode} peers, connected in ${connectMs.toFixed(0)} ms`);
    console.log(
      `TCP sockets open at the end: server ${serverAfterReduced.tcpSockets - serverBefore.tcpSockets}, client ${clientAfterReduced.tcpSockets - clientBefore.tcpSockets}`,
    );
    if (node !== undefined) {
      console.log(`the client node's connections at the end: ${node.getConnections().length}`);
    }
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `young generation (new_space) after the full GC, MiB: server ${mib(serverBefore.newSpace)} → ${mib(serverAfter.newSpace)}, client ${mib(clientBefore.newSpace)} → ${mib(clientAfter.newSpace)}`,
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
  await serve(process.argv[3] === "quic" ? "quic" : "tcp", Number(process.argv[4] ?? 1));
} else {
  await main();
}
