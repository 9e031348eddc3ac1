import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import * as varint from "uint8-varint";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createLibp2pTransport, createRpcNode, methodProtocol } from "../../src/index.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { RawStream, requestHeaderFrame } from "../helpers/raw-call.ts";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
  ResponseHeaderSchema,
  TrailerSchema,
} from "../helpers/schemas.ts";
import { type Pair, startPair, TEST_CALL_TIMEOUT_MS, TRANSPORTS } from "../helpers/start-pair.ts";
import { codeOf } from "../helpers/wait-for.ts";

const MiB = 1024 * 1024;
const UNARY = methodProtocol(EchoService.method.unary);

function messageFrame(init: Parameters<typeof create<typeof EchoRequestSchema>>[1]): Uint8Array {
  return encodeFrame(
    FrameType.Message,
    toBinary(EchoRequestSchema, create(EchoRequestSchema, init)),
  );
}

for (const kind of TRANSPORTS) {
  describe(`limits and bad input over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind, { server: { writeMaxBytes: 64 * 1024 } });
      await pair.echo.unary({ text: "warm-up" });
    });
    afterAll(async () => {
      await pair.stop();
    });

    function connectionId(): string {
      const connections = pair.client.getConnections(pair.server.peerId);
      assert.equal(connections.length, 1);
      return (connections[0] as { id: string }).id;
    }

    it("a request over the server's 4 MiB default is ResourceExhausted; the connection lives", async () => {
      const id = connectionId();
      const big = pair.connect({ writeMaxBytes: 64 * MiB });
      const payload = new Uint8Array(5 * MiB);
      assert.equal(await codeOf(big.unary({ payload })), Code.ResourceExhausted);
      const ok = await big.unary({ text: "after", payload: new Uint8Array(60 * 1024) });
      assert.equal(ok.payload.byteLength, 60 * 1024);
      assert.equal(connectionId(), id);
    });

    it("the client refuses to send over its own writeMaxBytes", async () => {
      const small = pair.connect({ writeMaxBytes: 1024 });
      assert.equal(
        await codeOf(small.unary({ payload: new Uint8Array(2048) })),
        Code.ResourceExhausted,
      );
    });

    it("the client's write limit counts the message, not its frame's head", async () => {
      const payload = new Uint8Array(4096);
      const messageBytes = toBinary(
        EchoRequestSchema,
        create(EchoRequestSchema, { payload }),
      ).byteLength;
      const exact = pair.connect({ writeMaxBytes: messageBytes });
      assert.equal((await exact.unary({ payload })).payload.byteLength, payload.byteLength);
      const under = pair.connect({ writeMaxBytes: messageBytes - 1 });
      assert.equal(await codeOf(under.unary({ payload })), Code.ResourceExhausted);
    });

    it("the server's write limit counts the response message, not its frame's head", async () => {
      // A response's other fields (the caller's id, …) do not depend on the payload's size.
      const probe = await pair.echo.unary({ payload: new Uint8Array(60_000) });
      const otherBytes = toBinary(EchoResponseSchema, probe).byteLength - 60_000;
      const exactPayload = 64 * 1024 - otherBytes;
      const exact = await pair.echo.unary({ payload: new Uint8Array(exactPayload) });
      assert.equal(toBinary(EchoResponseSchema, exact).byteLength, 64 * 1024);
      assert.equal(
        await codeOf(pair.echo.unary({ payload: new Uint8Array(exactPayload + 1) })),
        Code.ResourceExhausted,
      );
    });

    it("a response over the client's readMaxBytes is ResourceExhausted", async () => {
      const small = pair.connect({ readMaxBytes: 1024 });
      assert.equal(
        await codeOf(small.unary({ payload: new Uint8Array(2048) })),
        Code.ResourceExhausted,
      );
      const ok = await small.unary({ payload: new Uint8Array(512) });
      assert.equal(ok.payload.byteLength, 512);
    });

    it("a response over the server's writeMaxBytes is ResourceExhausted", async () => {
      assert.equal(
        await codeOf(pair.echo.unary({ payload: new Uint8Array(100 * 1024) })),
        Code.ResourceExhausted,
      );
    });

    it("an oversized message is refused from its length prefix alone", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      // Announce a 100 MiB message but send none of its body.
      const prefix = varint.encode(100 * MiB + 1);
      raw.send(requestHeaderFrame(), prefix, new Uint8Array([FrameType.Message]));
      const { trailer } = await raw.readTrailer();
      assert.equal(trailer.code, Code.ResourceExhausted);
      raw.stream.abort(new Error("test done"));
    });

    it("undecodable request bytes are InvalidArgument, and the stream serves the next call", async () => {
      const id = connectionId();
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      const garbage = encodeFrame(FrameType.Message, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
      raw.send(requestHeaderFrame(), garbage, encodeFrame(FrameType.EndOfInput));
      const first = await raw.readTrailer();
      assert.equal(first.trailer.code, Code.InvalidArgument);
      raw.send(
        requestHeaderFrame(),
        messageFrame({ text: "second" }),
        encodeFrame(FrameType.EndOfInput),
      );
      const second = await raw.readTrailer();
      assert.equal(second.trailer.code, 0);
      assert.deepEqual(second.frames, [
        FrameType.ResponseHeader,
        FrameType.Message,
        FrameType.Trailer,
      ]);
      await raw.stream.close();
      assert.equal(connectionId(), id);
    });

    it("a frame that breaks the call's state machine resets only its stream", async () => {
      const id = connectionId();
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      raw.send(encodeFrame(FrameType.Trailer));
      // The server resets the stream without answering (QUIC shows a reset as a plain end).
      const answer = await raw.read().catch(() => undefined);
      assert.equal(answer, undefined);
      const ok = await pair.echo.unary({ text: "unharmed" });
      assert.equal(ok.text, "unharmed");
      assert.equal(connectionId(), id);
    });

    it("a frame out of place inside a call resets only its stream", async () => {
      const id = connectionId();
      const raw = await RawStream.open(
        pair.client,
        pair.server.peerId,
        methodProtocol(EchoService.method.clientStream),
      );
      raw.send(requestHeaderFrame(), messageFrame({ text: "a" }), requestHeaderFrame());
      const answer = await raw.read().catch(() => undefined);
      assert.equal(answer, undefined);
      const ok = await pair.echo.unary({ text: "unharmed" });
      assert.equal(ok.text, "unharmed");
      assert.equal(connectionId(), id);
    });

    it("an invalid request header is InvalidArgument", async () => {
      const raw = await RawStream.open(pair.client, pair.server.peerId, UNARY);
      raw.send(
        encodeFrame(FrameType.RequestHeader, new Uint8Array([0x0a, 0xff])),
        messageFrame({ text: "x" }),
        encodeFrame(FrameType.EndOfInput),
      );
      const { trailer } = await raw.readTrailer();
      assert.equal(trailer.code, Code.InvalidArgument);
      await raw.stream.close();
    });
  });
}

describe("a server that sends undecodable bytes", () => {
  it("fails the client's call with Internal", async () => {
    const liar = await createRpcNode({ listen: ["/ip4/127.0.0.1/tcp/0"] });
    const client = await createRpcNode({ listen: [] });
    try {
      await liar.handle(UNARY, (stream) => {
        const header = toBinary(ResponseHeaderSchema, create(ResponseHeaderSchema, {}));
        const trailer = toBinary(TrailerSchema, create(TrailerSchema, {}));
        stream.send(
          concatFrames([
            encodeFrame(FrameType.ResponseHeader, header),
            encodeFrame(FrameType.Message, new Uint8Array([0xff, 0xff, 0xff])),
            encodeFrame(FrameType.Trailer, trailer),
          ]),
        );
      });
      const echo = createClient(
        EchoService,
        createLibp2pTransport({
          libp2p: client,
          peer: liar.getMultiaddrs(),
          defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        }),
      );
      assert.equal(await codeOf(echo.unary({ text: "x" })), Code.Internal);
    } finally {
      await Promise.all([liar.stop(), client.stop()]);
    }
  });
});
