/**
 * What a hostile peer costs the others: `node bench/hostile.ts [calls] [rounds]`.
 *
 * A server runs in a child process (test/fixtures/hostile-server.ts) on
 * `rpcServer`'s and `createRpcNode`'s default limits. A well-behaved client
 * makes `calls` sequential unary calls (32-byte payloads) while the server is
 * idle, then again while another peer, in a third process
 * (test/fixtures/stream-flooder.ts), floods it: waves of 10,000 streams over
 * three methods, opened 500 at a time and never sent a header; the server
 * holds what `maxStreamsPerPeer` and libp2p's `maxInboundStreams` allow and
 * resets the rest; after each wave the attacker resets what was held and
 * starts again, until the client's calls are done. Prints the client's p50
 * and p99 in each phase and the ratio of the p99s, per round.
 */

import { createClient } from "@connectrpc/connect";
import { TransferService } from "../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../src/index.ts";
import { startHostileServer } from "../test/helpers/hostile-server.ts";
import { quantile, timeCalls } from "../test/helpers/latency.ts";
import { spawnFixture } from "../test/helpers/spawn-fixture.ts";

const FLOOD_STREAMS = 10_000;

const calls = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const ms = (value: number): string => `${value.toFixed(3)} ms`;

const server = await startHostileServer();
const client = await createRpcNode({ listen: [] });
try {
  const transfer = createClient(
    TransferService,
    createLibp2pTransport({ libp2p: client, peer: server.address, defaultTimeoutMs: 10_000 }),
  );
  const call = (): Promise<unknown> => transfer.exchange({ data: new Uint8Array(32) });
  // Warm-up: connection, streams, JIT.
  await timeCalls(call, () => true, 500);
  console.log(
    `stream flood | calls ${calls} | idle p50 | idle p99 | flood p50 | flood p99 | p99 ratio | waves of ${FLOOD_STREAMS} | held, refused (last wave)`,
  );
  for (let round = 0; round < rounds; round++) {
    const idle = await timeCalls(call, () => true, calls);
    const flooder = spawnFixture("stream-flooder.ts", [server.address, String(FLOOD_STREAMS)]);
    await flooder.line(/^WAVE /);
    const during = await timeCalls(call, () => true, calls);
    const waves = flooder.lines.filter((line) => line.startsWith("WAVE "));
    await flooder.kill();
    const [held, refused] = (waves.at(-1) ?? "WAVE 0 0").split(" ").slice(1);
    const idleP99 = quantile(idle, 0.99);
    const floodP99 = quantile(during, 0.99);
    console.log(
      `round ${round + 1} | ${calls} | ${ms(quantile(idle, 0.5))} | ${ms(idleP99)} | ${ms(quantile(during, 0.5))} | ${ms(floodP99)} | ${(floodP99 / idleP99).toFixed(1)}x | ${waves.length} | ${held}, ${refused}`,
    );
  }
} finally {
  await client.stop();
  await server.kill();
}
