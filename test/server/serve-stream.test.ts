// serveStream, the per-stream loop, over a stand-in libp2p stream (the
// members FrameReader, FrameWriter and the loop use): the client's frames go
// in as `message` events, the server's are recorded as sent. The rules are
// PROTOCOL.md 5.2, 5.3 (server, per stream) and 6.
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createMethodImplSpec } from "@connectrpc/connect";
import type { Connection, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import type { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
} from "../../gen/p2prpc/test/v1/test_pb.ts";
import { TrailerSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { serveStream } from "../../src/server/serve-stream.ts";
import type { ServedMethod } from "../../src/server/served-method.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { type DecodedItem, FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { servedMethod } from "../helpers/served-method.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { within } from "../helpers/within.ts";

/**
 * The members of a libp2p `Stream` the server's loop uses. `receive()` hands
 * it the client's bytes, `remoteClose()` and `remoteReset()` end the
 * client's side; what the server sends, and whether it closed or reset the
 * stream, is recorded.
 */
class FakeStream extends EventTarget {
  readonly id = "fake-1";
  readonly sent: Uint8Array[] = [];
  status = "open";
  readStatus = "readable";
  writeStatus = "writable";
  remoteReadStatus = "readable";
  readableEnded = false;
  maxReadBufferLength = 4 * 1024 * 1024;
  closed = false;
  abortedWith: Error | undefined;

  send(data: Uint8Array | Uint8ArrayList): boolean {
    this.sent.push(data instanceof Uint8Array ? data : data.subarray());
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.writeStatus = "closed";
  }

  abort(error: Error): void {
    if (this.abortedWith !== undefined) {
      return; // as libp2p: a stream is reset once
    }
    this.abortedWith = error;
    this.status = "aborted";
    this.writeStatus = "closed";
    this.dispatchEvent(Object.assign(new Event("close"), { error }));
  }

  pause(): void {
    this.readStatus = "paused";
  }

  resume(): void {
    this.readStatus = "readable";
  }

  receive(...frames: Uint8Array[]): void {
    this.dispatchEvent(Object.assign(new Event("message"), { data: concatFrames(frames) }));
  }

  /** The client closes its write side. */
  remoteClose(): void {
    this.readableEnded = true;
    this.dispatchEvent(new Event("end"));
  }

  /** The client resets the stream. */
  remoteReset(): void {
    this.status = "reset";
    this.dispatchEvent(new Event("end"));
    this.dispatchEvent(
      Object.assign(new Event("close"), { error: new Error("stream reset by remote") }),
    );
  }

  /** Every frame the server sent, in order. */
  frames(): DecodedItem[] {
    return new FrameDecoder(Number.MAX_SAFE_INTEGER).push(concatFrames(this.sent));
  }

  types(): Array<FrameType | "oversize"> {
    return this.frames().map((item) => item.type);
  }

  /** The texts of the response messages sent, in order. */
  texts(): string[] {
    return this.frames()
      .filter((item) => item.type === FrameType.Message)
      .map((item) => {
        const { body } = item as { body: Uint8Array };
        return fromBinary(EchoResponseSchema, body).text;
      });
  }

  /** The codes of the TRAILERs sent, in order. */
  trailerCodes(): number[] {
    return this.frames()
      .filter((item) => item.type === FrameType.Trailer)
      .map((item) => fromBinary(TrailerSchema, (item as { body: Uint8Array }).body).code);
  }
}

const { ResponseHeader: H, Message: M, Trailer: T } = FrameType;
const REQUEST_HEADER = encodeFrame(FrameType.RequestHeader);
const END_OF_INPUT = encodeFrame(FrameType.EndOfInput);
const messageFrame = (text: string): Uint8Array =>
  encodeFrame(FrameType.Message, toBinary(EchoRequestSchema, create(EchoRequestSchema, { text })));
/** A unary or server-streaming call's frames, as a client sends them: in one write. */
const call = (text: string): Uint8Array[] => [REQUEST_HEADER, messageFrame(text), END_OF_INPUT];

const connectionAt = (address: string) =>
  ({
    remotePeer: { toString: () => "12D3KooWTestPeer" },
    remoteAddr: multiaddr(address),
  }) as unknown as Connection;
const TCP = connectionAt("/ip4/127.0.0.1/tcp/4001");
const QUIC = connectionAt("/ip4/127.0.0.1/udp/4001/quic-v1");

/** An echoing unary method whose handler waits for its signal when asked to `hang`. */
function unaryEcho(overrides: Partial<ServedMethod> = {}) {
  const seen: string[] = [];
  const reasons: unknown[] = [];
  const method = servedMethod(
    createMethodImplSpec(EchoService.method.unary, async (req, context) => {
      seen.push(req.text);
      if (req.text === "hang") {
        await new Promise((resolve) => {
          context.signal.addEventListener("abort", resolve, { once: true });
        });
        reasons.push(context.signal.reason);
      }
      return { text: `echo ${req.text}` };
    }),
    overrides,
  );
  return { method, seen, reasons };
}

/** Starts serving `stream` as the server does; the promise is bounded. */
function serve(stream: FakeStream, method: ServedMethod, connection = TCP): Promise<void> {
  return within(serveStream(stream as unknown as Stream, connection, method), "serveStream");
}

describe("serveStream", () => {
  it("serves several calls one after another on one stream, and closes it when the client closes an idle stream", async () => {
    const stream = new FakeStream();
    const { method, seen } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(...call("one"));
    await waitFor(() => stream.trailerCodes().length === 1, "the first call's trailer");
    stream.receive(...call("two"));
    await waitFor(() => stream.trailerCodes().length === 2, "the second call's trailer");
    assert.equal(stream.closed, false, "the stream stays open between calls");
    stream.remoteClose();
    await served;
    assert.deepEqual(seen, ["one", "two"]);
    assert.deepEqual(stream.types(), [H, M, T, H, M, T]);
    assert.deepEqual(stream.texts(), ["echo one", "echo two"]);
    assert.deepEqual(stream.trailerCodes(), [0, 0]);
    assert.equal(stream.closed, true);
    assert.equal(stream.abortedWith, undefined);
  });

  it("closes a stream the client closes before any call, sending nothing", async () => {
    const stream = new FakeStream();
    const served = serve(stream, unaryEcho().method);
    stream.remoteClose();
    await served;
    assert.deepEqual(stream.sent, []);
    assert.equal(stream.closed, true);
    assert.equal(stream.abortedWith, undefined);
  });

  it("resets, rather than closes, an idle stream the client ended over QUIC", async () => {
    const stream = new FakeStream();
    const served = serve(stream, unaryEcho().method, QUIC);
    stream.remoteClose();
    await served;
    assert.ok(stream.abortedWith !== undefined, "reset");
    assert.equal(stream.closed, false);
  });

  for (const [what, frames] of [
    ["a first frame that is not a REQUEST_HEADER", [messageFrame("x")]],
    ["a frame between calls", [...call("one"), END_OF_INPUT]],
  ] as const) {
    it(`resets the stream on ${what}`, async () => {
      const stream = new FakeStream();
      const { method, seen } = unaryEcho();
      const served = serve(stream, method);
      stream.receive(...frames);
      await served;
      assert.ok(stream.abortedWith !== undefined, "reset");
      assert.deepEqual(stream.trailerCodes(), seen.length === 0 ? [] : [0]);
    });
  }

  it("resets the stream, answering nothing, on a frame type out of place in a call", async () => {
    const stream = new FakeStream();
    const { method, seen } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(REQUEST_HEADER, messageFrame("a"), encodeFrame(FrameType.Trailer));
    await served;
    assert.ok(stream.abortedWith !== undefined, "reset");
    assert.deepEqual(stream.sent, []);
    assert.deepEqual(seen, []);
  });

  it("drains a call ended before its END_OF_INPUT, then serves the next call on the stream", async () => {
    const stream = new FakeStream();
    const method = servedMethod(
      createMethodImplSpec(EchoService.method.clientStream, async () => {
        throw new ConnectError("refused early", Code.PermissionDenied);
      }),
    );
    const served = serve(stream, method);
    stream.receive(REQUEST_HEADER, messageFrame("a"));
    await waitFor(() => stream.trailerCodes().length === 1, "the early trailer");
    assert.deepEqual(stream.trailerCodes(), [Code.PermissionDenied]);
    stream.receive(messageFrame("b"), END_OF_INPUT);
    stream.receive(REQUEST_HEADER, END_OF_INPUT);
    await waitFor(() => stream.trailerCodes().length === 2, "the next call's trailer");
    stream.remoteClose();
    await served;
    assert.equal(stream.abortedWith, undefined, "the stream was kept");
    assert.equal(stream.closed, true);
  });

  it("resets a stream the client closes in DRAIN, without its END_OF_INPUT", async () => {
    const stream = new FakeStream();
    const method = servedMethod(
      createMethodImplSpec(EchoService.method.clientStream, async () => ({ text: "early" })),
    );
    const served = serve(stream, method);
    stream.receive(REQUEST_HEADER, messageFrame("a"));
    await waitFor(() => stream.trailerCodes().length === 1, "the early answer");
    stream.remoteClose();
    await served;
    assert.ok(stream.abortedWith !== undefined, "reset");
  });

  it("cancels a call whose client resets the stream: the handler's signal aborts, nothing is sent", async () => {
    const stream = new FakeStream();
    const { method, seen, reasons } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(...call("hang"));
    await waitFor(() => seen.length === 1, "the handler to run");
    stream.remoteReset();
    await served;
    assert.deepEqual(stream.sent, []);
    assert.equal(reasons.length, 1);
    const [reason] = reasons;
    assert.ok(reason instanceof ConnectError && reason.code === Code.Canceled, String(reason));
    assert.ok(stream.abortedWith !== undefined, "reset");
  });

  it("cancels a call whose client closes the stream before END_OF_INPUT: no TRAILER, reset", async () => {
    const stream = new FakeStream();
    const { method, seen } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(REQUEST_HEADER, messageFrame("a"));
    await waitFor(() => method.drain.inFlight === 1, "the call to start");
    stream.remoteClose();
    await served;
    assert.deepEqual(stream.sent, [], "end-of-file is no status (PROTOCOL.md 5.2)");
    assert.deepEqual(seen, [], "a unary handler runs only after END_OF_INPUT");
    assert.ok(stream.abortedWith !== undefined, "reset");
  });

  it("turns a graceful close during a call (its connection closing) into a reset", async () => {
    const stream = new FakeStream();
    const { method, seen, reasons } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(...call("hang"));
    await waitFor(() => seen.length === 1, "the handler to run");
    await within(stream.close(), "the close");
    await served;
    assert.equal(stream.closed, false, "not closed cleanly: the client must not read 'never ran'");
    assert.equal(stream.abortedWith?.name, "ClosedInCallError");
    assert.deepEqual(stream.sent, []);
    assert.equal(reasons.length, 1, "the handler was cancelled");
  });

  it("cancels a call whose frames arrived together with the end of the stream, before the handler runs", async () => {
    const stream = new FakeStream();
    const { method, seen } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(...call("one"));
    stream.remoteClose();
    await served;
    assert.deepEqual(stream.sent, [], "no TRAILER (PROTOCOL.md 5.2)");
    assert.deepEqual(seen, []);
    assert.ok(stream.abortedWith !== undefined, "reset");
  });

  it("closes an idle stream when the server drains, and serves no call that arrives after", async () => {
    const stream = new FakeStream();
    const { method, seen } = unaryEcho();
    const served = serve(stream, method);
    stream.receive(...call("one"));
    await waitFor(() => stream.trailerCodes().length === 1, "the first call");
    const drained = within(method.drain.drain(0), "the drain");
    await waitFor(() => stream.closed, "the idle stream to be closed");
    // A call that crossed the close on the wire is never run nor answered.
    stream.receive(...call("two"));
    await served;
    await drained;
    assert.deepEqual(seen, ["one"]);
    assert.deepEqual(stream.trailerCodes(), [0]);
    assert.equal(stream.abortedWith, undefined);
  });
});
