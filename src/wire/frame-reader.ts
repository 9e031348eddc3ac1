import {
  type Stream,
  type StreamCloseEvent,
  type StreamMessageEvent,
  StreamResetError,
} from "@libp2p/interface";
import {
  DEFAULT_READ_HIGH_WATER_MARK_BYTES,
  PAUSED_READ_BUFFER_SLACK_BYTES,
} from "../constants.ts";
import { type DecodedItem, FrameDecoder, FramingError } from "./frame-decoder.ts";

/**
 * What a reader's `nextBuffered()` returns when no complete frame is buffered
 * yet: the caller then waits with `next()`.
 */
export const NOT_BUFFERED: unique symbol = Symbol("not buffered");

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Largest frame payload (type byte + body) accepted; larger ones are reported as `oversize`. */
  readonly maxPayloadBytes: number;
  /**
   * Bytes received and not read yet before the stream is paused.
   * @default 262144
   */
  readonly highWaterMarkBytes?: number;
  /**
   * Called once when the remote ends its side (cleanly: no error, even with
   * frames still unread) or the stream fails (with the error).
   */
  readonly onEnd?: (error?: Error) => void;
}

/** Who waits for a frame: see {@link FrameReader.readInto}. */
export interface FrameWaiter {
  resolve(item: DecodedItem | undefined): void;
  reject(error: Error): void;
}

/**
 * Reads frames from a libp2p stream through its events, not its async
 * iterator (which can miss an end that happened before iteration began).
 *
 * `read()` resolves with the next item, or `undefined` once the remote closed
 * its writable side at a frame boundary; it rejects if the stream was reset or
 * ended inside a frame. Received bytes wait undecoded until read; when more
 * than the high-water mark wait and no read is waiting, the stream is
 * paused, which stops the muxer's window updates and so pushes back on the
 * sender. A read that finds no whole frame resumes the stream: a frame larger
 * than the high-water mark could never complete on a paused stream.
 */
export class FrameReader {
  readonly #stream: Stream;
  readonly #decoder: FrameDecoder;
  readonly #highWaterMarkBytes: number;
  readonly #onEnd: ((error?: Error) => void) | undefined;
  readonly #waiters: FrameWaiter[] = [];
  #paused = false;
  #resuming = false;
  /** The remote ended its side: once the buffer is read, reads return undefined. */
  #ended = false;
  #done = false;
  #endNotified = false;
  #error: Error | undefined;

  constructor(stream: Stream, options: FrameReaderOptions) {
    this.#stream = stream;
    this.#decoder = new FrameDecoder(options.maxPayloadBytes);
    this.#highWaterMarkBytes = options.highWaterMarkBytes ?? DEFAULT_READ_HIGH_WATER_MARK_BYTES;
    this.#onEnd = options.onEnd;
    stream.maxReadBufferLength = Math.max(
      stream.maxReadBufferLength,
      options.maxPayloadBytes + PAUSED_READ_BUFFER_SLACK_BYTES,
    );
    stream.addEventListener("message", this.#onMessage);
    stream.addEventListener("end", this.#onStreamEnd);
    stream.addEventListener("close", this.#onClose);
    if (stream.readableEnded) {
      this.#endOfInput();
    }
  }

  /** True once the readable side has ended and everything received was read, or it failed. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * True once the remote ended its side (cleanly) or the stream failed, even
   * with frames still unread: the moment `onEnd` was called.
   */
  get remoteEnded(): boolean {
    return this.#endNotified;
  }

  /** True when no byte is held undecoded or unread (no frame, no part of one). */
  get idle(): boolean {
    return this.#decoder.idle;
  }

  /** The next frame, `undefined` at a clean end of stream. */
  read(): Promise<DecodedItem | undefined> {
    const item = this.tryRead();
    return item !== undefined
      ? Promise.resolve(item)
      : new Promise((resolve, reject) => this.readInto({ resolve, reject }));
  }

  /**
   * As {@link read}, but hands the result to `waiter` instead of a promise:
   * at once when a frame, the end or the error is already here, otherwise
   * from the stream's `message` event, synchronously, as the frame arrives.
   * For a caller that only turns the item into its own promise's value: the
   * promise `read()` makes, and the reactions to it, are saved on every
   * frame that is waited for. `waiter` must not throw, and must leave what
   * its caller does with the item to later (a promise's reaction): it runs
   * inside the stream's event.
   */
  readInto(waiter: FrameWaiter): void {
    const item = this.tryRead();
    if (item !== undefined) {
      waiter.resolve(item);
      return;
    }
    if (this.#error === undefined && this.#ended) {
      this.#finish();
    }
    if (this.#error !== undefined) {
      waiter.reject(this.#error);
      return;
    }
    if (this.#ended) {
      waiter.resolve(undefined);
      return;
    }
    this.#waiters.push(waiter);
    // Someone now needs bytes that are not here yet: a paused stream would
    // never bring them (the muxer grants no window while paused).
    this.#resume();
  }

  /**
   * The next frame if one is already buffered, without a promise; otherwise
   * `undefined`, and `read()` then waits for it (or reports the end or the
   * error).
   */
  tryRead(): DecodedItem | undefined {
    if (this.#error !== undefined) {
      return undefined;
    }
    let item: DecodedItem | undefined;
    try {
      item = this.#decoder.next();
    } catch (error) {
      this.#fail(error as Error);
      return undefined;
    }
    if (item !== undefined) {
      this.#maybeResume();
    }
    return item;
  }

  /** Stops listening to the stream. */
  detach(): void {
    this.#stream.removeEventListener("message", this.#onMessage);
    this.#stream.removeEventListener("end", this.#onStreamEnd);
    this.#stream.removeEventListener("close", this.#onClose);
  }

  readonly #onMessage = (event: StreamMessageEvent): void => {
    this.#decoder.append(event.data);
    try {
      while (this.#waiters.length > 0) {
        const item = this.#decoder.next();
        if (item === undefined) {
          break;
        }
        this.#waiters.shift()?.resolve(item);
      }
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (!this.#resuming) {
      this.#pauseIfFull();
    }
  };

  readonly #onStreamEnd = (): void => {
    // A reset or an abort also ends the readable side; its 'close' event,
    // which carries the cause, follows at once and fails the reader.
    const status = this.#stream.status;
    if (status !== "reset" && status !== "aborted") {
      this.#endOfInput();
    }
  };

  readonly #onClose = (event: StreamCloseEvent): void => {
    const status = this.#stream.status;
    if (status === "reset" || status === "aborted") {
      // Reported as a reset whatever the cause (a ping timeout of the
      // connection monitor is a TimeoutError, which is no deadline of the
      // call's), with the cause kept for whoever reads it.
      const cause = event.error instanceof Error ? event.error : undefined;
      const reset = new StreamResetError(
        `stream ${status} before its end was read${cause === undefined ? "" : `: ${cause.message}`}`,
      );
      reset.cause = cause;
      this.#fail(reset);
      return;
    }
    if (event.error !== undefined) {
      // Some transports pass an Event rather than an Error.
      const error =
        event.error instanceof Error
          ? event.error
          : new StreamResetError("stream closed with an error");
      this.#fail(error);
    } else {
      this.#endOfInput();
    }
  };

  /**
   * Pauses while more than the high-water mark waits unread and nobody waits
   * for a frame. With a waiter, what is buffered is the start of the frame it
   * needs: pausing then would stop the very bytes that complete it.
   */
  #pauseIfFull(): void {
    if (
      !this.#paused &&
      this.#waiters.length === 0 &&
      this.#decoder.bufferedBytes > this.#highWaterMarkBytes
    ) {
      if (this.#stream.readStatus === "readable") {
        this.#paused = true;
        this.#stream.pause();
      }
    }
  }

  #maybeResume(): void {
    if (this.#decoder.bufferedBytes <= this.#highWaterMarkBytes / 2) {
      this.#resume();
    }
  }

  #resume(): void {
    if (this.#paused) {
      this.#paused = false;
      if (this.#stream.readStatus === "paused") {
        // resume() hands over the stream's buffer synchronously and only then
        // re-opens the muxer's window: pausing from inside that hand-over would
        // be undone at once, so decide after resume() returns.
        this.#resuming = true;
        try {
          this.#stream.resume();
        } finally {
          this.#resuming = false;
        }
        this.#pauseIfFull();
      }
    }
  }

  /** The remote ended its side; frames still buffered can be read. */
  #endOfInput(): void {
    if (this.#ended || this.#done) {
      return;
    }
    this.#ended = true;
    this.detach();
    this.#notifyEnd();
    // Waiters exist only when nothing complete is buffered.
    if (this.#waiters.length > 0) {
      this.#finish();
    }
  }

  #notifyEnd(error?: Error): void {
    if (!this.#endNotified) {
      this.#endNotified = true;
      this.#onEnd?.(error);
    }
  }

  #finish(): void {
    if (this.#done) {
      return;
    }
    if (!this.#decoder.idle) {
      // Both directions ended at once: the connection under the stream
      // closed (a peer killed mid-frame), which a peer's own close of its
      // side never does. The frame was cut by the transport, not sent short.
      const stream = this.#stream;
      this.#fail(
        stream.writeStatus === "closed" && stream.remoteReadStatus === "closed"
          ? new StreamResetError("the connection closed inside a frame")
          : new FramingError("stream ended inside a frame"),
      );
      return;
    }
    this.#done = true;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.resolve(undefined);
    }
  }

  #fail(error: Error): void {
    if (this.#done) {
      return;
    }
    this.#done = true;
    this.#error = error;
    this.detach();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(error);
    }
    this.#notifyEnd(error);
  }
}
