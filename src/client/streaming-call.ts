import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import type { Stream } from "@libp2p/interface";
import { toConnectError } from "../to-connect-error.ts";
import { concatFrames, encodeFrame } from "../wire/encode-frame.ts";
import { FrameReader } from "../wire/frame-reader.ts";
import { FrameType } from "../wire/frame-type.ts";
import { writeToStream } from "../wire/write-to-stream.ts";
import { abortStreamOnSignal } from "./abort-stream-on-signal.ts";
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
  stream: Stream,
  req: StreamRequest<I, O>,
  deadline: number | undefined,
  options: ClientCallOptions,
): Promise<StreamResponse<I, O>> {
  const release = abortStreamOnSignal(stream, req.signal);
  const reader = new FrameReader(stream, { maxPayloadBytes: options.readMaxBytes + 1 });
  const response = new ResponseReader(
    reader,
    req.method.output,
    options.readMaxBytes,
    options.binaryOptions,
  );
  const input = new InputPump(stream, req.method.input, options);
  const fail = (error: unknown): never => {
    release();
    reader.detach();
    if (response.finished) {
      input.finish();
    } else {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
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
    release();
    reader.detach();
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
 * first, it sends END_OF_INPUT at the next safe point and closes the stream's
 * writable side, leaving the stream in a state the server can finish cleanly.
 */
class InputPump<I extends DescMessage> {
  readonly #stream: Stream;
  readonly #schema: I;
  readonly #options: ClientCallOptions;
  #writing = false;
  #finished = false;
  #inputEnded = false;
  #closed = false;
  #error: ConnectError | undefined;

  constructor(stream: Stream, schema: I, options: ClientCallOptions) {
    this.#stream = stream;
    this.#schema = schema;
    this.#options = options;
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
      if (!this.#finished) {
        this.#error = toConnectError(error, Code.Unknown);
        this.#stream.abort(this.#error as Error);
      }
    });
  }

  /** The call is over: end the input and close the writable side. */
  finish(): void {
    this.#finished = true;
    if (!this.#writing) {
      this.#endInput();
      this.#close();
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
      this.#close();
    }
  }

  #endInput(): void {
    if (!this.#inputEnded && this.#stream.writeStatus === "writable") {
      this.#inputEnded = true;
      this.#stream.send(END_OF_INPUT);
    }
  }

  #close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#stream.close().catch(() => {});
    }
  }
}
