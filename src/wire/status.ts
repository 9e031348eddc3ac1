import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ErrorDetail,
  ErrorDetailSchema,
  type Trailer,
  TrailerSchema,
} from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { headersToMetadata, metadataToHeaders } from "./metadata.ts";

/** The largest valid status code (Unauthenticated). */
const MAX_CODE = Code.Unauthenticated;

/**
 * Builds the trailer of a call: OK when `error` is undefined, otherwise its
 * code, message and details. Error metadata joins the trailing metadata.
 */
export function createTrailer(trailer: Headers, error?: ConnectError): Trailer {
  if (error === undefined) {
    return create(TrailerSchema, { metadata: headersToMetadata(trailer) });
  }
  const metadata = new Headers(trailer);
  error.metadata.forEach((value, key) => {
    metadata.append(key, value);
  });
  return create(TrailerSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map(toWireDetail),
    metadata: headersToMetadata(metadata),
  });
}

/**
 * Turns a received trailer into the error it reports, or `undefined` for OK.
 * `header` is the response header: a Connect client error carries both.
 */
export function trailerToError(trailer: Trailer, header: Headers): ConnectError | undefined {
  if (trailer.code === 0) {
    return undefined;
  }
  const code = trailer.code <= MAX_CODE ? (trailer.code as Code) : Code.Unknown;
  const metadata = metadataToHeaders(trailer.metadata, new Headers(header));
  const error = new ConnectError(trailer.message, code, metadata);
  error.details = trailer.details.map((detail) => ({ type: detail.type, value: detail.value }));
  return error;
}

function toWireDetail(detail: ConnectError["details"][number]): ErrorDetail {
  if ("desc" in detail) {
    return create(ErrorDetailSchema, {
      type: detail.desc.typeName,
      value: toBinary(detail.desc, create(detail.desc, detail.value)),
    });
  }
  return create(ErrorDetailSchema, { type: detail.type, value: detail.value });
}
