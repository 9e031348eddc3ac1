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
 * on first use; a wait that finds it still running leaves it be (its check
 * grants a header begun just before it one more period), so a stream's
 * calls touch no timer.
 */
export class HeaderTimeout {
  readonly #stream: Stream;
  readonly #reader: FrameReader;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armed = false;
  /** The timer will fire: it is refreshed only after it fired with nothing to wait for. */
  #ticking = false;
  #fresh = true;
  /** Between calls: a byte of the next header was there at the last check. */
  #started = false;

  constructor(stream: Stream, reader: FrameReader, timeoutMs: number) {
    this.#stream = stream;
    this.#reader = reader;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The stream's next frame if it is already buffered, without a promise;
   * undefined when it is not: then {@link wait} for it.
   */
  tryRead(): DecodedItem | undefined {
    const item = this.#reader.tryRead();
    if (item !== undefined) {
      this.#fresh = false;
    }
    return item;
  }

  /**
   * Waits for the stream's next frame, as `reader.read()`, with the clock
   * running; call {@link arrived} once it came. No async frame of its own:
   * this is on every call's path.
   */
  wait(): Promise<DecodedItem | undefined> {
    this.#arm();
    return this.#reader.read();
  }

  /** The frame {@link wait} waited for came: the clock stops. */
  arrived(): void {
    this.#armed = false;
    this.#fresh = false;
  }

  /** Stops the timer for good. */
  dispose(): void {
    this.#armed = false;
    this.#ticking = false;
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
    } else if (!this.#ticking) {
      this.#timer.refresh();
    }
    this.#ticking = true;
  }

  readonly #expire = (): void => {
    if (!this.#armed) {
      this.#ticking = false;
      return;
    }
    if (!this.#fresh && !this.#started) {
      // Between calls: idle is fine, a header that has begun gets one more period.
      this.#started = !this.#reader.idle;
      this.#timer?.refresh();
      return;
    }
    this.#armed = false;
    this.#ticking = false;
    this.#stream.abort(
      new HeaderTimeoutError(`no whole REQUEST_HEADER within ${this.#timeoutMs} ms`),
    );
  };
}
