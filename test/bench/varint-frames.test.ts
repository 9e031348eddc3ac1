import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { encodeFrame, FrameSplitter } from "../../bench/wire/varint-frames.ts";

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 7 + seed) & 0xff);
}

/** Splits `chunks` and returns every body the splitter handed out, in order. */
function split(chunks: Uint8Array[]): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  const splitter = new FrameSplitter((body) => bodies.push(body));
  for (const chunk of chunks) {
    splitter.push(chunk);
  }
  return bodies;
}

describe("bench FrameSplitter (raw libp2p and node:net baselines)", () => {
  it("hands out a body that arrived in one chunk as a view of that chunk", () => {
    const body = bytes(300, 1);
    const chunk = encodeFrame(body);
    const [got] = split([chunk]);
    assert.deepEqual(got, body);
    assert.equal(got?.buffer, chunk.buffer);
  });

  it("joins a body split over chunks into one array with every byte", () => {
    const body = bytes(65_536, 2);
    const frame = encodeFrame(body);
    const parts = [frame.subarray(0, 1), frame.subarray(1, 40_000), frame.subarray(40_000)];
    const [got] = split(parts.map((part) => part.slice()));
    assert.equal(got?.byteLength, body.byteLength);
    assert.deepEqual(got, body);
  });

  it("splits several frames and an empty one from one chunk", () => {
    const first = bytes(5, 3);
    const second = bytes(200, 4);
    const chunk = new Uint8Array([
      ...encodeFrame(first),
      ...encodeFrame(new Uint8Array(0)),
      ...encodeFrame(second),
    ]);
    const bodies = split([chunk]);
    assert.deepEqual(bodies, [first, new Uint8Array(0), second]);
  });

  it("refuses a length prefix longer than five bytes", () => {
    const splitter = new FrameSplitter(() => {});
    assert.throws(() => splitter.push(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80])), {
      message: "frame length prefix too long",
    });
  });
});
