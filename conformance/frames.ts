import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  ConformanceRequestSchema,
  ConformanceResponseSchema,
} from "../gen/p2prpc/conformance/v1/conformance_pb.ts";
import {
  MetadataEntrySchema,
  RequestHeaderSchema,
  ResponseHeaderSchema,
  TrailerSchema,
} from "../gen/p2prpc/wire/v1/wire_pb.ts";
import { encodeFrame } from "../src/wire/encode-frame.ts";
import { FrameType } from "../src/wire/frame-type.ts";

/** Metadata as the wire carries it: an ordered list of entries, keys may repeat. */
export type RawMetadata = readonly (readonly [key: string, value: string])[];

/** A field no version of wire.proto defines (number 15, varint 1): receivers must ignore it. */
export const UNKNOWN_FIELD = Uint8Array.of(0x78, 0x01);

const entries = (metadata: RawMetadata = []) =>
  metadata.map(([key, value]) => create(MetadataEntrySchema, { key, value }));

const join = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
};

/** What a hand-made header or trailer may carry. */
export interface HeaderInit {
  readonly metadata?: RawMetadata;
  /** Appends a field unknown to wire.proto to the body. */
  readonly unknownField?: boolean;
}

/** A REQUEST_HEADER frame, built by hand. */
export function requestHeader(init: HeaderInit & { readonly timeoutMs?: number } = {}): Uint8Array {
  const header = create(RequestHeaderSchema, { metadata: entries(init.metadata) });
  if (init.timeoutMs !== undefined) {
    header.timeoutMs = init.timeoutMs;
  }
  const body = toBinary(RequestHeaderSchema, header);
  return encodeFrame(FrameType.RequestHeader, init.unknownField ? join(body, UNKNOWN_FIELD) : body);
}

/** A RESPONSE_HEADER frame, built by hand. */
export function responseHeader(init: HeaderInit = {}): Uint8Array {
  const body = toBinary(
    ResponseHeaderSchema,
    create(ResponseHeaderSchema, { metadata: entries(init.metadata) }),
  );
  return encodeFrame(
    FrameType.ResponseHeader,
    init.unknownField ? join(body, UNKNOWN_FIELD) : body,
  );
}

/** A TRAILER frame, built by hand: `code` 0 is OK. */
export function trailer(
  init: HeaderInit & {
    readonly code?: number;
    readonly message?: string;
    readonly details?: readonly { type: string; value: Uint8Array }[];
  } = {},
): Uint8Array {
  const body = toBinary(
    TrailerSchema,
    create(TrailerSchema, {
      code: init.code ?? 0,
      message: init.message ?? "",
      details: [...(init.details ?? [])],
      metadata: entries(init.metadata),
    }),
  );
  return encodeFrame(FrameType.Trailer, init.unknownField ? join(body, UNKNOWN_FIELD) : body);
}

/** A MESSAGE frame holding a ConformanceRequest. */
export function requestMessage(init: MessageInitShape<typeof ConformanceRequestSchema> = {}) {
  return encodeFrame(
    FrameType.Message,
    toBinary(ConformanceRequestSchema, create(ConformanceRequestSchema, init)),
  );
}

/** A MESSAGE frame holding a ConformanceResponse. */
export function responseMessage(init: MessageInitShape<typeof ConformanceResponseSchema> = {}) {
  return encodeFrame(
    FrameType.Message,
    toBinary(ConformanceResponseSchema, create(ConformanceResponseSchema, init)),
  );
}

/** The END_OF_INPUT frame. */
export const END_OF_INPUT: Uint8Array = encodeFrame(FrameType.EndOfInput);

/** A frame of any type byte (unknown ones included) and body. */
export function rawFrame(type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeFrame(type as FrameType, body);
}
