import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import type { Stream } from "@libp2p/interface";
import { toConnectError } from "../to-connect-error.ts";
import { concatFrames, encodeFrame } from "../wire/encode-frame.ts";
import { FrameType } from "../wire/frame-type.ts";
import { writeToStream } from "../wire/write-to-stream.ts";
import { abortStreamOnSignal } from "./abort-stream-on-signal.ts";
import type { CallStream } from "./call-stream.ts";
import {
  type ClientCallOptions,
  checkWriteSize,
  encodeRequestHeader,
} from "./client-call-options.ts";
import { ResponseReader } from "./response-reader.ts";

const END_OF_INPUT = encodeFrame(FrameType.EndOfInput);

/**
 * Runs a streaming call on a freshly negotiated stream. Request messages are
 * written as the caller produces them, concurrently with reading responses;
 * the returned promise resolves once the response header arrived.
 */
export async function runStreamingOnStream<I extends DescMessage, O extends DescMessage>(
  call: CallStream,
  req: StreamRequest<I, O>,
  deadline: number | undefined,
  options: ClientCallOptions,
  release: (call: CallStream) => void,
): Promise<StreamResponse<I, O>> {
  const { stream } = call;
  const unwatch = abortStreamOnSignal(stream, req.signal);
  const response = new ResponseReader(
    call.reader,
    req.method.output,
    options.readMaxBytes,
    options.binaryOptions,
  );
  const input = new InputPump(stream, req.method.input, options, () => release(call));
  const fail = (error: unknown): never => {
    unwatch();
    if (response.finished) {
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
      await writeToStream(stream, header);
      input.pump(req.message);
    }
    await response.readHeader();
  } catch (error) {
    fail(input.error ?? error);
  }
  async function* messages(): AsyncGenerator<MessageShape<O>> {
    try {
      for (;;) {
        const message = await response.next();
        if (message === undefined) {
          break;
        }
        yield message;
      }
    } catch (error) {
      fail(input.error ?? error);
    }
    unwatch();
    input.finish();
  }
  return {
    stream: true,
    service: req.service,
    method: req.method,
    header: response.header,
    trailer: response.trailer,
    message: messages(),
  };
}

async function single<T>(messages: AsyncIterable<T>): Promise<T> {
  for await (const message of messages) {
    return message;
  }
  throw new ConnectError("missing request message for server-streaming method");
}

/**
 * Writes the caller's request messages, then END_OF_INPUT. When the call ends
 * first, it sends END_OF_INPUT at the next safe point (never inside another
 * write) and only then hands the stream back through `onSettled`, in a state
 * where it can carry the next call.
 */
class InputPump<I extends DescMessage> {
  readonly #stream: Stream;
  readonly #schema: I;
  readonly #options: ClientCallOptions;
  #writing = false;
  #finished = false;
  #inputEnded = false;
  #settled = false;
  #error: ConnectError | undefined;
  readonly #onSettled: () => void;

  constructor(stream: Stream, schema: I, options: ClientCallOptions, onSettled: () => void) {
    this.#stream = stream;
    this.#schema = schema;
    this.#options = options;
    this.#onSettled = onSettled;
  }

  /** Sends header, the one request message and END_OF_INPUT in one write. */
  sendSingle(header: Uint8Array, message: MessageShape<I>): void {
    const bytes = toBinary(this.#schema, message, this.#options.binaryOptions);
    checkWriteSize(bytes, this.#options);
    this.#inputEnded = true;
    this.#stream.send(concatFrames([header, encodeFrame(FrameType.Message, bytes), END_OF_INPUT]));
  }

  /** The error that stopped the input side, if any. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Starts writing `messages` in the background. If producing or writing them
   * fails, the stream is reset, which fails the pending response read; the
   * caller then reports {@link error}.
   */
  pump(messages: AsyncIterable<MessageShape<I>>): void {
    this.#run(messages).catch((error: unknown) => {
      if (this.#finished) {
        // The call is over but its input side broke: the stream cannot be reused.
        if (!this.#settled) {
          this.#settled = true;
          this.#stream.abort(error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
      this.#error = toConnectError(error, Code.Unknown);
      this.#stream.abort(this.#error);
    });
  }

  /** The call is over: end the input and hand the stream back. */
  finish(): void {
    this.#finished = true;
    if (!this.#writing) {
      this.#endInput();
      this.#settle();
    }
  }

  async #run(messages: AsyncIterable<MessageShape<I>>): Promise<void> {
    for await (const message of messages) {
      if (this.#finished) {
        break;
      }
      const bytes = toBinary(this.#schema, message, this.#options.binaryOptions);
      checkWriteSize(bytes, this.#options);
      this.#writing = true;
      try {
        await writeToStream(this.#stream, encodeFrame(FrameType.Message, bytes));
      } finally {
        this.#writing = false;
      }
      if (this.#finished) {
        break;
      }
    }
    this.#endInput();
    if (this.#finished) {
      this.#settle();
    }
  }

  #endInput(): void {
    if (!this.#inputEnded && this.#stream.writeStatus === "writable") {
      this.#inputEnded = true;
      this.#stream.send(END_OF_INPUT);
    }
  }

  #settle(): void {
    if (!this.#settled) {
      this.#settled = true;
      this.#onSettled();
    }
  }
}
