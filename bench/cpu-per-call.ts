/**
 * CPU time per call with client and server in one process, over TCP on
 * loopback: `node bench/cpu-per-call.ts [unary|ping-pong] [runs]`.
 *
 * The two-process harness measures what users see, but on a small VM its
 * figures move by ±15% from run to run, mostly with how the two processes
 * get scheduled. One process pays no cross-process wake-ups, so CPU time per
 * call (user + system, both sides) is a steadier yardstick for a change to
 * the per-call path: run it on the old and the new code alternately and
 * compare medians. It prints one line per measured window (1.5 s each, after
 * one warm-up window) and the median over all of them.
 */
import { createClient } from "@connectrpc/connect";
import { BenchService } from "../gen/p2prpc/bench/v1/bench_pb.ts";
import { createLibp2pTransport, createRpcNode, rpcServer } from "../src/index.ts";
import { benchServiceImpl } from "./systems/bench-service-impl.ts";
import { connectBenchClient } from "./systems/connect-bench-client.ts";

const WINDOW_MS = 1500;
const mode = process.argv[2] ?? "unary";
const windows = Number(process.argv[3] ?? 3);
if (mode !== "unary" && mode !== "ping-pong") {
  throw new Error(`usage: node bench/cpu-per-call.ts [unary|ping-pong] [windows]`);
}

const server = await createRpcNode({
  listen: ["/ip4/127.0.0.1/tcp/0"],
  services: {
    rpc: rpcServer({
      routes: (router) =>
        router.service(
          BenchService,
          benchServiceImpl(() => Promise.resolve()),
        ),
    }),
  },
});
const node = await createRpcNode({ listen: [] });
const client = connectBenchClient(
  createClient(BenchService, createLibp2pTransport({ libp2p: node, peer: server.getMultiaddrs() })),
  async () => {},
);
const payload = new Uint8Array(32);
const pingPong = mode === "ping-pong" ? await client.openPingPong() : undefined;
const call = (): Promise<void> =>
  pingPong === undefined ? client.unary(payload) : pingPong.roundTrip(payload);

const perCall: number[] = [];
for (let window = 0; window <= windows; window++) {
  let calls = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - started < WINDOW_MS) {
    await call();
    calls++;
  }
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  if (window > 0) {
    const micros = (used.user + used.system) / calls;
    perCall.push(micros);
    console.log(
      `${mode}: ${Math.round((calls / elapsed) * 1000)} calls/s, ${micros.toFixed(1)} µs CPU per call`,
    );
  }
}
perCall.sort((a, b) => a - b);
console.log(`median: ${perCall[Math.floor((perCall.length - 1) / 2)]?.toFixed(1)} µs CPU per call`);
await pingPong?.close();
await Promise.all([node.stop(), server.stop()]);
