import type { Stream } from "@libp2p/interface";
import type { FrameSplitter } from "./varint-frames.ts";

/**
 * Feeds everything `stream` receives into `splitter`, through `message`
 * events: libp2p buffers data until the listener exists, so nothing is lost,
 * and this never hangs the way `for await` over a stream that already ended can.
 * A malformed frame resets the stream.
 */
export function feedFrames(stream: Stream, splitter: FrameSplitter): void {
  stream.addEventListener("message", (event) => {
    try {
      const data = event.data;
      if (data instanceof Uint8Array) {
        splitter.push(data);
      } else {
        for (const chunk of data) {
          splitter.push(chunk);
        }
      }
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** Resolves when `stream` may be written again: at once, on `drain`, or on `close`. */
export function drained(stream: Stream): Promise<void> {
  if (!stream.writableNeedsDrain || stream.status !== "open") {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = (): void => {
      stream.removeEventListener("drain", done);
      stream.removeEventListener("close", done);
      resolve();
    };
    stream.addEventListener("drain", done);
    stream.addEventListener("close", done);
  });
}

/** Rejects when `stream` closes, with its error or a plain "closed" error. */
export function closedEarly(stream: Stream, what: string): Promise<never> {
  return new Promise((_, reject) => {
    stream.addEventListener(
      "close",
      (event) => reject(event.error ?? new Error(`${what}: stream closed before the answer`)),
      { once: true },
    );
  });
}
