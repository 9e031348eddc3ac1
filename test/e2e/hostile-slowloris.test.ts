import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { afterAll, beforeAll, describe, it } from "vitest";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import { RequestHeaderSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { createLibp2pTransport, createRpcNode } from "../../src/index.ts";
import { methodProtocol } from "../../src/protocol-id.ts";
import { encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { type HostileServer, startHostileServer } from "../helpers/hostile-server.ts";
import { RawStream, requestHeaderFrame } from "../helpers/raw-call.ts";

/** The server's header timeout in these tests: short, so they end fast. */
const HEADER_TIMEOUT_MS = 1000;
/** How late a reset may come: timers fire late on a loaded machine (2 cores, shared). */
const SLACK_MS = 4000;
/** How much earlier than the timeout the client may see the reset (it starts its clock after the server). */
const EARLY_MS = 200;
const EXCHANGE = methodProtocol(TransferService.method.exchange);
const UPLOAD = methodProtocol(TransferService.method.upload);

/** A REQUEST_HEADER with enough metadata that sending it byte by byte takes a while. */
const LONG_HEADER = encodeFrame(
  FrameType.RequestHeader,
  toBinary(
    RequestHeaderSchema,
    create(RequestHeaderSchema, {
      metadata: [{ key: "x-slowloris", value: "a header sent one byte at a time" }],
      timeoutMs: 30_000,
    }),
  ),
);
const EXCHANGE_REQUEST = encodeFrame(FrameType.Message, new Uint8Array([0x0a, 0x01, 0x07]));
const END_OF_INPUT = encodeFrame(FrameType.EndOfInput);

/** How the stream ended and when, or a failure once the timeout and slack have passed. */
async function endOf(raw: RawStream, sinceMs: number): Promise<{ end: string; afterMs: number }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("the server kept the stream open past its header timeout")),
      2 * HEADER_TIMEOUT_MS + SLACK_MS,
    );
  });
  try {
    const outcome = await Promise.race([raw.outcome(), limit]);
    assert.equal(outcome.frames.length, 0, "the server answered nothing");
    return { end: outcome.end, afterMs: performance.now() - sinceMs };
  } finally {
    clearTimeout(timer);
  }
}

describe("slowloris against a server process", () => {
  let server: HostileServer;
  let attacker: Libp2p;
  let client: Libp2p;
  const open = (): Promise<RawStream> =>
    RawStream.open(attacker, multiaddr(server.address), EXCHANGE);
  /** A well-behaved peer's call, checked by content. */
  async function wellBehavedCall(): Promise<void> {
    const transfer = createClient(
      TransferService,
      createLibp2pTransport({ libp2p: client, peer: server.address, defaultTimeoutMs: 10_000 }),
    );
    const answer = await transfer.exchange({ data: new Uint8Array([1, 2, 3]) });
    assert.equal(answer.receivedMessages, 1);
  }

  beforeAll(async () => {
    server = await startHostileServer({ headerTimeoutMs: HEADER_TIMEOUT_MS });
    attacker = await createRpcNode({ listen: [] });
    client = await createRpcNode({ listen: [] });
  });
  afterAll(async () => {
    await Promise.all([attacker?.stop(), client?.stop(), server?.kill()]);
  });

  it("a stream that negotiates a method and never sends a header is reset after the header timeout", async () => {
    const raw = await open();
    const { end, afterMs } = await endOf(raw, performance.now());
    assert.equal(end, "reset");
    assert.ok(afterMs >= HEADER_TIMEOUT_MS - EARLY_MS, `reset after ${afterMs} ms, too early`);
    assert.ok(afterMs < HEADER_TIMEOUT_MS + SLACK_MS, `reset after ${afterMs} ms`);
    await wellBehavedCall();
  });

  it("a header sent one byte every 200 ms is reset after the header timeout, before it is whole", async () => {
    const raw = await open();
    const started = performance.now();
    let sent = 0;
    // The attack's own pace, not a synchronisation: a byte every 200 ms.
    const drip = setInterval(() => {
      if (sent < LONG_HEADER.byteLength && raw.stream.status === "open") {
        raw.send(LONG_HEADER.subarray(sent, sent + 1));
        sent++;
      }
    }, 200);
    try {
      const { end, afterMs } = await endOf(raw, started);
      assert.equal(end, "reset");
      assert.ok(afterMs >= HEADER_TIMEOUT_MS - EARLY_MS, `reset after ${afterMs} ms, too early`);
      assert.ok(afterMs < HEADER_TIMEOUT_MS + SLACK_MS, `reset after ${afterMs} ms`);
      assert.ok(sent > 0 && sent < LONG_HEADER.byteLength, `${sent} bytes sent`);
    } finally {
      clearInterval(drip);
    }
    await wellBehavedCall();
  });

  it("between calls an idle stream is not timed, but a header that has begun is", async () => {
    const raw = await open();
    raw.send(requestHeaderFrame(10_000), EXCHANGE_REQUEST, END_OF_INPUT);
    assert.equal((await raw.readTrailer()).trailer.code, 0);
    // Idle for more than two header timeouts (the subject of the test, not a
    // synchronisation): a client's pooled stream must survive that.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * HEADER_TIMEOUT_MS));
    assert.equal(raw.remoteEnded, false, "the server closed an idle stream between calls");
    raw.send(requestHeaderFrame(10_000), EXCHANGE_REQUEST, END_OF_INPUT);
    assert.equal((await raw.readTrailer()).trailer.code, 0);
    // The first byte of a header, then nothing: reset within one to two timeouts.
    raw.send(LONG_HEADER.subarray(0, 1));
    const { end, afterMs } = await endOf(raw, performance.now());
    assert.equal(end, "reset");
    assert.ok(afterMs >= HEADER_TIMEOUT_MS - EARLY_MS, `reset after ${afterMs} ms, too early`);
    assert.ok(afterMs < 2 * HEADER_TIMEOUT_MS + SLACK_MS, `reset after ${afterMs} ms`);
    await wellBehavedCall();
  });

  it("a header that begins after a call longer than the header timeout is still timed", async () => {
    const raw = await RawStream.open(attacker, multiaddr(server.address), UPLOAD);
    raw.send(requestHeaderFrame(10_000), EXCHANGE_REQUEST);
    // The call stays open for more than two header timeouts (the subject of
    // the test, not a synchronisation): the stream's timer runs out while
    // nothing waits for a header, and must run again for the next one.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * HEADER_TIMEOUT_MS));
    raw.send(END_OF_INPUT);
    assert.equal((await raw.readTrailer()).trailer.code, 0);
    raw.send(LONG_HEADER.subarray(0, 1));
    const { end, afterMs } = await endOf(raw, performance.now());
    assert.equal(end, "reset");
    assert.ok(afterMs < 2 * HEADER_TIMEOUT_MS + SLACK_MS, `reset after ${afterMs} ms`);
    await wellBehavedCall();
  });
});
