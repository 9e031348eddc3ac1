import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { MethodImplSpec } from "@connectrpc/connect";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import {
  invokeUnaryImplementation,
  transformInvokeImplementation,
} from "@connectrpc/connect/protocol";
import type { Connection, Stream } from "@libp2p/interface";
import { RequestHeaderSchema, TrailerSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import type { CallControl } from "../call-control.ts";
import { encodeFrame } from "../wire/encode-frame.ts";
import { type FrameReader, NOT_BUFFERED } from "../wire/frame-reader.ts";
import { FrameType } from "../wire/frame-type.ts";
import type { FrameWriter } from "../wire/frame-writer.ts";
import { metadataToHeaders } from "../wire/metadata.ts";
import { createTrailer } from "../wire/status.ts";
import { CallContext } from "./call-context.ts";
import { CallInput, ProtocolViolation } from "./call-input.ts";
import { CallOutput } from "./call-output.ts";
import { pumpOutput } from "./pump-output.ts";
import { remotePeerKey } from "./remote-peer.ts";
import type { ServedMethod } from "./served-method.ts";

/** The abort reason of a handler's signal once its call is over. */
const CALL_ENDED = new ConnectError("the call has ended", Code.Canceled);

/** OK TRAILER without metadata: most calls send exactly this. */
const OK_TRAILER = encodeFrame(FrameType.Trailer);

/** What {@link serveCall} serves: one call on one stream. */
export interface ServeCallOptions {
  /** The body of the call's REQUEST_HEADER frame, just read. */
  readonly headerBody: Uint8Array;
  readonly reader: FrameReader;
  readonly writer: FrameWriter;
  readonly stream: Stream;
  readonly connection: Connection;
  readonly method: ServedMethod;
  /** The call's deadline, cancellation and end. */
  readonly control: CallControl;
}

/**
 * Serves one call whose REQUEST_HEADER body was just read: runs the handler
 * through Connect's interceptors, writes RESPONSE_HEADER, the messages and the
 * TRAILER (through the call's {@link CallOutput}), then drops any input the
 * handler left unread.
 *
 * Resolves true when the stream is ready for another call, false when it is
 * not (client gone, stream broken).
 */
export async function serveCall(options: ServeCallOptions): Promise<boolean> {
  const { headerBody, reader, writer, stream, connection, method, control } = options;
  const { spec } = method;
  const input = new CallInput(reader, spec.method.input, method.readMaxBytes, method.binaryOptions);
  const output = new CallOutput(writer, method);
  let context: CallContext | undefined;
  let error: ConnectError | undefined;
  try {
    if (method.authorize !== undefined) {
      // Before the header is decoded or any input read: a refused peer costs
      // a lookup, and its input is only skipped (discardRest).
      const verdict = method.authorize(connection, spec.method);
      if (verdict !== undefined) {
        await control.race(verdict);
      }
    }
    context = createContext(headerBody, stream, connection, method, control);
    output.context = context;
    if (method.requestGate !== undefined) {
      await control.race(Promise.resolve(method.requestGate(context)));
    }
    // A request already buffered is read without a race below: a call
    // aborted by now (deadline, client gone, shutdown) stops here.
    if (control.aborted) {
      throw control.reason;
    }
    if (spec.kind === "unary") {
      // The common case without async generators: one message in, one out.
      // A single response is queued, never written here: emit() returns undefined.
      // Without interceptors the handler is called directly. Connect's
      // wrapper copies the context and reads every part of it: it gets the
      // copyable form. A request that is already here (the usual case: its
      // frames arrive together) and a handler that answers without a
      // promise make no promise at all.
      const handlerContext = context;
      const invoke = (request: MessageShape<DescMessage>): unknown =>
        method.interceptors.length === 0
          ? spec.impl(request, handlerContext)
          : invokeUnaryImplementation(
              spec,
              handlerContext.copyable(),
              request,
              method.interceptors,
            );
      const request = readSingle(input, "unary");
      let response =
        request instanceof Promise ? await control.race(request.then(invoke)) : invoke(request);
      if (isPromiseLike(response)) {
        response = await control.race(Promise.resolve(response));
      }
      void output.emit(response as MessageShape<DescMessage>);
    } else {
      const emit = (message: MessageShape<DescMessage>): Promise<void> | undefined =>
        output.emit(message);
      const iterator = (await handlerOutput(spec, context, input, method, control))[
        Symbol.asyncIterator
      ]();
      try {
        await control.race(pumpOutput(iterator, emit, control));
      } catch (reason) {
        // A value sent by reference may still be unread: the handler gets
        // control back (its finally blocks) only once it cannot change what
        // the peer will read.
        const unread = writer.settleByReference(connection, control.clientGone);
        if (unread !== undefined) {
          // Past the deadline (or at shutdown) a peer that does not read must
          // not hold the handler: the stream is reset, and the trailer,
          // which could not leave anyway, is not sent.
          if (isDeadlineOrShutdown(reason)) {
            writer.abandonByReference(reason as Error);
          }
          await unread;
        }
        iterator.return?.()?.catch(() => {});
        throw reason;
      }
    }
  } catch (reason) {
    if (reason instanceof ProtocolViolation) {
      return false;
    }
    error = toWireError(reason, method);
    output.dropMessage();
  } finally {
    // Stops the deadline clock; the handler's signal, if it was made, aborts.
    control.abort(CALL_ENDED);
  }
  if (control.clientGone) {
    // The client reset or closed the stream: nobody is left to answer.
    return false;
  }
  try {
    output.finish(trailerFrame(context?.responseTrailerIfUsed(), error));
  } catch {
    return false;
  }
  return input.ended || (await input.discardRest());
}

function createContext(
  headerBody: Uint8Array,
  stream: Stream,
  connection: Connection,
  method: ServedMethod,
  control: CallControl,
): CallContext {
  let timeoutMs: number | undefined;
  let requestHeader: Headers | undefined;
  try {
    if (headerBody.byteLength !== 0) {
      const header = fromBinary(RequestHeaderSchema, headerBody);
      // Built now, not on first use: invalid metadata fails the call here.
      requestHeader = header.metadata.length === 0 ? undefined : metadataToHeaders(header.metadata);
      timeoutMs = header.timeoutMs;
    }
  } catch (reason) {
    throw new ConnectError(
      `invalid request header: ${(reason as Error).message}`,
      Code.InvalidArgument,
    );
  }
  if (timeoutMs === 0) {
    // The deadline had passed when the client wrote the header: the handler never runs.
    throw new ConnectError("the deadline has already passed", Code.DeadlineExceeded);
  }
  if (timeoutMs !== undefined && timeoutMs > method.maxTimeoutMs) {
    throw new ConnectError(
      `timeout of ${timeoutMs} ms exceeds the server's limit of ${method.maxTimeoutMs} ms`,
      Code.InvalidArgument,
    );
  }
  control.startDeadline(timeoutMs);
  const values = createContextValues().set(remotePeerKey, {
    peerId: connection.remotePeer,
    remoteAddr: connection.remoteAddr,
    connection,
  });
  return new CallContext({
    method: method.spec.method,
    url: `${method.protocol}#${stream.id}`,
    requestHeader,
    timeoutMs,
    values,
    control,
  });
}

/**
 * The TRAILER frame: the prebuilt OK one when there is neither an error nor
 * trailer metadata (nothing is built for a handler that never touched its
 * trailer).
 */
function trailerFrame(header: Headers | undefined, error: ConnectError | undefined): Uint8Array {
  if (error === undefined && header === undefined) {
    return OK_TRAILER;
  }
  const trailer = createTrailer(header ?? new Headers(), error);
  return error === undefined && trailer.metadata.length === 0
    ? OK_TRAILER
    : encodeFrame(FrameType.Trailer, toBinary(TrailerSchema, trailer));
}

/**
 * The one request message of a unary or server-streaming call, as Connect
 * checks it: at once when its frames and END_OF_INPUT are already buffered,
 * otherwise a promise of it.
 */
function readSingle<I extends DescMessage>(
  input: CallInput<I>,
  kind: "unary" | "server-streaming",
): MessageShape<I> | Promise<MessageShape<I>> {
  const first = input.nextBuffered();
  if (first === NOT_BUFFERED) {
    return input.next().then((message) => afterSingle(input, kind, message));
  }
  return afterSingle(input, kind, first);
}

/** Checks that `first` is a message and that END_OF_INPUT follows it. */
function afterSingle<I extends DescMessage>(
  input: CallInput<I>,
  kind: "unary" | "server-streaming",
  first: MessageShape<I> | undefined,
): MessageShape<I> | Promise<MessageShape<I>> {
  if (first === undefined) {
    throw new ConnectError(
      `protocol error: missing input message for ${kind} method`,
      Code.Unimplemented,
    );
  }
  const end = input.nextBuffered();
  if (end === NOT_BUFFERED) {
    return input.next().then((rest) => endOfSingle(kind, first, rest));
  }
  return endOfSingle(kind, first, end);
}

function endOfSingle<M>(kind: "unary" | "server-streaming", first: M, rest: M | undefined): M {
  if (rest !== undefined) {
    throw new ConnectError(
      `protocol error: received extra input message for ${kind} method`,
      Code.Unimplemented,
    );
  }
  return first;
}

/** The call ended at its deadline or because the server shuts down. */
function isDeadlineOrShutdown(reason: unknown): boolean {
  return (
    reason instanceof ConnectError &&
    (reason.code === Code.DeadlineExceeded || reason.code === Code.Unavailable)
  );
}

/** A thenable, as `await` sees it (a handler may return any). */
function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * The handler's messages for a streaming call. Without interceptors, server-
 * and bidi-streaming handlers are called directly (Connect's wrapper adds
 * several promise hops per message); their messages are normalized by
 * `emit`. With interceptors, Connect runs the handler.
 */
async function handlerOutput(
  spec: MethodImplSpec,
  context: CallContext,
  input: CallInput<DescMessage>,
  method: ServedMethod,
  control: CallControl,
): Promise<AsyncIterable<MessageShape<DescMessage>>> {
  if (method.interceptors.length === 0) {
    if (spec.kind === "server_streaming") {
      const single = readSingle(input, "server-streaming");
      const request = single instanceof Promise ? await control.race(single) : single;
      return spec.impl(request, context) as AsyncIterable<MessageShape<DescMessage>>;
    }
    if (spec.kind === "bidi_streaming") {
      return spec.impl(input, context) as AsyncIterable<MessageShape<DescMessage>>;
    }
  }
  return transformInvokeImplementation(spec, context.copyable(), method.interceptors)(input);
}

/**
 * What the client learns of a failure: a ConnectError as thrown, anything
 * else as a bare Internal error (logged here, never sent).
 */
function toWireError(reason: unknown, method: ServedMethod): ConnectError {
  if (reason instanceof ConnectError) {
    return reason;
  }
  method.log.error("handler of %s failed - %e", method.protocol, reason);
  return new ConnectError("internal error", Code.Internal);
}
