import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Libp2p, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { afterAll, beforeAll, describe, it } from "vitest";
import { TransferRequestSchema, TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { createRpcNode } from "../../src/index.ts";
import { methodProtocol } from "../../src/protocol-id.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import {
  type HostileServer,
  type ServerStats,
  startHostileServer,
} from "../helpers/hostile-server.ts";
import { requestHeaderFrame } from "../helpers/raw-call.ts";

/** Calls the peer opens and never reads. */
const CALLS = 40;
/** Each asks for this much: far more than any buffer on the way holds (40 × 640 MiB). */
const RESPOND_BYTES = 64 * 1024;
const RESPOND_COUNT = 10_000;
/** The calls' deadline. */
const DEADLINE_MS = 2000;
/** How late the server may end them: timers fire late on a loaded machine. */
const SLACK_MS = 4000;
const MiB = 1024 * 1024;
/**
 * Bound on the growth of the server's heap and ArrayBuffers while it
 * serves calls nobody reads (measured after a full collection): per call, what a stream holds before
 * its writer waits (a batch and the message being written, the muxer's
 * unsent rest), with room for a loaded machine. Measured: see
 * docs/RELIABILITY.md.
 */
const HEAP_BOUND_BYTES = 32 * MiB;

describe("a peer that never reads its responses, against a server process", () => {
  let server: HostileServer;
  let attacker: Libp2p;

  beforeAll(async () => {
    server = await startHostileServer();
    attacker = await createRpcNode({ listen: [] });
  });
  afterAll(async () => {
    await Promise.all([attacker?.stop(), server?.kill()]);
  });

  /** Polls the server until `condition` holds; fails after `limitMs`. */
  async function statsUntil(
    condition: (stats: ServerStats) => boolean,
    what: string,
    limitMs: number,
    seen: (stats: ServerStats) => void = () => {},
  ): Promise<ServerStats> {
    const until = performance.now() + limitMs;
    for (;;) {
      const stats = await server.stats();
      seen(stats);
      if (condition(stats)) {
        return stats;
      }
      assert.ok(
        performance.now() < until,
        `${what}: not within ${limitMs} ms (${JSON.stringify(stats)})`,
      );
    }
  }

  it("costs the server bounded memory, and its calls end when their deadline passes", {
    timeout: 60_000,
  }, async () => {
    const baseline = await server.stats();
    const request = encodeFrame(
      FrameType.Message,
      toBinary(
        TransferRequestSchema,
        create(TransferRequestSchema, { respondBytes: RESPOND_BYTES, respondCount: RESPOND_COUNT }),
      ),
    );
    const address = multiaddr(server.address);
    const protocol = methodProtocol(TransferService.method.download);
    const started = performance.now();
    const streams: Stream[] = await Promise.all(
      Array.from({ length: CALLS }, async () => {
        const stream = await attacker.dialProtocol(address, protocol);
        // Never read: a paused stream grants the server no more window.
        stream.pause();
        stream.send(
          concatFrames([
            requestHeaderFrame(DEADLINE_MS),
            request,
            encodeFrame(FrameType.EndOfInput),
          ]),
        );
        return stream;
      }),
    );
    let peakHeap = 0;
    let peakRss = 0;
    const track = (stats: ServerStats): void => {
      peakHeap = Math.max(peakHeap, stats.heapUsedBytes + stats.arrayBufferBytes);
      peakRss = Math.max(peakRss, stats.rssBytes);
    };
    await statsUntil(
      (stats) => stats.activeCalls + stats.endedCalls === CALLS,
      "every call started",
      10_000,
      track,
    );
    // Every call is held by flow control until its deadline; then the server ends it.
    const ended = await statsUntil(
      (stats) => stats.activeCalls === 0,
      "every call ended",
      DEADLINE_MS + SLACK_MS + 10_000,
      track,
    );
    const endedAfterMs = performance.now() - started;
    track(ended);
    const growth = peakHeap - baseline.heapUsedBytes - baseline.arrayBufferBytes;
    console.log(
      `slow reader: ${CALLS} calls, server heap and buffers +${(growth / MiB).toFixed(1)} MiB at most, ` +
        `RSS ${(baseline.rssBytes / MiB).toFixed(0)} -> ${(peakRss / MiB).toFixed(0)} MiB at most, ` +
        `calls ended ${(endedAfterMs - DEADLINE_MS).toFixed(0)} ms after the deadline`,
    );
    assert.ok(
      growth < HEAP_BOUND_BYTES,
      `heap and buffers grew by ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert.equal(ended.endedCalls, CALLS);
    assert.ok(
      endedAfterMs >= DEADLINE_MS,
      `calls ended after ${endedAfterMs} ms, before their deadline`,
    );
    assert.ok(endedAfterMs < DEADLINE_MS + SLACK_MS, `calls ended after ${endedAfterMs} ms`);
    for (const stream of streams) {
      stream.abort(new Error("done"));
    }
  });
});
