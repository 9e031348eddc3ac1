import assert from "node:assert/strict";
import { quic } from "@chainsafe/libp2p-quic";
import type { Libp2p, Stream, StreamMuxerFactory, Transport } from "@libp2p/interface";
import { createLibp2p } from "libp2p";
import { afterEach, describe, it } from "vitest";
import { quicReadBackpressure } from "../../src/libp2p.ts";
import { fallbackReporter } from "../../src/node/fallback-reporter.ts";
import {
  NATIVE_READ_BYTES,
  withQuicReadBackpressure,
} from "../../src/node/quic-read-backpressure.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { within } from "../helpers/within.ts";

const PROTOCOL = "/p2prpc-test/quic-pause/1.0.0";
const MiB = 1024 * 1024;
/** Above libp2p's read buffer limit for a paused stream (4 MiB), below QUIC's stream window (10 MB). */
const SENT_BYTES = 8 * MiB;
const CHUNK = new Uint8Array(64 * 1024).fill(5);

async function node(
  transport: (components: never) => Transport,
  listen: string[],
): Promise<Libp2p> {
  return createLibp2p({ addresses: { listen }, transports: [transport as never] });
}

/** Sends `SENT_BYTES`, waiting for `drain` when told to; resolves with the bytes sent. */
async function flood(stream: Stream, progress: { sent: number }): Promise<void> {
  while (progress.sent < SENT_BYTES) {
    if (!stream.send(CHUNK)) {
      await new Promise((resolve) => stream.addEventListener("drain", resolve, { once: true }));
    }
    progress.sent += CHUNK.byteLength;
  }
}

/** A server whose handler pauses each stream at once and hands it to the test. */
async function pausingServer(
  transport: (components: never) => Transport,
): Promise<{ server: Libp2p; inbound: Promise<Stream> }> {
  const server = await node(transport, ["/ip4/127.0.0.1/udp/0/quic-v1"]);
  const inbound = Promise.withResolvers<Stream>();
  await server.handle(PROTOCOL, (stream) => {
    stream.pause();
    inbound.resolve(stream);
  });
  return { server, inbound: inbound.promise };
}

describe("quicReadBackpressure", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  it("canary: a paused stream of plain @chainsafe/libp2p-quic still reads, and is reset past its buffer", async () => {
    const { server, inbound } = await pausingServer(quic());
    const client = await node(quic(), []);
    nodes.push(server, client);
    const stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL);
    const progress = { sent: 0 };
    flood(stream, progress).catch(() => {});
    const paused = await inbound;
    const closed = await new Promise<Event & { error?: Error }>((resolve) =>
      paused.addEventListener("close", resolve, { once: true }),
    );
    // When this fails, upstream pauses QUIC reads itself and the wrapper can go.
    assert.equal(closed.error?.name, "StreamBufferError");
  });

  it("a paused stream stops reading, holds the sender in QUIC's window, and loses nothing", async () => {
    const { server, inbound } = await pausingServer(quicReadBackpressure(quic()));
    const client = await node(quic(), []);
    nodes.push(server, client);
    const stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL);
    const progress = { sent: 0 };
    const sending = flood(stream, progress);
    const paused = await inbound;
    let received = 0;
    paused.addEventListener("message", (event) => {
      received += event.data.byteLength;
    });
    // Everything is written into QUIC's 10 MB window while the reader is paused...
    await sending;
    await waitFor(() => paused.readBufferLength > 0, "the read under way to arrive");
    // ...and only the one read that was under way reached JavaScript.
    assert.ok(
      paused.readBufferLength <= NATIVE_READ_BYTES,
      `${paused.readBufferLength} bytes read while paused`,
    );
    assert.equal(paused.status, "open");
    paused.resume();
    await waitFor(() => received === SENT_BYTES, "every byte after resume()");
  });

  it("reads up to 64 KiB at a time where plain QUIC reads 4 KiB", async () => {
    const largest = async (transport: (components: never) => Transport): Promise<number> => {
      const server = await node(transport, ["/ip4/127.0.0.1/udp/0/quic-v1"]);
      const client = await node(quic(), []);
      nodes.push(server, client);
      const done = Promise.withResolvers<number>();
      await server.handle(PROTOCOL, (stream) => {
        let max = 0;
        let total = 0;
        stream.addEventListener("message", (event) => {
          max = Math.max(max, event.data.byteLength);
          total += event.data.byteLength;
          if (total === 16 * CHUNK.byteLength) {
            done.resolve(max);
          }
        });
      });
      const stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL, {
        signal: AbortSignal.timeout(5000),
      });
      const progress = { sent: 0 };
      for (let i = 0; i < 16; i++) {
        if (!stream.send(CHUNK)) {
          await new Promise((resolve) => stream.addEventListener("drain", resolve, { once: true }));
        }
        progress.sent += CHUNK.byteLength;
      }
      return within(done.promise, "the 1 MiB to arrive", 5000);
    };
    assert.equal(await largest(quic()), 4096, "plain QUIC reads 4 KiB at a time (canary)");
    const wrapped = await largest(quicReadBackpressure(quic()));
    assert.ok(wrapped > 4096 && wrapped <= NATIVE_READ_BYTES, `largest read ${wrapped} bytes`);
  });

  it("leaves a muxer factory that is not QUIC's as it is, and logs that once", () => {
    const log = captureWrapperLog();
    const report = fallbackReporter("quicReadBackpressure", log.logger);
    for (let connection = 0; connection < 2; connection++) {
      const factory = { protocol: "/other", createStreamMuxer: () => undefined } as unknown;
      assert.equal(withQuicReadBackpressure(factory as StreamMuxerFactory, report), factory);
    }
    assert.equal(log.linesOf("quicReadBackpressure").length, 1);
  });
});
