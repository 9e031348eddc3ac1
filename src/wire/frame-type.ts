/**
 * The kind of a frame: the first byte of every frame's payload.
 * See docs/PROTOCOL.md for which side sends which, and when.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameType } from "p2prpc/wire";
 *
 * encodeFrame(FrameType.EndOfInput); // Uint8Array [0x01, 0x04]
 * ```
 */
export const FrameType = {
  /** Client to server, first frame of a call: a `p2prpc.wire.v1.RequestHeader`. */
  RequestHeader: 0x01,
  /** Server to client, before any message: a `p2prpc.wire.v1.ResponseHeader`. */
  ResponseHeader: 0x02,
  /** Either direction: one serialized protobuf message. */
  Message: 0x03,
  /** Client to server: no more messages in this call. Empty body. */
  EndOfInput: 0x04,
  /** Server to client, last frame of a call: a `p2prpc.wire.v1.Trailer`. */
  Trailer: 0x05,
} as const;

/** One of the {@link FrameType} values. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
