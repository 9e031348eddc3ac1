// Relies on: @libp2p/kad-dht ^16.4.5: a kad-dht service exposes its peer
// routing as `service[peerRoutingSymbol]` (a getter on the class), whose
// `findPeer(id, { useCache })` answers from the local peer store whenever the
// peer has an entry there, even one without addresses, unless `useCache` is
// false. Checked when the service is built: a service without that shape is
// returned untouched (kad-dht's own behaviour), and the node logs it once.
// Delete when kad-dht asks the network for a peer whose entry has no
// address: the canary in test/discovery/find-by-id.test.ts fails then.
import { type PeerId, type PeerInfo, type PeerRouting, peerRoutingSymbol } from "@libp2p/interface";
import { fallbackReporter, loggerOf } from "../node/fallback-reporter.ts";

type RoutingOptions = Parameters<PeerRouting["findPeer"]>[1];

/**
 * Wraps a kad-dht service factory so that its `findPeer` asks the network
 * when the local peer store knows the peer but no address of it.
 *
 * Why: libp2p's `dial(peerId)` asks peer routing only when the peer store has
 * no address. A peer with an address-less entry (a tag set before the first
 * dial, as the connection keeper does when a call starts) got kad-dht's
 * answer "found, no addresses" from that entry, and the dial failed with
 * NoValidAddressesError without the network ever being asked: every first
 * call by PeerId to an unknown peer failed.
 * @internal
 */
export function lookUpPeersWithoutAddresses<C, S extends object>(
  factory: (components: C) => S,
): (components: C) => S {
  return (components) => {
    const service = factory(components);
    const inner = (service as { [peerRoutingSymbol]?: Partial<PeerRouting> })[peerRoutingSymbol];
    const findPeer = inner?.findPeer?.bind(inner);
    if (inner === undefined || findPeer === undefined) {
      const logger = loggerOf(components);
      fallbackReporter(
        "lookUpPeersWithoutAddresses",
        logger,
      )("the DHT service has no peer routing with findPeer");
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
