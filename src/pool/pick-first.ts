import type { BalancePolicy } from "./balance-policy.ts";

/**
 * Every call goes to the first peer of the set that has not failed it; the
 * next ones are tried, in order, when it fails. Peers that failed recently
 * move behind the others until they answer again.
 *
 * @example
 * ```ts
 * createLibp2pTransport({ libp2p, peers: [primary, standby], balance: pickFirst() });
 * ```
 */
export function pickFirst(): BalancePolicy {
  return {
    pick(peers) {
      let best = peers[0] as (typeof peers)[number];
      for (const peer of peers) {
        if (peer.failures < best.failures) {
          best = peer;
        }
      }
      return best;
    },
  };
}
