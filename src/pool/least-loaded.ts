import type { BalancePolicy, PeerLoad } from "./balance-policy.ts";

/**
 * Cost of a peer: the latency one more call could expect there, its service
 * time times the calls it would share the peer with (Finagle's "peak EWMA").
 */
function costOf(peer: PeerLoad): number {
  // A peer never measured counts as fast, so it gets tried.
  return (peer.latencyMs + 0.01) * (peer.inFlight + 1);
}

/**
 * The better of two peers drawn at random ("power of two choices"): the one
 * whose service time (see {@link PeerLoad.latencyMs}), times its calls in
 * flight plus this one, is lower. A slow or busy peer gets fewer calls without being starved of
 * the samples that show it recovered.
 *
 * @example
 * ```ts
 * createLibp2pTransport({ libp2p, peers: [a, b, c], balance: leastLoaded() });
 * ```
 */
export function leastLoaded(random: () => number = Math.random): BalancePolicy {
  return {
    pick(peers) {
      if (peers.length === 1) {
        return peers[0] as PeerLoad;
      }
      const first = Math.floor(random() * peers.length);
      let second = Math.floor(random() * (peers.length - 1));
      if (second >= first) {
        second++;
      }
      const a = peers[first] as PeerLoad;
      const b = peers[second] as PeerLoad;
      return costOf(b) < costOf(a) ? b : a;
    },
  };
}
