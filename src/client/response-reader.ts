import {
  type BinaryReadOptions,
  type DescMessage,
  fromBinary,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ResponseHeaderSchema, TrailerSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { toConnectError } from "../to-connect-error.ts";
import type { DecodedItem } from "../wire/frame-decoder.ts";
import { type FrameReader, NOT_BUFFERED } from "../wire/frame-reader.ts";
import { FrameType } from "../wire/frame-type.ts";
import { metadataToHeaders } from "../wire/metadata.ts";
import { trailerToError } from "../wire/status.ts";

/**
 * Reads the server's side of one call: RESPONSE_HEADER, messages, TRAILER.
 * `header` and `trailer` fill in as the frames arrive.
 */
export class ResponseReader<O extends DescMessage> {
  readonly header = new Headers();
  readonly trailer = new Headers();
  readonly #reader: FrameReader;
  readonly #schema: O;
  readonly #readMaxBytes: number;
  readonly #binaryOptions: Partial<BinaryReadOptions> | undefined;
  #headerRead = false;
  #finished = false;
  /** A frame of this call arrived: the server started it. */
  #answered = false;
  #unanswered = false;

  constructor(
    reader: FrameReader,
    schema: O,
    readMaxBytes: number,
    binaryOptions?: Partial<BinaryReadOptions>,
  ) {
    this.#reader = reader;
    this.#schema = schema;
    this.#readMaxBytes = readMaxBytes;
    this.#binaryOptions = binaryOptions;
  }

  /**
   * True when the server closed the stream cleanly without sending a single
   * frame of this call: it never started it (a server closes only streams
   * that sit between calls), so the call may run again elsewhere.
   */
  get unanswered(): boolean {
    return this.#unanswered;
  }

  /** True once a frame of this call arrived: the server started it. */
  get answered(): boolean {
    return this.#answered;
  }

  /** True once the trailer arrived: the call is over. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Waits for the response header. A call the server ended with an error and
   * no header rejects here.
   */
  async readHeader(): Promise<void> {
    this.#header(await this.#read());
  }

  #header(item: DecodedItem): void {
    if (item.type === FrameType.ResponseHeader) {
      this.#readResponseHeader(item.body);
      return;
    }
    if (item.type === FrameType.Trailer) {
      this.#headerRead = true;
      this.#readTrailer(item.body);
      return;
    }
    if (item.type === "oversize") {
      throw new ConnectError(
        `response header of ${item.payloadBytes - 1} bytes exceeds the limit of ${this.#readMaxBytes} bytes`,
        Code.ResourceExhausted,
      );
    }
    throw protocolError(`expected RESPONSE_HEADER, got frame type ${String(item.type)}`);
  }

  /** The next response message, or `undefined` after an OK trailer. Throws the call's error. */
  async next(): Promise<MessageShape<O> | undefined> {
    if (this.#finished) {
      return undefined;
    }
    if (!this.#headerRead) {
      this.#header(await this.#read());
      if (this.#finished) {
        return undefined;
      }
    }
    // The message usually arrived with the header: no second wait.
    const buffered = this.nextBuffered();
    return buffered === NOT_BUFFERED ? this.#message(await this.#read()) : buffered;
  }

  /**
   * As {@link next}, but hands the result to `waiter` instead of a promise of
   * its own: once the header was read, the frame reader calls it from the
   * stream's event as the frame arrives (`FrameReader.readInto`), so a
   * streamed message reaches the caller's promise one reaction after its
   * frame instead of four. `waiter` runs inside that event: it must only
   * settle a promise.
   */
  nextInto(waiter: {
    resolve(message: MessageShape<O> | undefined): void;
    reject(error: unknown): void;
  }): void {
    if (this.#finished || !this.#headerRead) {
      this.next().then(waiter.resolve, waiter.reject);
      return;
    }
    this.#reader.readInto({
      resolve: (item) => {
        let message: MessageShape<O> | undefined;
        try {
          message = this.#message(this.#arrived(item));
        } catch (error) {
          waiter.reject(error);
          return;
        }
        waiter.resolve(message);
      },
      reject: (error) => waiter.reject(toConnectError(error, Code.Unavailable)),
    });
  }

  /**
   * The next response message if its frame is already here, without a
   * promise: a message, `undefined` after an OK trailer, or
   * {@link NOT_BUFFERED} (then call `next()`). Throws the call's error.
   */
  nextBuffered(): MessageShape<O> | undefined | typeof NOT_BUFFERED {
    if (this.#finished || !this.#headerRead) {
      return NOT_BUFFERED;
    }
    const item = this.#reader.tryRead();
    if (item === undefined) {
      return NOT_BUFFERED;
    }
    this.#answered = true;
    return this.#message(item);
  }

  #message(item: DecodedItem): MessageShape<O> | undefined {
    switch (item.type) {
      case FrameType.Message:
        try {
          return fromBinary(this.#schema, item.body, this.#binaryOptions);
        } catch (error) {
          throw new ConnectError(
            `cannot decode ${this.#schema.typeName}: ${(error as Error).message}`,
            Code.Internal,
          );
        }
      case FrameType.Trailer:
        this.#readTrailer(item.body);
        return undefined;
      case "oversize":
        throw new ConnectError(
          `response message of ${item.payloadBytes - 1} bytes exceeds the limit of ${this.#readMaxBytes} bytes`,
          Code.ResourceExhausted,
        );
      default:
        throw protocolError(`unexpected frame type ${item.type} in a response`);
    }
  }

  async #read(): Promise<DecodedItem> {
    let item: DecodedItem | undefined;
    try {
      item = await this.#reader.read();
    } catch (error) {
      throw toConnectError(error, Code.Unavailable);
    }
    return this.#arrived(item);
  }

  /** A frame read for this call; `undefined` (the stream's end) throws Unavailable. */
  #arrived(item: DecodedItem | undefined): DecodedItem {
    if (item === undefined) {
      this.#unanswered = !this.#answered;
      throw new ConnectError("stream ended before the call's trailer", Code.Unavailable);
    }
    this.#answered = true;
    return item;
  }

  #readResponseHeader(body: Uint8Array): void {
    if (body.byteLength === 0) {
      this.#headerRead = true;
      return;
    }
    try {
      metadataToHeaders(fromBinary(ResponseHeaderSchema, body).metadata, this.header);
    } catch (error) {
      throw protocolError(`invalid response header: ${(error as Error).message}`);
    }
    this.#headerRead = true;
  }

  #readTrailer(body: Uint8Array): void {
    this.#finished = true;
    if (body.byteLength === 0) {
      return; // OK without metadata
    }
    let error: ConnectError | undefined;
    try {
      const trailer = fromBinary(TrailerSchema, body);
      metadataToHeaders(trailer.metadata, this.trailer);
      error = trailerToError(trailer, this.header);
    } catch (reason) {
      throw protocolError(`invalid trailer: ${(reason as Error).message}`);
    }
    if (error !== undefined) {
      throw error;
    }
  }
}

function protocolError(message: string): ConnectError {
  return new ConnectError(`protocol error: ${message}`, Code.Internal);
}
