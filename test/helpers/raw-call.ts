import { create, toBinary } from "@bufbuild/protobuf";
import { RequestHeaderSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { encodeFrame } from "../../src/wire/encode-frame.ts";
import { FrameType } from "../../src/wire/frame-type.ts";

/** A stream spoken to frame by frame, below the client, to test the server. */
export { RawStream } from "../../conformance/raw-stream.ts";

/** Encodes a REQUEST_HEADER frame by hand. */
export function requestHeaderFrame(timeoutMs?: number): Uint8Array {
  const header = create(RequestHeaderSchema, {});
  if (timeoutMs !== undefined) {
    header.timeoutMs = timeoutMs;
  }
  return encodeFrame(FrameType.RequestHeader, toBinary(RequestHeaderSchema, header));
}
