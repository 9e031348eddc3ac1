/**
 * What finding dead connections costs: `node bench/liveness.ts detection
 * [samples]` and `node bench/liveness.ts ping-cpu [peers] [seconds]`.
 *
 * `detection`: a server runs in a child process (test/fixtures/transfer-server.ts);
 * the client opens a bidi call, has one answer, then SIGKILLs or SIGSTOPs the
 * server and times how long until the call fails (always `Unavailable` so far;
 * the code is printed). Over TCP and QUIC, with libp2p's connection-monitor
 * defaults and with `createRpcNode`'s `livenessTimeoutMs` default. Where a
 * sample falls between the bound's lower end (the ping timeout) and its upper
 * end (interval + timeout) depends on when the last ping ran, so it prints
 * every sample, not a median.
 *
 * `ping-cpu`: one process, one server node and `peers` client nodes, each
 * connected to it over TCP and idle; prints the process's CPU time (user +
 * system) per second with the liveness check off and with a 1 s bound, the
 * Yamux pings the check sent (counted on every connection, both sides), and
 * the difference per ping and its answer (both ends of it).
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { TransferService } from "../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode, type RpcNodeOptions } from "../src/index.ts";
import { QueueIterable } from "../test/helpers/queue-iterable.ts";
import { spawnFixture } from "../test/helpers/spawn-fixture.ts";

const USAGE = "usage: node bench/liveness.ts detection [samples] | ping-cpu [peers] [seconds]";
const LISTEN = { tcp: "/ip4/127.0.0.1/tcp/0", quic: "/ip4/127.0.0.1/udp/0/quic-v1" } as const;

/** The client settings compared: libp2p's own monitor settings, and p2prpc's default. */
const CONFIGS: Record<string, RpcNodeOptions> = {
  "libp2p defaults (10 s interval, adaptive 5-60 s timeout)": {
    libp2p: {
      connectionMonitor: {
        pingInterval: 10_000,
        pingTimeout: { minTimeout: 5000, maxTimeout: 60_000 },
      },
    },
  },
  "p2prpc default (livenessTimeoutMs 10000)": {},
};

async function detection(samples: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "p2prpc-liveness-bench-"));
  try {
    for (const [name, options] of Object.entries(CONFIGS)) {
      for (const kind of ["tcp", "quic"] as const) {
        for (const signal of ["SIGKILL", "SIGSTOP"] as const) {
          const times: string[] = [];
          for (let sample = 0; sample < samples; sample++) {
            times.push(await detectOnce(dir, kind, signal, options));
          }
          console.log(`${name} | ${kind} | ${signal} | ${times.join(", ")}`);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One kill or freeze; resolves with "<ms> ms <code>". */
async function detectOnce(
  dir: string,
  kind: keyof typeof LISTEN,
  signal: "SIGKILL" | "SIGSTOP",
  options: RpcNodeOptions,
): Promise<string> {
  const server = spawnFixture("transfer-server.ts", [
    "--key",
    join(dir, "server.key"),
    LISTEN[kind],
  ]);
  const client = await createRpcNode({ ...options, listen: [] });
  try {
    const address = (await server.line(/^LISTEN /)).slice("LISTEN ".length);
    await server.line(/^READY$/);
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: client, peer: address, defaultTimeoutMs: 60_000 }),
    );
    const requests = new QueueIterable<{ data: Uint8Array }>();
    const responses = transfer.echo(requests)[Symbol.asyncIterator]();
    requests.push({ data: new Uint8Array([1]) });
    await responses.next();
    server.child.kill(signal);
    const started = performance.now();
    const code = await responses.next().then(
      () => "no error",
      (error: unknown) => Code[ConnectError.from(error).code],
    );
    return `${Math.round(performance.now() - started)} ms ${code}`;
  } finally {
    await server.kill();
    await client.stop();
  }
}

/** Counts the Yamux pings `node`'s connections send (the liveness check's, on TCP). */
function countPings(node: Libp2p, counter: { pings: number }): void {
  for (const connection of node.getConnections()) {
    const muxer = (connection as { muxer?: { ping?: (...args: unknown[]) => Promise<number> } })
      .muxer;
    const ping = muxer?.ping;
    if (muxer === undefined || ping === undefined) {
      continue;
    }
    muxer.ping = (...args) => {
      counter.pings++;
      return ping.apply(muxer, args);
    };
  }
}

async function pingCpu(peers: number, seconds: number): Promise<void> {
  const cpu = new Map<number, number[]>();
  const pings = new Map<number, number[]>();
  for (const livenessTimeoutMs of [0, 1000, 0, 1000]) {
    const server = await createRpcNode({ listen: [LISTEN.tcp], livenessTimeoutMs });
    const clients: Libp2p[] = [];
    for (let index = 0; index < peers; index++) {
      const client = await createRpcNode({ listen: [], livenessTimeoutMs });
      await client.dial(server.getMultiaddrs());
      clients.push(client);
    }
    // Let the first pings and identify run before the window.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const counter = { pings: 0 };
    for (const node of [server, ...clients]) {
      countPings(node, counter);
    }
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const used = process.cpuUsage(before);
    const cpuMsPerSecond = (used.user + used.system) / 1000 / seconds;
    const pingsPerSecond = counter.pings / seconds;
    console.log(
      `livenessTimeoutMs ${livenessTimeoutMs}: ${peers} idle connections, ${cpuMsPerSecond.toFixed(2)} ms CPU/s, ${pingsPerSecond.toFixed(1)} pings/s sent (both sides, counted)`,
    );
    cpu.set(livenessTimeoutMs, [...(cpu.get(livenessTimeoutMs) ?? []), cpuMsPerSecond]);
    pings.set(livenessTimeoutMs, [...(pings.get(livenessTimeoutMs) ?? []), pingsPerSecond]);
    await Promise.all([...clients.map((client) => client.stop()), server.stop()]);
  }
  const mean = (values: number[] = []): number =>
    values.reduce((sum, value) => sum + value, 0) / values.length;
  const perPingUs = ((mean(cpu.get(1000)) - mean(cpu.get(0))) * 1000) / mean(pings.get(1000));
  console.log(
    `CPU per ping and its answer, both ends: ${perPingUs.toFixed(0)} µs; per idle connection at a 1 s bound: ${((mean(cpu.get(1000)) - mean(cpu.get(0))) / peers).toFixed(3)} ms CPU/s`,
  );
}

const [mode, first, second] = process.argv.slice(2);
if (mode === "detection") {
  await detection(Number(first ?? 3));
} else if (mode === "ping-cpu") {
  await pingCpu(Number(first ?? 50), Number(second ?? 10));
} else {
  console.error(USAGE);
  process.exit(2);
}
