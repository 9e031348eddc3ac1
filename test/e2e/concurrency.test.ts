import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { noise } from "@libp2p/noise";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p } from "libp2p";
import { afterAll, beforeAll, describe, it } from "vitest";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import { createLibp2pTransport, createRpcNode, rpcServer } from "../../src/index.ts";
import { createEchoProbe, echoImpl } from "../helpers/echo-service.ts";
import { type Pair, startPair, TEST_CALL_TIMEOUT_MS, TRANSPORTS } from "../helpers/start-pair.ts";

const CALLS = 256;

for (const kind of TRANSPORTS) {
  describe(`concurrency over ${kind}`, () => {
    let pair: Pair;
    beforeAll(async () => {
      pair = await startPair(kind);
    });
    afterAll(async () => {
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

describe("a server on libp2p's default limits", () => {
  it("serves 256 concurrent calls started right after the first dial (yamux allows 10 early streams)", async () => {
    const probe = createEchoProbe();
    const server = await createLibp2p({
      addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        rpc: rpcServer({ routes: (router) => router.service(EchoService, echoImpl(probe)) }),
      },
    });
    const client = await createRpcNode({ listen: [] });
    try {
      const echo = createClient(
        EchoService,
        createLibp2pTransport({
          libp2p: client,
          peer: server.getMultiaddrs(),
          defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        }),
      );
      const responses = await Promise.all(
        Array.from({ length: CALLS }, (_, i) => echo.unary({ text: `early ${i}` })),
      );
      assert.deepEqual(
        responses.map((response) => response.text),
        Array.from({ length: CALLS }, (_, i) => `early ${i}`),
      );
      assert.equal(client.getConnections(server.peerId).length, 1);
    } finally {
      await Promise.all([client.stop(), server.stop()]);
    }
  });
});
