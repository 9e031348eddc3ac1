import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, methodProtocol } from "../../src/index.ts";
import { optimisticSelectionOf } from "../../src/libp2p.ts";
import { type Pair, startPair, TEST_CALL_TIMEOUT_MS, TRANSPORTS } from "../helpers/start-pair.ts";
import { codeOf, waitFor } from "../helpers/wait-for.ts";

const UNARY = methodProtocol(EchoService.method.unary);
const SERVER_STREAM = methodProtocol(EchoService.method.serverStream);

for (const kind of TRANSPORTS) {
  describe(`stream reuse over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
      await pair.stop();
    });

    const serverStreams = (protocol: string): number => pair.serverStreamIds(protocol).length;

    it("successive calls of a method share one negotiated stream", async () => {
      const echo = pair.connect();
      for (let i = 0; i < 50; i++) {
        assert.equal((await echo.unary({ text: `${i}` })).text, `${i}`);
      }
      for (let i = 0; i < 5; i++) {
        let count = 0;
        for await (const _ of echo.serverStream({ text: "s", repeat: 3 })) {
          count++;
        }
        assert.equal(count, 3);
      }
      assert.equal(serverStreams(UNARY), 1);
      assert.equal(serverStreams(SERVER_STREAM), 1);
    });

    it("a unary call's new stream is selected optimistically; a streaming call's in full", async () => {
      const fresh = await startPair(kind);
      try {
        assert.equal((await fresh.echo.unary({ text: "first" })).text, "first");
        for await (const _ of fresh.echo.serverStream({ text: "s", repeat: 1 })) {
          // drain
        }
        const clientStreams = (protocol: string) =>
          fresh.client
            .getConnections(fresh.server.peerId)
            .flatMap((connection) => connection.streams)
            .filter((stream) => stream.protocol === protocol);
        const [unary, ...moreUnary] = clientStreams(UNARY);
        assert.ok(unary !== undefined);
        assert.equal(moreUnary.length, 0, "the first call ran once, on one stream");
        assert.equal(optimisticSelectionOf(unary)?.confirmed, true);
        const [serverStream] = clientStreams(SERVER_STREAM);
        assert.ok(serverStream !== undefined);
        assert.equal(optimisticSelectionOf(serverStream), undefined);
        assert.equal(fresh.serverStreamIds(UNARY).length, 1);
      } finally {
        await fresh.stop();
      }
    });

    it("a unary call whose pooled stream the server closed as it left runs again on a new stream, not as a pool retry", async () => {
      const fresh = await startPair(kind);
      try {
        const transport = createLibp2pTransport({
          libp2p: fresh.client,
          peer: fresh.server.getMultiaddrs(),
          defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        });
        let retried = 0;
        transport.pool.addEventListener("call:retried", () => retried++);
        const echo = createClient(EchoService, transport);
        assert.equal((await echo.unary({ text: "first" })).text, "first");
        const [before] = fresh.serverStreamIds(UNARY);
        assert.ok(before !== undefined);
        // The server closes the idle stream; the client takes it from its pool
        // in the same turn, before the close arrives.
        for (const connection of fresh.server.getConnections(fresh.client.peerId)) {
          for (const stream of connection.streams) {
            if (stream.protocol === UNARY) {
              void stream.close().catch(() => {});
            }
          }
        }
        assert.equal((await echo.unary({ text: "second" })).text, "second");
        assert.equal(retried, 0, "the pool saw no failed attempt");
        await waitFor(
          () => !fresh.serverStreamIds(UNARY).includes(before),
          "the closed stream gone from the server",
        );
        assert.equal(fresh.serverStreamIds(UNARY).length, 1, "the call ran on one new stream");
      } finally {
        await fresh.stop();
      }
    });

    it("a call that failed with a status leaves its stream reusable", async () => {
      const echo = pair.connect();
      await echo.unary({ text: "first" });
      const before = serverStreams(UNARY);
      assert.equal(await codeOf(echo.unary({ failCode: Code.NotFound })), Code.NotFound);
      assert.equal(await codeOf(echo.unary({ throwText: "boom" })), Code.Internal);
      assert.equal((await echo.unary({ text: "again" })).text, "again");
      assert.equal(serverStreams(UNARY), before);
    });

    it("a cancelled call's stream is discarded, never reused", async () => {
      const echo = pair.connect();
      const earlier = new Set(pair.serverStreamIds(UNARY));
      await echo.unary({ text: "warm" });
      const [warm] = pair.serverStreamIds(UNARY).filter((id) => !earlier.has(id));
      assert.ok(warm !== undefined, "the warm-up call opened a stream");
      const controller = new AbortController();
      const call = echo.unary({ text: "hang", hang: true }, { signal: controller.signal });
      await waitFor(() => pair.probe.signals.has("hang"), "the handler to start");
      controller.abort();
      assert.equal(await codeOf(call), Code.Canceled);
      // The cancelled call ran on the warm-up stream: it is reset, and the
      // next call gets a fresh stream.
      await waitFor(() => !pair.serverStreamIds(UNARY).includes(warm), "the stream to be reset");
      assert.equal((await echo.unary({ text: "fresh" })).text, "fresh");
    });

    it("a burst of one method does not keep other methods out of the pool", async () => {
      const echo = pair.connect({ maxIdleStreams: 8 });
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          for await (const _response of echo.serverStream({ text: `burst ${i}`, repeat: 1 })) {
            // drain
          }
        }),
      );
      const before = new Set(pair.serverStreamIds(UNARY));
      const used = new Set<string>();
      for (let i = 0; i < 20; i++) {
        await echo.unary({ text: "after the burst" });
        for (const id of pair.serverStreamIds(UNARY)) {
          if (!before.has(id)) {
            used.add(id);
          }
        }
      }
      assert.equal(used.size, 1, "every unary call after the burst ran on one stream");
    });

    it("maxIdleStreams 0 opens and closes a stream per call", async () => {
      const echo = pair.connect({ maxIdleStreams: 0 });
      const before = serverStreams(UNARY);
      for (let i = 0; i < 5; i++) {
        await echo.unary({ text: "once" });
      }
      await waitFor(() => serverStreams(UNARY) === before, "per-call streams to close");
    });

    it("concurrent calls keep at most maxIdleStreams idle afterwards", async () => {
      const echo = pair.connect({ maxIdleStreams: 8 });
      const before = serverStreams(UNARY);
      await Promise.all(Array.from({ length: 40 }, (_, i) => echo.unary({ text: `${i}` })));
      await waitFor(() => serverStreams(UNARY) <= before + 8, "surplus streams to close");
    });
  });
}
