import type { Stream } from "@libp2p/interface";

/** The error a stream closed by its connection during a call is reset with. */
class ClosedInCallError extends Error {
  override name = "ClosedInCallError";
}

/**
 * Turns a graceful close of `stream` into a reset while `inCall()` holds.
 *
 * A connection that closes gracefully (`connection.close()`, libp2p's
 * connection pruning, a node stopping without draining) closes the write side
 * of each of its streams: the client would read a clean end before any frame
 * of its call, which PROTOCOL.md 6 reserves for "the server closed the stream
 * between calls, your call never ran", and might run a call again that a
 * handler is running. A reset instead says "the call broke": only an
 * idempotent call is retried. The server's own closes happen between calls
 * and are not affected. libp2p's muxer closes the very stream object the
 * handler got, so an own `close` property on it is what the muxer calls.
 */
export function resetIfClosedInCall(stream: Stream, inCall: () => boolean): void {
  const close = stream.close;
  stream.close = (options) => {
    if (inCall()) {
      stream.abort(new ClosedInCallError("the connection closed while a call was in progress"));
      return Promise.resolve();
    }
    return close.call(stream, options);
  };
}
