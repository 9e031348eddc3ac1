import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../../src/index.ts";
import { type DelayProxy, tcpDelayProxy, udpDelayProxy } from "../helpers/delay-proxy.ts";
import { fourKinds } from "../helpers/four-kinds.ts";
import { createNetns, type Netns, netnsUnavailable } from "../helpers/netns.ts";
import { QueueIterable } from "../helpers/queue-iterable.ts";
import { type Fixture, spawnFixture } from "../helpers/spawn-fixture.ts";
import { codeOf } from "../helpers/wait-for.ts";

/** Why the machine cannot run these (they are then reported as skipped), or undefined. */
const unavailable = netnsUnavailable();
/** The calls' content: big enough to span many packets, so loss hits them. */
const CALLS = { messageBytes: 16 * 1024, messages: 16, timeoutMs: 20_000 };
/** Delay the proxy adds in each direction. */
const DELAY_MS = 50;
/** Deadline of the calls made during a partition. */
const PARTITION_DEADLINE_MS = 1500;
/** How late a deadline may fire on a loaded machine (2 shared cores). */
const SLACK_MS = 3000;

describe.skipIf(unavailable !== undefined)(
  `network faults between namespaces${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`,
  () => {
    let netns: Netns;
    let server: Fixture;
    let dir: string;
    let client: Libp2p;
    const addresses = new Map<string, string>();
    const proxies: DelayProxy[] = [];

    beforeAll(async () => {
      netns = await createNetns("nf", 11);
      dir = await mkdtemp(join(tmpdir(), "p2prpc-netns-"));
      server = spawnFixture(
        "transfer-server.ts",
        [
          "--key",
          join(dir, "server.key"),
          `/ip4/${netns.address}/tcp/0`,
          `/ip4/${netns.address}/udp/0/quic-v1`,
        ],
        [...netns.exec],
      );
      await server.line(/^READY$/);
      for (const line of server.lines.filter((entry) => entry.startsWith("LISTEN "))) {
        const address = line.slice("LISTEN ".length);
        addresses.set(address.includes("/quic-v1") ? "quic" : "tcp", address);
      }
      client = await createRpcNode({ listen: [] });
    });
    afterAll(async () => {
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await client?.stop();
      await server?.kill();
      await netns?.remove();
      if (dir !== undefined) {
        await rm(dir, { recursive: true, force: true });
      }
    });

    const transferTo = (peer: string) =>
      createClient(TransferService, createLibp2pTransport({ libp2p: client, peer }));

    for (const kind of ["tcp", "quic"] as const) {
      describe(`over ${kind}`, () => {
        it(`with 5% packet loss each way, every call of each kind completes correctly`, async () => {
          const transfer = transferTo(addresses.get(kind) as string);
          await netns.setLoss(0.05);
          try {
            for (let round = 0; round < 3; round++) {
              await fourKinds(transfer, { ...CALLS, seed: round * 100 });
            }
            // The fault was real: packets of these calls were dropped.
            const dropped = await netns.droppedPackets();
            console.log(`${kind}, 5% loss: 12 calls correct, ${dropped} packets dropped`);
            assert.ok(dropped > 0, "no packet was dropped");
          } finally {
            await netns.setLoss(0);
          }
        });

        it(`with ${DELAY_MS} ms added each way by a proxy, every call of each kind completes correctly`, async () => {
          const target = addresses.get(kind) as string;
          const port = Number(/\/(?:tcp|udp)\/(\d+)/.exec(target)?.[1]);
          const proxy =
            kind === "tcp"
              ? await tcpDelayProxy(netns.address, port, DELAY_MS)
              : await udpDelayProxy(netns.address, port, DELAY_MS);
          proxies.push(proxy);
          const peerId = target.slice(target.indexOf("/p2p/"));
          const through =
            kind === "tcp"
              ? `/ip4/127.0.0.1/tcp/${proxy.port}${peerId}`
              : `/ip4/127.0.0.1/udp/${proxy.port}/quic-v1${peerId}`;
          // A node of its own: the shared client already has a direct connection to the server.
          const delayed = await createRpcNode({ listen: [] });
          try {
            const transfer = createClient(
              TransferService,
              createLibp2pTransport({ libp2p: delayed, peer: through }),
            );
            await fourKinds(transfer, { ...CALLS, seed: 1000 });
            // The delay was real: a call on the open connection takes a round trip of 2 × 50 ms.
            const started = performance.now();
            await transfer.exchange({ data: new Uint8Array(1) }, { timeoutMs: CALLS.timeoutMs });
            const roundTripMs = performance.now() - started;
            console.log(
              `${kind}, +${DELAY_MS} ms each way: 4 calls correct, a unary call ${roundTripMs.toFixed(0)} ms`,
            );
            assert.ok(roundTripMs >= 2 * DELAY_MS - 5, `a call took ${roundTripMs} ms`);
          } finally {
            await delayed.stop();
          }
        });

        it("during a partition deadlines fire on time and nothing hangs; the client recovers when the link returns", async () => {
          const transfer = transferTo(addresses.get(kind) as string);
          await fourKinds(transfer, { ...CALLS, messages: 2, seed: 2000 });
          // A bidi call in flight when the link goes.
          const requests = new QueueIterable<{ data: Uint8Array }>();
          const inFlight = transfer
            .echo(requests, { timeoutMs: PARTITION_DEADLINE_MS * 2 })
            [Symbol.asyncIterator]();
          requests.push({ data: new Uint8Array([1]) });
          assert.deepEqual((await inFlight.next()).value?.data, new Uint8Array([1]));
          await netns.partition();
          try {
            const started = performance.now();
            requests.push({ data: new Uint8Array([2]) });
            const [unary, bidi] = await Promise.all([
              codeOf(
                transfer.exchange(
                  { data: new Uint8Array([3]) },
                  { timeoutMs: PARTITION_DEADLINE_MS },
                ),
              ).then((code) => ({ code, afterMs: performance.now() - started })),
              codeOf(inFlight.next()).then((code) => ({
                code,
                afterMs: performance.now() - started,
              })),
            ]);
            console.log(
              `${kind}, partition: unary ${Code[unary.code]} after ${unary.afterMs.toFixed(0)} ms (deadline ${PARTITION_DEADLINE_MS}), ` +
                `bidi in flight ${Code[bidi.code]} after ${bidi.afterMs.toFixed(0)} ms (deadline ${2 * PARTITION_DEADLINE_MS} from its start)`,
            );
            assert.equal(unary.code, Code.DeadlineExceeded, `unary: ${Code[unary.code]}`);
            assert.ok(
              unary.afterMs < PARTITION_DEADLINE_MS + SLACK_MS,
              `unary: ${unary.afterMs} ms`,
            );
            assert.ok(unary.afterMs >= PARTITION_DEADLINE_MS - 50, `unary: ${unary.afterMs} ms`);
            assert.equal(bidi.code, Code.DeadlineExceeded, `bidi: ${Code[bidi.code]}`);
            assert.ok(
              bidi.afterMs < 2 * PARTITION_DEADLINE_MS + SLACK_MS,
              `bidi: ${bidi.afterMs} ms`,
            );
          } finally {
            requests.end();
            await netns.heal();
          }
          // Back: the next calls succeed on the same transport, with nothing done by the application.
          await fourKinds(transfer, { ...CALLS, messages: 2, seed: 3000 });
        });
      });
    }
  },
);
