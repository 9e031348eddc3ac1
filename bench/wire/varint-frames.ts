/**
 * Unsigned-varint length-prefixed frames: the framing of the raw libp2p and
 * node:net baselines (the same prefix libp2p's `lpStream` uses).
 */
import * as varint from "uint8-varint";
import { concatFrames } from "../../src/wire/encode-frame.ts";
import type { StreamRequest } from "../systems/system-module.ts";

/** `payload` with its varint length prefix, in one new buffer. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const prefixLength = varint.encodingLength(payload.byteLength);
  const frame = new Uint8Array(prefixLength + payload.byteLength);
  varint.encodeUint8Array(payload.byteLength, frame, 0);
  frame.set(payload, prefixLength);
  return frame;
}

const EMPTY = new Uint8Array(0);

/** The frame that ends a raw server stream: an empty one. */
export const END_FRAME: Uint8Array = encodeFrame(EMPTY);

/**
 * Splits incoming chunks into frames and hands each body to `onFrame` as one
 * array, as an application needs it: a view when the body arrived in one
 * chunk, a copy joining the parts when it did not (as p2prpc's decoder does).
 */
export class FrameSplitter {
  readonly #onFrame: (body: Uint8Array) => void;
  /** Body length of the frame being read; -1 while reading a prefix. */
  #length = -1;
  #prefix = 0;
  #shift = 0;
  #have = 0;
  #parts: Uint8Array[] = [];

  constructor(onFrame: (body: Uint8Array) => void) {
    this.#onFrame = onFrame;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.#length < 0) {
        const byte = chunk[offset++] as number;
        this.#prefix += (byte & 0x7f) * 2 ** this.#shift;
        this.#shift += 7;
        if (byte < 0x80) {
          this.#length = this.#prefix;
          this.#prefix = 0;
          this.#shift = 0;
          this.#have = 0;
          if (this.#length === 0) {
            this.#emit();
          }
        } else if (this.#shift > 35) {
          throw new Error("frame length prefix too long");
        }
        continue;
      }
      const take = Math.min(this.#length - this.#have, chunk.byteLength - offset);
      this.#parts.push(chunk.subarray(offset, offset + take));
      this.#have += take;
      offset += take;
      if (this.#have === this.#length) {
        this.#emit();
      }
    }
  }

  #emit(): void {
    const body = this.#parts.length === 0 ? EMPTY : concatFrames(this.#parts);
    this.#parts = [];
    this.#length = -1;
    this.#onFrame(body);
  }
}

/** The raw ServerStream request: count, payload size, duration, hold; four uint32 BE. */
export function encodeStreamRequest(request: StreamRequest): Uint8Array {
  const body = new Uint8Array(16);
  const view = new DataView(body.buffer);
  view.setUint32(0, request.count);
  view.setUint32(4, request.payloadSize);
  view.setUint32(8, request.durationMs);
  view.setUint32(12, request.hold ? 1 : 0);
  return encodeFrame(body);
}

export function decodeStreamRequest(body: Uint8Array): StreamRequest {
  if (body.byteLength !== 16) {
    throw new Error(`stream request of ${body.byteLength} bytes, expected 16`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  return {
    count: view.getUint32(0),
    payloadSize: view.getUint32(4),
    durationMs: view.getUint32(8),
    hold: view.getUint32(12) === 1,
  };
}
