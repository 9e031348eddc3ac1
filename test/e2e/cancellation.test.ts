import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type EchoRequestSchema, EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { methodProtocol } from "../../src/index.ts";
import { QueueIterable } from "../helpers/queue-iterable.ts";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";
import { aborted, codeOf, waitFor } from "../helpers/wait-for.ts";

for (const kind of TRANSPORTS) {
  describe(`cancellation over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
      await pair.stop();
    });

    /** Streams of `protocol` open on the server's side of the connection. */
    const serverStreams = (protocol: string): number => pair.serverStreamIds(protocol).length;

    it("aborting a server stream aborts the handler's signal and frees the stream", async () => {
      const controller = new AbortController();
      const text = `cancel-ss-${kind}`;
      const responses = pair.echo.serverStream(
        { text, repeat: 1_000_000, delayMs: 10 },
        { signal: controller.signal },
      );
      const iterator = responses[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).done, false);
      const signal = pair.probe.signals.get(text);
      assert.ok(signal);
      assert.equal(signal.aborted, false);
      controller.abort();
      assert.equal(await codeOf(iterator.next()), Code.Canceled);
      const reason = await aborted(signal);
      assert.ok(reason instanceof ConnectError);
      assert.equal(reason.code, Code.Canceled);
      const protocol = methodProtocol(EchoService.method.serverStream);
      await waitFor(() => serverStreams(protocol) === 0, "the server to free the stream");
      const response = await pair.echo.unary({ text: "after cancel" });
      assert.equal(response.text, "after cancel");
    });

    it("aborting a bidi call mid-stream aborts the server and frees the stream", async () => {
      const controller = new AbortController();
      const requests = new QueueIterable<MessageInitShape<typeof EchoRequestSchema>>();
      const text = `cancel-bidi-${kind}`;
      const responses = pair.echo
        .bidi(requests, { signal: controller.signal })
        [Symbol.asyncIterator]();
      requests.push({ text });
      assert.equal((await responses.next()).done, false);
      requests.push({ text: `${text}-2`, hang: true });
      const signal = pair.probe.signals.get(text);
      assert.ok(signal);
      await waitFor(() => pair.probe.signals.has(`${text}-2`), "the second request to arrive");
      controller.abort();
      assert.equal(await codeOf(responses.next()), Code.Canceled);
      const reason = await aborted(signal);
      assert.equal((reason as ConnectError).code, Code.Canceled);
      const protocol = methodProtocol(EchoService.method.bidi);
      await waitFor(() => serverStreams(protocol) === 0, "the server to free the stream");
    });

    it("a signal aborted before the call starts fails it at once, sending nothing", async () => {
      // A pooled stream exists: the cancelled call would take it.
      await pair.echo.unary({ text: `before-${kind}` });
      const protocol = methodProtocol(EchoService.method.unary);
      const streams = pair.serverStreamIds(protocol);
      const never = `never-${kind}`;
      const code = await codeOf(pair.echo.unary({ text: never }, { signal: AbortSignal.abort() }));
      assert.equal(code, Code.Canceled);
      // The next call runs on the same stream; the server reads its calls in
      // order, so had the cancelled one been sent, it would have seen it first.
      assert.equal((await pair.echo.unary({ text: `after-${kind}` })).text, `after-${kind}`);
      assert.deepEqual(pair.serverStreamIds(protocol), streams, "the same stream, never reset");
      assert.equal(pair.probe.signals.has(never), false);
    });

    it("a failing request iterable fails the call and tells the server", async () => {
      const text = `broken-input-${kind}`;
      async function* broken() {
        yield { text };
        await waitFor(() => pair.probe.signals.has(text), "the first request to arrive");
        throw new ConnectError("producer broke", Code.DataLoss);
      }
      assert.equal(await codeOf(pair.echo.clientStream(broken())), Code.DataLoss);
      const signal = pair.probe.signals.get(text);
      assert.ok(signal);
      await aborted(signal);
    });
  });
}
