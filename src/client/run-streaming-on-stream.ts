import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { toConnectError } from "../to-connect-error.ts";
import { END_OF_INPUT_FRAME } from "../wire/encode-frame.ts";
import { NOT_BUFFERED } from "../wire/frame-reader.ts";
import { abortStreamOnSignal } from "./abort-stream-on-signal.ts";
import type { CallStream } from "./call-stream.ts";
import type { ClientCallOptions } from "./client-call-options.ts";
import { encodeRequestHeader, requestMessageParts } from "./encode-request.ts";
import { ResponseReader } from "./response-reader.ts";

/**
 * Runs a streaming call on a negotiated stream. Request messages are written
 * as the caller produces them, concurrently with reading responses; the
 * returned promise resolves once the response header arrived. When the call
 * ended cleanly on both sides, `release` gets the stream back.
 */
export async function runStreamingOnStream<I extends DescMessage, O extends DescMessage>(
  call: CallStream,
  req: StreamRequest<I, O>,
  deadline: number | undefined,
  options: ClientCallOptions,
  release: (call: CallStream) => void,
): Promise<StreamResponse<I, O>> {
  const unwatch = abortStreamOnSignal(call.stream, req.signal);
  const response = new ResponseReader(
    call.reader,
    req.method.output,
    options.readMaxBytes,
    options.binaryOptions,
  );
  const input = new InputPump(call, req.method.input, options, release);
  const fail = (error: unknown): never => {
    unwatch();
    if (response.finished) {
      // The server ended the call with an error status: the stream is sound.
      input.finish();
    } else {
      call.abort(error instanceof Error ? error : new Error(String(error)));
    }
    throw toConnectError(error, Code.Unknown);
  };
  try {
    const header = encodeRequestHeader(req.header, deadline);
    if (req.method.methodKind === "server_streaming") {
      input.sendSingle(header, await single(req.message));
    } else {
      await call.writer.writeNow(header);
      input.pump(req.message);
    }
    await response.readHeader();
  } catch (error) {
    fail(input.error ?? error);
  }
  // A plain iterator rather than an async generator: one promise per message
  // instead of the generator's extra hops.
  let ended = false;
  const end = (): IteratorReturnResult<undefined> => {
    if (!ended) {
      ended = true;
      unwatch();
      input.finish();
    }
    return { done: true, value: undefined };
  };
  const failed = (error: unknown): never => {
    ended = true;
    return fail(input.error ?? error);
  };
  const messages: AsyncIterableIterator<MessageShape<O>> = {
    next: () => {
      if (ended) {
        return Promise.resolve({ done: true, value: undefined });
      }
      // Frames that already arrived are read without waiting on a promise.
      let buffered: MessageShape<O> | undefined | typeof NOT_BUFFERED;
      try {
        buffered = response.nextBuffered();
      } catch (error) {
        return Promise.reject(error).catch(failed);
      }
      if (buffered !== NOT_BUFFERED) {
        return Promise.resolve(buffered === undefined ? end() : { done: false, value: buffered });
      }
      return new Promise<IteratorResult<MessageShape<O>>>((resolve) => {
        response.nextInto({
          // Called from the stream's event: a message only settles the
          // promise; the call's end and its failure, which write, release
          // or abort the stream, wait for a reaction of their own.
          resolve: (message) => {
            if (message === undefined) {
              resolve(Promise.resolve().then(end));
            } else {
              resolve({ done: false, value: message });
            }
          },
          reject: (error) => resolve(Promise.reject(error).catch(failed)),
        });
      });
    },
    return: () => {
      // The caller stopped reading early: the call is cancelled.
      if (!ended && !response.finished) {
        ended = true;
        unwatch();
        call.abort(new ConnectError("the caller stopped reading the response", Code.Canceled));
      }
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return messages;
    },
  };
  return {
    stream: true,
    service: req.service,
    method: req.method,
    header: response.header,
    trailer: response.trailer,
    message: messages,
  };
}

async function single<T>(messages: AsyncIterable<T>): Promise<T> {
  for await (const message of messages) {
    return message;
  }
  throw new ConnectError("missing request message for server-streaming method");
}

/**
 * Writes the caller's request messages through the stream's writer (which
 * batches bursts), then END_OF_INPUT. When the call ends first, END_OF_INPUT
 * is queued behind whatever was written and the stream is handed back: the
 * writer keeps the order, so the next call on the stream follows cleanly.
 */
class InputPump<I extends DescMessage> {
  readonly #call: CallStream;
  readonly #schema: I;
  readonly #options: ClientCallOptions;
  readonly #release: (call: CallStream) => void;
  #finished = false;
  #inputEnded = false;
  #settled = false;
  #error: ConnectError | undefined;

  constructor(
    call: CallStream,
    schema: I,
    options: ClientCallOptions,
    release: (call: CallStream) => void,
  ) {
    this.#call = call;
    this.#schema = schema;
    this.#options = options;
    this.#release = release;
  }

  /** The error that stopped the input side, if any. */
  get error(): ConnectError | undefined {
    return this.#error;
  }

  /** Sends header, the one request message and END_OF_INPUT in one write. */
  sendSingle(header: Uint8Array, message: MessageShape<I>): void {
    const parts = requestMessageParts(this.#schema, message, this.#options);
    this.#inputEnded = true;
    void this.#call.writer.writeNow([header, ...parts, END_OF_INPUT_FRAME]);
  }

  /**
   * Starts writing `messages` in the background. If producing or writing them
   * fails, the stream is reset, which fails the pending response read; the
   * caller then reports {@link error}.
   */
  pump(messages: AsyncIterable<MessageShape<I>>): void {
    this.#run(messages).catch((error: unknown) => {
      const reason = error instanceof Error ? error : new Error(String(error));
      if (this.#finished) {
        // The call is over but its input side broke: the stream cannot be reused.
        if (!this.#settled) {
          this.#settled = true;
          this.#call.abort(reason);
        }
        return;
      }
      this.#error = toConnectError(error, Code.Unknown);
      this.#call.abort(this.#error);
    });
  }

  /** The call is over: end the input and hand the stream back. */
  finish(): void {
    this.#finished = true;
    if (this.#settled) {
      return;
    }
    this.#settled = true;
    try {
      this.#endInput();
    } catch (error) {
      this.#call.abort(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#release(this.#call);
  }

  async #run(messages: AsyncIterable<MessageShape<I>>): Promise<void> {
    const { writer } = this.#call;
    for await (const message of messages) {
      if (this.#finished) {
        break;
      }
      const full = writer.write(requestMessageParts(this.#schema, message, this.#options));
      if (full !== undefined) {
        await full;
      }
      if (this.#finished) {
        break;
      }
    }
    if (!this.#finished) {
      this.#endInput();
    }
  }

  #endInput(): void {
    if (!this.#inputEnded) {
      this.#inputEnded = true;
      void this.#call.writer.writeNow(END_OF_INPUT_FRAME);
    }
  }
}
