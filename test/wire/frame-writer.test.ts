import assert from "node:assert/strict";
import { create, fromBinary } from "@bufbuild/protobuf";
import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import { BlobSchema } from "../../gen/p2prpc/test/v1/blob_pb.ts";
import { COPY_BODY_MAX_BYTES } from "../../src/constants.ts";
import { ByReferenceTracker } from "../../src/wire/by-reference-tracker.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { type EncodedFrame, encodeMessageFrame } from "../../src/wire/encode-message.ts";
import { FrameDecoder } from "../../src/wire/frame-decoder.ts";
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
  return { stream, writer: new FrameWriter(stream as unknown as Stream, { maxBatchBytes }) };
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

  describe("writeLarge", () => {
    /** A stream whose cipher reports what it read, at once or when told to. */
    class CipherStream extends RecordingStream {
      readsAtOnce = true;
      readsReported = true;
      /** The node's tracker, which this stream's cipher reports to. */
      readonly tracker = new ByReferenceTracker();
      readonly #unread: Array<Uint8Array | Uint8ArrayList> = [];

      override send(data: Uint8Array | Uint8ArrayList): boolean {
        if (this.readsAtOnce) {
          this.#report(data);
        } else {
          this.#unread.push(data);
        }
        return super.send(data);
      }

      readAll(): void {
        for (const data of this.#unread.splice(0)) {
          this.#report(data);
        }
      }

      #report(data: Uint8Array | Uint8ArrayList): void {
        if (this.readsReported) {
          for (const chunk of data instanceof Uint8Array ? [data] : data) {
            this.tracker.noteRead(chunk);
          }
        }
      }
    }

    const large = (fill: number): EncodedFrame => {
      const value = new Uint8Array(COPY_BODY_MAX_BYTES).fill(fill);
      const encoded = encodeMessageFrame(
        FrameType.Message,
        BlobSchema,
        create(BlobSchema, { data: value }),
        undefined,
        true,
      );
      assert.ok(!(encoded instanceof Uint8Array) && encoded.value === value);
      return encoded;
    };
    const copied = (fill: number): EncodedFrame => {
      const encoded = encodeMessageFrame(
        FrameType.Message,
        BlobSchema,
        create(BlobSchema, { data: new Uint8Array(COPY_BODY_MAX_BYTES).fill(fill) }),
      );
      assert.ok(!(encoded instanceof Uint8Array) && encoded.value === undefined);
      return encoded;
    };
    const decoded = (stream: RecordingStream): number[] =>
      new FrameDecoder(Number.MAX_SAFE_INTEGER).push(new Uint8Array(stream.bytes())).map((item) => {
        assert.ok(item.type === FrameType.Message);
        return fromBinary(BlobSchema, item.body).data[0] as number;
      });

    /** A writer that learned its stream reports reads, holding a value its cipher has not read. */
    const heldValue = () => {
      const stream = new CipherStream();
      const writer = new FrameWriter(stream as unknown as Stream, { tracker: stream.tracker });
      assert.equal(writer.writeLarge(copied(1)), undefined);
      stream.readsAtOnce = false;
      const encoded = large(2);
      const held = writer.writeLarge(encoded);
      assert.ok(held instanceof Promise);
      held.catch(() => {});
      return { stream, writer, encoded, held };
    };

    it("learns from a frame sent by copy that the stream's cipher reports reads", () => {
      const stream = new CipherStream();
      const writer = new FrameWriter(stream as unknown as Stream, { tracker: stream.tracker });
      assert.equal(writer.readsReported, false);
      assert.equal(writer.writeLarge(copied(1)), undefined);
      assert.equal(writer.readsReported, true);

      const silent = new CipherStream();
      silent.readsReported = false;
      const unreported = new FrameWriter(silent as unknown as Stream, { tracker: silent.tracker });
      assert.equal(unreported.writeLarge(copied(1)), undefined);
      assert.equal(unreported.writeLarge(copied(2)), undefined);
      assert.equal(unreported.readsReported, false, "a cipher that reports nothing: keep copying");
    });

    it("returns nothing when the cipher read the value during the send", () => {
      const stream = new CipherStream();
      const writer = new FrameWriter(stream as unknown as Stream, { tracker: stream.tracker });
      assert.equal(writer.writeLarge(copied(1)), undefined);
      assert.equal(writer.writeLarge(large(2)), undefined);
      assert.deepEqual(decoded(stream), [1, 2]);
      assert.ok(
        stream.sent.some(
          (data) =>
            data instanceof Uint8ArrayList &&
            [...data].some((chunk) => chunk.byteLength === COPY_BODY_MAX_BYTES),
        ),
        "the value left by reference",
      );
    });

    it("holds the caller until the cipher has read the value, then lets it change the value", async () => {
      const { stream, encoded, held } = heldValue();
      let released = false;
      void held.then(() => {
        released = true;
      });
      await nextCheckPhase();
      assert.equal(released, false, "not read yet");
      stream.readAll();
      await held;
      (encoded.value as Uint8Array).fill(9);
      // The recording keeps what was sent: the value itself, now changed.
      assert.deepEqual(decoded(stream), [1, 9], "the value was sent by reference");
    });

    it("rejects the wait when the stream closes before the value was read, and copies a value still in flight", async () => {
      const { stream, writer, encoded, held } = heldValue();
      stream.dispatchEvent(new Event("close"));
      await assert.rejects(held);
      // Its bytes may still sit below the stream: the same value now goes by copy.
      stream.readsAtOnce = true;
      const again = encodeMessageFrame(
        FrameType.Message,
        BlobSchema,
        create(BlobSchema, { data: encoded.value as Uint8Array }),
        undefined,
        true,
      );
      assert.ok(!(again instanceof Uint8Array));
      const sentBefore = stream.sent.length;
      assert.equal(writer.writeLarge(again), undefined);
      await nextCheckPhase();
      const chunks = stream.sent
        .slice(sentBefore)
        .flatMap((data) => (data instanceof Uint8Array ? [data] : [...data]));
      assert.ok(chunks.length > 0);
      assert.ok(
        chunks.every((chunk) => chunk.buffer !== (encoded.value as Uint8Array).buffer),
        "a copy, no reference",
      );
    });

    it("gives a value back to a call that ends once it is read, the peer left or the connection closed, not when this side closed the stream", async () => {
      const connection = Object.assign(new EventTarget(), { status: "open" });
      {
        const { writer } = heldValue();
        assert.equal(writer.settleByReference(connection, true), undefined, "the peer is gone");
      }
      {
        const { stream, writer } = heldValue();
        const settled = writer.settleByReference(connection, false);
        assert.ok(settled instanceof Promise);
        let done = false;
        void settled.then(() => {
          done = true;
        });
        stream.dispatchEvent(Object.assign(new Event("close"), { local: true }));
        await nextCheckPhase();
        assert.equal(done, false, "bytes may still wait below a stream this side closed");
        connection.dispatchEvent(new Event("close"));
        await settled;
      }
      {
        const { stream, writer } = heldValue();
        const settled = writer.settleByReference(connection, false);
        stream.dispatchEvent(Object.assign(new Event("close"), { local: false }));
        await settled;
      }
      {
        const { stream, writer } = heldValue();
        const settled = writer.settleByReference(connection, false);
        stream.readAll();
        await settled;
        assert.equal(writer.settleByReference(connection, false), undefined, "nothing unread now");
      }
    });
  });
});
