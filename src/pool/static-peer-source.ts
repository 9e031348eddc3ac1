import type { PeerChannel } from "./peer-channel.ts";
import type { PeerSource } from "./peer-pool.ts";

/** A fixed list of peers, the same for every method: a transport's `peer` or `peers`. */
export class StaticPeerSource implements PeerSource {
  readonly #channels: readonly PeerChannel[];

  constructor(channels: readonly PeerChannel[]) {
    this.#channels = channels;
  }

  candidates(): readonly PeerChannel[] {
    return this.#channels;
  }

  channels(): readonly PeerChannel[] {
    return this.#channels;
  }
}
