import assert from "node:assert/strict";
import { createSecretKey } from "node:crypto";
import { quic } from "@chainsafe/libp2p-quic";
import { createClient } from "@connectrpc/connect";
import type {
  ConnectionEncrypter,
  Libp2p,
  MessageStream,
  Stream,
  StreamMuxer,
  StreamMuxerFactory,
  Transport,
} from "@libp2p/interface";
import { type ICryptoInterface, noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { afterEach, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, createRpcNode, rpcServer } from "../../src/index.ts";
import { batchWindowUpdates } from "../../src/node/batch-window-updates.ts";
import { createCachedKeyCrypto } from "../../src/node/cached-key-crypto.ts";
import { corkTcpWrites } from "../../src/node/cork-tcp-writes.ts";
import { fallbackReporter, loggerOf } from "../../src/node/fallback-reporter.ts";
import { leanNoiseDecrypt } from "../../src/node/lean-noise-decrypt.ts";
import { onTransportMuxers } from "../../src/node/on-transport-muxers.ts";
import { optimisticSelect } from "../../src/node/optimistic-select-muxer.ts";
import { optimisticSelectTransport } from "../../src/node/optimistic-select-transport.ts";
import { quicReadBackpressure } from "../../src/node/quic-read-backpressure.ts";
import { quietNoiseDecoder } from "../../src/node/quiet-noise-decoder.ts";
import { captureWrapperLog, type WrapperLog } from "../helpers/capture-wrapper-log.ts";
import { createEchoProbe, echoImpl } from "../helpers/echo-service.ts";
import { hideProperties } from "../helpers/hide-properties.ts";
import { listenFor, TEST_CALL_TIMEOUT_MS, TRANSPORTS } from "../helpers/start-pair.ts";

// Each case builds two real libp2p nodes whose stack is stock except for one
// p2prpc wrapper, handed an upstream piece with the internal it relies on
// hidden (as a patch release that made it private would). The wrapper must
// fall back to libp2p's own behaviour, log that once per node, and calls
// must still work.

type EncrypterFactory = (components: never) => ConnectionEncrypter;
type MuxerFactory = (components: never) => StreamMuxerFactory;
type TransportFactory = (components: never) => Transport;

/** An encrypter that hands `transform(connection)` to `factory`'s, before it is secured. */
function beforeSecuring(
  transform: (connection: MessageStream) => MessageStream,
  factory: EncrypterFactory,
): EncrypterFactory {
  return (components) => {
    const encrypter = factory(components);
    return {
      ...encrypter,
      protocol: encrypter.protocol,
      secureInbound: (connection, options) =>
        encrypter.secureInbound(transform(connection), options),
      secureOutbound: (connection, options) =>
        encrypter.secureOutbound(transform(connection), options),
    };
  };
}

/** An encrypter whose secured connections are `transform(connection)`. */
function afterSecuring(
  transform: (connection: MessageStream) => MessageStream,
  factory: EncrypterFactory,
): EncrypterFactory {
  return (components) => {
    const encrypter = factory(components);
    return {
      ...encrypter,
      protocol: encrypter.protocol,
      secureInbound: async (connection, options) => {
        const secured = await encrypter.secureInbound(connection, options);
        return { ...secured, connection: transform(secured.connection) };
      },
      secureOutbound: async (connection, options) => {
        const secured = await encrypter.secureOutbound(connection, options);
        return { ...secured, connection: transform(secured.connection) };
      },
    };
  };
}

/** A muxer factory whose muxers are `transform(muxer)`. */
function muxersAs(
  transform: (muxer: StreamMuxer) => StreamMuxer,
  factory: StreamMuxerFactory,
): StreamMuxerFactory {
  const createStreamMuxer = factory.createStreamMuxer.bind(factory);
  factory.createStreamMuxer = (connection) => transform(createStreamMuxer(connection));
  return factory;
}

/** A muxer whose outbound streams hide `onData`, which optimistic select hooks. */
function streamsWithoutOnData(muxer: StreamMuxer): StreamMuxer {
  const createStream = muxer.createStream.bind(muxer);
  muxer.createStream = async (options) =>
    hideProperties(await createStream(options), ["onData"]) as Stream;
  return muxer;
}

/** A QUIC transport whose muxer factories pass through `transform`. */
function quicWithMuxers(
  transform: (factory: StreamMuxerFactory) => StreamMuxerFactory,
): TransportFactory {
  return onTransportMuxers(quic() as TransportFactory, "test", () => transform);
}

/**
 * Noise's crypto as a version of Noise that hands over keys as KeyObjects
 * (for messages of 1,200 bytes and more, where Noise's default crypto takes
 * them through node:crypto) would call it.
 */
function keyObjectsForLargeMessages(inner: ICryptoInterface): ICryptoInterface {
  return {
    ...inner,
    chaCha20Poly1305Encrypt: (plaintext, nonce, ad, k) =>
      inner.chaCha20Poly1305Encrypt(
        plaintext,
        nonce,
        ad,
        (plaintext.byteLength >= 1200 ? createSecretKey(k) : k) as Uint8Array,
      ),
    chaCha20Poly1305Decrypt: (ciphertext, nonce, ad, k, dst) =>
      inner.chaCha20Poly1305Decrypt(
        ciphertext,
        nonce,
        ad,
        (ciphertext.byteLength >= 1200 ? createSecretKey(k) : k) as Uint8Array,
        dst,
      ),
  };
}

interface Case {
  /** The wrapper that must fall back, as it names itself in the log. */
  readonly wrapper: string;
  readonly listen: string;
  /** The stack of one node: called once per node. */
  stack(): {
    transports: unknown[];
    connectionEncrypters?: unknown[];
    streamMuxers?: unknown[];
  };
  /** Nodes that must have logged: only the dialer opens optimistic streams. */
  readonly loggedBy: "both" | "client";
}

const TCP = "/ip4/127.0.0.1/tcp/0";
const QUIC = "/ip4/127.0.0.1/udp/0/quic-v1";
const tcpStack = (
  encrypter: EncrypterFactory = noise() as EncrypterFactory,
  muxer: MuxerFactory = yamux() as MuxerFactory,
) => ({
  transports: [tcp()],
  connectionEncrypters: [encrypter],
  streamMuxers: [muxer],
});

const CASES: Case[] = [
  {
    wrapper: "corkTcpWrites",
    listen: TCP,
    loggedBy: "both",
    stack: () =>
      tcpStack(
        beforeSecuring(
          (connection) => hideProperties(connection, ["socket"]),
          corkTcpWrites(noise() as EncrypterFactory),
        ),
      ),
  },
  {
    wrapper: "batchWindowUpdates",
    listen: TCP,
    loggedBy: "both",
    stack: () =>
      tcpStack(
        undefined,
        batchWindowUpdates((components: never) =>
          muxersAs(
            (muxer) => hideProperties(muxer, ["_newStream"]),
            (yamux() as MuxerFactory)(components),
          ),
        ),
      ),
  },
  {
    wrapper: "quietNoiseDecoder",
    listen: TCP,
    loggedBy: "both",
    stack: () =>
      tcpStack(
        quietNoiseDecoder(
          afterSecuring(
            (connection) => hideProperties(connection, ["decoder"]),
            noise() as EncrypterFactory,
          ),
        ),
      ),
  },
  {
    wrapper: "leanNoiseDecrypt",
    listen: TCP,
    loggedBy: "both",
    stack: () =>
      tcpStack(
        leanNoiseDecrypt(
          afterSecuring(
            (connection) => hideProperties(connection, ["handshake"]),
            noise() as EncrypterFactory,
          ),
        ),
      ),
  },
  {
    wrapper: "cachedKeyCrypto",
    listen: TCP,
    loggedBy: "both",
    stack: () =>
      tcpStack((components: { logger?: unknown }) =>
        noise({
          crypto: keyObjectsForLargeMessages(
            createCachedKeyCrypto(fallbackReporter("cachedKeyCrypto", loggerOf(components))),
          ),
        })(components as never),
      ),
  },
  {
    wrapper: "optimisticSelect",
    listen: TCP,
    loggedBy: "client",
    stack: () =>
      tcpStack(
        undefined,
        optimisticSelect((components: never) =>
          muxersAs(streamsWithoutOnData, (yamux() as MuxerFactory)(components)),
        ),
      ),
  },
  {
    wrapper: "optimisticSelectTransport",
    listen: QUIC,
    loggedBy: "client",
    stack: () => ({
      transports: [
        optimisticSelectTransport(
          quicWithMuxers((factory) => muxersAs(streamsWithoutOnData, factory)),
        ),
      ],
    }),
  },
  {
    wrapper: "quicReadBackpressure",
    listen: QUIC,
    loggedBy: "both",
    stack: () => ({
      transports: [
        quicReadBackpressure(quicWithMuxers((factory) => hideProperties(factory, ["init"]))),
      ],
    }),
  },
];

/** A node with `stack`, serving EchoService, logging to `log`. */
async function node(testCase: Case, log: WrapperLog, listen: string[]): Promise<Libp2p> {
  return createLibp2p({
    ...testCase.stack(),
    addresses: { listen },
    logger: log.logger,
    services: {
      rpc: rpcServer({
        routes: (router) => router.service(EchoService, echoImpl(createEchoProbe())),
      }),
    },
  } as Libp2pOptions) as Promise<Libp2p>;
}

/** Unary calls small and large (several Noise messages, several socket reads), then a server stream. */
async function callThrough(client: Libp2p, server: Libp2p): Promise<void> {
  const echo = createClient(
    EchoService,
    createLibp2pTransport({
      libp2p: client,
      peer: server.getMultiaddrs(),
      defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
    }),
  );
  const payload = new Uint8Array(200 * 1024).map((_, i) => i % 253);
  for (const size of [10, 4096, payload.byteLength]) {
    const answer = await echo.unary({ text: `${size}`, payload: payload.subarray(0, size) });
    assert.equal(answer.text, `${size}`);
    assert.deepEqual(Uint8Array.from(answer.payload), payload.subarray(0, size));
  }
  const streamed: number[] = [];
  for await (const message of echo.serverStream({ text: "s", repeat: 5 })) {
    streamed.push(message.index);
  }
  assert.deepEqual(streamed, [0, 1, 2, 3, 4]);
}

describe("createRpcNode's wrappers, on today's upstream", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  for (const kind of TRANSPORTS) {
    it(`find every shape they rely on: calls over ${kind} log no fallback`, async () => {
      // When this fails, an upstream release changed what a wrapper relies
      // on (the line names it): calls still work, slower, until it is revisited.
      const serverLog = captureWrapperLog();
      const clientLog = captureWrapperLog();
      const server = await createRpcNode({
        listen: listenFor(kind),
        identifyDelayMs: 1,
        libp2p: { logger: serverLog.logger },
        services: {
          rpc: rpcServer({
            routes: (router) => router.service(EchoService, echoImpl(createEchoProbe())),
          }),
        },
      });
      nodes.push(server);
      const client = await createRpcNode({
        listen: kind === "memory" ? listenFor(kind) : [],
        identifyDelayMs: 1,
        libp2p: { logger: clientLog.logger },
      });
      nodes.push(client);
      const identified = new Promise((resolve) =>
        client.addEventListener("peer:identify", resolve, { once: true }),
      );
      await callThrough(client, server);
      // deferIdentify ran its identify too.
      await identified;
      assert.deepEqual([...clientLog.lines, ...serverLog.lines], []);
    });
  }
});

describe("wrappers of libp2p internals, given the wrong shape", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  for (const testCase of CASES) {
    it(`${testCase.wrapper} falls back, logs it once per node, and calls still work`, async () => {
      const serverLog = captureWrapperLog();
      const clientLog = captureWrapperLog();
      const server = await node(testCase, serverLog, [testCase.listen]);
      nodes.push(server);
      const client = await node(testCase, clientLog, []);
      nodes.push(client);
      await callThrough(client, server);
      assert.equal(clientLog.linesOf(testCase.wrapper).length, 1, String(clientLog.lines));
      assert.equal(
        serverLog.linesOf(testCase.wrapper).length,
        testCase.loggedBy === "both" ? 1 : 0,
        String(serverLog.lines),
      );
      assert.deepEqual(
        [...clientLog.lines, ...serverLog.lines].filter((line) => line[1] !== testCase.wrapper),
        [],
      );
    });
  }
});
