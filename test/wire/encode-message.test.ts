import assert from "node:assert/strict";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { describe, it } from "vitest";
import { BlobSchema } from "../../gen/p2prpc/test/v1/blob_pb.ts";
import { LegacyBlobSchema } from "../../gen/p2prpc/test/v1/legacy_blob_pb.ts";
import { COPY_BODY_MAX_BYTES, LARGE_BYTES_FIELD_MIN_BYTES } from "../../src/constants.ts";
import { concatFrames } from "../../src/wire/encode-frame.ts";
import {
  encodedBodyBytes,
  encodedFrameParts,
  encodeMessageFrame,
} from "../../src/wire/encode-message.ts";
import { FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { FrameType } from "../../src/wire/frame-type.ts";

const LARGE = LARGE_BYTES_FIELD_MIN_BYTES;

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 31 + seed) & 0xff);
}

/**
 * The message's encoding alone: what encodeMessageFrame returns for a small
 * message, the body of its frame for a large one (checked against the head).
 */
function encodeMessage<Desc extends Parameters<typeof encodeMessageFrame>[1]>(
  schema: Desc,
  message: Parameters<typeof encodeMessageFrame<Desc>>[2],
  options?: Parameters<typeof encodeMessageFrame>[3],
): Uint8Array {
  const encoded = encodeMessageFrame(FrameType.Message, schema, message, options);
  if (encoded instanceof Uint8Array) {
    return encoded;
  }
  const frames = new FrameDecoder(Number.MAX_SAFE_INTEGER).push(encoded.frame);
  assert.equal(frames.length, 1, "the frame is exactly one frame");
  const [frame] = frames;
  assert.ok(frame !== undefined && frame.type === FrameType.Message);
  assert.equal(frame.body.byteLength, encoded.bodyBytes);
  return frame.body;
}

/** The field numbers of an encoding, in wire order. */
function fieldOrder(encoded: Uint8Array): number[] {
  const reader = new BinaryReader(encoded);
  const order: number[] = [];
  while (reader.pos < reader.len) {
    const [number, wireType] = reader.tag();
    order.push(number);
    reader.skip(wireType);
  }
  return order;
}

describe("encodeMessageFrame", () => {
  it("gives toBinary's exact bytes when no bytes field is large", () => {
    const message = create(BlobSchema, {
      name: "small",
      data: bytes(LARGE - 1, 1),
      extra: bytes(10, 2),
      parts: [bytes(100, 3)],
    });
    assert.deepEqual(encodeMessage(BlobSchema, message), toBinary(BlobSchema, message));
  });

  it("appends a large implicit-presence field after the others, and it decodes to the same message", () => {
    const message = create(BlobSchema, {
      name: "big",
      data: bytes(LARGE * 8, 4),
      parts: [bytes(5, 5)],
    });
    const encoded = encodeMessage(BlobSchema, message);
    assert.ok(equals(BlobSchema, fromBinary(BlobSchema, encoded), message));
    assert.equal(encoded.byteLength, toBinary(BlobSchema, message).byteLength);
    assert.deepEqual(fieldOrder(encoded), [1, 6, 2]);
  });

  it("copies large values: changing the message afterwards does not change the encoding", () => {
    const data = bytes(LARGE, 6);
    const message = create(BlobSchema, { data });
    const encoded = encodeMessage(BlobSchema, message);
    data.fill(0);
    assert.deepEqual(fromBinary(BlobSchema, encoded).data, bytes(LARGE, 6));
    assert.equal(message.data, data, "the message itself is left alone");
  });

  it("handles explicit presence: set large values are sent, unset ones are not", () => {
    const set = create(BlobSchema, { extra: bytes(LARGE, 7), data: bytes(LARGE, 8) });
    const decoded = fromBinary(BlobSchema, encodeMessage(BlobSchema, set));
    assert.ok(equals(BlobSchema, decoded, set));
    assert.deepEqual(fieldOrder(encodeMessage(BlobSchema, set)), [2, 3]);

    const unset = create(BlobSchema, { data: bytes(LARGE, 9) });
    assert.equal(fromBinary(BlobSchema, encodeMessage(BlobSchema, unset)).extra, undefined);
  });

  it("keeps proto2 defaults and leaves required fields to toBinary", () => {
    const message = create(LegacyBlobSchema, { key: bytes(LARGE, 10), data: bytes(LARGE * 2, 11) });
    const encoded = encodeMessage(LegacyBlobSchema, message);
    assert.ok(equals(LegacyBlobSchema, fromBinary(LegacyBlobSchema, encoded), message));
    // `key` is required, so it stays where toBinary writes it; `data` moves to the end.
    assert.deepEqual(fieldOrder(encoded), [2, 1]);

    const defaults = create(LegacyBlobSchema, { key: bytes(LARGE, 12) });
    const decoded = fromBinary(LegacyBlobSchema, encodeMessage(LegacyBlobSchema, defaults));
    assert.equal(Object.hasOwn(decoded, "data"), false, "an unset proto2 field stays unset");
    assert.deepEqual(decoded.data, new TextEncoder().encode("dflt"));
    assert.throws(
      () => encodeMessage(LegacyBlobSchema, create(LegacyBlobSchema, { data: bytes(LARGE, 13) })),
      /required field not set/,
    );
  });

  it("does not send a large value that is only a default on the prototype", () => {
    // proto2 keeps defaults on the prototype; an unset field has no own property.
    const base = create(LegacyBlobSchema, { key: bytes(LARGE, 20) });
    const withDefaults = Object.create(Object.getPrototypeOf(base) as object, {
      data: { value: bytes(LARGE * 2, 21) },
    }) as object;
    const message = Object.assign(Object.create(withDefaults) as object, base) as typeof base;
    assert.equal(message.data.byteLength, LARGE * 2, "reads the default");
    const encoded = encodeMessage(LegacyBlobSchema, message);
    assert.deepEqual(encoded, toBinary(LegacyBlobSchema, message));
    assert.deepEqual(fieldOrder(encoded), [2]);
  });

  it("leaves oneof members, repeated and nested bytes to toBinary", () => {
    const message = create(BlobSchema, {
      body: { case: "chunk", value: bytes(LARGE, 14) },
      parts: [bytes(LARGE, 15)],
      child: { data: bytes(LARGE, 16) },
    });
    assert.deepEqual(encodeMessage(BlobSchema, message), toBinary(BlobSchema, message));
  });

  it("writes unknown fields, as toBinary does", () => {
    const withUnknown = fromBinary(
      BlobSchema,
      new Uint8Array([...toBinary(BlobSchema, create(BlobSchema, { name: "u" })), 0x48, 0x2a]),
    );
    withUnknown.data = bytes(LARGE, 17);
    const encoded = encodeMessage(BlobSchema, withUnknown);
    assert.deepEqual(fieldOrder(encoded), [1, 9, 2]);
    assert.ok(equals(BlobSchema, fromBinary(BlobSchema, encoded), withUnknown));
    assert.deepEqual(
      fieldOrder(encodeMessage(BlobSchema, withUnknown, { writeUnknownFields: false })),
      [1, 2],
    );
  });

  it("gives every kind of result as frame parts and a body size: small, whole frame, value by reference", () => {
    const cases = [
      create(BlobSchema, { name: "small", data: bytes(LARGE - 1, 30) }),
      create(BlobSchema, { name: "copied", data: bytes(LARGE, 31) }),
      create(BlobSchema, { name: "referenced", data: bytes(COPY_BODY_MAX_BYTES, 32) }),
    ];
    const parts = cases.map((message) =>
      encodedFrameParts(
        FrameType.Message,
        encodeMessageFrame(FrameType.Message, BlobSchema, message, undefined, true),
      ),
    );
    assert.deepEqual(
      parts.map((each) => each.length),
      [2, 1, 2],
    );
    assert.equal(parts[2]?.[1], cases[2]?.data, "the value itself, not a copy");
    for (const [index, message] of cases.entries()) {
      const encoded = encodeMessageFrame(FrameType.Message, BlobSchema, message, undefined, true);
      const [frame, ...rest] = new FrameDecoder(Number.MAX_SAFE_INTEGER).push(
        concatFrames(parts[index] as Uint8Array[]),
      );
      assert.equal(rest.length, 0, "exactly one frame");
      assert.ok(frame !== undefined && frame.type === FrameType.Message);
      assert.equal(encodedBodyBytes(encoded), frame.body.byteLength);
      assert.ok(equals(BlobSchema, fromBinary(BlobSchema, frame.body), message));
    }
  });

  it("returns a large message as one whole frame of the given type, a small one as its body", () => {
    const small = create(BlobSchema, { name: "small", data: bytes(LARGE - 1, 22) });
    assert.ok(encodeMessageFrame(FrameType.Message, BlobSchema, small) instanceof Uint8Array);

    const large = create(BlobSchema, { name: "large", data: bytes(LARGE, 23) });
    const encoded = encodeMessageFrame(FrameType.Message, BlobSchema, large);
    assert.ok(!(encoded instanceof Uint8Array));
    assert.equal(encoded.bodyBytes, toBinary(BlobSchema, large).byteLength);
    // varint(bodyBytes + 1) takes 2 bytes here, then the type byte.
    assert.equal(encoded.frame.byteLength, encoded.bodyBytes + 3);
    assert.equal(encoded.frame[2], FrameType.Message);
  });

  it("sizes the frame's length prefix by the body, across a varint boundary", () => {
    // A body of 16,383 bytes has a payload (type byte included) of 16,384 = 2^14:
    // the first that needs a 3-byte varint. The data field's own prefix is 1 + 2 bytes.
    for (const [dataBytes, prefixBytes] of [
      [16_379, 2],
      [16_380, 3],
    ] as const) {
      const message = create(BlobSchema, { data: bytes(dataBytes, 24) });
      const encoded = encodeMessageFrame(FrameType.Message, BlobSchema, message);
      assert.ok(!(encoded instanceof Uint8Array));
      assert.equal(encoded.frame.byteLength, prefixBytes + 1 + encoded.bodyBytes);
      assert.ok(
        equals(BlobSchema, fromBinary(BlobSchema, encodeMessage(BlobSchema, message)), message),
      );
    }
  });

  it("uses a multi-byte length prefix correctly for values over 16 KiB", () => {
    const message = create(BlobSchema, { data: bytes(300_000, 18), extra: bytes(70_000, 19) });
    const decoded = fromBinary(BlobSchema, encodeMessage(BlobSchema, message));
    assert.ok(equals(BlobSchema, decoded, message));
  });
});
