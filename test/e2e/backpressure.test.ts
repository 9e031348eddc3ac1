import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const MESSAGE_BYTES = 64 * KiB;
const MESSAGES = 1500; // 96 MiB in all
/**
 * What may sit between the handler and the slow reader: the reader's queue and
 * the paused stream's buffer, each at most one Yamux window (16 MiB at most)
 * plus a frame. Without backpressure the handler would run the whole 96 MiB ahead.
 */
const BOUND_BYTES = 2 * 16 * MiB + 2 * MESSAGE_BYTES + 256 * KiB;

for (const kind of TRANSPORTS) {
  describe(`backpressure over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("a slow reader of a server stream keeps the writer's buffered bytes bounded", async () => {
      const text = `flood-${kind}`;
      const payload = new Uint8Array(MESSAGE_BYTES).fill(7);
      let consumed = 0;
      let maxAheadBytes = 0;
      for await (const response of pair.echo.serverStream({ text, payload, repeat: MESSAGES })) {
        assert.equal(response.index, consumed);
        assert.equal(response.payload.byteLength, MESSAGE_BYTES);
        consumed++;
        const produced = pair.probe.produced.get(text) ?? 0;
        maxAheadBytes = Math.max(maxAheadBytes, (produced - consumed) * MESSAGE_BYTES);
        // A slow consumer: the handler could produce far faster than this.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.equal(consumed, MESSAGES);
      assert.ok(
        maxAheadBytes <= BOUND_BYTES,
        `the writer ran ${(maxAheadBytes / MiB).toFixed(1)} MiB ahead of the reader`,
      );
      // It must not be trivially bounded either: the stream kept data in flight.
      assert.ok(maxAheadBytes >= MESSAGE_BYTES, "the handler stayed ahead of the reader");
    });
  });
}

for (const kind of TRANSPORTS) {
  describe(`many tiny messages over ${kind}`, () => {
    it("100,000 tiny messages all arrive, in order, while the reader stalls now and then", async () => {
      const pair = await startPair(kind);
      try {
        const count = 100_000;
        let next = 0;
        for await (const response of pair.echo.serverStream({
          text: "tiny",
          payload: new Uint8Array([1]),
          repeat: count,
        })) {
          assert.equal(response.index, next);
          next++;
          if (next % 10_000 === 0) {
            // Stall: frames pile up undecoded in the reader. (The test above
            // checks that the writer is held back.)
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        assert.equal(next, count);
        const ok = await pair.echo.unary({ text: "connection alive" });
        assert.equal(ok.text, "connection alive");
      } finally {
        await pair.stop();
      }
    });
  });
}
