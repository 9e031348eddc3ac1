import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";
import {
  generatedBytes,
  sha256,
  transferClient,
  transferRoutes,
} from "../helpers/transfer-service.ts";

const KiB = 1024;
const CALL_TIMEOUT_MS = 10_000;
const KINDS = [
  "unary request",
  "unary response",
  "client stream",
  "server stream",
  "bidi",
] as const;
type Kind = (typeof KINDS)[number];

interface Step {
  readonly kind: Kind;
  readonly bytes: number;
  readonly messages: number;
  readonly inFlight: number;
  /** Abort the call this many milliseconds after it starts; undefined: never. */
  readonly cancelAfterMs: number | undefined;
}

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom(...KINDS),
  bytes: fc.oneof(
    fc.constantFrom(0, 1, 64 * KiB - 1, 64 * KiB, 256 * KiB + 1, 600 * KiB, 1536 * KiB),
    fc.integer({ min: 0, max: 2 * 1024 * KiB }),
  ),
  messages: fc.integer({ min: 1, max: 3 }),
  inFlight: fc.integer({ min: 1, max: 8 }),
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined, freq: 3 }),
});

async function* uploads(step: Step, seed: number): AsyncGenerator<{ data: Uint8Array }> {
  for (let index = 0; index < step.messages; index++) {
    yield { data: generatedBytes(step.bytes, seed + index) };
  }
}

/** Runs one call of `step` and checks every byte it got back. */
async function runCall(pair: Pair, step: Step, seed: number, signal: AbortSignal): Promise<void> {
  const client = transferClient(pair);
  const options = { timeoutMs: CALL_TIMEOUT_MS, signal };
  switch (step.kind) {
    case "unary request": {
      const data = generatedBytes(step.bytes, seed);
      const response = await client.exchange({ data }, options);
      assert.deepEqual(response.receivedSha256, sha256(data));
      return;
    }
    case "unary response": {
      const response = await client.exchange({ respondBytes: step.bytes, seed }, options);
      assert.deepEqual(sha256(response.data), sha256(generatedBytes(step.bytes, seed)));
      return;
    }
    case "client stream": {
      const response = await client.upload(uploads(step, seed), options);
      const expected = Array.from({ length: step.messages }, (_, i) =>
        generatedBytes(step.bytes, seed + i),
      );
      assert.equal(response.receivedMessages, step.messages);
      assert.deepEqual(response.receivedSha256, sha256(...expected));
      return;
    }
    case "server stream":
    case "bidi": {
      const responses =
        step.kind === "bidi"
          ? client.echo(uploads(step, seed), options)
          : client.download(
              { respondBytes: step.bytes, respondCount: step.messages, seed },
              options,
            );
      let index = 0;
      for await (const response of responses) {
        assert.deepEqual(sha256(response.data), sha256(generatedBytes(step.bytes, seed + index)));
        index++;
      }
      assert.equal(index, step.messages);
      return;
    }
  }
}

/**
 * A call of `step` ends with its intact response, or, when it was cancelled,
 * possibly with `Canceled`; nothing else, and never after its deadline.
 */
async function runStep(pair: Pair, step: Step, seed: number): Promise<void> {
  const controller = new AbortController();
  const timer =
    step.cancelAfterMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(), step.cancelAfterMs);
  try {
    await runCall(pair, step, seed, controller.signal);
  } catch (error) {
    if (!(step.cancelAfterMs !== undefined && ConnectError.from(error).code === Code.Canceled)) {
      throw error;
    }
  } finally {
    clearTimeout(timer);
  }
}

for (const kind of TRANSPORTS) {
  describe(`random sequences of calls over one ${kind} connection`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind, { server: { routes: transferRoutes } });
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("keep every byte, end every call with its response or its cancellation, and the connection serving", async () => {
      await runStep(
        pair,
        { kind: "unary request", bytes: 1, messages: 1, inFlight: 1, cancelAfterMs: undefined },
        0,
      );
      const [connection] = pair.client.getConnections(pair.server.peerId);
      assert.ok(connection !== undefined);
      let seed = 1;
      await fc.assert(
        fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 5 }), async (steps) => {
          for (const step of steps) {
            const first = seed;
            seed += step.inFlight * 8;
            await Promise.all(
              Array.from({ length: step.inFlight }, (_, index) =>
                runStep(pair, step, first + index * 8),
              ),
            );
          }
          // The connection is the one the sequence started on, and it still serves.
          await runStep(
            pair,
            { kind: "bidi", bytes: 300 * KiB, messages: 2, inFlight: 1, cancelAfterMs: undefined },
            7,
          );
          assert.deepEqual(
            pair.client.getConnections(pair.server.peerId).map(({ id }) => id),
            [connection.id],
          );
        }),
        // A failure is reported as drawn: shrinking a stall would wait out every deadline again.
        { numRuns: 12, endOnFailure: true },
      );
    }, 180_000);
  });
}
