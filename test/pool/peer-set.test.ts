import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { afterEach, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { type CallRetriedDetail, createLibp2pTransport, getRemotePeer } from "../../src/index.ts";
import { type ServerSet, startServerSet } from "../helpers/server-set.ts";
import { unreachableAddress } from "../helpers/unreachable-address.ts";
import { codeOf, waitFor } from "../helpers/wait-for.ts";

const OPTIONS = { timeoutMs: 10_000 };

/** Resets every connection between `node` and `peer`, as a crash of either would. */
function crash(node: Libp2p, peer: PeerId): void {
  for (const connection of node.getConnections(peer)) {
    connection.abort(new Error("crashed on purpose"));
  }
}

describe("a transport over a set of peers", () => {
  let set: ServerSet | undefined;
  afterEach(async () => {
    await set?.stop();
    set = undefined;
  });

  it("round-robin spreads calls evenly, and stats count them per peer", async () => {
    set = await startServerSet("memory", 3);
    const { transfer, transport } = set.connect({ balance: "round-robin" });
    for (let i = 0; i < 30; i++) {
      await transfer.exchange({ data: new Uint8Array([i]) }, OPTIONS);
    }
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [10, 10, 10],
    );
    const stats = transport.pool.stats();
    assert.deepEqual(
      stats.map(({ peer }) => peer),
      set.servers.map(({ node }) => node.peerId.toString()),
    );
    for (const peer of stats) {
      assert.equal(peer.calls, 10);
      assert.equal(peer.succeeded, 10);
      assert.equal(peer.inFlight, 0);
      assert.ok(
        (peer.latencyP50Ms ?? -1) >= 0 && (peer.latencyP99Ms ?? -1) >= (peer.latencyP50Ms ?? 0),
      );
      // lastUsedMs is on the monotonic clock (timeOrigin + now), which a step of the wall clock does not move.
      assert.ok(
        peer.lastUsedMs > 0 && peer.lastUsedMs <= performance.timeOrigin + performance.now(),
      );
      assert.equal(peer.connections, 1);
    }
    // The liveness check pings each new connection once, which gives it an rtt.
    await waitFor(
      () => transport.pool.stats().every(({ rttMs }) => rttMs !== undefined && rttMs >= 0),
      "an rtt for every peer",
    );
  });

  it("pick-first sends every call to the first peer, and fails over when it goes", async () => {
    set = await startServerSet("memory", 3);
    const { transfer, transport } = set.connect({ balance: "pick-first" });
    for (let i = 0; i < 5; i++) {
      await transfer.exchange({ data: new Uint8Array([i]) }, OPTIONS);
    }
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [5, 0, 0],
    );
    const retried: CallRetriedDetail[] = [];
    transport.pool.addEventListener("call:retried", (event) => retried.push(event.detail));
    const dialFailed: string[] = [];
    transport.pool.addEventListener("dial:failed", (event) => dialFailed.push(event.detail.peer));
    await set.servers[0]?.node.stop();
    // The first peer is gone: the next call's dial fails before anything was
    // sent, so it runs again on the second peer; the caller sees no error.
    for (let i = 0; i < 5; i++) {
      await transfer.exchange({ data: new Uint8Array([i]) }, OPTIONS);
    }
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [5, 5, 0],
    );
    assert.ok(retried.length >= 1);
    assert.equal(retried[0]?.peer, set.servers[0]?.node.peerId.toString());
    assert.equal(retried[0]?.error.code, Code.Unavailable);
    assert.ok((transport.pool.stats()[0]?.errors.Unavailable ?? 0) >= 1);
    assert.equal(dialFailed[0], set.servers[0]?.node.peerId.toString());
    assert.equal(transport.pool.stats()[0]?.connections, 0);
  });

  it("a peer that failed rests: the next calls go to the others", async () => {
    set = await startServerSet("memory", 3);
    const { transfer, transport } = set.connect({ balance: "round-robin" });
    await Promise.all(set.servers.map(() => transfer.exchange({}, OPTIONS)));
    let retried = 0;
    transport.pool.addEventListener("call:retried", () => retried++);
    await set.servers[0]?.node.stop();
    for (let i = 0; i < 21; i++) {
      await transfer.exchange({}, OPTIONS);
    }
    // Without the rest, round-robin would try the stopped peer for every third call (7).
    assert.ok(retried >= 1 && retried <= 4, `${retried} retries`);
  });

  it("retries an idempotent call whose connection died before any response; never a plain one", async () => {
    let killed = 0;
    set = await startServerSet("memory", 1, (_, server) => ({
      // The first call of each method resets the connection while it runs,
      // as a crash would: the client never gets a frame of its response.
      exchange(req, ctx) {
        server.exchanges++;
        if (server.exchanges === 1) {
          killed++;
          crash(server.node, getRemotePeer(ctx).peerId);
        }
        return { receivedMessages: req.data.length };
      },
      idempotentExchange(req, ctx) {
        server.exchanges++;
        if (server.exchanges === 2) {
          killed++;
          crash(server.node, getRemotePeer(ctx).peerId);
        }
        return { receivedMessages: req.data.length };
      },
    }));
    const { transfer } = set.connect({ retry: { initialBackoffMs: 1 } });
    const plain = transfer.exchange({ data: new Uint8Array(3) }, OPTIONS);
    assert.equal(await codeOf(plain), Code.Unavailable);
    assert.equal(set.servers[0]?.exchanges, 1, "a plain call ran once");
    const safe = await transfer.idempotentExchange({ data: new Uint8Array(4) }, OPTIONS);
    assert.equal(safe.receivedMessages, 4);
    assert.equal(set.servers[0]?.exchanges, 3, "the idempotent call ran twice");
    assert.equal(killed, 2);
  });

  it("never retries a status the server answered, nor a request refused as wrong", async () => {
    set = await startServerSet("memory", 2, (_, server) => ({
      exchange() {
        server.exchanges++;
        throw new ConnectError("no", Code.Unavailable);
      },
    }));
    const { transfer, transport } = set.connect({ balance: "round-robin" });
    const retried: CallRetriedDetail[] = [];
    transport.pool.addEventListener("call:retried", (event) => retried.push(event.detail));
    assert.equal(await codeOf(transfer.exchange({}, OPTIONS)), Code.Unavailable);
    assert.equal(retried.length, 0);
    assert.deepEqual(
      set.servers.map(({ exchanges }) => exchanges),
      [1, 0],
    );
  });

  it("a set whose peers are all gone fails with Unavailable, within the retry budget", async () => {
    set = await startServerSet("memory", 3);
    const { transfer, transport } = set.connect({
      retry: { initialBackoffMs: 1, maxBackoffMs: 2 },
    });
    await Promise.all(set.servers.map(({ node }) => node.stop()));
    const retried: CallRetriedDetail[] = [];
    transport.pool.addEventListener("call:retried", (event) => retried.push(event.detail));
    for (let i = 0; i < 20; i++) {
      assert.equal(await codeOf(transfer.exchange({}, OPTIONS)), Code.Unavailable);
    }
    // 10 tokens, one per failure, retries only above half: a storm would be 40.
    assert.ok(retried.length <= 5, `${retried.length} retries for 20 failing calls`);
    assert.ok(retried.length >= 2, "some calls were retried before the budget ran out");
  });

  it("stops retrying at the call's deadline", async () => {
    set = await startServerSet("memory", 1);
    const { transfer } = set.connect({
      retry: { maxAttempts: 100, initialBackoffMs: 1000, maxBackoffMs: 1000 },
    });
    await set.servers[0]?.node.stop();
    const started = performance.now();
    const code = await codeOf(transfer.exchange({}, { timeoutMs: 300 }));
    assert.ok(code === Code.Unavailable || code === Code.DeadlineExceeded, `code ${code}`);
    assert.ok(performance.now() - started < 1500, "ended by its deadline, not after the backoff");
  });

  it("calling this node itself is InvalidArgument at once, never retried", async () => {
    set = await startServerSet("memory", 1);
    const { transport } = set.connect();
    const self = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: set.client, peers: [set.client.peerId] }),
    );
    assert.equal(await codeOf(self.exchange({}, OPTIONS)), Code.InvalidArgument);
    assert.ok(transport.pool.stats().length === 1);
  });

  it("a dial that takes longer than dialTimeoutMs fails the attempt with Unavailable", async () => {
    set = await startServerSet("quic", 1);
    // QUIC gives up on a silent address only after 10 s.
    const silent = multiaddr(await unreachableAddress("quic"));
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: set.client, peer: silent, dialTimeoutMs: 300, retry: false }),
    );
    const started = performance.now();
    assert.equal(await codeOf(transfer.exchange({}, { timeoutMs: 5000 })), Code.Unavailable);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });

  it("100 concurrent first calls to a new peer make one connection", async () => {
    set = await startServerSet("tcp", 1);
    const server = set.servers[0]?.node;
    assert.ok(server !== undefined);
    let opened = 0;
    server.addEventListener("connection:open", () => opened++);
    const { transfer } = set.connect();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        transfer.exchange({ data: new Uint8Array([i]) }, OPTIONS),
      ),
    );
    assert.equal(opened, 1);
    assert.equal(server.getConnections(set.client.peerId).length, 1);
  });
});
