/**
 * The soak run shared by `npm run soak` (full size) and test/e2e/soak.test.ts
 * (a CI size): many unary calls and long server streams between two real
 * nodes in this process, a random tenth of each cancelled, then a check that
 * streams, connections, timers and handles are back at their baseline and
 * how much the heap grew.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Code, ConnectError, createClient, type ServiceImpl } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, createRpcNode, rpcServer } from "../../src/index.ts";
import { listenFor, type TransportKind } from "../../test/helpers/start-pair.ts";

/** What a soak run does. */
export interface SoakOptions {
  readonly transport: TransportKind;
  /** Unary calls in all. */
  readonly unaryCalls: number;
  /** Unary calls in flight at once. */
  readonly unaryConcurrency: number;
  /** Server-streaming calls in all. */
  readonly streams: number;
  /** Messages each stream carries when not cancelled. */
  readonly messagesPerStream: number;
  /** Streams in flight at once. */
  readonly streamConcurrency: number;
  /** Share of calls and streams cancelled by the caller. */
  readonly cancelRatio: number;
  /** Longest wait for resources to return to baseline, in milliseconds. */
  readonly settleLimitMs: number;
}

/** Resource counts at one moment. */
export interface ResourceCounts {
  /** `process.getActiveResourcesInfo()` by type (Timeout, TCPWRAP, …). */
  readonly active: Readonly<Record<string, number>>;
  readonly clientConnections: number;
  readonly serverConnections: number;
  /** Streams open on every connection, both nodes (idle pooled streams included). */
  readonly streams: number;
}

/** What a soak run measured. */
export interface SoakResult {
  readonly options: SoakOptions;
  readonly baseline: ResourceCounts;
  readonly after: ResourceCounts;
  /** Whether `after` came back to at most `baseline` of everything (within the settle limit). */
  readonly settled: boolean;
  readonly settleMs: number;
  /** How the unary calls ended, by code name. */
  readonly unary: Readonly<Record<string, number>>;
  /** How the streams ended, by code name. */
  readonly streams: Readonly<Record<string, number>>;
  /** Calls and streams whose caller aborted them (some after they had ended). */
  readonly cancelRequested: { readonly unary: number; readonly streams: number };
  /** Heap used after a full GC, before and after, in bytes. */
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
  readonly durationMs: number;
}

/** EchoService as the soak needs it: keeps nothing per call (the tests' echo records every signal). */
const soakImpl: Partial<ServiceImpl<typeof EchoService>> = {
  unary: (req) => ({ text: req.text }),
  async *serverStream(req, ctx) {
    for (let index = 0; index < req.repeat; index++) {
      await new Promise((resolve) => setTimeout(resolve, req.delayMs));
      if (ctx.signal.aborted) {
        return;
      }
      yield { text: req.text, index };
    }
  },
};

/** A full garbage collection, without needing `--expose-gc` on the command line. */
function collect(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function heapUsed(): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

function countActive(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

function counts(client: Libp2p, server: Libp2p): ResourceCounts {
  const streams = (node: Libp2p): number =>
    node.getConnections().reduce((sum, connection) => sum + connection.streams.length, 0);
  return {
    active: countActive(),
    clientConnections: client.getConnections().length,
    serverConnections: server.getConnections().length,
    streams: streams(client) + streams(server),
  };
}

/** True when `after` holds no more of anything than `baseline`: nothing was left behind. */
function withinBaseline(after: ResourceCounts, baseline: ResourceCounts): boolean {
  return (
    Object.entries(after.active).every(([type, count]) => count <= (baseline.active[type] ?? 0)) &&
    after.clientConnections <= baseline.clientConnections &&
    after.serverConnections <= baseline.serverConnections &&
    after.streams <= baseline.streams
  );
}

function tally(into: Record<string, number>, error: unknown): void {
  const name = error === undefined ? "OK" : (Code[ConnectError.from(error).code] ?? "Unknown");
  into[name] = (into[name] ?? 0) + 1;
}

/** Runs `total` tasks, `concurrency` at a time. */
async function inParallel(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        await task(next++);
      }
    }),
  );
}

/** Runs the soak and reports what it measured; the caller judges the figures. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = performance.now();
  const server = await createRpcNode({
    listen: listenFor(options.transport),
    // No idle-connection sweeps or pings during the run: their timers would
    // come and go and blur the timer count.
    connectionKeeper: false,
    livenessTimeoutMs: 0,
    // Identify at once, so its stream is done before the baseline is taken.
    identifyDelayMs: 0,
    services: {
      rpc: rpcServer({ routes: (router) => router.service(EchoService, soakImpl) }),
    },
  });
  const client = await createRpcNode({
    listen: options.transport === "memory" ? listenFor("memory") : [],
    connectionKeeper: false,
    livenessTimeoutMs: 0,
    identifyDelayMs: 0,
  });
  const unary: Record<string, number> = {};
  const streams: Record<string, number> = {};
  const cancelRequested = { unary: 0, streams: 0 };
  try {
    const echo = createClient(
      EchoService,
      createLibp2pTransport({
        libp2p: client,
        peer: server.getMultiaddrs(),
        defaultTimeoutMs: 30_000,
        // Idle streams go back to the baseline soon after the run.
        idleStreamTimeoutMs: 200,
      }),
    );
    // Warm up: the connection, identify, one call of each kind; then the baseline.
    await echo.unary({ text: "warm" });
    for await (const _ of echo.serverStream({ text: "warm", repeat: 2 })) {
      // drain
    }
    const idleGone = async (): Promise<void> => {
      const limit = performance.now() + options.settleLimitMs;
      while (counts(client, server).streams > 0 && performance.now() < limit) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    // Identify and the warm-up's idle streams (200 ms) finish before the baseline.
    await idleGone();
    const heapBeforeBytes = heapUsed();
    const baseline = counts(client, server);

    await inParallel(options.unaryCalls, options.unaryConcurrency, async (index) => {
      const cancel = Math.random() < options.cancelRatio;
      const controller = new AbortController();
      const call = echo.unary({ text: `u${index}` }, { signal: controller.signal });
      if (cancel) {
        cancelRequested.unary++;
        // Cancelled at once or a little later: before, during or after the answer.
        if (Math.random() < 0.5) {
          controller.abort();
        } else {
          setImmediate(() => controller.abort());
        }
      }
      try {
        await call;
        tally(unary, undefined);
      } catch (error) {
        tally(unary, error);
      }
    });

    await inParallel(options.streams, options.streamConcurrency, async (index) => {
      const cancelAt =
        Math.random() < options.cancelRatio
          ? Math.floor(Math.random() * options.messagesPerStream)
          : -1;
      if (cancelAt >= 0) {
        cancelRequested.streams++;
      }
      const controller = new AbortController();
      let received = 0;
      try {
        for await (const _ of echo.serverStream(
          { text: `s${index}`, repeat: options.messagesPerStream, delayMs: 1 },
          { signal: controller.signal },
        )) {
          if (received++ === cancelAt) {
            controller.abort();
          }
        }
        tally(streams, received === options.messagesPerStream ? undefined : new Error("short"));
      } catch (error) {
        tally(streams, error);
      }
    });

    // Back to the baseline: idle streams expire, the server's streams close.
    const settleStart = performance.now();
    let after = counts(client, server);
    while (
      !withinBaseline(after, baseline) &&
      performance.now() - settleStart < options.settleLimitMs
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = counts(client, server);
    }
    const settleMs = performance.now() - settleStart;
    const heapAfterBytes = heapUsed();
    return {
      options,
      baseline,
      after,
      settled: withinBaseline(after, baseline),
      settleMs,
      unary,
      streams,
      cancelRequested,
      heapBeforeBytes,
      heapAfterBytes,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.all([client.stop(), server.stop()]);
  }
}
