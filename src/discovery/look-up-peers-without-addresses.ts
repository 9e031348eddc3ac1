/**
 * Relies on: a kad-dht service exposes its peer routing as
 * `service[peerRoutingSymbol]` (a getter on the class in @libp2p/kad-dht 16),
 * whose `findPeer(id, { useCache })` first answers from the local peer store
 * when the peer has an entry there, even an entry without addresses.
 *
 * Buys: libp2p's `dial(peerId)` asks peer routing only when the peer store has
 * no address; if the peer has an address-less entry (a tag set before the
 * first dial, as the connection keeper does when a call starts), kad-dht
 * answers "found, no addresses" from that entry and the dial fails with
 * NoValidAddressesError without ever asking the network. This wrapper asks
 * the network (`useCache: false`) whenever the local answer has no address.
 *
 * Falls back: a service without that shape is returned untouched.
 */
import { type PeerId, type PeerInfo, type PeerRouting, peerRoutingSymbol } from "@libp2p/interface";

type RoutingOptions = Parameters<PeerRouting["findPeer"]>[1];

/** Wraps a kad-dht service factory so its `findPeer` asks the network when the peer store knows no address. @internal */
export function lookUpPeersWithoutAddresses<C, S extends object>(
  factory: (components: C) => S,
): (components: C) => S {
  return (components) => {
    const service = factory(components);
    const inner = (service as { [peerRoutingSymbol]?: Partial<PeerRouting> })[peerRoutingSymbol];
    const findPeer = inner?.findPeer?.bind(inner);
    if (inner === undefined || findPeer === undefined) {
      return service;
    }
    const routing: Partial<PeerRouting> = {
      ...(inner.getClosestPeers === undefined
        ? {}
        : { getClosestPeers: inner.getClosestPeers.bind(inner) }),
      async findPeer(id: PeerId, options?: RoutingOptions): Promise<PeerInfo> {
        const found = await findPeer(id, options);
        if (found.multiaddrs.length > 0 || options?.useCache === false) {
          return found;
        }
        return findPeer(id, { ...options, useCache: false });
      },
    };
    Object.defineProperty(service, peerRoutingSymbol, { value: routing });
    return service;
  };
}
