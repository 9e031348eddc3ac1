import { Code, ConnectError } from "@connectrpc/connect";
import type { AbortOptions, Connection, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { optimisticSelectionOf } from "../node/optimistic-select-stream.ts";
import { toConnectError } from "../to-connect-error.ts";

/** The part of a libp2p node a client needs: dialing. */
export interface Dialer {
  /** Returns a connection to `peer`, dialing it when there is none (libp2p's `dial`). */
  dial(peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions): Promise<Connection>;
}

/**
 * Opens negotiated streams to one peer. libp2p reuses the connection and joins
 * concurrent dials; this adds one rule of its own: on a connection that has
 * not negotiated a stream yet, the first stream negotiates alone and the rest
 * wait for it. A burst of streams opened before the remote attached its
 * stream listener (right after a dial) trips yamux's early-stream limit (10)
 * and kills the connection.
 */
export class StreamOpener {
  readonly #dialer: Dialer;
  readonly #peer: PeerId | Multiaddr | Multiaddr[];
  readonly #maxOutboundStreams: number;
  readonly #dialTimeoutMs: number;
  readonly #warmed = new WeakMap<Connection, Promise<void> | true>();

  /** `dialTimeoutMs` bounds each dial (0: only the call's signal does). */
  constructor(
    dialer: Dialer,
    peer: PeerId | Multiaddr | Multiaddr[],
    maxOutboundStreams: number,
    dialTimeoutMs = 0,
  ) {
    this.#dialer = dialer;
    this.#peer = peer;
    this.#maxOutboundStreams = maxOutboundStreams;
    this.#dialTimeoutMs = dialTimeoutMs;
  }

  /**
   * A stream negotiated for `protocol`; rejects with a ConnectError. With
   * `optimistic`, the stream comes back before the remote confirmed the
   * protocol (on nodes that select optimistically, see `optimisticSelect`):
   * a refusal then shows as the stream failing, and `optimisticSelectionOf`
   * tells it apart.
   */
  async open(protocol: string, signal: AbortSignal, optimistic = false): Promise<Stream> {
    const dialTimeout =
      this.#dialTimeoutMs > 0 ? AbortSignal.timeout(this.#dialTimeoutMs) : undefined;
    try {
      const connection = await this.#dialer.dial(this.#peer, {
        signal: dialTimeout === undefined ? signal : AbortSignal.any([signal, dialTimeout]),
      });
      const warmed = this.#warmed.get(connection);
      if (warmed === undefined) {
        const stream = this.#newStream(connection, protocol, signal, optimistic);
        // The others wait until the remote answered this stream, optimistic or not.
        const settled = stream.then(
          (opened) => optimisticSelectionOf(opened)?.confirmation.catch(() => {}),
          () => {},
        );
        this.#warmed.set(connection, settled);
        void settled.then(() => this.#warmed.set(connection, true));
        return await stream;
      }
      if (warmed !== true) {
        // The first stream may wait on a peer that never answers: this call's
        // own deadline or cancellation must still end it.
        await untilAborted(warmed, signal);
      }
      return await this.#newStream(connection, protocol, signal, optimistic);
    } catch (error) {
      if (signal.aborted) {
        throw signal.reason;
      }
      if (dialTimeout?.aborted === true) {
        throw new ConnectError(
          `no connection to the peer within ${this.#dialTimeoutMs} ms`,
          Code.Unavailable,
          undefined,
          undefined,
          error,
        );
      }
      const connectError = toConnectError(error, Code.Unavailable);
      if (connectError.code === Code.DeadlineExceeded) {
        // A timeout that is not this call's (its signal did not abort): the
        // connection monitor aborting a dead connection, libp2p's own dial or
        // negotiation limits. The peer is out of reach; the call never left.
        throw new ConnectError(
          `the connection failed while opening a stream: ${connectError.rawMessage}`,
          Code.Unavailable,
          undefined,
          undefined,
          error,
        );
      }
      if (connectError.code === Code.Unimplemented) {
        throw new ConnectError(
          `peer does not serve ${protocol}`,
          Code.Unimplemented,
          undefined,
          undefined,
          error,
        );
      }
      throw connectError;
    }
  }

  #newStream(
    connection: Connection,
    protocol: string,
    signal: AbortSignal,
    optimistic: boolean,
  ): Promise<Stream> {
    const opening = connection.newStream(protocol, {
      signal,
      maxOutboundStreams: this.#maxOutboundStreams,
      negotiateFully: !optimistic,
      // The server decides which methods run on a limited (relayed) connection.
      runOnLimitedConnection: true,
    });
    // A muxer may not watch the signal while it waits to open a stream: a
    // QUIC connection out of stream credit waited past the call's deadline,
    // and the call never ended (npm run soak -- quic). The call ends at its
    // deadline all the same; a stream that opens after that is reset.
    return new Promise<Stream>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
      }
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      opening.then(
        (stream) => {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) {
            stream.abort(new Error("the call ended before its stream opened"));
          }
          resolve(stream);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }
}

/** `promise`, or a rejection with `signal`'s reason as soon as it aborts. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
