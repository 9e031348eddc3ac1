import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { RequestHeaderSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { MAX_TIMEOUT_MS } from "../constants.ts";
import { encodeFrame } from "../wire/encode-frame.ts";
import { encodedBodyBytes, encodedFrameParts, encodeMessageFrame } from "../wire/encode-message.ts";
import { FrameType } from "../wire/frame-type.ts";
import { headersToMetadata } from "../wire/metadata.ts";
import type { ClientCallOptions } from "./client-call-options.ts";

/** REQUEST_HEADER without metadata or timeout. */
const EMPTY_REQUEST_HEADER = encodeFrame(FrameType.RequestHeader);

/** Encodes the REQUEST_HEADER frame; the timeout is what remains until `deadline`. */
export function encodeRequestHeader(header: Headers, deadline: number | undefined): Uint8Array {
  const metadata = headersToMetadata(header);
  if (metadata.length === 0 && deadline === undefined) {
    return EMPTY_REQUEST_HEADER;
  }
  const body = create(RequestHeaderSchema, { metadata });
  if (deadline !== undefined) {
    body.timeoutMs = Math.max(0, Math.min(MAX_TIMEOUT_MS, Math.ceil(deadline - Date.now())));
  }
  return encodeFrame(FrameType.RequestHeader, toBinary(RequestHeaderSchema, body));
}

/**
 * Encodes a request message as its MESSAGE frame's parts (head and body, or
 * the whole frame in one part, see `encodeMessageFrame`); throws
 * ResourceExhausted when it is over the client's own write limit.
 */
export function requestMessageParts<I extends DescMessage>(
  schema: I,
  message: MessageShape<I>,
  options: ClientCallOptions,
): readonly Uint8Array[] {
  const encoded = encodeMessageFrame(FrameType.Message, schema, message, options.binaryOptions);
  const bodyBytes = encodedBodyBytes(encoded);
  if (bodyBytes > options.writeMaxBytes) {
    throw new ConnectError(
      `request message of ${bodyBytes} bytes exceeds the limit of ${options.writeMaxBytes} bytes`,
      Code.ResourceExhausted,
    );
  }
  return encodedFrameParts(FrameType.Message, encoded);
}
