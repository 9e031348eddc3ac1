/**
 * p2prpc's wire format, for integrators: the frame codec that docs/PROTOCOL.md
 * specifies, to write a peer in another language's test harness, a proxy or
 * a fuzzer. Applications never need it: the transport and the server speak it.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder, FrameType } from "p2prpc/wire";
 *
 * const decoder = new FrameDecoder(4 * 1024 * 1024);
 * for (const item of decoder.push(encodeFrame(FrameType.Trailer))) {
 *   console.log(item.type); // FrameType.Trailer
 * }
 * ```
 *
 * @packageDocumentation
 */

export { WIRE_VERSION } from "./constants.ts";
export { encodeFrame } from "./wire/encode-frame.ts";
export type { DecodedItem, Frame } from "./wire/frame-decoder.ts";
export { FrameDecoder, FramingError } from "./wire/frame-decoder.ts";
export { FrameType } from "./wire/frame-type.ts";
