import { Code, ConnectError } from "@connectrpc/connect";
import type { AbortOptions, Connection, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { toConnectError } from "../to-connect-error.ts";

/** The part of a libp2p node a client needs: dialing. */
export interface Dialer {
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
  readonly #warmed = new WeakMap<Connection, Promise<void> | true>();

  constructor(dialer: Dialer, peer: PeerId | Multiaddr | Multiaddr[], maxOutboundStreams: number) {
    this.#dialer = dialer;
    this.#peer = peer;
    this.#maxOutboundStreams = maxOutboundStreams;
  }

  /** A stream negotiated for `protocol`; rejects with a ConnectError. */
  async open(protocol: string, signal: AbortSignal): Promise<Stream> {
    try {
      const connection = await this.#dialer.dial(this.#peer, { signal });
      const warmed = this.#warmed.get(connection);
      if (warmed === undefined) {
        const stream = this.#newStream(connection, protocol, signal);
        const settled = stream.then(
          () => {},
          () => {},
        );
        this.#warmed.set(connection, settled);
        void settled.then(() => this.#warmed.set(connection, true));
        return await stream;
      }
      if (warmed !== true) {
        await warmed;
      }
      return await this.#newStream(connection, protocol, signal);
    } catch (error) {
      if (signal.aborted) {
        throw signal.reason;
      }
      const connectError = toConnectError(error, Code.Unavailable);
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

  #newStream(connection: Connection, protocol: string, signal: AbortSignal): Promise<Stream> {
    return connection.newStream(protocol, {
      signal,
      maxOutboundStreams: this.#maxOutboundStreams,
    });
  }
}
