import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { COPY_BODY_MAX_BYTES } from "../../src/constants.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { FrameWriter } from "../../src/wire/frame-writer.ts";

/** A stream that records what is sent; `send()` reports full while `full` is set. */
class RecordingStream extends EventTarget {
  readonly sent: Array<Uint8Array | Uint8ArrayList> = [];
  writeStatus = "writable";
  full = false;

  send(data: Uint8Array | Uint8ArrayList): boolean {
    this.sent.push(data);
    return !this.full;
  }

  bytes(): number[] {
    return this.sent.flatMap((data) => [...(data instanceof Uint8Array ? data : data.subarray())]);
  }
}

function writerOn(maxBatchBytes?: number): { stream: RecordingStream; writer: FrameWriter } {
  const stream = new RecordingStream();
  return { stream, writer: new FrameWriter(stream as unknown as Stream, maxBatchBytes) };
}

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("FrameWriter", () => {
  it("sends a lone frame at once, and the frames after it together when the window closes", async () => {
    const { stream, writer } = writerOn();
    const first = new Uint8Array([1, 2, 3]);
    assert.equal(writer.writeFrame(FrameType.Message, first), undefined);
    assert.deepEqual(stream.bytes(), [...encodeFrame(FrameType.Message, first)]);
    assert.equal(writer.writeFrame(FrameType.Message, new Uint8Array([4])), undefined);
    assert.equal(writer.write(encodeFrame(FrameType.Trailer)), undefined);
    assert.equal(stream.sent.length, 1, "held for the batch window");
    await nextCheckPhase();
    assert.equal(stream.sent.length, 2);
    assert.ok(stream.sent[1] instanceof Uint8Array, "small frames leave as one buffer");
    assert.deepEqual(
      [...(stream.sent[1] as Uint8Array)],
      [
        ...concatFrames([
          encodeFrame(FrameType.Message, new Uint8Array([4])),
          encodeFrame(FrameType.Trailer),
        ]),
      ],
    );
  });

  it("sends a large body by reference and copies the small parts around it", () => {
    const { stream, writer } = writerOn();
    const large = new Uint8Array(COPY_BODY_MAX_BYTES).fill(7);
    // The header leaves alone and opens a window; the rest goes in one send.
    assert.equal(writer.write(encodeFrame(FrameType.ResponseHeader)), undefined);
    assert.equal(writer.writeFrame(FrameType.Message, large), undefined);
    assert.equal(writer.writeNow(encodeFrame(FrameType.Trailer)), undefined);
    const batch = stream.sent[1];
    assert.ok(batch instanceof Uint8ArrayList);
    const chunks = [...batch];
    assert.equal(chunks.length, 3, "head, body, trailer");
    assert.equal(chunks[1], large, "the body itself, not a copy");
    assert.deepEqual(stream.bytes(), [
      ...concatFrames([
        encodeFrame(FrameType.ResponseHeader),
        encodeFrame(FrameType.Message, large),
        encodeFrame(FrameType.Trailer),
      ]),
    ]);
  });

  it("asks the caller to wait once a batch is queued behind a full stream, and sends it on drain", async () => {
    const { stream, writer } = writerOn(8);
    stream.full = true;
    assert.equal(writer.writeFrame(FrameType.Message, new Uint8Array([1])), undefined);
    assert.equal(writer.writeFrame(FrameType.Message, new Uint8Array([2])), undefined);
    const wait = writer.writeFrame(FrameType.Message, new Uint8Array([3, 3, 3, 3, 3]));
    assert.ok(wait instanceof Promise, "over one batch queued: wait");
    assert.equal(stream.sent.length, 1, "nothing more is sent while the stream drains");
    stream.full = false;
    stream.dispatchEvent(new Event("drain"));
    await wait;
    assert.equal(stream.sent.length, 2);
    assert.deepEqual(stream.bytes(), [
      ...concatFrames([
        encodeFrame(FrameType.Message, new Uint8Array([1])),
        encodeFrame(FrameType.Message, new Uint8Array([2])),
        encodeFrame(FrameType.Message, new Uint8Array([3, 3, 3, 3, 3])),
      ]),
    ]);
  });
});
