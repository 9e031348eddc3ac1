import type { BalancePolicy } from "./balance-policy.ts";

/**
 * Calls take the set's peers in turn.
 *
 * @example
 * ```ts
 * createLibp2pTransport({ libp2p, peers: [a, b, c], balance: roundRobin() });
 * ```
 */
export function roundRobin(): BalancePolicy {
  let next = 0;
  return {
    pick(peers) {
      const peer = peers[next % peers.length] as (typeof peers)[number];
      next = (next + 1) % 0x7fff_ffff;
      return peer;
    },
  };
}
