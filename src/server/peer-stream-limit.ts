import type { Connection, Stream } from "@libp2p/interface";

/**
 * The error a stream is reset with when its peer already has as many
 * p2prpc streams open to the server as {@link PeerStreamLimit} allows.
 */
export class TooManyPeerStreamsError extends Error {
  override name = "TooManyPeerStreamsError";
}

/**
 * Counts the streams each remote peer has open to a server, over all its
 * methods and connections, and refuses those past `maxStreams`. libp2p
 * limits streams per protocol (method) and connection (`maxInboundStreams`);
 * this is what it lacks: a peer could otherwise multiply that limit by the
 * number of methods, or by opening more connections.
 */
export class PeerStreamLimit {
  readonly #maxStreams: number;
  readonly #open = new Map<string, number>();

  constructor(maxStreams: number) {
    this.#maxStreams = maxStreams;
  }

  /** Streams `peer` has open now (for tests and stats). */
  openStreams(peer: string): number {
    return this.#open.get(peer) ?? 0;
  }

  /**
   * Wraps a stream handler: a stream past its peer's limit is reset at once
   * (before anything is read from it), the others are counted until
   * `serve` settles.
   */
  wrap(
    serve: (stream: Stream, connection: Connection) => Promise<void>,
  ): (stream: Stream, connection: Connection) => Promise<void> {
    return async (stream, connection) => {
      const peer = connection.remotePeer.toString();
      const open = this.#open.get(peer) ?? 0;
      if (open >= this.#maxStreams) {
        stream.abort(
          new TooManyPeerStreamsError(
            `peer has ${open} streams open, the limit is ${this.#maxStreams}`,
          ),
        );
        return;
      }
      this.#open.set(peer, open + 1);
      try {
        await serve(stream, connection);
      } finally {
        const left = (this.#open.get(peer) ?? 1) - 1;
        if (left === 0) {
          this.#open.delete(peer);
        } else {
          this.#open.set(peer, left);
        }
      }
    };
  }
}
