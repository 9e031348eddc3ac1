import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";

const CALLS = 256;

for (const kind of TRANSPORTS) {
  describe(`concurrency over ${kind}`, () => {
    let pair: Pair;
    before(async () => {
      pair = await startPair(kind);
    });
    after(async () => {
      await pair.stop();
    });

    it(`${CALLS} concurrent calls of one method, started at once right after the first dial`, async () => {
      assert.equal(pair.client.getConnections(pair.server.peerId).length, 0, "not dialed yet");
      const responses = await Promise.all(
        Array.from({ length: CALLS }, (_, i) => pair.echo.unary({ text: `call ${i}` })),
      );
      assert.deepEqual(
        responses.map((response) => response.text),
        Array.from({ length: CALLS }, (_, i) => `call ${i}`),
      );
      assert.equal(pair.client.getConnections(pair.server.peerId).length, 1, "one connection");
    });

    it(`${CALLS} concurrent server streams on one connection`, async () => {
      const counts = await Promise.all(
        Array.from({ length: CALLS }, async (_, i) => {
          let count = 0;
          for await (const _response of pair.echo.serverStream({ text: `s${i}`, repeat: 5 })) {
            count++;
          }
          return count;
        }),
      );
      assert.ok(counts.every((count) => count === 5));
    });
  });
}
