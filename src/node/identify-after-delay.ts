// Relies on: @libp2p/identify ^4.1.14 and libp2p ^3.3.11: the `identify`
// service honours `runOnConnectionOpen: false` (it then adds no
// `connection:open` listener of its own), offers `identify(connection)`
// (public), and may be stopped through `stop()`; the node's event target
// (`components.events`) fires `connection:open` for every new connection.
// Checked when the service is built: a service without `identify`, or
// components without `events`, get identify as libp2p runs it (at once, on
// every connection), and the node logs it once. Delete when identify's own
// start can be deferred, or when it no longer runs at connection open by
// default: the canary in test/node/identify-after-delay.test.ts fails then.
import type { Identify, IdentifyComponents, IdentifyInit } from "@libp2p/identify";
import type { Connection } from "@libp2p/interface";
import { defaultLogger } from "@libp2p/logger";
import { fallbackReporter, loggerOf } from "./fallback-reporter.ts";

/** The identify service factory, as `@libp2p/identify` exports it. */
export type IdentifyFactory = (init?: IdentifyInit) => (components: IdentifyComponents) => Identify;

/**
 * An identify service, from `createIdentify(init)`, that runs identify on
 * every new connection once `delayMs` passed, if the connection is still
 * open, instead of at once.
 *
 * Why: identify at connection open (libp2p's default, on both sides) competes
 * with the first call for both peers' CPU. Each side opens a stream,
 * negotiates it, the responder signs a peer record, the asker verifies it and
 * writes the peer store. On the benchmark machine it was about 6 ms of a new
 * peer's first response over QUIC (12.4 → 4.3 ms for the call after the
 * dial). RPC needs none of it: the caller's identity comes from the
 * connection's handshake, and the call's protocol is negotiated on its own
 * stream. Identify still runs, just after the first calls. Its timers never
 * keep the process alive and are cleared when the service stops. When the
 * service or the node lacks what this relies on, identify runs as libp2p
 * runs it, and the node logs that once (`p2prpc:wrappers`).
 *
 * @example
 * ```ts
 * import { identify } from "@libp2p/identify";
 *
 * const services = { identify: identifyAfterDelay(identify, {}, 1000) };
 * ```
 */
export function identifyAfterDelay(
  createIdentify: IdentifyFactory,
  init: IdentifyInit,
  delayMs: number,
): (components: IdentifyComponents) => Identify {
  return (components) => {
    const report = fallbackReporter("identifyAfterDelay", loggerOf(components));
    const service = createIdentify({ ...init, runOnConnectionOpen: false })(components);
    const events = (components as Partial<IdentifyComponents>).events;
    if (
      typeof (service as Partial<Identify>).identify !== "function" ||
      typeof events?.addEventListener !== "function"
    ) {
      report("the identify service has no `identify` method, or the node no `events`");
      return createIdentify({ ...init, runOnConnectionOpen: true })(components);
    }
    const log = (loggerOf(components) ?? defaultLogger()).forComponent(
      "p2prpc:identify-after-delay",
    );
    const timers = new Set<ReturnType<typeof setTimeout>>();
    events.addEventListener("connection:open", (event: CustomEvent<Connection>) => {
      const connection = event.detail;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (connection.status !== "open") {
          return;
        }
        service.identify(connection).catch((error: unknown) => {
          log("identify of %p failed - %e", connection.remotePeer, error);
        });
      }, delayMs);
      // A pending identify never keeps the process alive.
      timer.unref();
      timers.add(timer);
    });
    const stoppable = service as Identify & { stop?: () => unknown };
    const stop = stoppable.stop;
    stoppable.stop = function (this: unknown): unknown {
      for (const timer of timers) {
        clearTimeout(timer);
      }
      timers.clear();
      return stop?.call(this);
    };
    return service;
  };
}
