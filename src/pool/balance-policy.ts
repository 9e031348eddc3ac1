/**
 * What a {@link BalancePolicy} sees of one peer of a set: enough to choose,
 * nothing to change.
 */
export interface PeerLoad {
  /** The peer's id, as a string. */
  readonly id: string;
  /** Calls to it in flight now. */
  readonly inFlight: number;
  /**
   * What one call costs it, in milliseconds (0: not measured yet): a moving
   * average of its calls' latency, each divided by the calls that were in
   * flight to it at the end, so its own queueing is not counted twice when
   * multiplied by `inFlight`.
   */
  readonly latencyMs: number;
  /** Consecutive failed attempts: 0 once a call succeeded. */
  readonly failures: number;
}

/**
 * Chooses the peer for the next attempt of a call. `peers` is never empty and
 * holds the set's peers in their configured order, less those the call's
 * earlier attempts failed on while others remain. Implement it to balance by
 * your own rule; `pickFirst`, `roundRobin` and `leastLoaded` are built in.
 *
 * @example
 * ```ts
 * import type { BalancePolicy } from "p2prpc";
 *
 * // Always the peer with the fewest calls in flight.
 * const fewestInFlight: BalancePolicy = {
 *   pick: (peers) => peers.reduce((best, peer) => (peer.inFlight < best.inFlight ? peer : best)),
 * };
 * ```
 */
export interface BalancePolicy {
  /** The peer for the next attempt, one of `peers`. */
  pick(peers: readonly PeerLoad[]): PeerLoad;
}
