import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Stream } from "@libp2p/interface";
import { describe, it } from "vitest";
import { ResponseReader } from "../../src/client/response-reader.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameReader, NOT_BUFFERED } from "../../src/wire/frame-reader.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { EchoResponseSchema } from "../helpers/schemas.ts";

/** The parts of a libp2p stream a FrameReader uses; chunks arrive when the test delivers them. */
class ScriptedStream extends EventTarget {
  maxReadBufferLength = 0;
  readableEnded = false;
  status = "open";
  readStatus = "readable";

  deliver(...frames: Uint8Array[]): void {
    this.dispatchEvent(Object.assign(new Event("message"), { data: concatFrames(frames) }));
  }

  pause(): void {
    this.readStatus = "paused";
  }

  resume(): void {
    this.readStatus = "readable";
  }
}

function readerOn(stream: ScriptedStream): ResponseReader<typeof EchoResponseSchema> {
  const frames = new FrameReader(stream as unknown as Stream, { maxPayloadBytes: 1024 });
  return new ResponseReader(frames, EchoResponseSchema, 1024);
}

const HEADER = encodeFrame(FrameType.ResponseHeader);
const OK_TRAILER = encodeFrame(FrameType.Trailer);
const message = (text: string): Uint8Array =>
  encodeFrame(
    FrameType.Message,
    toBinary(EchoResponseSchema, create(EchoResponseSchema, { text })),
  );

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("ResponseReader", () => {
  it("reads a header, message and trailer that arrived together without waiting again", async () => {
    const stream = new ScriptedStream();
    const reader = readerOn(stream);
    const first = reader.next();
    stream.deliver(HEADER, message("one"), OK_TRAILER);
    assert.equal((await first)?.text, "one");
    assert.equal(reader.nextBuffered(), undefined, "the OK trailer was already here");
    assert.equal(reader.finished, true);
  });

  it("waits for a trailer that comes after the message", async () => {
    const stream = new ScriptedStream();
    const reader = readerOn(stream);
    const first = reader.next();
    stream.deliver(HEADER, message("one"));
    assert.equal((await first)?.text, "one");
    assert.equal(reader.nextBuffered(), NOT_BUFFERED);
    const end = reader.next();
    stream.deliver(OK_TRAILER);
    assert.equal(await end, undefined);
    assert.equal(reader.finished, true);
  });

  it("waits for a message that comes after the header", async () => {
    const stream = new ScriptedStream();
    const reader = readerOn(stream);
    const first = reader.next();
    stream.deliver(HEADER);
    // Every pending continuation runs first: the reader has taken the header
    // and now waits for the message.
    await nextCheckPhase();
    stream.deliver(message("late"), OK_TRAILER);
    assert.equal((await first)?.text, "late");
    assert.equal(reader.nextBuffered(), undefined);
  });
});
