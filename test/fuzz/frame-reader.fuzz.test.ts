import assert from "node:assert/strict";
import fc from "fast-check";
import { describe, it } from "vitest";
import { FrameDecoder, FramingError } from "../../src/wire/frame-decoder.ts";
import { FrameReader } from "../../src/wire/frame-reader.ts";
import { yamuxStreamPair } from "../helpers/yamux-pair.ts";

const READ_LIMIT_MS = 5000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no end in ${READ_LIMIT_MS} ms`)),
        READ_LIMIT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

describe("FrameReader on a real Yamux stream against hostile bytes (fast-check)", () => {
  it("random chunks, then a clean end or a reset: every read settles, with a frame, the end, or a FramingError / reset", {
    timeout: 60_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 8 }),
        fc.constantFrom("close", "reset"),
        fc.integer({ min: 2, max: 64 }),
        async (chunks, end, maxPayloadBytes) => {
          const pair = await yamuxStreamPair();
          try {
            let ended: Error | undefined | "not yet" = "not yet";
            const reader = new FrameReader(pair.inbound, {
              maxPayloadBytes,
              onEnd: (error) => {
                ended = error;
              },
            });
            for (const chunk of chunks) {
              pair.outbound.send(chunk);
            }
            if (end === "close") {
              await pair.outbound.close();
            } else {
              pair.outbound.abort(new Error("hostile reset"));
            }
            const received = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
            let outcome: "end" | "framing" | "reset" | undefined;
            let frames = 0;
            while (outcome === undefined) {
              try {
                const item = await within(reader.read(), "a read");
                if (item === undefined) {
                  outcome = "end";
                } else {
                  frames++;
                  assert.ok(item.type === "oversize" || item.body.byteLength < maxPayloadBytes);
                }
              } catch (error) {
                const name = (error as Error).name;
                assert.ok(
                  error instanceof FramingError || name === "StreamResetError",
                  `a read failed with ${name}`,
                );
                outcome = error instanceof FramingError ? "framing" : "reset";
              }
            }
            assert.ok(frames <= received, "never more frames than bytes");
            assert.notEqual(ended, "not yet", "onEnd was called");
            if (outcome === "end") {
              // A clean end is only ever reported for a clean close at a frame boundary.
              assert.equal(end, "close");
              const decoder = new FrameDecoder(maxPayloadBytes);
              for (const chunk of chunks) {
                decoder.push(chunk);
              }
              assert.equal(decoder.idle, true, "the bytes ended at a frame boundary");
            }
            assert.equal(reader.done, true);
          } finally {
            await pair.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
