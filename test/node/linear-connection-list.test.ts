import assert from "node:assert/strict";
import type { Connection, Libp2p } from "@libp2p/interface";
import type { ConnectionManager } from "@libp2p/interface-internal";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p } from "libp2p";
import { afterEach, describe, it } from "vitest";
import { createRpcNode } from "../../src/index.ts";
import { linearConnectionList } from "../../src/libp2p.ts";
import { waitFor } from "../helpers/wait-for.ts";

const PEERS = 4;

function managerOf(node: Libp2p): ConnectionManager {
  const components = (node as unknown as { components: { connectionManager: ConnectionManager } })
    .components;
  return components.connectionManager;
}

/** What `work()` returns, and how many times `Array.prototype.concat` ran meanwhile. */
function countingConcat<T>(work: () => T): { calls: number; result: T } {
  const concat = Array.prototype.concat;
  let calls = 0;
  Array.prototype.concat = function (this: unknown[], ...items: unknown[]) {
    calls++;
    return concat.apply(this, items);
  } as typeof concat;
  try {
    const result = work();
    return { calls, result };
  } finally {
    Array.prototype.concat = concat;
  }
}

describe("linearConnectionList", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  /** `server` with `PEERS` clients connected to it over TCP. */
  async function withPeers(server: Libp2p): Promise<void> {
    nodes.push(server);
    for (let index = 0; index < PEERS; index++) {
      const client = await createRpcNode({ listen: [] });
      nodes.push(client);
      await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) });
    }
    await waitFor(() => managerOf(server).getConnectionsMap().size === PEERS, "every peer in");
  }

  function plainNode(services = {}): Promise<Libp2p> {
    return createLibp2p({
      addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services,
    });
  }

  it("canary: stock libp2p builds getConnections() with a concat per peer", async () => {
    const server = await plainNode();
    await withPeers(server);
    const { calls } = countingConcat(() => managerOf(server).getConnections());
    // When this fails, libp2p builds the list in one pass and the wrapper can go.
    assert.equal(calls, PEERS);
  });

  it("lists the same connections in the same order, in one pass, and leaves getConnections(peer) alone", async () => {
    const server = await plainNode({ linearConnectionList: linearConnectionList() });
    await withPeers(server);
    const manager = managerOf(server);
    const expected: Connection[] = [...manager.getConnectionsMap().values()].flat();
    const { calls, result: listed } = countingConcat(() => manager.getConnections());
    assert.equal(calls, 0, "no concat");
    assert.deepEqual(
      listed.map((connection) => connection.id),
      expected.map((connection) => connection.id),
    );
    assert.notEqual(listed, manager.getConnections(), "a new list on each call");
    assert.deepEqual(
      server
        .getPeers()
        .map((peer) => peer.toString())
        .sort(),
      expected.map((connection) => connection.remotePeer.toString()).sort(),
    );
    const first = expected[0];
    assert.ok(first !== undefined);
    assert.deepEqual(manager.getConnections(first.remotePeer), [first]);
  });

  it("is on createRpcNode's nodes", async () => {
    const server = await createRpcNode({ listen: ["/ip4/127.0.0.1/tcp/0"] });
    assert.ok(server.services.linearConnectionList !== undefined);
    await withPeers(server);
    const { calls } = countingConcat(() => managerOf(server).getConnections());
    assert.equal(calls, 0);
  });
});
