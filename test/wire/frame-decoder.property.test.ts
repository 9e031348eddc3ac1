import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "vitest";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { type DecodedItem, FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { FrameType } from "../../src/wire/frame-type.ts";

const MAX_PAYLOAD_BYTES = 64;

const frameArbitrary = fc.record({
  type: fc.constantFrom(...Object.values(FrameType)),
  // Up to twice the limit, so some frames are oversized.
  body: fc.uint8Array({ maxLength: 2 * MAX_PAYLOAD_BYTES }),
});

/** Cuts `bytes` at the given offsets (any order, duplicates allowed). */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((offset) => offset % (bytes.byteLength + 1)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

function described(item: DecodedItem): string {
  return item.type === "oversize"
    ? `oversize ${item.payloadBytes}`
    : `${item.type} ${Buffer.from(item.body).toString("hex")}`;
}

describe("FrameDecoder, for any frames cut into any chunks (fast-check)", () => {
  it("yields every frame within the limit as sent, and reports each larger one as oversize", () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, offsets) => {
          const decoder = new FrameDecoder(MAX_PAYLOAD_BYTES);
          const wire = concatFrames(frames.map(({ type, body }) => encodeFrame(type, body)));
          const items = cut(wire, offsets).flatMap((chunk) => decoder.push(chunk));
          const expected = frames.map(({ type, body }) =>
            body.byteLength + 1 > MAX_PAYLOAD_BYTES
              ? `oversize ${body.byteLength + 1}`
              : `${type} ${Buffer.from(body).toString("hex")}`,
          );
          assert.deepEqual(items.map(described), expected);
          assert.equal(decoder.bufferedBytes, 0);
          assert.equal(decoder.idle, true);
        },
      ),
    );
  });
});
