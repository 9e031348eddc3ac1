import assert from "node:assert/strict";
import { once } from "node:events";
import { type Client, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { prometheusMetrics } from "@libp2p/prometheus-metrics";
import { register } from "prom-client";
import { afterEach, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import {
  BUSY_TAG,
  type ConnectionKeeper,
  type ConnectionKeeperInit,
  createLibp2pTransport,
  createRpcNode,
  PINNED_TAG,
  rpcServer,
} from "../../src/index.ts";
import { memoryListen } from "../helpers/start-pair.ts";
import { transferImpl } from "../helpers/transfer-service.ts";
import { waitFor } from "../helpers/wait-for.ts";

const OPTIONS = { timeoutMs: 10_000 };
const FOREIGN = "/p2prpc-test-other/1.0.0";

interface Setup {
  readonly client: Libp2p<{ connectionKeeper: ConnectionKeeper }>;
  readonly servers: Libp2p[];
  /** A client of `server` over the client node. */
  transfer(server: Libp2p): Client<typeof TransferService>;
  /** Starts a call to `server` that hangs until `release()`. */
  hang(server: Libp2p): { done: Promise<unknown>; release(): void };
}

const nodes: Libp2p[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()));
  register.clear();
});

async function setup(
  servers: number,
  keeper: ConnectionKeeperInit,
  metrics = false,
): Promise<Setup> {
  /** What each hanging call waits for, in the order the calls were made. */
  const gates: Array<Promise<void>> = [];
  const serverNodes: Libp2p[] = [];
  for (let index = 0; index < servers; index++) {
    const node = await createRpcNode({
      listen: memoryListen(),
      services: {
        rpc: rpcServer({
          routes: (router) =>
            router.service(TransferService, {
              ...transferImpl,
              // Hangs until the test releases it.
              async *download() {
                await gates.shift();
                yield { data: new Uint8Array(1) };
              },
            }),
        }),
      },
    });
    await node.handle(FOREIGN, () => {});
    serverNodes.push(node);
  }
  const client = await createRpcNode({
    listen: memoryListen(),
    connectionKeeper: keeper,
    ...(metrics ? { libp2p: { metrics: prometheusMetrics() } } : {}),
  });
  nodes.push(client, ...serverNodes);
  const transfer = (server: Libp2p): Client<typeof TransferService> =>
    createClient(
      TransferService,
      createLibp2pTransport({ libp2p: client, peer: server.getMultiaddrs() }),
    );
  return {
    client,
    servers: serverNodes,
    transfer,
    hang(server) {
      const gate = Promise.withResolvers<void>();
      gates.push(gate.promise);
      const done = (async () => {
        for await (const _ of transfer(server).download({}, OPTIONS)) {
          // one message, after the release
        }
      })();
      return { done, release: gate.resolve };
    },
  };
}

const tagsOf = async (node: Libp2p, peer: Libp2p): Promise<Map<string, unknown>> =>
  (await node.peerStore.get(peer.peerId)).tags;

describe("connectionKeeper", () => {
  it("tags a peer busy while it has calls in flight, and clears the tag once it is idle", async () => {
    const { client, servers, hang } = await setup(1, { idleTimeoutMs: 200 });
    const server = servers[0] as Libp2p;
    const call = hang(server);
    await waitFor(() => client.services.connectionKeeper.peers()[0]?.inFlight === 1, "the call");
    assert.ok((await tagsOf(client, server)).has(BUSY_TAG));
    call.release();
    await call.done;
    const idle = once(client.services.connectionKeeper, "peer:idle");
    await idle;
    assert.ok(!(await tagsOf(client, server)).has(BUSY_TAG));
  });

  it("closes a connection idle for idleTimeoutMs, and the next call redials", async () => {
    const { client, servers, transfer } = await setup(1, { idleTimeoutMs: 200 });
    const server = servers[0] as Libp2p;
    const client2server = transfer(server);
    await client2server.exchange({}, OPTIONS);
    assert.equal(client.getConnections(server.peerId).length, 1);
    const [event] = (await once(client.services.connectionKeeper, "peer:idle")) as [CustomEvent];
    assert.equal(event.detail.peer, server.peerId.toString());
    await waitFor(() => client.getConnections(server.peerId).length === 0, "the close");
    const again = await client2server.exchange({ data: new Uint8Array(2) }, OPTIONS);
    assert.equal(again.receivedMessages, 1);
  });

  it("keeps an idle connection that another protocol uses, and never closes a busy one", async () => {
    const { client, servers, transfer, hang } = await setup(3, { idleTimeoutMs: 200 });
    const [used, busy, idle] = servers as [Libp2p, Libp2p, Libp2p];
    await transfer(used).exchange({}, OPTIONS);
    const other = await client.dialProtocol(used.peerId, FOREIGN);
    const call = hang(busy);
    await waitFor(() => client.services.connectionKeeper.peers().length === 2, "both tracked");
    // The idle peer, called last, is closed at a sweep that also looked at the others.
    await transfer(idle).exchange({}, OPTIONS);
    const [event] = (await once(client.services.connectionKeeper, "peer:idle")) as [CustomEvent];
    assert.equal(event.detail.peer, idle.peerId.toString());
    assert.equal(client.getConnections(used.peerId).length, 1, "another protocol uses it");
    assert.equal(client.getConnections(busy.peerId).length, 1, "a call is in flight");
    call.release();
    await call.done;
    await other.close();
  });

  it("keeps at most maxPeers, evicting the least recently used idle peer, never a busy one", async () => {
    const { client, servers, transfer, hang } = await setup(4, { maxPeers: 2, idleTimeoutMs: 0 });
    const [busy, a, b, c] = servers as [Libp2p, Libp2p, Libp2p, Libp2p];
    const evicted: string[] = [];
    client.services.connectionKeeper.addEventListener("peer:evicted", (event) =>
      evicted.push(event.detail.peer),
    );
    const call = hang(busy);
    await waitFor(() => client.services.connectionKeeper.peers().length === 1, "tracked");
    await transfer(a).exchange({}, OPTIONS);
    await transfer(b).exchange({}, OPTIONS);
    await transfer(c).exchange({}, OPTIONS);
    assert.deepEqual(evicted, [a.peerId.toString(), b.peerId.toString()]);
    await waitFor(() => client.getConnections(a.peerId).length === 0, "a's close");
    assert.equal(client.getConnections(busy.peerId).length, 1);
    assert.equal(client.getConnections(c.peerId).length, 1);
    call.release();
    await call.done;
  });

  it("keeps a pinned peer when idle and tags it for libp2p to redial", async () => {
    const first = await setup(2, { idleTimeoutMs: 200 });
    const [pinned, plain] = first.servers as [Libp2p, Libp2p];
    await first.client.services.connectionKeeper.pin(pinned.peerId);
    assert.ok((await tagsOf(first.client, pinned)).has(PINNED_TAG));
    await first.transfer(pinned).exchange({}, OPTIONS);
    await first.transfer(plain).exchange({}, OPTIONS);
    const [event] = (await once(first.client.services.connectionKeeper, "peer:idle")) as [
      CustomEvent,
    ];
    assert.equal(event.detail.peer, plain.peerId.toString());
    assert.equal(first.client.getConnections(pinned.peerId).length, 1);
    // libp2p redials it when the connection is lost.
    await pinned.hangUp(first.client.peerId);
    await waitFor(() => first.client.getConnections(pinned.peerId).length === 1, "the redial");
  });

  it("reports calls in flight per peer through the node's metrics", async () => {
    const { client, servers, hang } = await setup(1, {}, true);
    const server = servers[0] as Libp2p;
    const call = hang(server);
    await waitFor(() => client.services.connectionKeeper.peers()[0]?.inFlight === 1, "the call");
    const text = await register.metrics();
    assert.match(text, new RegExp(`p2prpc_calls_in_flight\\{peer="${server.peerId}"\\} 1`));
    assert.match(text, /p2prpc_kept_peers 1/);
    call.release();
    await call.done;
  });

  it("refuses nonsense options", async () => {
    await assert.rejects(
      createRpcNode({ listen: memoryListen(), connectionKeeper: { maxPeers: 0 } }),
      RangeError,
    );
  });

  it("a node without a keeper still calls", async () => {
    const { servers } = await setup(1, {});
    const bare = await createRpcNode({ listen: memoryListen(), connectionKeeper: false });
    nodes.push(bare);
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: bare, peer: (servers[0] as Libp2p).getMultiaddrs() }),
    );
    assert.equal((await transfer.exchange({}, OPTIONS)).receivedMessages, 1);
  });
});
