import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { Stream } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { BlobSchema } from "../../gen/p2prpc/test/v1/blob_pb.ts";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createRpcNode, type RpcNodeServices } from "../../src/index.ts";
import { type EncodedFrame, encodeMessageFrame } from "../../src/wire/encode-message.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { FrameWriter } from "../../src/wire/frame-writer.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";
import { listenFor, type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";
import { waitFor } from "../helpers/wait-for.ts";

const VALUE_BYTES = 64 * 1024;
const MESSAGES = 96;
const SINK = "/p2prpc-test/sink/1.0.0";

function largeFrame(fill: number, byReference: boolean): EncodedFrame {
  const encoded = encodeMessageFrame(
    FrameType.Message,
    BlobSchema,
    create(BlobSchema, { data: new Uint8Array(VALUE_BYTES).fill(fill) }),
    undefined,
    byReference,
  );
  assert.ok(!(encoded instanceof Uint8Array));
  return encoded;
}

for (const kind of TRANSPORTS) {
  describe(`large values over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind, {
        server: {
          routes: (router) =>
            router.service(EchoService, {
              // One buffer for every message, changed as soon as the handler
              // resumes after yielding it: each must still arrive as yielded.
              async *serverStream(request) {
                const payload = new Uint8Array(VALUE_BYTES);
                for (let index = 0; index < request.repeat; index++) {
                  payload.fill(index & 0xff);
                  yield { payload, index };
                }
                payload.fill(0xee);
              },
            }),
        },
      });
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("a handler may change a buffer as soon as it has yielded it", async () => {
      let received = 0;
      for await (const response of pair.echo.serverStream({ repeat: MESSAGES })) {
        assert.equal(response.index, received);
        assert.equal(response.payload.byteLength, VALUE_BYTES);
        const expected = received & 0xff;
        assert.ok(
          response.payload.every((byte) => byte === expected),
          `message ${received} arrived changed`,
        );
        received++;
      }
      assert.equal(received, MESSAGES);
    });

    it(`the server ${kind === "quic" ? "copies its values (QUIC encrypts natively)" : "sends its values by reference, through the node's tracker"}`, async () => {
      const tracker = (pair.server.services as RpcNodeServices).byReferenceTracker;
      let tracked = 0;
      const track = tracker.track.bind(tracker);
      tracker.track = (value, onRead) => {
        tracked++;
        return track(value, onRead);
      };
      try {
        let received = 0;
        for await (const response of pair.echo.serverStream({ repeat: 8 })) {
          assert.ok(response.payload.every((byte) => byte === (received & 0xff)));
          received++;
        }
        assert.equal(received, 8);
      } finally {
        tracker.track = track;
      }
      if (kind === "quic") {
        assert.equal(tracked, 0);
      } else {
        // The probe of the first large frame, then each value after it.
        assert.ok(tracked >= 2, `${tracked} values tracked`);
      }
    });

    it("a call the server ends gives its handler control back only once its value cannot change what the client reads", async () => {
      let produced = 0;
      const ending = await startPair(kind, {
        server: {
          // Stopping cancels the endless call at once (the drain has its own tests).
          shutdownGraceMs: 0,
          routes: (router) =>
            router.service(EchoService, {
              // A pooled buffer, given back (and scribbled over) when the
              // handler ends, however it ends.
              async *serverStream() {
                const payload = new Uint8Array(VALUE_BYTES);
                try {
                  for (let index = 0; ; index++) {
                    payload.fill(index & 0xff);
                    yield { payload, index };
                    produced = index + 1;
                  }
                } finally {
                  payload.fill(0xee);
                }
              },
            }),
        },
      });
      try {
        const rpc = (ending.server.services as { rpc: { stop(): Promise<void> } }).rpc;
        let received = 0;
        let stopped: Promise<void> | undefined;
        const outcome = await (async () => {
          try {
            for await (const response of ending.echo.serverStream({})) {
              const expected = received & 0xff;
              assert.ok(
                response.payload.every((byte) => byte === expected),
                `message ${received} arrived changed`,
              );
              received++;
              if (received === 4) {
                // The server runs ahead of this reader: its last value is
                // most likely still queued when the call is ended.
                await waitFor(() => produced >= 8, "the handler to run ahead");
                stopped = rpc.stop();
              }
            }
            return "ended";
          } catch (error) {
            return (error as ConnectError).code;
          }
        })();
        await stopped;
        assert.equal(outcome, Code.Canceled);
        assert.ok(received >= 4);
      } finally {
        await ending.stop();
      }
    });

    it(`a stream ${kind === "quic" ? "does not take its" : "learns that its"} cipher reports reads, and a value by reference arrives whole`, async () => {
      const node = await createRpcNode({ listen: listenFor(kind) });
      const sender = await createRpcNode({ listen: kind === "memory" ? listenFor(kind) : [] });
      try {
        let incoming: Stream | undefined;
        const arrived = new Promise<Stream>((resolve) => {
          void node.handle(SINK, (stream) => {
            incoming = stream;
            resolve(stream);
          });
        });
        const stream = await sender.dialProtocol(node.getMultiaddrs(), SINK);
        // The sending node's tracker, as rpcServer hands it to its writers.
        const writer = new FrameWriter(stream, { tracker: sender.services.byReferenceTracker });
        const first = largeFrame(1, false);
        const firstArrived = receiveBytes(await arrived, first.frame.byteLength);
        await writer.writeLarge(first);
        await firstArrived;
        // Noise runs through cachedKeyNoise's crypto over TCP and memory, reporting to
        // the node's tracker; QUIC encrypts natively.
        assert.equal(writer.readsReported, kind !== "quic");

        const byReference = largeFrame(2, writer.readsReported);
        assert.equal(byReference.value !== undefined, kind !== "quic");
        const bytes = byReference.frame.byteLength + (byReference.value?.byteLength ?? 0);
        const secondArrived = receiveBytes(incoming as Stream, bytes);
        await writer.writeLarge(byReference);
        byReference.value?.fill(0xee);
        const received = (await secondArrived).subarray();
        assert.equal(received.byteLength, bytes);
        assert.ok(received.subarray(byReference.frame.byteLength).every((byte) => byte === 2));
      } finally {
        await Promise.all([sender.stop(), node.stop()]);
      }
    });
  });
}
