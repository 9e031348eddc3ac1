import assert from "node:assert/strict";
import type { Stream } from "@libp2p/interface";
import { afterEach, describe, it } from "vitest";
import { DEFAULT_READ_HIGH_WATER_MARK_BYTES } from "../../src/constants.ts";
import { encodeFrame } from "../../src/wire/encode-frame.ts";
import type { DecodedItem } from "../../src/wire/frame-decoder.ts";
import { FrameReader } from "../../src/wire/frame-reader.ts";
import { FrameType } from "../../src/wire/frame-type.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { type YamuxStreamPair, yamuxStreamPair } from "../helpers/yamux-pair.ts";

const MiB = 1024 * 1024;
const READ_LIMIT_MS = 5000;

/** `promise`, or a rejection after `READ_LIMIT_MS`: a stalled read fails the test. */
function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${READ_LIMIT_MS} ms`)),
      READ_LIMIT_MS,
    );
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Sends `frame` as the sender of a call does: waiting for the stream to drain when full. */
async function sendAll(stream: Stream, frame: Uint8Array): Promise<void> {
  if (!stream.send(frame)) {
    await new Promise((resolve) => stream.addEventListener("drain", resolve, { once: true }));
  }
}

function bodyOf(item: DecodedItem | undefined): Uint8Array {
  assert.ok(item !== undefined && item.type !== "oversize");
  return item.body;
}

describe("FrameReader", () => {
  let pair: YamuxStreamPair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it("completes a frame larger than its high-water mark while a read waits for it", async () => {
    pair = await yamuxStreamPair();
    const reader = new FrameReader(pair.inbound, { maxPayloadBytes: 4 * MiB });
    const body = new Uint8Array(3 * MiB).fill(7);
    const read = reader.read();
    const sent = sendAll(pair.outbound, encodeFrame(FrameType.Message, body));
    assert.deepEqual(bodyOf(await within(read, "the large frame")), body);
    await within(sent, "the sender");
  });

  it("resumes a paused stream when a read waits for a frame it holds only the start of", async () => {
    pair = await yamuxStreamPair();
    const reader = new FrameReader(pair.inbound, { maxPayloadBytes: 4 * MiB });
    const small = new Uint8Array(DEFAULT_READ_HIGH_WATER_MARK_BYTES + 1).fill(1);
    const large = new Uint8Array(2 * MiB).fill(2);
    // Nobody reads: past the high-water mark the reader pauses, mid-way through `large`.
    const sent = (async () => {
      await sendAll(pair.outbound, encodeFrame(FrameType.Message, small));
      await sendAll(pair.outbound, encodeFrame(FrameType.Message, large));
    })();
    await waitFor(() => pair?.inbound.readStatus === "paused", "the reader to pause");
    assert.deepEqual(bodyOf(await within(reader.read(), "the first frame")), small);
    assert.deepEqual(bodyOf(await within(reader.read(), "the second frame")), large);
    await within(sent, "the sender");
  });

  it("still pauses a stream nobody reads, which holds the sender back", async () => {
    pair = await yamuxStreamPair();
    const { inbound, outbound } = pair;
    const reader = new FrameReader(inbound, { maxPayloadBytes: 4 * MiB });
    const frame = encodeFrame(FrameType.Message, new Uint8Array(64 * 1024));
    const frames = 640; // 40 MiB: more than Yamux's largest window (16 MiB) and the high-water mark
    let sent = 0;
    const sender = (async () => {
      for (; sent < frames; sent++) {
        await sendAll(outbound, frame);
      }
    })();
    await waitFor(() => inbound.readStatus === "paused", "the reader to pause");
    assert.ok(sent < frames, "the sender was held back");
    let read = 0;
    while (read < frames) {
      bodyOf(await within(reader.read(), `frame ${read}`));
      read++;
    }
    await within(sender, "the sender");
  });
});
