import { Code, ConnectError } from "@connectrpc/connect";
import type { PeerId } from "@libp2p/interface";
import type { DiscoveredPeers } from "./discovered-peers.ts";
import type { PeerChannel } from "./peer-channel.ts";
import type { PeerSource, SignalOf } from "./peer-pool.ts";

/**
 * The peers discovered to serve each method (see {@link DiscoveredPeers}),
 * one channel per peer, made when the peer is first a candidate. With none,
 * a call waits for one within its deadline (`waitForReady`) or fails at once
 * with `Unavailable`.
 */
export class DiscoveredPeerSource implements PeerSource {
  readonly #discovered: DiscoveredPeers;
  readonly #channelOf: (peer: PeerId) => PeerChannel;
  readonly #waitForReady: boolean;
  readonly #channels = new Map<string, PeerChannel>();

  constructor(
    discovered: DiscoveredPeers,
    channelOf: (peer: PeerId) => PeerChannel,
    waitForReady: boolean,
  ) {
    this.#discovered = discovered;
    this.#channelOf = channelOf;
    this.#waitForReady = waitForReady;
  }

  async candidates(protocol: string, call: SignalOf): Promise<readonly PeerChannel[]> {
    let peers = await this.#discovered.peersOf(protocol);
    while (peers.length === 0) {
      if (!this.#waitForReady) {
        throw new ConnectError(`no known peer serves ${protocol}`, Code.Unavailable);
      }
      await this.#discovered.whenAny(protocol, call.signal);
      peers = await this.#discovered.peersOf(protocol);
    }
    return peers.map((peer) => {
      const id = peer.toString();
      let channel = this.#channels.get(id);
      if (channel === undefined) {
        channel = this.#channelOf(peer);
        this.#channels.set(id, channel);
      }
      return channel;
    });
  }

  channels(): readonly PeerChannel[] {
    return [...this.#channels.values()];
  }
}
