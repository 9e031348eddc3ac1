import type { ConnectionMonitorInit } from "libp2p";

/**
 * libp2p's connection monitor set to find a dead connection within
 * `livenessTimeoutMs`: a ping every half of it, each allowed the other half,
 * so a peer that stops answering just after a ping is found when the next
 * ping times out. The ping timeout is fixed (libp2p's adaptive timeout
 * between equal bounds): libp2p lets it grow to 60 s after failures, which
 * would break the bound. A connection whose ping fails is aborted, which
 * fails every stream on it. `0` (or less) turns the monitor off.
 *
 * Relies on libp2p 3's `connectionMonitor` option (`pingInterval`,
 * `pingTimeout.minTimeout`/`maxTimeout`, `abortConnectionOnPingFailure`,
 * `enabled`), and on the ping protocol being served by the peer; a peer that
 * does not serve it still counts as alive (libp2p's rule).
 */
export function livenessMonitor(livenessTimeoutMs: number): ConnectionMonitorInit {
  if (livenessTimeoutMs <= 0) {
    return { enabled: false };
  }
  const pingIntervalMs = Math.max(1, Math.floor(livenessTimeoutMs / 2));
  const pingTimeoutMs = Math.max(1, livenessTimeoutMs - pingIntervalMs);
  return {
    pingInterval: pingIntervalMs,
    pingTimeout: { minTimeout: pingTimeoutMs, maxTimeout: pingTimeoutMs },
    abortConnectionOnPingFailure: true,
  };
}
