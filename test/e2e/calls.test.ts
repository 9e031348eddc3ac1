import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { EchoRequestSchema, EchoResponse } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { getRemotePeer, remotePeerKey } from "../../src/index.ts";
import { QueueIterable } from "../helpers/queue-iterable.ts";
import { type Pair, startPair, TRANSPORTS } from "../helpers/start-pair.ts";

type EchoInit = MessageInitShape<typeof EchoRequestSchema>;

async function* from(items: EchoInit[]): AsyncGenerator<EchoInit> {
  yield* items;
}

for (const kind of TRANSPORTS) {
  describe(`calls over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
      await pair.stop();
    });

    it("unary: echoes and sees the authenticated caller", async () => {
      const payload = new Uint8Array([1, 2, 3, 250]);
      const response = await pair.echo.unary({ text: "hello", payload });
      assert.equal(response.text, "hello");
      // TCP delivers Buffers: compare the bytes, not the class.
      assert.deepEqual(new Uint8Array(response.payload), payload);
      assert.equal(response.caller, pair.client.peerId.toString());
    });

    it("the peer may be named by PeerId, one multiaddr or its string form", async () => {
      const [address] = pair.server.getMultiaddrs();
      assert.ok(address);
      for (const peer of [pair.server.peerId, address, address.toString()]) {
        const response = await pair.connect({ peer }).unary({ text: "by name" });
        assert.equal(response.text, "by name");
      }
    });

    it("server streaming: every message, in order", async () => {
      const indexes: number[] = [];
      for await (const response of pair.echo.serverStream({ text: "count", repeat: 25 })) {
        indexes.push(response.index);
      }
      assert.deepEqual(
        indexes,
        Array.from({ length: 25 }, (_, i) => i),
      );
    });

    it("server streaming: zero messages is a valid answer", async () => {
      const received: EchoResponse[] = [];
      for await (const response of pair.echo.serverStream({ text: "none", repeat: 0 })) {
        received.push(response);
      }
      assert.equal(received.length, 0);
    });

    it("client streaming: the server sees every request", async () => {
      const texts = Array.from({ length: 40 }, (_, i) => `n${i}`);
      const response = await pair.echo.clientStream(from(texts.map((text) => ({ text }))));
      assert.equal(response.index, 40);
      assert.equal(response.text, texts.join(","));
    });

    it("client streaming: an empty input is a valid call", async () => {
      const response = await pair.echo.clientStream(from([]));
      assert.equal(response.index, 0);
    });

    it("bidi: every request answered in order", async () => {
      const texts = ["a", "b", "c", "d"];
      const answers: string[] = [];
      for await (const response of pair.echo.bidi(from(texts.map((text) => ({ text }))))) {
        answers.push(response.text);
      }
      assert.deepEqual(answers, texts);
    });

    it("bidi: a long interleaved ping-pong", async () => {
      const requests = new QueueIterable<EchoInit>();
      const responses = pair.echo.bidi(requests)[Symbol.asyncIterator]();
      for (let round = 0; round < 300; round++) {
        requests.push({ text: `ping ${round}` });
        const next = await responses.next();
        assert.equal(next.done, false);
        assert.equal((next.value as EchoResponse).text, `ping ${round}`);
        assert.equal((next.value as EchoResponse).index, round);
      }
      requests.end();
      assert.equal((await responses.next()).done, true);
    });

    it("bidi: the server may answer and finish before the client ends its input", async () => {
      const requests = new QueueIterable<EchoInit>();
      requests.push({ text: "first" });
      requests.push({ text: "stop" });
      const answers: string[] = [];
      for await (const response of pair.echo.bidi(requests)) {
        answers.push(response.text);
      }
      // The client never ended its input: the call still completed cleanly.
      assert.deepEqual(answers, ["first", "stopped"]);
      const after = await pair.echo.unary({ text: "still fine" });
      assert.equal(after.text, "still fine");
    });

    it("metadata: request headers in, response headers and trailers out", async () => {
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      await pair.echo.unary(
        { text: "meta" },
        {
          headers: { "x-request": "from-client" },
          onHeader: (h) => {
            header = h;
          },
          onTrailer: (t) => {
            trailer = t;
          },
        },
      );
      assert.equal(header?.get("x-header"), "from-client");
      assert.equal(trailer?.get("x-trailer"), "unary");
    });

    it("metadata: streaming headers and trailers reach onHeader/onTrailer", async () => {
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      const stream = pair.echo.serverStream(
        { text: "meta-stream", repeat: 2 },
        {
          onHeader: (h) => {
            header = h;
          },
          onTrailer: (t) => {
            trailer = t;
          },
        },
      );
      for await (const _ of stream) {
        // drain
      }
      assert.equal(header?.get("x-header"), "stream");
      assert.equal(trailer?.get("x-trailer"), "stream");
    });

    it("interceptors run on both sides", async () => {
      const seen: string[] = [];
      const clientInterceptor: Interceptor = (next) => async (req) => {
        req.header.set("x-request", "intercepted");
        seen.push(`client:${req.method.name}`);
        return next(req);
      };
      const serverInterceptor: Interceptor = (next) => async (req) => {
        const peer = req.contextValues.get(remotePeerKey);
        seen.push(`server:${req.method.name}:${peer?.peerId.toString()}`);
        return next(req);
      };
      const intercepted = await startPair(kind, {
        server: { interceptors: [serverInterceptor] },
        client: { interceptors: [clientInterceptor] },
      });
      try {
        let header: Headers | undefined;
        await intercepted.echo.unary({ text: "i" }, { onHeader: (h) => (header = h) });
        assert.equal(header?.get("x-header"), "intercepted");
        assert.deepEqual(seen, [
          "client:Unary",
          `server:Unary:${intercepted.client.peerId.toString()}`,
        ]);
      } finally {
        await intercepted.stop();
      }
    });
  });
}

describe("getRemotePeer", () => {
  it("throws outside a p2prpc call", () => {
    const values = { get: () => undefined } as unknown as Parameters<
      typeof getRemotePeer
    >[0]["values"];
    assert.throws(() => getRemotePeer({ values }));
  });
});
