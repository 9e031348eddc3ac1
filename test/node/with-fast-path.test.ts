import assert from "node:assert/strict";
import { identify } from "@libp2p/identify";
import type {
  ConnectionEncrypter,
  Libp2p,
  Stream,
  StreamMuxerFactory,
  Transport,
} from "@libp2p/interface";
import { noise, pureJsCrypto } from "@libp2p/noise";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { Uint8ArrayList } from "uint8arraylist";
import { afterEach, describe, it } from "vitest";
import { createRpcNode } from "../../src/index.ts";
import { optimisticSelectionOf, withFastPath } from "../../src/libp2p.ts";
import { resolveNodeOptions } from "../../src/node/resolve-node-options.ts";
import { ByReferenceTracker } from "../../src/wire/by-reference-tracker.ts";
import { captureWrapperLog, type WrapperLog } from "../helpers/capture-wrapper-log.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";

const PROTOCOL = "/p2prpc-test/fast-path-echo/1.0.0";
const TCP = "/ip4/127.0.0.1/tcp/0";
/**
 * Sequential echoes over which the server's socket writes are counted. Each
 * echo is one Noise message (2 chunks): corked, one writev; uncorked, two
 * writes, plus two for Yamux's window update. The bound, 1.5 per echo,
 * leaves room for a stray ping or a turn split by a loaded machine.
 */
const ECHOES = 20;

/** The internals of one side of a TCP connection that the observations read (private in libp2p's typings). */
interface ConnectionInternals {
  maConn: {
    socket: { _write: (...args: unknown[]) => void; _writev?: (...args: unknown[]) => void };
  };
  muxer: { maConn: { decoder: { lengthDecoder: (data: Uint8ArrayList) => number } } };
}

/** A YamuxStream's receive window (private in its typings). */
interface Windowed {
  recvWindow: number;
  recvWindowCapacity: number;
}

/** What a pair of nodes does that each wrapper changes. */
interface Observed {
  /** optimisticSelect: a stream opened with `negotiateFully: false` selects optimistically. */
  optimistic: boolean;
  /** cachedKeyCrypto: the cipher reported reading a value sent, so it can go by reference. */
  readByCipher: boolean;
  /** batchWindowUpdates: the receiver held back the window of a small message. */
  windowHeldBack: boolean;
  /** corkTcpWrites: the server's socket writes (write + writev calls) per echoed message, below 1.5. */
  oneWritePerEcho: boolean;
  /** quietNoiseDecoder: Noise's length decoder waits for a second byte without throwing. */
  quietLengthDecoder: boolean;
  /** deferIdentify: no identify ran yet once the connection carried a ping. */
  identifyDeferred: boolean;
}

const FAST: Observed = {
  optimistic: true,
  readByCipher: true,
  windowHeldBack: true,
  oneWritePerEcho: true,
  quietLengthDecoder: true,
  identifyDeferred: true,
};

/** Counts identify runs on `node` (libp2p's identify-on-open calls this method too). */
function countIdentify(
  node: Libp2p<{ identify: { identify: (...args: never[]) => unknown } }>,
): () => number {
  let started = 0;
  const service = node.services.identify;
  const identifyNow = service.identify.bind(service);
  service.identify = (...args) => {
    started++;
    return identifyNow(...args);
  };
  return () => started;
}

/** Dials `server` from `client`, echoes over a fresh stream, and reports what each wrapper would change. */
async function observe(
  client: Libp2p,
  server: Libp2p,
  identifyRuns: () => number,
): Promise<Observed> {
  const inbound: Stream[] = [];
  await server.handle(PROTOCOL, (stream) => {
    inbound.push(stream);
    stream.addEventListener("message", (event) => {
      stream.send(event.data);
    });
  });
  const connection = await client.dial(server.getMultiaddrs());
  await (client.services as { ping: Ping }).ping.ping(server.peerId);
  const identifyDeferred = identifyRuns() === 0;
  const stream = await connection.newStream(PROTOCOL, { negotiateFully: false });
  const optimistic = optimisticSelectionOf(stream) !== undefined;
  // 4 KiB in a buffer of its own: the cipher reports reading it, or never does.
  const value = new Uint8Array(4096).fill(7);
  let readByCipher = false;
  // The node's own tracker (withFastPath adds it); a stock node has none, and
  // a tracker nobody reports to never hears of the read.
  const tracker =
    (client.services as { byReferenceTracker?: ByReferenceTracker }).byReferenceTracker ??
    new ByReferenceTracker();
  assert.ok(
    tracker.track(value, () => {
      readByCipher = true;
    }),
  );
  const echoed = receiveBytes(stream, value.byteLength);
  stream.send(value);
  await echoed;
  // The server read it, so the client's cipher had read all of it.
  const serverStream = inbound[0] as unknown as Windowed | undefined;
  assert.ok(serverStream !== undefined);
  const windowHeldBack = serverStream.recvWindow - serverStream.recvWindowCapacity > 0;
  const serverConnection = server.getConnections(
    client.peerId,
  )[0] as unknown as ConnectionInternals;
  const socket = serverConnection.maConn.socket;
  let socketWrites = 0;
  const write = socket._write.bind(socket);
  socket._write = (...args) => {
    socketWrites++;
    write(...args);
  };
  const writev = socket._writev?.bind(socket);
  socket._writev = (...args) => {
    socketWrites++;
    writev?.(...args);
  };
  for (let i = 0; i < ECHOES; i++) {
    const back = receiveBytes(stream, 100);
    stream.send(new Uint8Array(100).fill(i));
    await back;
  }
  let quietLengthDecoder: boolean;
  try {
    quietLengthDecoder =
      serverConnection.muxer.maConn.decoder.lengthDecoder(new Uint8ArrayList(new Uint8Array(1))) ===
      0;
  } catch {
    quietLengthDecoder = false;
  }
  return {
    optimistic,
    readByCipher,
    windowHeldBack,
    oneWritePerEcho: socketWrites < 1.5 * ECHOES,
    quietLengthDecoder,
    identifyDeferred,
  };
}

/** A stock node's options: plain tcp(), noise(), yamux(), identify and ping. */
function stockOptions(
  listen: string[],
  log: WrapperLog,
): Libp2pOptions<{
  identify: ReturnType<ReturnType<typeof identify>>;
  ping: ReturnType<ReturnType<typeof ping>>;
}> {
  return {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    logger: log.logger,
    services: { identify: identify(), ping: ping() },
  };
}

describe("withFastPath", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  it("gives a stock node every wrapper: optimistic select, cached-key cipher, batched window updates, corked writes, quiet decoding, late identify", async () => {
    const logs = [captureWrapperLog(), captureWrapperLog()];
    const [serverLog, clientLog] = logs as [WrapperLog, WrapperLog];
    const server = await createLibp2p(
      withFastPath(stockOptions([TCP], serverLog), { identifyDelayMs: 60_000 }),
    );
    const client = await createLibp2p(
      withFastPath(stockOptions([], clientLog), { identifyDelayMs: 60_000 }),
    );
    nodes.push(server, client);
    const identifyRuns = countIdentify(client);
    assert.deepEqual(await observe(client, server, identifyRuns), FAST);
    assert.deepEqual([...serverLog.lines, ...clientLog.lines], [], "no wrapper fell back");
  });

  it("changes none of that on a stock node without it (what the first test would see if a wrapper were missing)", async () => {
    const server = await createLibp2p(stockOptions([TCP], captureWrapperLog()));
    const client = await createLibp2p(stockOptions([], captureWrapperLog()));
    nodes.push(server, client);
    const identifyRuns = countIdentify(client);
    const observed = await observe(client, server, identifyRuns);
    assert.deepEqual(observed, {
      optimistic: false,
      readByCipher: false,
      windowHeldBack: false,
      oneWritePerEcho: false,
      quietLengthDecoder: false,
      // libp2p's identify ran at connection open, before the ping's answer.
      identifyDeferred: observed.identifyDeferred,
    });
  });

  it("passes a transport, encrypter and muxer it does not know through untouched, and identify with identifyDelayMs 0", () => {
    const transport = {
      [Symbol.toStringTag]: "@acme/carrier-pigeon",
      dial: () => undefined,
    } as unknown as Transport;
    const encrypter = {
      protocol: "/tls/1.0.0",
      secureInbound: () => undefined,
      secureOutbound: () => undefined,
    } as unknown as ConnectionEncrypter;
    const muxer = {
      protocol: "/mplex/6.7.0",
      createStreamMuxer: () => undefined,
    } as unknown as StreamMuxerFactory;
    const { dial } = transport;
    const { secureInbound, secureOutbound } = encrypter;
    const { createStreamMuxer } = muxer;
    const options = withFastPath({
      transports: [() => transport],
      connectionEncrypters: [() => encrypter],
      streamMuxers: [() => muxer],
    });
    const components = {} as never;
    assert.equal(options.transports?.[0]?.(components), transport);
    assert.equal(transport.dial, dial);
    assert.equal(options.connectionEncrypters?.[0]?.(components), encrypter);
    assert.equal(encrypter.secureInbound, secureInbound);
    assert.equal(encrypter.secureOutbound, secureOutbound);
    assert.equal(options.streamMuxers?.[0]?.(components), muxer);
    assert.equal(muxer.createStreamMuxer, createStreamMuxer);
    // identifyDelayMs 0 leaves identify as it is; options it does not know are kept.
    const own = identify();
    const kept = withFastPath(
      { services: { identify: own }, connectionManager: { maxConnections: 3 } },
      { identifyDelayMs: 0 },
    );
    assert.equal(kept.services?.identify, own);
    assert.deepEqual(kept.connectionManager, { maxConnections: 3 });
    assert.throws(() => withFastPath({}, { identifyDelayMs: -1 }), RangeError);
  });
});

describe("withFastPath's own fallbacks", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  it("keeps a Noise crypto of the user's own, logs it once per node, and the rest still applies", async () => {
    const own = (listen: string[], log: WrapperLog) =>
      createLibp2p(
        withFastPath({
          ...stockOptions(listen, log),
          connectionEncrypters: [noise({ crypto: pureJsCrypto })],
        }),
      );
    const serverLog = captureWrapperLog();
    const clientLog = captureWrapperLog();
    const server = await own([TCP], serverLog);
    const client = await own([], clientLog);
    nodes.push(server, client);
    const observed = await observe(client, server, countIdentify(client));
    assert.deepEqual(observed, { ...FAST, readByCipher: false });
    for (const log of [serverLog, clientLog]) {
      assert.equal(log.linesOf("cachedKeyCrypto").length, 1, String(log.lines));
      assert.equal(log.lines.length, 1, String(log.lines));
    }
  });
});

describe("createRpcNode with transports, connectionEncrypters and streamMuxers of the caller's own", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  it("wraps the caller's pieces instead of dropping its wrappers", async () => {
    const own = (listen: string[], log: WrapperLog) =>
      createRpcNode({
        listen,
        identifyDelayMs: 60_000,
        libp2p: {
          logger: log.logger,
          transports: [tcp()],
          connectionEncrypters: [noise()],
          streamMuxers: [yamux({ maxEarlyStreams: 20 })],
        },
      });
    const serverLog = captureWrapperLog();
    const clientLog = captureWrapperLog();
    const server = await own([TCP], serverLog);
    const client = await own([], clientLog);
    nodes.push(server, client);
    assert.deepEqual(await observe(client, server, countIdentify(client)), FAST);
    assert.deepEqual([...serverLog.lines, ...clientLog.lines], []);
  });
});

describe("createRpcNode's options, checked once", () => {
  it("refuses nonsense with an error that names the option", async () => {
    const cases: [Parameters<typeof resolveNodeOptions>[0], RegExp, ErrorConstructor][] = [
      [
        { identifyDelayMs: -1 },
        /createRpcNode's identifyDelayMs must be a number from 0/,
        RangeError,
      ],
      [
        { livenessTimeoutMs: -5 },
        /createRpcNode's livenessTimeoutMs must be a number from 0/,
        RangeError,
      ],
      [{ livenessTimeoutMs: Number.NaN }, /livenessTimeoutMs/, RangeError],
      [
        { listen: ["not a multiaddr"] },
        /listen address "not a multiaddr" is not a multiaddr/,
        TypeError,
      ],
      [{ listen: "/ip4/127.0.0.1/tcp/0" as never }, /listen must be an array/, TypeError],
      [
        { listen: ["/ip4/127.0.0.1/tcp/0/ws"] },
        /"\/ip4\/127.0.0.1\/tcp\/0\/ws" is of a kind it has no transport for/,
        TypeError,
      ],
      [{ listen: ["/p2p-circuit"] }, /no transport for/, TypeError],
      [{ privateKeyFile: 42 as never }, /privateKeyFile must be a non-empty path/, TypeError],
      [{ dataDir: "" }, /dataDir must be a non-empty path/, TypeError],
      [
        { connectionKeeper: "yes" as never },
        /connectionKeeper must be false or an options object/,
        TypeError,
      ],
      [{ libp2p: 3 as never }, /libp2p must be an object/, TypeError],
    ];
    for (const [options, message, type] of cases) {
      assert.throws(
        () => resolveNodeOptions(options),
        (error: unknown) => {
          assert.ok(error instanceof type, `${String(error)} for ${JSON.stringify(options)}`);
          assert.match((error as Error).message, message);
          return true;
        },
      );
    }
    // createRpcNode checks before it builds anything.
    await assert.rejects(createRpcNode({ livenessTimeoutMs: -1 }), RangeError);
  });

  it("fills in the defaults and accepts what it can listen on", () => {
    const resolved = resolveNodeOptions({});
    assert.deepEqual(resolved.listen, ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"]);
    assert.equal(resolved.identifyDelayMs, 1000);
    assert.equal(resolved.livenessTimeoutMs, 10_000);
    assert.deepEqual(resolved.connectionKeeper, {});
    const listen = [
      "/ip4/0.0.0.0/tcp/4001",
      "/ip6/::1/udp/0/quic-v1",
      "/memory/a",
      "/ip4/127.0.0.1/tcp/0/p2p/12D3KooWGYe8rbSQw4mUtqs5BZMJvAeRYNkrq6Dbv7g8d8a5ahmr",
    ];
    assert.deepEqual(resolveNodeOptions({ listen }).listen, listen);
    // With transports of the caller's own, any multiaddr may be theirs; with relay, /p2p-circuit is the node's.
    assert.deepEqual(
      resolveNodeOptions({ listen: ["/ip4/127.0.0.1/tcp/0/ws"], libp2p: { transports: [] } })
        .listen,
      ["/ip4/127.0.0.1/tcp/0/ws"],
    );
    assert.deepEqual(resolveNodeOptions({ listen: ["/p2p-circuit"], relay: {} }).listen, [
      "/p2p-circuit",
    ]);
    assert.equal(
      resolveNodeOptions({ livenessTimeoutMs: 0, identifyDelayMs: 0 }).livenessTimeoutMs,
      0,
    );
  });
});
