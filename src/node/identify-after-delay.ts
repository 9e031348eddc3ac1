import type { Identify } from "@libp2p/identify";
import type { Connection, Libp2p } from "@libp2p/interface";

/**
 * Runs identify on every new connection of `node` once `delayMs` passed, if
 * the connection is still open, instead of at once. The node's identify
 * service must have been created with `runOnConnectionOpen: false`.
 *
 * Why: identify at connection open (libp2p's default, on both sides) competes
 * with the first call for both peers' CPU. Each side opens a stream,
 * negotiates it, the responder signs a peer record, the asker verifies it and
 * writes the peer store. On the benchmark machine it was about 6 ms of a new
 * peer's first response over QUIC (12.4 → 4.3 ms for the call after the
 * dial). RPC needs none of it: the caller's identity comes from the
 * connection's handshake, and the call's protocol is negotiated on its own
 * stream. Identify still runs, just after the first calls.
 */
export function identifyAfterDelay(node: Libp2p<{ identify: Identify }>, delayMs: number): void {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const log = node.logger.forComponent("p2prpc:identify-after-delay");
  node.addEventListener("connection:open", (event: CustomEvent<Connection>) => {
    const connection = event.detail;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (connection.status !== "open") {
        return;
      }
      node.services.identify.identify(connection).catch((error: unknown) => {
        log("identify of %p failed - %e", connection.remotePeer, error);
      });
    }, delayMs);
    // A pending identify never keeps the process alive.
    timer.unref();
    timers.add(timer);
  });
  node.addEventListener("stop", () => {
    for (const timer of timers) {
      clearTimeout(timer);
    }
    timers.clear();
  });
}
