import * as varint from "uint8-varint";
import { Uint8ArrayList } from "uint8arraylist";
import { COPY_BODY_MAX_BYTES } from "../constants.ts";
import { FrameType } from "./frame-type.ts";

const EMPTY = new Uint8Array(0);

/**
 * Encodes one frame: `varint(1 + body.length) || type || body`, the
 * it-length-prefixed framing with the frame type as the payload's first byte.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameType } from "p2prpc/wire";
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

/** The END_OF_INPUT frame (it has no body). */
export const END_OF_INPUT_FRAME: Uint8Array = encodeFrame(FrameType.EndOfInput);

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

/**
 * One frame as the two parts to send: its header (length prefix and type),
 * then the body itself, uncopied. `joinParts` copies small parts into one
 * buffer when they are sent and keeps large bodies by reference, so a body
 * is copied at most once on its way to the stream.
 */
export function frameParts(type: FrameType, body: Uint8Array): [Uint8Array, Uint8Array] {
  return [frameHead(type, body.byteLength), body];
}

/** A frame's head: the length prefix and the type byte that come before a body of `bodyBytes`. */
export function frameHead(type: FrameType, bodyBytes: number): Uint8Array {
  const payloadLength = bodyBytes + 1;
  const prefixLength = varint.encodingLength(payloadLength);
  const head = new Uint8Array(prefixLength + 1);
  varint.encodeUint8Array(payloadLength, head, 0);
  head[prefixLength] = type;
  return head;
}

/**
 * Joins parts for one `send()`: runs of small parts are copied into one
 * buffer (a list of thousands of tiny chunks is slow, and once broke
 * uint8arraylist), large parts are kept by reference.
 */
export function joinParts(parts: readonly Uint8Array[]): Uint8Array | Uint8ArrayList {
  if (!parts.some((part) => part.byteLength >= COPY_BODY_MAX_BYTES)) {
    return concatFrames(parts);
  }
  const list = new Uint8ArrayList();
  let run: Uint8Array[] = [];
  for (const part of parts) {
    if (part.byteLength >= COPY_BODY_MAX_BYTES) {
      if (run.length > 0) {
        list.append(concatFrames(run));
        run = [];
      }
      list.append(part);
    } else {
      run.push(part);
    }
  }
  if (run.length > 0) {
    list.append(concatFrames(run));
  }
  return list;
}
