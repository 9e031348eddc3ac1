import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Code, createClient } from "@connectrpc/connect";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, PeerId, PrivateKey } from "@libp2p/interface";
import { kadDHT, passthroughMapper } from "@libp2p/kad-dht";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, createRpcNode, type RpcNodeDhtOptions } from "../../src/index.ts";
import { TEST_CALL_TIMEOUT_MS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";
import { LAN_DHT, routingTableOf, startDhtNode } from "./dht-nodes.ts";

/**
 * No self-queries (kad-dht's periodic lookup of a node's own id, which in a
 * network this small would teach every node every other), so each routing
 * table holds only the nodes it dialed or was dialed by, and a lookup has to
 * walk the chain: client → first → second → third, whose answer holds the
 * server.
 */
const CHAIN: RpcNodeDhtOptions = {
  kadDHT: {
    allowQueryWithZeroPeers: true,
    querySelfInterval: 3_600_000,
    initialQuerySelfInterval: 3_600_000,
  },
};

interface LookupEvent {
  readonly name: string;
  readonly to?: PeerId;
  readonly from?: PeerId;
  readonly closer?: Array<{ id: PeerId }>;
}

/**
 * The rounds a lookup of `target` from `node` took, from kad-dht's query
 * events: 1 for a peer of `node`'s routing table, one more for each peer
 * learned from another's answer, for the peer whose answer held the target.
 */
async function lookupHops(node: Libp2p, target: PeerId): Promise<number> {
  const dht = (
    node.services as unknown as {
      dht: { findPeer(id: PeerId, options: object): AsyncIterable<LookupEvent> };
    }
  ).dht;
  const depth = new Map<string, number>();
  for await (const event of dht.findPeer(target, {
    useCache: false,
    signal: AbortSignal.timeout(10_000),
  })) {
    if (event.name === "SEND_QUERY" && !depth.has(String(event.to))) {
      depth.set(String(event.to), 1);
    } else if (event.name === "PEER_RESPONSE") {
      const from = depth.get(String(event.from)) ?? 1;
      for (const { id } of event.closer ?? []) {
        if (!depth.has(id.toString())) {
          depth.set(id.toString(), from + 1);
        }
      }
    } else if (event.name === "FINAL_PEER") {
      return depth.get(String(event.from)) ?? 1;
    }
  }
  throw new Error("the lookup did not find the target");
}

/** The kad-dht options `dht: LAN_DHT` resolves to, for a plain kad-dht. */
const LAN_KAD = {
  protocol: "/p2prpc/kad/1.0.0",
  clientMode: false,
  peerInfoMapper: passthroughMapper,
};

/** A peer's Kademlia id: the SHA-256 of its PeerId's multihash bytes (kad-dht's `convertPeerId`). */
function kadId(key: PrivateKey): Buffer {
  return createHash("sha256").update(peerIdFromPrivateKey(key).toMultihash().bytes).digest();
}

/** XOR distance of two Kademlia ids, as a big-endian number. */
function distance(a: Buffer, b: Buffer): bigint {
  return BigInt(`0x${Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0))).toString("hex")}`);
}

/**
 * Keys for the chain, farthest from the server first: a Kademlia lookup
 * follows only peers closer to the target than those it asked, so each node
 * of the chain must be closer to the server than the one before it.
 */
async function chainKeys(server: PrivateKey, count: number): Promise<PrivateKey[]> {
  const target = kadId(server);
  const keys = await Promise.all(Array.from({ length: count }, () => generateKeyPair("Ed25519")));
  return keys
    .map((key) => ({ key, d: distance(kadId(key), target) }))
    .sort((a, b) => (a.d < b.d ? 1 : a.d > b.d ? -1 : 0))
    .map(({ key }) => key);
}

describe("find by id: a client calls a peer it knows only by PeerId, through the DHT", () => {
  const nodes: Libp2p[] = [];
  let first: Libp2p;
  let server: Libp2p;

  let outsiders: PrivateKey[];

  beforeAll(async () => {
    const serverKey = await generateKeyPair("Ed25519");
    const keys = await chainKeys(serverKey, 5);
    // The two farthest keys are for the nodes that look the server up.
    outsiders = keys.slice(0, 2);
    first = await startDhtNode(undefined, CHAIN, undefined, undefined, keys[2]);
    const second = await startDhtNode(first, CHAIN, undefined, undefined, keys[3]);
    const third = await startDhtNode(second, CHAIN, undefined, undefined, keys[4]);
    server = await startDhtNode(third, CHAIN, {}, undefined, serverKey);
    nodes.push(first, second, third, server);
    // Each node's table holds its neighbours in the chain.
    await Promise.all([
      routingTableOf(first, 1),
      routingTableOf(second, 2),
      routingTableOf(third, 2),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("a lookup from the first node's side walks the chain: three rounds", async () => {
    const probe = await startDhtNode(first, CHAIN, undefined, undefined, outsiders[0]);
    nodes.push(probe);
    assert.equal(await lookupHops(probe, server.peerId), 3);
  });

  it("dials the server by PeerId: the address comes from a DHT lookup", async () => {
    const client = await startDhtNode(first, CHAIN, undefined, undefined, outsiders[1]);
    nodes.push(client);
    // What the client knows before the call: the first node, and nothing of the server.
    assert.equal(client.getConnections(server.peerId).length, 0);
    assert.equal(
      await client.peerStore.has(server.peerId),
      false,
      "the client knows nothing of the server",
    );

    const echo = createClient(
      EchoService,
      createLibp2pTransport({ libp2p: client, peer: server.peerId.toString() }),
    );
    const reply = await echo.unary({ text: "by id" }, { timeoutMs: TEST_CALL_TIMEOUT_MS });
    assert.equal(reply.text, server.peerId.toString());
    const [connection] = client.getConnections(server.peerId);
    assert.ok(connection !== undefined);
    assert.ok(
      server.getMultiaddrs().some((address) => address.equals(connection.remoteAddr)),
      `dialed one of the server's own addresses, got ${connection.remoteAddr.toString()}`,
    );
  });

  it("without the DHT, the same call fails with Unavailable: nothing knows the address", async () => {
    const client = await createRpcNode({ listen: ["/ip4/127.0.0.1/tcp/0"] });
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

  it("canary: kad-dht alone answers a peer-store entry without addresses locally (lookUpPeersWithoutAddresses is still needed)", async () => {
    // Upstream kad-dht, not wrapped: the node's `dht` service replaced by a plain one
    // (kad-dht takes the node's `ping` service as a component, which its types do not show).
    const plain = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      dht: { ...LAN_DHT, ...CHAIN, bootstrap: [String(first.getMultiaddrs()[0])] },
      services: { dht: kadDHT({ ...LAN_KAD, ...CHAIN.kadDHT }) } as never,
    });
    nodes.push(plain);
    await routingTableOf(plain, 1);
    // An entry without addresses, as the connection keeper's tag leaves it.
    await plain.peerStore.merge(server.peerId, { tags: { "p2prpc-test": { value: 1 } } });
    const found = await plain.peerRouting.findPeer(server.peerId, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(found.multiaddrs, [], "kad-dht now looks such a peer up: delete the wrapper");
  });
});
