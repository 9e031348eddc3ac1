// CallOutput on its own, with a stand-in writer: which frames leave, in
// which order, and in how many writes. The e2e and conformance suites show
// the same on real streams; these pin each rule of PROTOCOL.md 5.3 down.
import assert from "node:assert/strict";
import { create, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, it } from "vitest";
import { EchoResponseSchema, EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { ResponseHeaderSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import type { CallContext } from "../../src/server/call-context.ts";
import { CallOutput } from "../../src/server/call-output.ts";
import type { ServedMethod } from "../../src/server/served-method.ts";
import { encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import type { FrameWriter } from "../../src/wire/frame-writer.ts";

/** Records each call to the writer as the frame types it carried. */
class RecordingWriter {
  readonly calls: Array<{ how: string; types: number[] }> = [];
  /** The body of every RESPONSE_HEADER written. */
  readonly headerBodies: Uint8Array[] = [];
  readonly readsReported = false;

  write(frames: readonly Uint8Array[]): undefined {
    this.#record("write", frames);
    return undefined;
  }

  writeNow(frames: readonly Uint8Array[]): undefined {
    this.#record("writeNow", frames);
    return undefined;
  }

  writeFrame(type: FrameType, body: Uint8Array): undefined {
    this.#record("writeFrame", [encodeFrame(type, body)]);
    return undefined;
  }

  #record(how: string, frames: readonly Uint8Array[]): void {
    const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.byteLength, 0));
    let offset = 0;
    for (const frame of frames) {
      bytes.set(frame, offset);
      offset += frame.byteLength;
    }
    const items = new FrameDecoder(Number.MAX_SAFE_INTEGER).push(bytes);
    for (const item of items) {
      if (item.type === FrameType.ResponseHeader) {
        this.headerBodies.push(item.body);
      }
    }
    const types = items.map((item) => (item.type === "oversize" ? -1 : item.type));
    this.calls.push({ how, types });
  }
}

const { ResponseHeader: H, Message: M, Trailer: T } = FrameType;

function outputFor(
  method: (typeof EchoService.method)[keyof typeof EchoService.method],
  kind: "unary" | "server_streaming" | "client_streaming" | "bidi_streaming",
  writeMaxBytes = 1024,
): { output: CallOutput; writer: RecordingWriter } {
  const writer = new RecordingWriter();
  const served = {
    spec: { kind, method },
    writeMaxBytes,
    binaryOptions: undefined,
  } as unknown as ServedMethod;
  return { output: new CallOutput(writer as unknown as FrameWriter, served), writer };
}

const trailer = encodeFrame(FrameType.Trailer);
const message = create(EchoResponseSchema, { text: "hi" });

describe("CallOutput", () => {
  it("holds a unary answer and sends header, message and trailer in one write", () => {
    const { output, writer } = outputFor(EchoService.method.unary, "unary");
    assert.equal(output.emit(message), undefined);
    assert.deepEqual(writer.calls, [], "nothing leaves before the trailer");
    output.finish(trailer);
    assert.deepEqual(writer.calls, [{ how: "writeNow", types: [H, M, T] }]);
  });

  it("drops a held answer when the call fails after it, and keeps the header", () => {
    const { output, writer } = outputFor(EchoService.method.clientStream, "client_streaming");
    assert.equal(output.emit(message), undefined);
    output.dropMessage();
    output.finish(trailer);
    assert.deepEqual(writer.calls, [{ how: "writeNow", types: [H, T] }]);
  });

  it("sends a call that fails before any message as header and trailer", () => {
    const { output, writer } = outputFor(EchoService.method.unary, "unary");
    output.finish(trailer);
    assert.deepEqual(writer.calls, [{ how: "writeNow", types: [H, T] }]);
  });

  it("streams: the first message carries the header, later ones go straight to the writer", () => {
    const { output, writer } = outputFor(EchoService.method.serverStream, "server_streaming");
    assert.equal(output.emit(message), undefined);
    assert.equal(output.emit(message), undefined);
    assert.equal(output.emit(message), undefined);
    output.finish(trailer);
    assert.deepEqual(writer.calls, [
      { how: "write", types: [H, M] },
      { how: "writeFrame", types: [M] },
      { how: "writeFrame", types: [M] },
      { how: "writeNow", types: [T] },
    ]);
  });

  it("carries the handler's response headers in the header", () => {
    const { output, writer } = outputFor(EchoService.method.bidi, "bidi_streaming");
    output.context = {
      responseHeaderIfUsed: () => new Headers({ "x-from": "handler" }),
    } as unknown as CallContext;
    output.finish(trailer);
    assert.deepEqual(writer.calls, [{ how: "writeNow", types: [H, T] }]);
    const header = fromBinary(ResponseHeaderSchema, writer.headerBodies[0] as Uint8Array);
    assert.deepEqual(
      header.metadata.map(({ key, value }) => [key, value]),
      [["x-from", "handler"]],
    );
  });

  it("refuses a message over the write limit with ResourceExhausted, sending nothing", () => {
    const { output, writer } = outputFor(EchoService.method.unary, "unary", 8);
    assert.throws(
      () => output.emit(create(EchoResponseSchema, { text: "longer than eight bytes" })),
      (error) => error instanceof ConnectError && error.code === Code.ResourceExhausted,
    );
    assert.deepEqual(writer.calls, []);
  });
});
