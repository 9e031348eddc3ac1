import {
  type BinaryReadOptions,
  type DescMessage,
  fromBinary,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DecodedItem } from "../wire/frame-decoder.ts";
import { type FrameReader, NOT_BUFFERED } from "../wire/frame-reader.ts";
import { FrameType } from "../wire/frame-type.ts";

/**
 * The request messages of one call, read from the stream as the handler asks
 * for them. Ends at the client's END_OF_INPUT frame.
 */
export class CallInput<I extends DescMessage> implements AsyncIterable<MessageShape<I>> {
  readonly #reader: FrameReader;
  readonly #schema: I;
  readonly #readMaxBytes: number;
  readonly #binaryOptions: Partial<BinaryReadOptions> | undefined;
  #ended = false;

  constructor(
    reader: FrameReader,
    schema: I,
    readMaxBytes: number,
    binaryOptions?: Partial<BinaryReadOptions>,
  ) {
    this.#reader = reader;
    this.#schema = schema;
    this.#readMaxBytes = readMaxBytes;
    this.#binaryOptions = binaryOptions;
  }

  /** True once END_OF_INPUT was read. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The messages, for the handler. A plain iterator rather than an async
   * generator: a message that is already buffered costs one resolved
   * promise, one that is awaited one reaction, with no generator or async
   * function resumed. Reads never overlap: a `next()` made while another
   * waits for frames is answered after it, as a generator would, so nothing
   * past END_OF_INPUT (the next call's frames on a reused stream) is read.
   */
  [Symbol.asyncIterator](): AsyncIterator<MessageShape<I>> {
    type Result = IteratorResult<MessageShape<I>>;
    const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
    let stopped = false;
    /** A read is waiting for frames. */
    let busy = false;
    const queued: { resolve(result: Result): void; reject(error: unknown): void }[] = [];
    const result = (message: MessageShape<I> | undefined): Result => {
      if (message === undefined) {
        stopped = true;
        return done;
      }
      return { done: false, value: message };
    };
    const drain = (): void => {
      while (!busy && queued.length > 0) {
        const waiter = queued.shift() as (typeof queued)[number];
        read().then(waiter.resolve, waiter.reject);
      }
    };
    const onMessage = (message: MessageShape<I> | undefined): Result => {
      busy = false;
      const next = result(message);
      drain();
      return next;
    };
    const onError = (): void => {
      busy = false;
      stopped = true;
      drain();
    };
    const read = (): Promise<Result> => {
      if (stopped) {
        return Promise.resolve(done);
      }
      let buffered: MessageShape<I> | undefined | typeof NOT_BUFFERED;
      try {
        buffered = this.nextBuffered();
      } catch (error) {
        stopped = true;
        return Promise.reject(error);
      }
      if (buffered !== NOT_BUFFERED) {
        return Promise.resolve(result(buffered));
      }
      busy = true;
      // The frame reader hands the frame over from the stream's event, where
      // it is decoded and settles this promise: one reaction per message
      // between the frame's arrival and the handler's `await`.
      return new Promise<Result>((resolve, reject) => {
        this.#reader.readInto({
          resolve: (item) => {
            let message: MessageShape<I> | undefined;
            try {
              message = this.#take(item);
            } catch (error) {
              onError();
              reject(error);
              return;
            }
            resolve(onMessage(message));
          },
          reject: (error) => {
            onError();
            reject(error);
          },
        });
      });
    };
    return {
      next: () =>
        busy
          ? new Promise<Result>((resolve, reject) => {
              queued.push({ resolve, reject });
            })
          : read(),
      return: () => {
        stopped = true;
        return Promise.resolve(done);
      },
    };
  }

  /** The next request message, or `undefined` after END_OF_INPUT. */
  async next(): Promise<MessageShape<I> | undefined> {
    if (this.#ended) {
      return undefined;
    }
    return this.#take(await this.#reader.read());
  }

  /**
   * The next request message if its frame is already here, without a
   * promise: a message, `undefined` after END_OF_INPUT, or
   * {@link NOT_BUFFERED} (then call `next()`). A unary request's frames
   * usually arrive together, so the server reads them without waiting.
   */
  nextBuffered(): MessageShape<I> | undefined | typeof NOT_BUFFERED {
    if (this.#ended) {
      return undefined;
    }
    const item = this.#reader.tryRead();
    return item === undefined ? NOT_BUFFERED : this.#take(item);
  }

  #take(item: DecodedItem | undefined): MessageShape<I> | undefined {
    if (item === undefined) {
      throw new ConnectError("client closed the stream before ending its input", Code.Canceled);
    }
    switch (item.type) {
      case FrameType.Message:
        try {
          return fromBinary(this.#schema, item.body, this.#binaryOptions);
        } catch (error) {
          throw new ConnectError(
            `cannot decode ${this.#schema.typeName}: ${(error as Error).message}`,
            Code.InvalidArgument,
          );
        }
      case FrameType.EndOfInput:
        this.#ended = true;
        return undefined;
      case "oversize":
        throw new ConnectError(
          `message of ${item.payloadBytes - 1} bytes exceeds the limit of ${this.#readMaxBytes} bytes`,
          Code.ResourceExhausted,
        );
      default:
        throw new ProtocolViolation(`unexpected frame type ${item.type} in a call's input`);
    }
  }

  /**
   * Reads and drops whatever input remains after the call ended, up to
   * END_OF_INPUT, so the stream can carry another call. False when the stream
   * ended or broke first.
   */
  async discardRest(): Promise<boolean> {
    try {
      while (!this.#ended) {
        const item = await this.#reader.read();
        if (item === undefined) {
          return false;
        }
        if (item.type === FrameType.EndOfInput) {
          this.#ended = true;
        } else if (item.type !== FrameType.Message && item.type !== "oversize") {
          return false;
        }
      }
      return true;
    } catch {
      return false;
    }
  }
}

/** The client broke the call state machine: the server resets the stream. */
export class ProtocolViolation extends Error {
  override name = "ProtocolViolation";
}
