import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { afterAll, beforeAll, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { DEFAULT_MAX_CONNECTIONS } from "../../src/constants.ts";
import { createLibp2pTransport, createRpcNode } from "../../src/index.ts";
import { type HostileServer, startHostileServer } from "../helpers/hostile-server.ts";
import { timeCalls } from "../helpers/latency.ts";

/** Fresh PeerIds that connect at once. */
const FLOOD_PEERS = 500;
/** Connections attempted at once. */
const BATCH = 50;

describe("a connection flood from 500 fresh PeerIds, against a server process on createRpcNode's defaults", () => {
  let server: HostileServer;
  let client: Libp2p;
  const flood: Libp2p[] = [];

  beforeAll(async () => {
    server = await startHostileServer();
    client = await createRpcNode({ listen: [] });
  });
  afterAll(async () => {
    await Promise.all([client?.stop(), server?.kill(), ...flood.map((node) => node.stop())]);
  });

  it("the server stays within its connection limits and keeps serving", {
    timeout: 120_000,
  }, async () => {
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: client, peer: server.address, defaultTimeoutMs: 10_000 }),
    );
    const wellBehaved = async (): Promise<void> => {
      const answer = await transfer.exchange({ data: new Uint8Array([1, 2, 3]) });
      assert.equal(answer.receivedMessages, 1);
    };
    await wellBehaved();
    const address = multiaddr(server.address);
    let connected = 0;
    let refused = 0;
    let flooding = true;
    let most = 0;
    const sample = async (): Promise<void> => {
      most = Math.max(most, (await server.stats()).connections);
    };
    const attack = (async () => {
      for (let start = 0; start < FLOOD_PEERS; start += BATCH) {
        await Promise.all(
          Array.from({ length: BATCH }, async () => {
            // A bare node with a key of its own: a new PeerId each time.
            const node = await createLibp2p({
              transports: [tcp()],
              connectionEncrypters: [noise()],
              streamMuxers: [yamux()],
              connectionMonitor: { enabled: false },
            });
            flood.push(node);
            try {
              await node.dial(address, { signal: AbortSignal.timeout(20_000) });
              connected++;
            } catch {
              refused++;
            }
          }),
        );
        await sample();
      }
    })().finally(() => {
      flooding = false;
    });
    // The well-behaved peer, connected before, calls all through the flood.
    const calls = await timeCalls(wellBehaved, () => !flooding, 10);
    await attack;
    await sample();

    assert.equal(connected + refused, FLOOD_PEERS);
    // libp2p counts open connections against maxConnections when it accepts
    // one: handshakes already under way (at most 100) may end above it, and
    // its pruner then closes the excess.
    assert.ok(most <= DEFAULT_MAX_CONNECTIONS + 100, `${most} connections at once`);
    const until = Date.now() + 20_000;
    let settled = (await server.stats()).connections;
    while (settled > DEFAULT_MAX_CONNECTIONS && Date.now() < until) {
      settled = (await server.stats()).connections;
    }
    assert.ok(settled <= DEFAULT_MAX_CONNECTIONS, `${settled} connections once the flood settled`);
    // The peer connected before the flood is still served while the flood holds its connections.
    await wellBehaved();
    // The limit, not luck, refused the rest (a dial that libp2p let through
    // while others were still pending may be pruned after it opened).
    assert.ok(refused >= FLOOD_PEERS - DEFAULT_MAX_CONNECTIONS - 100, `${refused} refused`);
    assert.ok(calls.length >= 10);
    console.log(
      `connection flood: ${connected} connected, ${refused} refused, at most ${most} connections, ${settled} after; ` +
        `${calls.length} calls of the connected peer, slowest ${Math.max(...calls).toFixed(0)} ms`,
    );

    // The flood goes: a new peer is served again.
    await Promise.all(flood.splice(0).map((node) => node.stop()));
    const newcomer = await createRpcNode({ listen: [] });
    try {
      const fresh = createClient(
        TransferService,
        createLibp2pTransport({ libp2p: newcomer, peer: server.address, defaultTimeoutMs: 20_000 }),
      );
      assert.equal((await fresh.exchange({ data: new Uint8Array(1) })).receivedMessages, 1);
    } finally {
      await newcomer.stop();
    }
  });
});
