import { setImmediate as nextTurn } from "node:timers/promises";
import type { StreamRequest } from "../systems/system-module.ts";
import { END_FRAME, encodeFrame } from "./varint-frames.ts";

/** A byte sink with backpressure: a libp2p stream or a socket. */
export interface FrameSink {
  /** Queues `frame`; false when the caller should wait for `drained()`. */
  send(frame: Uint8Array): boolean;
  drained(): Promise<void>;
  /** True once the peer went away (stop sending). */
  gone(): boolean;
}

const CLOCK_EVERY = 64;
/** Let the event loop breathe at least this often, even when `send` never pushes back. */
const YIELD_EVERY = 4096;

/**
 * Serves a raw server stream: `count` frames of `payloadSize` zero bytes, one
 * `send` per message (the same prebuilt frame every time), or as many as fit in
 * `durationMs`; after the first, a held stream waits for the release. Ends
 * with an empty frame.
 */
export async function sendStreamFrames(
  request: StreamRequest,
  sink: FrameSink,
  waitForRelease: () => Promise<void>,
): Promise<void> {
  const frame = encodeFrame(new Uint8Array(request.payloadSize));
  const deadline =
    request.durationMs > 0 ? performance.now() + request.durationMs : Number.POSITIVE_INFINITY;
  let sinceYield = 0;
  for (let index = 0; index < request.count; index++) {
    if (sink.gone()) {
      return;
    }
    if (request.hold && index === 1) {
      await waitForRelease();
    }
    if (index % CLOCK_EVERY === 0 && performance.now() >= deadline) {
      break;
    }
    if (!sink.send(frame)) {
      await sink.drained();
      sinceYield = 0;
    } else if (++sinceYield >= YIELD_EVERY) {
      await nextTurn();
      sinceYield = 0;
    }
  }
  if (!sink.gone()) {
    sink.send(END_FRAME);
  }
}
