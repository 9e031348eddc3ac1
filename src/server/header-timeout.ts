import type { Stream } from "@libp2p/interface";
import type { DecodedItem } from "../wire/frame-decoder.ts";
import type { FrameReader } from "../wire/frame-reader.ts";

/**
 * The error a stream is reset with when a REQUEST_HEADER did not arrive in
 * time (see {@link HeaderTimeout}).
 */
export class HeaderTimeoutError extends Error {
  override name = "HeaderTimeoutError";
}

/**
 * Bounds how long a server stream waits for a call's REQUEST_HEADER, against
 * peers that negotiate a method and then send nothing, or a byte at a time
 * (slowloris).
 *
 * - A new stream's first header must be whole within `timeoutMs` of the
 *   stream being handed to the server: a client sends it at once.
 * - Between calls a stream may stay idle (clients keep idle streams for
 *   later calls): the clock only runs once a byte of the next header is
 *   there, and that header must then be whole within one to two
 *   `timeoutMs` (the check runs every `timeoutMs`).
 *
 * On expiry the stream is reset with a {@link HeaderTimeoutError}: there is
 * no call to answer (PROTOCOL.md, section 13). One timer per stream, made
 * on first use and refreshed, never one per call.
 */
export class HeaderTimeout {
  readonly #stream: Stream;
  readonly #reader: FrameReader;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armed = false;
  #fresh = true;
  /** Between calls: a byte of the next header was there at the last check. */
  #started = false;

  constructor(stream: Stream, reader: FrameReader, timeoutMs: number) {
    this.#stream = stream;
    this.#reader = reader;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The stream's next frame, as `reader.read()`, with the clock running
   * while it is not there yet.
   */
  async read(): Promise<DecodedItem | undefined> {
    const buffered = this.#reader.tryRead();
    if (buffered !== undefined) {
      this.#fresh = false;
      return buffered;
    }
    this.#arm();
    try {
      return await this.#reader.read();
    } finally {
      this.#armed = false;
      this.#fresh = false;
    }
  }

  /** Stops the timer for good. */
  dispose(): void {
    this.#armed = false;
    clearTimeout(this.#timer);
  }

  #arm(): void {
    if (this.#timeoutMs <= 0) {
      return;
    }
    this.#armed = true;
    this.#started = false;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#expire, this.#timeoutMs);
      this.#timer.unref?.();
    } else {
      this.#timer.refresh();
    }
  }

  readonly #expire = (): void => {
    if (!this.#armed) {
      return;
    }
    if (!this.#fresh && !this.#started) {
      // Between calls: idle is fine, a header that has begun gets one more period.
      this.#started = !this.#reader.idle;
      this.#timer?.refresh();
      return;
    }
    this.#armed = false;
    this.#stream.abort(
      new HeaderTimeoutError(`no whole REQUEST_HEADER within ${this.#timeoutMs} ms`),
    );
  };
}
