import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import type { CallControl } from "../call-control.ts";
import { toConnectError } from "../to-connect-error.ts";
import { END_OF_INPUT_FRAME } from "../wire/encode-frame.ts";
import { NOT_BUFFERED } from "../wire/frame-reader.ts";
import { abortStreamOnSignal } from "./abort-stream-on-signal.ts";
import { markNoResponse, markRefusedUnread } from "./attempt-outcome.ts";
import type { CallStream } from "./call-stream.ts";
import type { ClientCallOptions } from "./client-call-options.ts";
import { encodeRequestHeader, requestMessageParts } from "./encode-request.ts";
import { ResponseReader } from "./response-reader.ts";

/**
 * Runs a unary call on a negotiated stream: header, message and end-of-input
 * leave in one write; the answer is read up to its trailer. When the call
 * ended cleanly on both sides (an error status included), `release` gets the
 * stream back for another call; otherwise the stream is reset.
 */
export async function runUnaryOnStream<I extends DescMessage, O extends DescMessage>(
  call: CallStream,
  req: UnaryRequest<I, O>,
  control: CallControl | undefined,
  deadline: number | undefined,
  options: ClientCallOptions,
  release: (call: CallStream) => void,
): Promise<UnaryResponse<I, O>> {
  if (control?.aborted === true) {
    // Cancelled before anything was sent: the stream is untouched and goes back.
    release(call);
    throw control.reason;
  }
  // With the call's own control, the answer is raced against it (no signal
  // needed, none made); a request an interceptor replaced is watched through
  // its signal.
  const unwatch = control === undefined ? abortStreamOnSignal(call.stream, req.signal) : undefined;
  const response = new ResponseReader(
    call.reader,
    req.method.output,
    options.readMaxBytes,
    options.binaryOptions,
  );
  const read = (): Promise<MessageShape<O> | undefined> =>
    control === undefined ? response.next() : control.race(response.next());
  let sent = false;
  try {
    void call.writer.writeNow([
      encodeRequestHeader(req.header, deadline),
      ...requestMessageParts(req.method.input, req.message, options),
      END_OF_INPUT_FRAME,
    ]);
    sent = true;
    const message = await read();
    if (message === undefined) {
      throw new ConnectError(
        "protocol error: missing output message for unary method",
        Code.Unimplemented,
      );
    }
    // The trailer usually arrived with the message: read without a promise.
    const end = response.nextBuffered();
    if ((end === NOT_BUFFERED ? await read() : end) !== undefined) {
      throw new ConnectError(
        "protocol error: received extra output message for unary method",
        Code.Unimplemented,
      );
    }
    unwatch?.();
    release(call);
    return {
      stream: false,
      service: req.service,
      method: req.method,
      header: response.header,
      message,
      trailer: response.trailer,
    };
  } catch (error) {
    unwatch?.();
    const reason = error instanceof Error ? error : new Error(String(error));
    if (response.unanswered) {
      call.abort(reason);
      const notStarted = new ConnectError(
        "the server closed the stream before the call started",
        Code.Unavailable,
      );
      throw markRefusedUnread(notStarted);
    }
    if (response.finished) {
      // The server ended the call with an error status: the stream is sound.
      release(call);
    } else {
      call.abort(reason);
    }
    const connectError = toConnectError(error, Code.Unknown);
    throw sent && !response.answered ? markNoResponse(connectError) : connectError;
  }
}
