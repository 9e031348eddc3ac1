import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";
import { generatedBytes, transferClient, transferImpl } from "../helpers/transfer-service.ts";
import { aborted, codeOf } from "../helpers/wait-for.ts";

const MiB = 1024 * 1024;
const DEADLINE_MS = 1500;
/**
 * How late "at its deadline" may be: timers fire late on a loaded machine.
 * A stall would instead run into the test's own 30 s timeout.
 */
const SLACK_MS = 4000;
/** More than every window and buffer between the two sides can hold. */
const FLOOD_MESSAGES = 64;

/**
 * A peer that stops reading leaves the other side's writer waiting for the
 * flow-control window. That wait must end with the call: at its deadline, on
 * both sides, and the connection must go on serving.
 */
for (const kind of TRANSPORTS) {
  describe(`a peer that stops reading, over ${kind}`, () => {
    let pair: Pair;
    let downloadProduced = 0;
    let downloadSignal: AbortSignal | undefined;
    let uploadSignal: AbortSignal | undefined;
    const uploadStarted = Promise.withResolvers<void>();
    beforeAll(async () => {
      pair = await startPair(kind, {
        server: {
          routes: (router) =>
            router.service(TransferService, {
              ...transferImpl,
              async *download(req, ctx) {
                downloadSignal = ctx.signal;
                for (let index = 0; index < req.respondCount; index++) {
                  yield { data: generatedBytes(req.respondBytes ?? 0, index) };
                  downloadProduced = index + 1;
                }
              },
              // Reads one message, then never again.
              async upload(requests, ctx) {
                uploadSignal = ctx.signal;
                await requests[Symbol.asyncIterator]().next();
                uploadStarted.resolve();
                await new Promise((_, reject) => ctx.signal.addEventListener("abort", reject));
                return {};
              },
            }),
        },
      });
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("a server streaming to a client that stopped reading is ended by the deadline", async () => {
      const client = transferClient(pair);
      const started = performance.now();
      const responses = client.download(
        { respondBytes: MiB, respondCount: FLOOD_MESSAGES },
        { timeoutMs: DEADLINE_MS },
      );
      const iterator = responses[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.equal(first.done, false);
      // The client reads no more: the server's writer waits for window until the deadline.
      assert.ok(downloadSignal !== undefined);
      await aborted(downloadSignal, DEADLINE_MS + SLACK_MS);
      assert.ok(performance.now() - started < DEADLINE_MS + SLACK_MS, "ended near its deadline");
      assert.ok(downloadProduced < FLOOD_MESSAGES, "the server was held back by flow control");
      // What was buffered can still be read; then the call reports its deadline.
      const drain = async (): Promise<void> => {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          // discard
        }
      };
      assert.equal(await codeOf(drain()), Code.DeadlineExceeded);
      const ok = await client.exchange({ data: new Uint8Array(3) }, { timeoutMs: 5000 });
      assert.equal(ok.receivedMessages, 1);
    });

    it("a client uploading to a handler that stopped reading is ended by the deadline", async () => {
      const client = transferClient(pair);
      const started = performance.now();
      async function* flood(): AsyncGenerator<{ data: Uint8Array }> {
        for (let index = 0; index < FLOOD_MESSAGES; index++) {
          yield { data: generatedBytes(MiB, index) };
        }
      }
      const call = client.upload(flood(), { timeoutMs: DEADLINE_MS });
      await uploadStarted.promise;
      assert.equal(await codeOf(call), Code.DeadlineExceeded);
      assert.ok(performance.now() - started < DEADLINE_MS + SLACK_MS, "ended near its deadline");
      assert.ok(uploadSignal !== undefined);
      await aborted(uploadSignal, DEADLINE_MS + SLACK_MS);
      const ok = await client.exchange({ data: new Uint8Array(3) }, { timeoutMs: 5000 });
      assert.equal(ok.receivedMessages, 1);
    });
  });
}
