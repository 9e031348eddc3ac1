import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "vitest";
import { FrameDecoder, FramingError } from "../../src/wire/frame-decoder.ts";

/** Encodes `value` as an unsigned varint (LEB128), minimal, any size. */
function varint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) {
      byte |= 0x80;
    }
    bytes.push(byte);
  } while (rest > 0n);
  return Uint8Array.from(bytes);
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Cuts `bytes` at the given offsets. */
function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
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

/**
 * Runs `body` while every `new Uint8Array(n)` / `new ArrayBuffer(n)` made
 * anywhere records `n`: returns the largest. The decoder's only allocation
 * is the copy that joins a frame spread over chunks, so its size must never
 * exceed the bytes actually received, whatever a length prefix claims.
 */
function largestAllocation(body: () => void): number {
  const realUint8Array = globalThis.Uint8Array;
  const realArrayBuffer = globalThis.ArrayBuffer;
  let largest = 0;
  const record = (args: unknown[]): void => {
    if (typeof args[0] === "number") {
      largest = Math.max(largest, args[0]);
    }
  };
  globalThis.Uint8Array = new Proxy(realUint8Array, {
    construct(target, args, newTarget) {
      record(args);
      return Reflect.construct(target, args, newTarget);
    },
  });
  globalThis.ArrayBuffer = new Proxy(realArrayBuffer, {
    construct(target, args, newTarget) {
      record(args);
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    body();
  } finally {
    globalThis.Uint8Array = realUint8Array;
    globalThis.ArrayBuffer = realArrayBuffer;
  }
  return largest;
}

/** Decodes everything `chunks` complete; a FramingError ends it (the stream would be reset). */
function decodeAll(decoder: FrameDecoder, chunks: readonly Uint8Array[]): "ok" | "framing-error" {
  for (const chunk of chunks) {
    decoder.append(chunk);
    for (;;) {
      let item: ReturnType<FrameDecoder["next"]>;
      try {
        item = decoder.next();
      } catch (error) {
        assert.ok(error instanceof FramingError, `only FramingError, not ${String(error)}`);
        return "framing-error";
      }
      if (item === undefined) {
        break;
      }
      if (item.type === "oversize") {
        assert.ok(item.payloadBytes > 0);
      } else {
        assert.ok(Number.isInteger(item.type) && item.type >= 0 && item.type <= 255);
        assert.ok(item.body.byteLength >= 0);
      }
    }
  }
  return "ok";
}

describe("FrameDecoder against hostile bytes (fast-check)", () => {
  it("random bytes in random chunks: frames, oversize or a FramingError, nothing else; holds no more than it got", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 256 }),
        (bytes, offsets, maxPayloadBytes) => {
          const decoder = new FrameDecoder(maxPayloadBytes);
          const chunks = cut(bytes, offsets);
          let outcome: "ok" | "framing-error" = "ok";
          const largest = largestAllocation(() => {
            outcome = decodeAll(decoder, chunks);
          });
          assert.ok(largest <= bytes.byteLength, `allocated ${largest} for ${bytes.byteLength}`);
          if (outcome === "ok") {
            assert.ok(decoder.bufferedBytes <= bytes.byteLength);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("any length prefix up to 2^64 − 1: a claimed length never drives an allocation", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom(16, 4 * 1024 * 1024 + 1, Number.MAX_SAFE_INTEGER),
        (claimed, tail, maxPayloadBytes) => {
          const prefix = varint(claimed);
          const decoder = new FrameDecoder(maxPayloadBytes);
          let item: ReturnType<FrameDecoder["next"]>;
          let error: unknown;
          const wire = join(prefix, tail);
          const largest = largestAllocation(() => {
            decoder.append(wire);
            try {
              item = decoder.next();
            } catch (thrown) {
              error = thrown;
            }
          });
          assert.ok(largest <= wire.byteLength, `allocated ${largest} for ${wire.byteLength}`);
          if (prefix.byteLength > 8) {
            // 2^56 and above need more than the 8 prefix bytes PROTOCOL.md 3 allows.
            assert.ok(error instanceof FramingError, `prefix of ${prefix.byteLength} bytes`);
          } else if (claimed === 0n) {
            assert.ok(error instanceof FramingError, "a zero-length frame");
          } else if (claimed > BigInt(maxPayloadBytes)) {
            assert.deepEqual(item, { type: "oversize", payloadBytes: Number(claimed) });
            // Its body is skipped as it comes, never kept.
            assert.equal(decoder.next(), undefined);
            assert.equal(decoder.bufferedBytes, 0);
          } else if (claimed <= BigInt(tail.byteLength)) {
            assert.ok(item !== undefined && item.type !== "oversize");
            assert.equal(item.body.byteLength, Number(claimed) - 1);
          } else {
            // Claimed more than arrived, within the limit: wait, holding only what came.
            assert.equal(item, undefined);
            assert.equal(error, undefined);
            assert.equal(decoder.bufferedBytes, wire.byteLength);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a 2^60 prefix fails on its 9th byte, whatever the limit, before any buffer is made", () => {
    const prefix = varint(2n ** 60n);
    assert.equal(prefix.byteLength, 9);
    const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
    let error: unknown;
    const largest = largestAllocation(() => {
      // Byte by byte: the first eight leave it waiting, the ninth is refused
      // (the check is on the eighth continuation byte).
      for (const byte of prefix) {
        decoder.append(Uint8Array.of(byte));
        try {
          decoder.next();
        } catch (thrown) {
          error = thrown;
          break;
        }
      }
    });
    assert.ok(error instanceof FramingError);
    assert.ok(largest <= 1, `largest allocation ${largest}`);
  });

  it("overlong varints (non-minimal, too long) are framing errors, cut anywhere", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 21 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (length, padding, offsets) => {
          // The minimal encoding followed by `padding` redundant 0x80 … 0x00 bytes.
          const minimal = [...varint(BigInt(length))];
          const last = minimal.length - 1;
          const padded = [
            ...minimal.slice(0, last),
            (minimal[last] as number) | 0x80,
            ...Array(padding - 1).fill(0x80),
            0x00,
          ];
          const decoder = new FrameDecoder(2 ** 22);
          const wire = join(Uint8Array.from(padded), new Uint8Array(8));
          assert.equal(decodeAll(decoder, cut(wire, offsets)), "framing-error");
        },
      ),
      { numRuns: 300 },
    );
  });
});
