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

/** Options of {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Largest frame payload (type byte + body) accepted; larger ones are reported as `oversize`. */
  readonly maxPayloadBytes: number;
  /**
   * Bytes of decoded frames queued before the stream is paused.
   * @default 262144
   */
  readonly highWaterMarkBytes?: number;
  /** Called once when the stream's readable side ends: cleanly (no error) or not. */
  readonly onEnd?: (error?: Error) => void;
}

interface Waiter {
  resolve(item: DecodedItem | undefined): void;
  reject(error: Error): void;
}

/**
 * Reads frames from a libp2p stream through its events, not its async
 * iterator (which can miss an end that happened before iteration began).
 *
 * `read()` resolves with the next item, or `undefined` once the remote closed
 * its writable side at a frame boundary; it rejects if the stream was reset or
 * ended inside a frame. When decoded frames pile up unread, the stream is
 * paused, which stops the muxer's window updates and so pushes back on the
 * sender.
 */
export class FrameReader {
  readonly #stream: Stream;
  readonly #decoder: FrameDecoder;
  readonly #highWaterMarkBytes: number;
  readonly #onEnd: ((error?: Error) => void) | undefined;
  readonly #queue: DecodedItem[] = [];
  readonly #waiters: Waiter[] = [];
  #queuedBytes = 0;
  #paused = false;
  #resuming = false;
  #done = false;
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
      this.#finish();
    }
  }

  /** True once the readable side has ended, cleanly or not. */
  get done(): boolean {
    return this.#done;
  }

  /** The next frame, `undefined` at a clean end of stream. */
  read(): Promise<DecodedItem | undefined> {
    const item = this.#queue.shift();
    if (item !== undefined) {
      this.#dequeued(item);
      return Promise.resolve(item);
    }
    if (this.#error !== undefined) {
      return Promise.reject(this.#error);
    }
    if (this.#done) {
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Stops listening to the stream. */
  detach(): void {
    this.#stream.removeEventListener("message", this.#onMessage);
    this.#stream.removeEventListener("end", this.#onStreamEnd);
    this.#stream.removeEventListener("close", this.#onClose);
  }

  readonly #onMessage = (event: StreamMessageEvent): void => {
    let items: DecodedItem[];
    try {
      items = this.#decoder.push(event.data);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    for (const item of items) {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) {
        waiter.resolve(item);
        continue;
      }
      this.#queue.push(item);
      this.#queuedBytes += itemBytes(item);
    }
    if (!this.#resuming) {
      this.#pauseIfFull();
    }
  };

  #pauseIfFull(): void {
    if (!this.#paused && this.#queuedBytes > this.#highWaterMarkBytes) {
      const status = this.#stream.readStatus;
      if (status === "readable") {
        this.#paused = true;
        this.#stream.pause();
      }
    }
  }

  readonly #onStreamEnd = (): void => {
    // A reset also ends the readable side, and 'end' fires before 'close'.
    const status = this.#stream.status;
    if (status === "reset" || status === "aborted") {
      this.#fail(new StreamResetError(`stream ${status} before its end was read`));
    } else {
      this.#finish();
    }
  };

  readonly #onClose = (event: StreamCloseEvent): void => {
    if (event.error !== undefined) {
      // Some transports pass an Event rather than an Error.
      const error =
        event.error instanceof Error
          ? event.error
          : new StreamResetError("stream closed with an error");
      this.#fail(error);
    } else {
      this.#finish();
    }
  };

  #dequeued(item: DecodedItem): void {
    this.#queuedBytes -= itemBytes(item);
    if (this.#paused && this.#queuedBytes <= this.#highWaterMarkBytes / 2) {
      this.#paused = false;
      const status = this.#stream.readStatus;
      if (status === "paused") {
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

  #finish(): void {
    if (this.#done) {
      return;
    }
    if (!this.#decoder.idle) {
      this.#fail(new FramingError("stream ended inside a frame"));
      return;
    }
    this.#done = true;
    this.detach();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.resolve(undefined);
    }
    this.#onEnd?.();
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
    this.#onEnd?.(error);
  }
}

function itemBytes(item: DecodedItem): number {
  return item.type === "oversize" ? 0 : item.body.byteLength + 1;
}
