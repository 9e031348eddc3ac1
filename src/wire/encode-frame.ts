import * as varint from "uint8-varint";
import type { FrameType } from "./frame-type.ts";

const EMPTY = new Uint8Array(0);

/**
 * Encodes one frame: `varint(1 + body.length) || type || body`, the
 * it-length-prefixed framing with the frame type as the payload's first byte.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameType } from "p2prpc";
 *
 * encodeFrame(FrameType.Message, new Uint8Array([0x0a, 0x01, 0x41]));
 * // Uint8Array [0x04, 0x03, 0x0a, 0x01, 0x41]
 * ```
 */
export function encodeFrame(type: FrameType, body: Uint8Array = EMPTY): Uint8Array {
  const payloadLength = body.byteLength + 1;
  const prefixLength = varint.encodingLength(payloadLength);
  const frame = new Uint8Array(prefixLength + payloadLength);
  varint.encodeUint8Array(payloadLength, frame, 0);
  frame[prefixLength] = type;
  frame.set(body, prefixLength + 1);
  return frame;
}

/** Joins encoded frames into one buffer, so they leave in one write. */
export function concatFrames(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1) {
    return frames[0] as Uint8Array;
  }
  let length = 0;
  for (const frame of frames) {
    length += frame.byteLength;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.byteLength;
  }
  return out;
}
