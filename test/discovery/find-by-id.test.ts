import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  createLibp2pTransport,
  createRpcNode,
  type RpcNodeDhtOptions,
  rpcServer,
} from "../../src/index.ts";
import { createEchoProbe, echoImpl } from "../helpers/echo-service.ts";
import { TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf, waitFor } from "../helpers/wait-for.ts";

const LOOPBACK = ["/ip4/127.0.0.1/tcp/0"];
/** Loopback nodes have no public address: they are DHT servers and keep every address. */
const LAN: RpcNodeDhtOptions = { mode: "server", addresses: "all" };

function addressOf(node: Libp2p): string {
  return String(node.getMultiaddrs()[0]);
}

/** Resolves once `node`'s DHT routing table holds at least `size` peers. */
async function routingTableOf(node: Libp2p, size: number): Promise<void> {
  const dht = (node.services as { dht?: { routingTable: { size: number } } }).dht;
  assert.ok(dht !== undefined, "the node has a DHT");
  await waitFor(() => dht.routingTable.size >= size, `a routing table of ${size}`, 15_000);
}

describe("find by id: a client calls a peer it knows only by PeerId, through the DHT", () => {
  const nodes: Libp2p[] = [];
  let first: Libp2p;
  let second: Libp2p;
  let server: Libp2p;

  beforeAll(async () => {
    // first <- second <- server: the server knows only the second node at start.
    first = await createRpcNode({ listen: LOOPBACK, dht: LAN });
    nodes.push(first);
    second = await createRpcNode({
      listen: LOOPBACK,
      dht: { ...LAN, bootstrap: [addressOf(first)] },
    });
    nodes.push(second);
    await routingTableOf(second, 1);
    server = await createRpcNode({
      listen: LOOPBACK,
      dht: { ...LAN, bootstrap: [addressOf(second)] },
      services: {
        rpc: rpcServer({
          routes: (router) => router.service(EchoService, echoImpl(createEchoProbe())),
        }),
      },
    });
    nodes.push(server);
    await routingTableOf(server, 1);
    // The first node learns of the server through the DHT itself (the server's self-query).
    await waitFor(
      () => first.getConnections(server.peerId).length > 0,
      "the first node to meet the server",
      15_000,
    );
  }, 30_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("dials the server by PeerId: the address comes from a DHT lookup", async () => {
    const client = await createRpcNode({
      listen: LOOPBACK,
      dht: { ...LAN, bootstrap: [addressOf(first)] },
    });
    nodes.push(client);
    await routingTableOf(client, 1);
    // The client's own start-up query (kad-dht's self-query) may have taught it
    // the server's address already, in a network this small: forget it.
    await client.peerStore.delete(server.peerId);
    // What the client knows before the call: the first node, and nothing of the server.
    assert.equal(client.getConnections(server.peerId).length, 0);
    const known = (await client.peerStore.has(server.peerId))
      ? (await client.peerStore.get(server.peerId)).addresses
      : [];
    assert.deepEqual(known, [], "the client has no address of the server");

    const echo = createClient(
      EchoService,
      createLibp2pTransport({ libp2p: client, peer: server.peerId.toString() }),
    );
    const reply = await echo.unary({ text: "by id" }, { timeoutMs: TEST_CALL_TIMEOUT_MS });
    assert.equal(reply.text, "by id");
    const [connection] = client.getConnections(server.peerId);
    assert.ok(connection !== undefined);
    assert.ok(
      server.getMultiaddrs().some((address) => address.equals(connection.remoteAddr)),
      `dialed one of the server's own addresses, got ${connection.remoteAddr.toString()}`,
    );
  });

  it("without the DHT, the same call fails with Unavailable: nothing knows the address", async () => {
    const client = await createRpcNode({ listen: LOOPBACK });
    nodes.push(client);
    await client.dial(first.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) });
    const echo = createClient(
      EchoService,
      createLibp2pTransport({ libp2p: client, peer: server.peerId.toString(), retry: false }),
    );
    assert.equal(
      await codeOf(echo.unary({ text: "no dht" }, { timeoutMs: TEST_CALL_TIMEOUT_MS })),
      Code.Unavailable,
    );
  });
});
