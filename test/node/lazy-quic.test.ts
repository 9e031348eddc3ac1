import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { quic } from "@chainsafe/libp2p-quic";
import type { Libp2p } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { Memory as MEMORY, QUIC_V1, TCP } from "@multiformats/multiaddr-matcher";
import { afterEach, describe, it } from "vitest";
import { createRpcNode } from "../../src/index.ts";

/** The UDP sockets this process holds (IPv4 and IPv6), read from /proc. */
function udpSockets(): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined) {
        inodes.add(inode);
      }
    } catch {
      // closed between readdir and readlink
    }
  }
  let count = 0;
  for (const table of ["/proc/self/net/udp", "/proc/self/net/udp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode !== undefined && inodes.has(inode)) {
        count++;
      }
    }
  }
  return count;
}

describe("lazyQuic (createRpcNode's QUIC transport)", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  async function serverOnBoth(): Promise<Libp2p> {
    const server = await createRpcNode({
      listen: ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"],
    });
    nodes.push(server);
    return server;
  }

  function addressOf(node: Libp2p, matcher: typeof TCP) {
    const address = node.getMultiaddrs().find((a) => matcher.exactMatch(a));
    assert.ok(address !== undefined, `${node.peerId} listens on it`);
    return address;
  }

  it("opens no UDP socket on a node that neither listens on nor dials QUIC, and dials TCP", async () => {
    const server = await serverOnBoth();
    const before = udpSockets();
    const client = await createRpcNode({ listen: [] });
    nodes.push(client);
    const conn = await client.dial(addressOf(server, TCP), { signal: AbortSignal.timeout(5000) });
    assert.equal(conn.status, "open");
    assert.equal(udpSockets(), before, "a TCP-only client holds no QUIC endpoint");
  });

  it("takes only QUIC addresses: the in-memory transport after it still gets its own", async () => {
    const server = await createRpcNode({ listen: [`/memory/lazy-quic-${Date.now()}`] });
    nodes.push(server);
    const before = udpSockets();
    const client = await createRpcNode({ listen: [] });
    nodes.push(client);
    const conn = await client.dial(addressOf(server, MEMORY), {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(conn.status, "open");
    assert.equal(udpSockets(), before);
  });

  it("makes QUIC on the first QUIC dial, which connects", async () => {
    const server = await serverOnBoth();
    const before = udpSockets();
    const client = await createRpcNode({ listen: [] });
    nodes.push(client);
    const conn = await client.dial(addressOf(server, QUIC_V1), {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(conn.status, "open");
    assert.ok(QUIC_V1.exactMatch(conn.remoteAddr), `over QUIC: ${conn.remoteAddr}`);
    // (@chainsafe/libp2p-quic's stop aborts its endpoints, but their sockets
    // close only when the native objects are collected, so no count after stop.)
    assert.ok(udpSockets() > before, "the QUIC dial opened the transport's endpoints");
  });

  it("listens on QUIC as before, and a restarted node dials QUIC again", async () => {
    const server = await serverOnBoth();
    const client = await createRpcNode({ listen: [] });
    nodes.push(client);
    const address = addressOf(server, QUIC_V1);
    const first = await client.dial(address, { signal: AbortSignal.timeout(5000) });
    assert.equal(first.status, "open");
    await client.stop();
    await client.start();
    const again = await client.dial(address, { signal: AbortSignal.timeout(5000) });
    assert.equal(again.status, "open");
  });

  it("leaves a user's own transports alone", async () => {
    const before = udpSockets();
    const node = await createRpcNode({
      listen: [],
      libp2p: { transports: [tcp(), quic()] },
    });
    nodes.push(node);
    assert.ok(udpSockets() > before, "the user's quic() opens its endpoints at once, as it does");
  });
});
