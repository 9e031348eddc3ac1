import assert from "node:assert/strict";
import * as lp from "it-length-prefixed";
import * as varint from "uint8-varint";
import { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import { COPY_BODY_MAX_BYTES } from "../../src/constants.ts";
import { concatFrames, encodeFrame, frameParts, joinParts } from "../../src/wire/encode-frame.ts";
import { type DecodedItem, FrameDecoder, FramingError } from "../../src/wire/frame-decoder.ts";
import { FrameType } from "../../src/wire/frame-type.ts";

function bodies(items: DecodedItem[]): Array<[FrameType | "oversize", number[]]> {
  return items.map((item) =>
    item.type === "oversize" ? ["oversize", [item.payloadBytes]] : [item.type, [...item.body]],
  );
}

describe("FrameDecoder", () => {
  it("refuses a length prefix longer than its minimal encoding, also when it arrives byte by byte", () => {
    for (const wire of [
      [0x81, 0x00, 0x01],
      [0x80, 0x80, 0x00],
      [0xff, 0x00],
    ]) {
      const whole = new FrameDecoder(1024);
      assert.throws(() => whole.push(Uint8Array.from(wire)), FramingError, `${wire}`);
      const split = new FrameDecoder(1024);
      assert.throws(() => {
        for (const byte of wire) {
          split.push(Uint8Array.of(byte));
        }
      }, FramingError);
    }
    // The minimal two-byte prefix of 128 still decodes, as does a 0x80 continuation byte.
    const body = new Uint8Array(127);
    const decoder = new FrameDecoder(1024);
    assert.deepEqual(bodies(decoder.push(encodeFrame(FrameType.Message, body))), [
      [FrameType.Message, [...body]],
    ]);
  });

  it("decodes frames fed whole, several per chunk", () => {
    const decoder = new FrameDecoder(1024);
    const wire = concatFrames([
      encodeFrame(FrameType.RequestHeader),
      encodeFrame(FrameType.Message, new Uint8Array([1, 2, 3])),
      encodeFrame(FrameType.EndOfInput),
    ]);
    assert.deepEqual(bodies(decoder.push(wire)), [
      [FrameType.RequestHeader, []],
      [FrameType.Message, [1, 2, 3]],
      [FrameType.EndOfInput, []],
    ]);
    assert.equal(decoder.idle, true);
  });

  it("decodes frames fed one byte at a time, including multi-byte length prefixes", () => {
    const decoder = new FrameDecoder(1024 * 1024);
    const body = new Uint8Array(300).map((_, i) => i % 251);
    const wire = concatFrames([
      encodeFrame(FrameType.Message, body),
      encodeFrame(FrameType.Trailer),
    ]);
    const items: DecodedItem[] = [];
    for (const byte of wire) {
      items.push(...decoder.push(new Uint8Array([byte])));
    }
    assert.deepEqual(bodies(items), [
      [FrameType.Message, [...body]],
      [FrameType.Trailer, []],
    ]);
  });

  it("uses the it-length-prefixed framing, both ways", async () => {
    const payload = new Uint8Array([FrameType.Message, 9, 8, 7]);
    const theirs = lp.encode.single(payload).subarray();
    const ours = encodeFrame(FrameType.Message, new Uint8Array([9, 8, 7]));
    assert.deepEqual(theirs, ours);
    const decoded: Uint8Array[] = [];
    for await (const chunk of lp.decode([ours])) {
      decoded.push(chunk.subarray());
    }
    assert.deepEqual(decoded, [payload]);
  });

  it("reports an oversized frame from its length prefix, before any of its body", () => {
    const decoder = new FrameDecoder(1024);
    const prefix = varint.encode(10 * 1024 * 1024);
    assert.deepEqual(bodies(decoder.push(prefix)), [["oversize", [10 * 1024 * 1024]]]);
    assert.equal(decoder.bufferedBytes, 0, "nothing of the body is buffered");
  });

  it("skips an oversized frame's body as it arrives and stays in sync", () => {
    const decoder = new FrameDecoder(8);
    const big = encodeFrame(FrameType.Message, new Uint8Array(100).fill(1));
    const after = encodeFrame(FrameType.EndOfInput);
    const wire = new Uint8ArrayList(big, after).subarray();
    const items: DecodedItem[] = [];
    for (let offset = 0; offset < wire.byteLength; offset += 7) {
      items.push(...decoder.push(wire.subarray(offset, offset + 7)));
      assert.ok(decoder.bufferedBytes <= 8);
    }
    assert.deepEqual(bodies(items), [
      ["oversize", [101]],
      [FrameType.EndOfInput, []],
    ]);
  });

  it("returns a frame within one chunk as a view, and joins a frame split at any point", () => {
    const body = new Uint8Array(40).map((_, i) => i + 1);
    const wire = concatFrames([
      encodeFrame(FrameType.Message, body),
      encodeFrame(FrameType.Trailer),
    ]);
    const whole = new FrameDecoder(1024).push(wire);
    const first = whole[0];
    assert.ok(first !== undefined && first.type === FrameType.Message);
    assert.equal(first.body.buffer, wire.buffer, "a view into the received chunk, not a copy");
    for (let split = 1; split < wire.byteLength; split++) {
      const decoder = new FrameDecoder(1024);
      const items = [
        ...decoder.push(wire.subarray(0, split)),
        ...decoder.push(
          new Uint8ArrayList(wire.subarray(split, split + 3), wire.subarray(split + 3)),
        ),
      ];
      assert.deepEqual(
        bodies(items),
        [
          [FrameType.Message, [...body]],
          [FrameType.Trailer, []],
        ],
        `split at ${split}`,
      );
      assert.equal(decoder.idle, true);
    }
  });

  it("keeps a long backlog of tiny chunks in order", () => {
    const frames = Array.from({ length: 3000 }, (_, i) =>
      encodeFrame(FrameType.Message, new Uint8Array([i & 0xff, i >> 8])),
    );
    const wire = concatFrames(frames);
    const decoder = new FrameDecoder(1024);
    for (const byte of wire) {
      decoder.append(new Uint8Array([byte]));
    }
    assert.equal(decoder.bufferedBytes, wire.byteLength);
    const items: DecodedItem[] = [];
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
      items.push(item);
      if (items.length === 1500) {
        decoder.append(encodeFrame(FrameType.Trailer));
      }
    }
    assert.equal(items.length, 3001);
    assert.deepEqual(bodies(items.slice(2998)), [
      [FrameType.Message, [2998 & 0xff, 2998 >> 8]],
      [FrameType.Message, [2999 & 0xff, 2999 >> 8]],
      [FrameType.Trailer, []],
    ]);
    assert.ok(
      bodies(items.slice(0, 3000)).every(([, b], i) => b[0] === (i & 0xff) && b[1] === i >> 8),
    );
    assert.equal(decoder.idle, true);
  });

  it("rejects an empty frame and an over-long length prefix", () => {
    assert.throws(() => new FrameDecoder(8).push(new Uint8Array([0])), FramingError);
    assert.throws(() => new FrameDecoder(8).push(new Uint8Array(9).fill(0x80)), FramingError);
  });
});

describe("frameParts and joinParts", () => {
  it("send a large body by reference and still produce the same bytes", () => {
    const big = new Uint8Array(COPY_BODY_MAX_BYTES + 5).map((_, i) => i % 253);
    const parts = [
      encodeFrame(FrameType.RequestHeader),
      ...frameParts(FrameType.Message, big),
      encodeFrame(FrameType.EndOfInput),
    ];
    assert.equal(parts.length, 4, "header, frame head, body, end of input");
    assert.equal(parts[2], big, "the body itself, not a copy");
    const joined = joinParts(parts);
    assert.ok(joined instanceof Uint8ArrayList, "a list, so the body need not be copied");
    assert.ok(
      [...joined].some((chunk) => chunk === big),
      "the body is in the list itself, not a copy",
    );
    const expected = concatFrames([
      encodeFrame(FrameType.RequestHeader),
      encodeFrame(FrameType.Message, big),
      encodeFrame(FrameType.EndOfInput),
    ]);
    assert.deepEqual(joined.subarray(), expected);
    // A small frame is also two parts; joinParts copies it into one buffer.
    const small = new Uint8Array([1, 2]);
    const smallParts = frameParts(FrameType.Message, small);
    assert.equal(smallParts[1], small);
    const smallJoined = joinParts([encodeFrame(FrameType.ResponseHeader), ...smallParts]);
    assert.ok(smallJoined instanceof Uint8Array, "small parts leave as one buffer");
    assert.deepEqual(
      smallJoined,
      concatFrames([encodeFrame(FrameType.ResponseHeader), encodeFrame(FrameType.Message, small)]),
    );
  });
});
