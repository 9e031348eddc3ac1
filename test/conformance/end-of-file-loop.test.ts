import assert from "node:assert/strict";
import type { Libp2p } from "@libp2p/interface";
import { afterAll, beforeAll, describe, it } from "vitest";
import { conformanceRoutes } from "../../conformance/conformance-service.ts";
import { END_OF_INPUT, requestHeader, requestMessage } from "../../conformance/frames.ts";
import { RawStream } from "../../conformance/raw-stream.ts";
import { ConformanceService } from "../../gen/p2prpc/conformance/v1/conformance_pb.ts";
import { createRpcNode, methodProtocol, rpcServer } from "../../src/index.ts";
import { listenFor, type TransportKind } from "../helpers/start-pair.ts";

const RUNS = 200;
const UNARY = methodProtocol(ConformanceService.method.unary);
const CLIENT_STREAM = methodProtocol(ConformanceService.method.clientStream);

/**
 * PROTOCOL.md 5.2: end-of-file in the middle of a call cancels it: no
 * TRAILER, a reset. Before the fix the outcome depended on whether the end
 * arrived before the server had started the call (then it answered a
 * Canceled TRAILER): a race, so the same call runs 200 times in a row.
 */
for (const kind of ["memory", "tcp", "quic"] as const satisfies TransportKind[]) {
  describe(`end-of-file in the middle of a call, ${RUNS} runs over ${kind}`, () => {
    let server: Libp2p;
    let client: Libp2p;
    beforeAll(async () => {
      server = await createRpcNode({
        listen: listenFor(kind),
        services: { rpc: rpcServer({ routes: conformanceRoutes }) },
      });
      client = await createRpcNode({ listen: kind === "memory" ? listenFor(kind) : [] });
      await client.dial(server.getMultiaddrs());
    });
    afterAll(async () => {
      await Promise.all([client.stop(), server.stop()]);
    });

    // QUIC delivers the server's reset as a clean end (LIBP2P-V3-NOTES.md).
    const ends = kind === "quic" ? ["reset", "clean"] : ["reset"];

    async function outcomes(protocol: string, frames: Uint8Array[]): Promise<Map<string, number>> {
      const seen = new Map<string, number>();
      for (let run = 0; run < RUNS; run++) {
        const raw = await RawStream.open(
          client,
          server.peerId,
          protocol,
          AbortSignal.timeout(5000),
        );
        raw.send(...frames);
        await raw.closeWrite();
        const timer = setTimeout(() => raw.stream.abort(new Error("no outcome within 5 s")), 5000);
        const { frames: answer, end } = await raw.outcome();
        clearTimeout(timer);
        const key = `${answer.map((item) => item.type).join(",")}|${ends.includes(end) ? "reset" : end}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      return seen;
    }

    it("a unary request without END_OF_INPUT: never a TRAILER, always a reset", async () => {
      const seen = await outcomes(UNARY, [requestHeader(), requestMessage({ text: "no end" })]);
      assert.deepEqual([...seen], [["|reset", RUNS]]);
    });

    it("a client stream cut after its header or a message: never a TRAILER, always a reset", async () => {
      assert.deepEqual([...(await outcomes(CLIENT_STREAM, [requestHeader()]))], [["|reset", RUNS]]);
      const frames = [requestHeader(), requestMessage({ text: "a" })];
      assert.deepEqual([...(await outcomes(CLIENT_STREAM, frames))], [["|reset", RUNS]]);
    });

    it("the connection serves a call afterwards", async () => {
      const raw = await RawStream.open(client, server.peerId, UNARY, AbortSignal.timeout(5000));
      raw.send(requestHeader({ timeoutMs: 5000 }), requestMessage({ text: "after" }), END_OF_INPUT);
      const { trailer } = await raw.readTrailer();
      assert.equal(trailer.code, 0);
    });
  });
}
