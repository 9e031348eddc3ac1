import assert from "node:assert/strict";
import type { Connection, Libp2p } from "@libp2p/interface";
import { afterEach, describe, it } from "vitest";
import { createRpcNode } from "../../src/index.ts";

type RpcNode = Awaited<ReturnType<typeof createRpcNode>>;

import { waitFor } from "../helpers/wait-for.ts";
import { within } from "../helpers/within.ts";

/** The bound in these tests: short, so they end fast. */
const LIVENESS_TIMEOUT_MS = 800;
/** What a detection may take over the bound: timers and a busy machine. */
const SLACK_MS = 1000;
const PING_PROTOCOL = "/ipfs/ping/1.0.0";

/** The part of a Yamux muxer the tests watch and change (private in libp2p's typings). */
interface YamuxInternals {
  ping?: (options?: { signal?: AbortSignal }) => Promise<number>;
  handlePing?: (header: unknown) => void;
}

function muxerOf(connection: Connection): YamuxInternals {
  const muxer = (connection as { muxer?: YamuxInternals }).muxer;
  assert.ok(muxer !== undefined, "a TCP connection has a muxer");
  return muxer;
}

/** Counts what the liveness check does on `connection`: Yamux pings sent and answered, ping streams opened. */
function watch(connection: Connection): { sent: number; pings: number; pingStreams: number } {
  const counts = { sent: 0, pings: 0, pingStreams: 0 };
  const muxer = muxerOf(connection);
  const ping = muxer.ping;
  if (ping !== undefined) {
    muxer.ping = async (options) => {
      counts.sent++;
      const rtt = await ping.call(muxer, options);
      counts.pings++;
      return rtt;
    };
  }
  const newStream = connection.newStream.bind(connection);
  connection.newStream = ((protocols: string | string[], options?: object) => {
    if ([protocols].flat().includes(PING_PROTOCOL)) {
      counts.pingStreams++;
    }
    return newStream(protocols, options);
  }) as Connection["newStream"];
  return counts;
}

describe("livenessCheck (createRpcNode's livenessTimeoutMs)", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  /** A client connected to a server over TCP; identify stays out of the way. */
  async function connectedPair(
    serverTimeoutMs = LIVENESS_TIMEOUT_MS,
    clientTimeoutMs = LIVENESS_TIMEOUT_MS,
  ): Promise<{ client: RpcNode; server: RpcNode; conn: Connection }> {
    const options = { identifyDelayMs: 60_000, listen: ["/ip4/127.0.0.1/tcp/0"] };
    const server = await createRpcNode({ ...options, livenessTimeoutMs: serverTimeoutMs });
    nodes.push(server);
    const client = await createRpcNode({
      ...options,
      livenessTimeoutMs: clientTimeoutMs,
      listen: [],
    });
    nodes.push(client);
    const address = server.getMultiaddrs()[0];
    assert.ok(address !== undefined);
    const conn = await client.dial(address, { signal: AbortSignal.timeout(5000) });
    return { client, server, conn };
  }

  /** The server's side of `client`'s connection, once it is there. */
  async function serverSide(client: RpcNode, server: RpcNode): Promise<Connection> {
    await waitFor(() => server.getConnections(client.peerId).length > 0, "the server's side");
    const serverConn = server.getConnections(client.peerId)[0];
    assert.ok(serverConn !== undefined);
    return serverConn;
  }

  /** A {@link connectedPair} with the server's side, once both sides' first pings were answered. */
  async function pingedPair(
    serverTimeoutMs?: number,
    clientTimeoutMs?: number,
  ): Promise<{ client: RpcNode; server: RpcNode; conn: Connection; serverConn: Connection }> {
    const pair = await connectedPair(serverTimeoutMs, clientTimeoutMs);
    const serverConn = await serverSide(pair.client, pair.server);
    await firstPings(pair.conn, serverConn);
    return { ...pair, serverConn };
  }

  /** Waits until both sides' first ping (sent for the rtt) was answered, within `limitMs`. */
  function firstPings(conn: Connection, serverConn: Connection, limitMs = 5000): Promise<void> {
    return waitFor(
      () => conn.rtt !== undefined && serverConn.rtt !== undefined,
      "both sides' first ping",
      limitMs,
    );
  }

  it("pings a Yamux connection with Yamux ping frames, opening no ping stream", async () => {
    const { client, conn } = await connectedPair();
    const counts = watch(conn);
    await waitFor(() => counts.pings >= 3, "three answered Yamux pings", 5000);
    assert.equal(counts.pingStreams, 0, "no /ipfs/ping stream was opened");
    assert.equal(conn.status, "open");
    assert.ok(
      client.services.livenessCheck !== undefined,
      "the check runs in place of libp2p's monitor",
    );
  });

  it("gives both sides of a new connection an rtt from a first ping", async () => {
    const { client, server, conn } = await connectedPair();
    const serverConn = await serverSide(client, server);
    // Long before either side has been silent for 30/64 of the bound.
    await firstPings(conn, serverConn, LIVENESS_TIMEOUT_MS / 2);
    assert.ok((conn.rtt ?? -1) >= 0 && (serverConn.rtt ?? -1) >= 0);
  });

  it("never pings a connection that carries traffic, after its first ping", async () => {
    // Each side pings a new connection once, for its rtt; then counts start.
    const { client, server, conn, serverConn } = await pingedPair();
    const clientCounts = watch(conn);
    const serverCounts = watch(serverConn);
    // Stream pings back to back for three bounds: frames every millisecond
    // or so, where the check pings after 30/64 of a bound of silence.
    const started = performance.now();
    let exchanges = 0;
    while (performance.now() - started < 3 * LIVENESS_TIMEOUT_MS) {
      await client.services.ping.ping(server.peerId, { signal: AbortSignal.timeout(5000) });
      exchanges++;
    }
    assert.ok(exchanges > 10, `${exchanges} exchanges`);
    assert.equal(clientCounts.sent, 0, "the client sent no Yamux ping");
    assert.equal(serverCounts.sent, 0, "the server sent no Yamux ping");
    assert.equal(conn.status, "open");
  });

  it("lets one side's pings keep an idle connection: the side that hears them sends none", async () => {
    // The server pings after 30/64 of 400 ms of silence, the client after
    // 29/64 of 4 s; the server's pings reach the client every ~190 ms.
    const { conn, serverConn } = await pingedPair(400, 4000);
    const clientCounts = watch(conn);
    const serverCounts = watch(serverConn);
    // Each server ping needs 184 ms of silence first, so 16 of them span
    // 2.9 s, more than the 1.8 s of silence after which the client would ping.
    await waitFor(() => serverCounts.pings >= 16, "sixteen answered server pings", 10_000);
    assert.equal(clientCounts.sent, 0, "the client, hearing the server's pings, sent none");
    assert.equal(conn.status, "open");
  });

  it("has the dialer ping an idle connection and the listener stay quiet, at the same bound", async () => {
    // Both nodes in this process share one tick timer, so their ticks fall
    // in the same turn: with the same silence on both sides, both pinged.
    const { conn, serverConn } = await pingedPair();
    // The first pings leave at different times: let one idle round settle.
    const settling = watch(conn);
    await waitFor(() => settling.pings >= 2, "two answered client pings", 10_000);
    const clientCounts = watch(conn);
    const serverCounts = watch(serverConn);
    await waitFor(() => clientCounts.pings >= 8, "eight answered client pings", 20_000);
    assert.equal(serverCounts.sent, 0, "the listener, hearing the dialer's pings, sent none");
    assert.equal(conn.status, "open");
  });

  it("aborts a connection whose peer stops answering pings, within the bound", async () => {
    const { client, server, conn } = await connectedPair();
    const serverConn = await serverSide(client, server);
    // The server's Yamux stops answering pings, as a frozen process would;
    // the client's pings then go unanswered (the server's own are not watched).
    muxerOf(serverConn).handlePing = () => {};
    const closed = new Promise<void>((resolve) => {
      conn.addEventListener("close", () => resolve(), { once: true });
    });
    const started = performance.now();
    await within(closed, "the dead connection's abort", LIVENESS_TIMEOUT_MS + SLACK_MS);
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < LIVENESS_TIMEOUT_MS + SLACK_MS, `closed after ${elapsedMs} ms`);
    assert.equal(conn.status, "aborted");
  });

  it("keeps a live connection whose event loop was blocked while a ping was out", async () => {
    // The client pings first (its bound is the shorter one).
    const { conn } = await connectedPair(4 * LIVENESS_TIMEOUT_MS, LIVENESS_TIMEOUT_MS);
    const muxer = muxerOf(conn);
    const ping = muxer.ping;
    assert.ok(ping !== undefined);
    let blocked = false;
    let answeredAfter = 0;
    muxer.ping = (options) => {
      const answer = ping.call(muxer, options);
      if (blocked) {
        answer.then(
          () => answeredAfter++,
          () => {},
        );
      } else {
        // Blocks the event loop (both nodes') for two bounds right after the
        // ping is queued, as a long GC pause or synchronous work would: the
        // next tick comes long after the ping's time, before its answer is read.
        blocked = true;
        const until = performance.now() + 2 * LIVENESS_TIMEOUT_MS;
        while (performance.now() < until) {
          // busy
        }
      }
      return answer;
    };
    await waitFor(
      () => answeredAfter >= 2 || conn.status !== "open",
      "two answered pings after the blocked one, or the connection's end",
      10_000,
    );
    assert.equal(conn.status, "open", "the live connection was kept");
  });

  it("checks a connection whose muxer has no ping with an /ipfs/ping stream", async () => {
    const { conn } = await connectedPair();
    const counts = watch(conn);
    // As a muxer of another kind (QUIC's) would look to the check.
    muxerOf(conn).ping = undefined;
    await waitFor(() => counts.pingStreams >= 2, "two ping streams", 5000);
    assert.equal(conn.status, "open", "answered stream pings keep the connection");
  });

  it("is left out when libp2p.connectionMonitor is given, or for livenessTimeoutMs: 0", async () => {
    const monitored = await createRpcNode({
      listen: [],
      libp2p: { connectionMonitor: { pingInterval: 1000 } },
    });
    nodes.push(monitored);
    assert.equal(monitored.services.livenessCheck, undefined);
    const off = await createRpcNode({ listen: [], livenessTimeoutMs: 0 });
    nodes.push(off);
    assert.equal(off.services.livenessCheck, undefined);
  });
});
