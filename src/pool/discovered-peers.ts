import type {
  Connection,
  Libp2pEvents,
  PeerId,
  PeerStore,
  Topology,
  TypedEventTarget,
} from "@libp2p/interface";

/** The parts of a libp2p node that discovery uses. */
export interface DiscoveryNode extends TypedEventTarget<Libp2pEvents> {
  readonly peerId: PeerId;
  readonly peerStore: PeerStore;
  register(protocol: string, topology: Topology): Promise<string>;
  unregister(id: string): void;
  getConnections(peer?: PeerId): Connection[];
}

/** The peers known to serve one protocol, connected ones first. */
interface ProtocolPeers {
  readonly ready: Promise<void>;
  readonly peers: Map<string, PeerId>;
  /** Resolvers of calls waiting for a first peer. */
  readonly waiting: Set<() => void>;
}

/**
 * The peers that serve a method, as libp2p knows them: those in the peer
 * store whose protocols (as identify reported them) include the method's
 * protocol id, kept up to date by a topology (`register`) and by
 * `peer:update` events. While any of them is connected, only connected ones
 * are offered, so a member that went away is not tried before the others.
 */
/** A peer that came to serve, or stopped serving, a protocol. */
export interface PeerSetChange {
  readonly protocol: string;
  readonly peer: string;
  readonly added: boolean;
}

export class DiscoveredPeers {
  readonly #node: DiscoveryNode;
  /** Told of every peer added to or removed from a protocol's set. */
  onChange: ((change: PeerSetChange) => void) | undefined;
  readonly #protocols = new Map<string, ProtocolPeers>();
  readonly #registrations: Promise<string>[] = [];

  constructor(node: DiscoveryNode) {
    this.#node = node;
    node.addEventListener("peer:update", this.#onUpdate);
  }

  /**
   * The PeerIds that serve `protocol` now: the connected ones, or, when none
   * is connected, every known one (a call then dials). The first call for a
   * protocol waits for the peer store's answer.
   */
  async peersOf(protocol: string): Promise<PeerId[]> {
    const entry = this.#entry(protocol);
    await entry.ready;
    const all = [...entry.peers.values()];
    const connected = all.filter((peer) => this.#node.getConnections(peer).length > 0);
    return connected.length === 0 ? all : connected;
  }

  /** Resolves when a peer that serves `protocol` becomes known, or rejects when `signal` aborts. */
  whenAny(protocol: string, signal: AbortSignal): Promise<void> {
    const entry = this.#entry(protocol);
    if (entry.peers.size > 0) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const done = (): void => {
        signal.removeEventListener("abort", onAbort);
        entry.waiting.delete(done);
        resolve();
      };
      const onAbort = (): void => {
        entry.waiting.delete(done);
        reject(signal.reason);
      };
      entry.waiting.add(done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Stops following the node. */
  async close(): Promise<void> {
    this.#node.removeEventListener("peer:update", this.#onUpdate);
    for (const id of await Promise.all(this.#registrations)) {
      this.#node.unregister(id);
    }
  }

  #entry(protocol: string): ProtocolPeers {
    let entry = this.#protocols.get(protocol);
    if (entry === undefined) {
      const created: ProtocolPeers = {
        ready: this.#node.peerStore
          .all({ filters: [(peer) => peer.protocols.includes(protocol)] })
          .then((known) => {
            for (const { id } of known) {
              this.#add(created, id);
            }
          }),
        peers: new Map(),
        waiting: new Set(),
      };
      entry = created;
      this.#protocols.set(protocol, entry);
      this.#registrations.push(
        this.#node.register(protocol, {
          onConnect: (peer) => this.#add(created, peer),
        }),
      );
    }
    return entry;
  }

  #add(entry: ProtocolPeers, peer: PeerId): void {
    if (peer.equals(this.#node.peerId)) {
      return;
    }
    const id = peer.toString();
    if (!entry.peers.has(id)) {
      entry.peers.set(id, peer);
      this.onChange?.({ protocol: this.#protocolOf(entry), peer: id, added: true });
    }
    for (const resolve of [...entry.waiting]) {
      resolve();
    }
  }

  #protocolOf(entry: ProtocolPeers): string {
    for (const [protocol, candidate] of this.#protocols) {
      if (candidate === entry) {
        return protocol;
      }
    }
    return "";
  }

  readonly #onUpdate = (event: Libp2pEvents["peer:update"]): void => {
    const { peer } = event.detail;
    for (const [protocol, entry] of this.#protocols) {
      if (peer.protocols.includes(protocol)) {
        this.#add(entry, peer.id);
      } else if (entry.peers.delete(peer.id.toString())) {
        this.onChange?.({ protocol, peer: peer.id.toString(), added: false });
      }
    }
  };
}
