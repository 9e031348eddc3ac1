import assert from "node:assert/strict";
import { once } from "node:events";
import { setFlagsFromString } from "node:v8";
import { quic } from "@chainsafe/libp2p-quic";
import type { Libp2p, Stream, StreamMuxer, StreamMuxerFactory } from "@libp2p/interface";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { multiaddrConnectionPair } from "@libp2p/utils";
import { yamux } from "@libp2p/yamux";
import { createLibp2p } from "libp2p";
import { Uint8ArrayList } from "uint8arraylist";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createRpcNode } from "../../src/index.ts";
import { optimisticSelect, optimisticSelectionOf } from "../../src/libp2p.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { hideProperties } from "../helpers/hide-properties.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";
import { listenFor, TRANSPORTS } from "../helpers/start-pair.ts";

const PROTOCOL = "/p2prpc-test/optimistic/1.0.0";
const encoder = new TextEncoder();

/** One multistream-select line: varint length, text, newline. */
function line(text: string): Uint8Array {
  const body = encoder.encode(`${text}\n`);
  return Uint8Array.of(body.length, ...body);
}

const PROPOSAL = Uint8Array.of(...line("/multistream/1.0.0"), ...line(PROTOCOL));

setFlagsFromString("--allow-natives-syntax");
/** V8's own answer: are `value`'s properties still in fast (not dictionary) mode? */
const hasFastProperties = new Function("value", "return %HasFastProperties(value)") as (
  value: object,
) => boolean;

/** What `stream` receives from now on. */
function collect(stream: Stream): Uint8ArrayList {
  const received = new Uint8ArrayList();
  stream.addEventListener("message", (event) => received.append(event.data));
  return received;
}

interface MuxerPair {
  readonly client: StreamMuxer;
  readonly server: StreamMuxer;
}

/** Two Yamux muxers over an in-memory pair: the client's wrapped, the server's plain (no multistream-select). */
function muxerPair(): MuxerPair {
  const [outbound, inbound] = multiaddrConnectionPair();
  const plain = yamux({ enableKeepAlive: false }) as (components: object) => StreamMuxerFactory;
  return {
    client: optimisticSelect(plain)({}).createStreamMuxer(outbound),
    server: plain({}).createStreamMuxer(inbound),
  };
}

/** Opens an optimistic stream from the client and takes the server's end once `first` bytes arrived. */
async function openOptimistic(
  pair: MuxerPair,
  first: Uint8Array,
): Promise<{ client: Stream; server: Stream; arrived: Uint8ArrayList }> {
  const accepted = once(pair.server, "stream") as Promise<[CustomEvent<Stream>]>;
  const client = await pair.client.createStream({
    protocol: PROTOCOL,
    negotiateFully: false,
  } as Parameters<StreamMuxer["createStream"]>[0]);
  client.send(first);
  const [event] = await accepted;
  const arrived = await receiveBytes(event.detail, PROPOSAL.length + first.length);
  return { client, server: event.detail, arrived };
}

describe("optimisticSelect", () => {
  it("sends the proposal and the data written next without waiting for an answer", async () => {
    const pair = muxerPair();
    const { client, arrived } = await openOptimistic(pair, Uint8Array.of(1, 2, 3));
    // The server has written nothing, yet it holds the proposal and the data.
    assert.deepEqual(arrived.subarray(), Uint8Array.of(...PROPOSAL, 1, 2, 3));
    assert.equal(client.protocol, PROTOCOL);
    assert.equal(optimisticSelectionOf(client)?.confirmed, false);
  });

  it("strips the echo, even split over chunks, and hands on what follows it", async () => {
    const pair = muxerPair();
    const { client, server } = await openOptimistic(pair, Uint8Array.of(1));
    const received = receiveBytes(client, 4);
    server.send(PROPOSAL.subarray(0, 5));
    server.send(PROPOSAL.subarray(5, 21));
    server.send(Uint8Array.of(...PROPOSAL.subarray(21), 7, 8, 9));
    await optimisticSelectionOf(client)?.confirmation;
    assert.equal(optimisticSelectionOf(client)?.confirmed, true);
    server.send(Uint8Array.of(10));
    assert.deepEqual((await received).subarray(), Uint8Array.of(7, 8, 9, 10));
  });

  it("leaves a confirmed stream with fast properties, as every later call uses it", async () => {
    const pair = muxerPair();
    const { client, server } = await openOptimistic(pair, Uint8Array.of(1));
    assert.equal(hasFastProperties(client), true);
    server.send(PROPOSAL);
    await optimisticSelectionOf(client)?.confirmation;
    assert.equal(hasFastProperties(client), true);
  });

  it("aborts the stream with UnsupportedProtocolError when the remote answers na", async () => {
    const pair = muxerPair();
    const { client, server } = await openOptimistic(pair, Uint8Array.of(1));
    const received = collect(client);
    server.send(Uint8Array.of(...line("/multistream/1.0.0"), ...line("na")));
    await assert.rejects(optimisticSelectionOf(client)?.confirmation as Promise<void>, {
      name: "UnsupportedProtocolError",
    });
    assert.equal(client.status, "aborted");
    assert.equal(received.byteLength, 0);
  });

  it("fails the confirmation when the stream ends before the echo", async () => {
    const pair = muxerPair();
    const { client, server } = await openOptimistic(pair, Uint8Array.of(1));
    server.abort(new Error("gone"));
    await assert.rejects(optimisticSelectionOf(client)?.confirmation as Promise<void>);
    assert.equal(optimisticSelectionOf(client)?.confirmed, false);
  });

  it("fails the confirmation when the remote closes its side before the echo", {
    timeout: 10_000,
  }, async () => {
    // QUIC may show a refusing server's reset as a plain end, and drop the
    // "na" it had sent: the stream is half closed and never fires "close".
    const pair = muxerPair();
    const { client, server } = await openOptimistic(pair, Uint8Array.of(1));
    void server.close();
    await assert.rejects(optimisticSelectionOf(client)?.confirmation as Promise<void>, {
      name: "UnsupportedProtocolError",
    });
    assert.equal(optimisticSelectionOf(client)?.confirmed, false);
    assert.equal(client.status, "aborted");
  });

  it("leaves a stream without onData to full negotiation, and logs that once", async () => {
    const log = captureWrapperLog();
    const [outbound, inbound] = multiaddrConnectionPair();
    const plain = yamux({ enableKeepAlive: false }) as (components: object) => StreamMuxerFactory;
    // A muxer whose streams keep `onData` private (a later @libp2p/utils, say).
    const hiding = (components: object): StreamMuxerFactory => {
      const factory = plain(components);
      const createStreamMuxer = factory.createStreamMuxer.bind(factory);
      factory.createStreamMuxer = (connection) => {
        const muxer = createStreamMuxer(connection);
        const createStream = muxer.createStream.bind(muxer);
        muxer.createStream = async (options) =>
          hideProperties(await createStream(options), ["onData"]);
        return muxer;
      };
      return factory;
    };
    const client = optimisticSelect(hiding)({ logger: log.logger }).createStreamMuxer(outbound);
    const server = plain({}).createStreamMuxer(inbound);
    for (let index = 0; index < 2; index++) {
      const accepted = once(server, "stream") as Promise<[CustomEvent<Stream>]>;
      const stream = await client.createStream({
        protocol: PROTOCOL,
        negotiateFully: false,
      } as Parameters<StreamMuxer["createStream"]>[0]);
      // Untouched: libp2p's newStream then negotiates it in full.
      assert.equal(optimisticSelectionOf(stream), undefined);
      assert.equal(stream.protocol, "");
      stream.send(Uint8Array.of(5));
      const [event] = await accepted;
      assert.deepEqual((await receiveBytes(event.detail, 1)).subarray(), Uint8Array.of(5));
    }
    assert.equal(log.linesOf("optimisticSelect").length, 1);
  });

  it("leaves streams opened without negotiateFully: false alone", async () => {
    const pair = muxerPair();
    const accepted = once(pair.server, "stream") as Promise<[CustomEvent<Stream>]>;
    const client = await pair.client.createStream({ protocol: PROTOCOL });
    client.send(Uint8Array.of(5));
    const [event] = await accepted;
    const arrived = await receiveBytes(event.detail, 1);
    assert.deepEqual(arrived.subarray(), Uint8Array.of(5));
    assert.equal(optimisticSelectionOf(client), undefined);
    assert.equal(client.protocol, "");
  });
});

/** Every byte the remote sends on `stream` until it closes its write side. */
async function readAll(stream: Stream): Promise<Uint8Array> {
  const received = new Uint8ArrayList();
  for await (const chunk of stream) {
    received.append(chunk);
  }
  return received.subarray();
}

for (const kind of TRANSPORTS) {
  describe(`optimistic select between createRpcNode nodes (${kind})`, () => {
    let server: Libp2p;
    const served: Uint8Array[] = [];

    beforeAll(async () => {
      server = await createRpcNode({ listen: listenFor(kind) });
      // A request is a length byte and that many bytes; the answer is the length.
      await server.handle(PROTOCOL, async (stream) => {
        const received = new Uint8ArrayList();
        for await (const chunk of stream) {
          received.append(chunk);
          if (received.byteLength > 0 && received.byteLength >= received.get(0) + 1) {
            break;
          }
        }
        served.push(Uint8Array.from(received.subarray(1)));
        stream.send(Uint8Array.of(received.get(0)));
        await stream.close();
      });
    });
    afterAll(async () => {
      await server.stop();
    });

    it("a brand-new connection's first stream carries its data before the echo", async () => {
      const clients = await Promise.all(
        Array.from({ length: 5 }, () => createRpcNode({ listen: [] })),
      );
      try {
        for (const [index, client] of clients.entries()) {
          served.length = 0;
          const connection = await client.dial(server.getMultiaddrs());
          const stream = await connection.newStream(PROTOCOL, { negotiateFully: false });
          const request = new Uint8Array(100 + index).fill(index);
          stream.send(Uint8Array.of(request.length, ...request));
          const answer = await readAll(stream);
          await stream.close();
          assert.deepEqual(answer, Uint8Array.of(request.length));
          assert.deepEqual(served, [request]);
          assert.equal(optimisticSelectionOf(stream)?.confirmed, true);
          assert.equal(stream.protocol, PROTOCOL);
        }
      } finally {
        await Promise.all(clients.map((client) => client.stop()));
      }
    });

    it("a protocol the server does not serve aborts only that stream", async () => {
      const client = await createRpcNode({ listen: [] });
      try {
        const connection = await client.dial(server.getMultiaddrs());
        const refused = await connection.newStream("/p2prpc-test/nobody/1.0.0", {
          negotiateFully: false,
        });
        refused.send(new Uint8Array(10));
        await assert.rejects(
          optimisticSelectionOf(refused)?.confirmation as Promise<void>,
          (error: Error) => error.name === "UnsupportedProtocolError" || refused.status !== "open",
        );
        const stream = await connection.newStream(PROTOCOL, { negotiateFully: false });
        stream.send(Uint8Array.of(1, 2));
        assert.deepEqual(await readAll(stream), Uint8Array.of(1));
        await stream.close();
        assert.equal(connection.status, "open");
      } finally {
        await client.stop();
      }
    });
  });
}

/** A stock libp2p node (no p2prpc wrapper) over `kind`. */
async function stockNode(kind: "tcp" | "quic", listen: boolean): Promise<Libp2p> {
  const options =
    kind === "tcp"
      ? { transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] }
      : { transports: [quic()] };
  return (await createLibp2p({
    ...(options as object),
    addresses: { listen: listen ? listenFor(kind) : [] },
  })) as Libp2p;
}

for (const kind of ["tcp", "quic"] as const) {
  describe(`optimistic select canary: unpatched libp2p (${kind})`, () => {
    const nodes: Libp2p[] = [];
    afterAll(async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    });

    it("negotiates in full although newStream is given negotiateFully: false", async () => {
      // When this fails, libp2p selects optimistically itself (the handler is
      // not reached before the first write): optimisticSelect${kind === "quic" ? "Transport" : ""} can go.
      const server = await stockNode(kind, true);
      const client = await stockNode(kind, false);
      nodes.push(server, client);
      const handled = Promise.withResolvers<Stream>();
      await server.handle(PROTOCOL, (stream) => handled.resolve(stream));
      const connection = await client.dial(server.getMultiaddrs());
      const stream = await connection.newStream(PROTOCOL, { negotiateFully: false });
      // Nothing was written: only a full multistream-select reaches the handler.
      const inbound = await handled.promise;
      assert.equal(inbound.protocol, PROTOCOL);
      assert.equal(stream.protocol, PROTOCOL);
      assert.equal(optimisticSelectionOf(stream), undefined);
    });
  });
}
