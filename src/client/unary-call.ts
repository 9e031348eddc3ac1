import { type DescMessage, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import type { Stream } from "@libp2p/interface";
import { toConnectError } from "../to-connect-error.ts";
import { concatFrames, encodeFrame } from "../wire/encode-frame.ts";
import { FrameReader } from "../wire/frame-reader.ts";
import { FrameType } from "../wire/frame-type.ts";
import { abortStreamOnSignal } from "./abort-stream-on-signal.ts";
import {
  type ClientCallOptions,
  checkWriteSize,
  encodeRequestHeader,
} from "./client-call-options.ts";
import { ResponseReader } from "./response-reader.ts";

/**
 * Runs a unary call on a freshly negotiated stream: header, message and
 * end-of-input leave in one write; the answer is read up to its trailer.
 */
export async function runUnaryOnStream<I extends DescMessage, O extends DescMessage>(
  stream: Stream,
  req: UnaryRequest<I, O>,
  deadline: number | undefined,
  options: ClientCallOptions,
): Promise<UnaryResponse<I, O>> {
  const release = abortStreamOnSignal(stream, req.signal);
  const reader = new FrameReader(stream, { maxPayloadBytes: options.readMaxBytes + 1 });
  const response = new ResponseReader(
    reader,
    req.method.output,
    options.readMaxBytes,
    options.binaryOptions,
  );
  try {
    const bytes = toBinary(req.method.input, req.message, options.binaryOptions);
    checkWriteSize(bytes, options);
    stream.send(
      concatFrames([
        encodeRequestHeader(req.header, deadline),
        encodeFrame(FrameType.Message, bytes),
        encodeFrame(FrameType.EndOfInput),
      ]),
    );
    const message = await response.next();
    if (message === undefined) {
      throw new ConnectError(
        "protocol error: missing output message for unary method",
        Code.Unimplemented,
      );
    }
    if ((await response.next()) !== undefined) {
      throw new ConnectError(
        "protocol error: received extra output message for unary method",
        Code.Unimplemented,
      );
    }
    release();
    stream.close().catch(() => {});
    return {
      stream: false,
      service: req.service,
      method: req.method,
      header: response.header,
      message,
      trailer: response.trailer,
    };
  } catch (error) {
    release();
    if (response.finished) {
      // The server ended the call with an error: the stream itself is sound.
      stream.close().catch(() => {});
    } else {
      stream.abort(error as Error);
    }
    throw toConnectError(error, Code.Unknown);
  } finally {
    reader.detach();
  }
}
