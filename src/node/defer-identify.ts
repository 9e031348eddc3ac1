// Relies on: @libp2p/identify ^4.1.14 and libp2p ^3.3.11: the identify
// service, as `identify()` builds it, runs identify on a new connection from
// a `connection:open` listener it adds to its components' `events` (when
// `runOnConnectionOpen` is on, the default), and may be stopped through
// `stop()`; the node fires `connection:open` for every new connection. The
// service is built with a view of its components whose `events` defers that
// one listener; every other event and component is the node's own. Checked
// when the service is built: components without `events` get the service as
// it is (identify at once), and the node logs it once. Delete when identify's
// own start can be deferred, or when it no longer runs at connection open by
// default: the canary in test/node/defer-identify.test.ts fails then.
import type { Connection } from "@libp2p/interface";
import { fallbackReporter, loggerOf } from "./fallback-reporter.ts";

/** The part of a node's event target this module hooks. */
interface Events {
  addEventListener(type: string, listener: unknown, options?: unknown): void;
  removeEventListener(type: string, listener: unknown, options?: unknown): void;
}

type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };

function call(listener: Listener, event: Event): void {
  if (typeof listener === "function") {
    listener(event);
  } else {
    listener.handleEvent(event);
  }
}

/**
 * Wraps an identify service factory (`identify()`, already given its init)
 * so that the service runs identify on a new connection once `delayMs`
 * passed, if the connection is still open, instead of at once; what it does
 * then is the service's own. Its timers never keep the process alive and are
 * cleared when the service stops. `withFastPath` applies it to a node's
 * `services.identify`.
 *
 * Why: identify at connection open (libp2p's default, on both sides) competes
 * with the first call for both peers' CPU. Each side opens a stream,
 * negotiates it, the responder signs a peer record, the asker verifies it and
 * writes the peer store. RPC needs none of it: the caller's identity comes
 * from the connection's handshake, and the call's protocol is negotiated on
 * its own stream. Identify still runs, just after the first calls. What that
 * buys (a new peer's first answer over QUIC, with and without) is measured in
 * docs/DESIGN.md's table of what each wrapper buys.
 *
 * @example
 * ```ts
 * import { identify } from "@libp2p/identify";
 *
 * const services = { identify: deferIdentify(identify(), 1000) };
 * ```
 */
export function deferIdentify<C, S>(
  factory: (components: C) => S,
  delayMs: number,
): (components: C) => S {
  return (components) => {
    const report = fallbackReporter("deferIdentify", loggerOf(components));
    const events = (components as { events?: Partial<Events> } | null)?.events;
    if (
      typeof events?.addEventListener !== "function" ||
      typeof events.removeEventListener !== "function"
    ) {
      report("the node's components have no `events` to defer `connection:open` on");
      return factory(components);
    }
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const deferred = new WeakMap<object, (event: Event) => void>();
    const deferring = new Proxy(events as Events, {
      get(target, key) {
        if (key === "addEventListener") {
          return (type: string, listener: Listener | null, options?: unknown) => {
            if (
              type !== "connection:open" ||
              listener === null ||
              (typeof listener !== "object" && typeof listener !== "function")
            ) {
              target.addEventListener(type, listener, options);
              return;
            }
            const later = (event: Event): void => {
              const connection = (event as CustomEvent<Connection>).detail;
              const timer = setTimeout(() => {
                timers.delete(timer);
                if (connection?.status === "open") {
                  call(listener, event);
                }
              }, delayMs);
              // A pending identify never keeps the process alive.
              timer.unref();
              timers.add(timer);
            };
            deferred.set(listener, later);
            target.addEventListener(type, later, options);
          };
        }
        if (key === "removeEventListener") {
          return (type: string, listener: Listener | null, options?: unknown) => {
            const later = listener === null ? undefined : deferred.get(listener);
            target.removeEventListener(type, later ?? listener, options);
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const view = new Proxy(components as object, {
      get: (target, key) => (key === "events" ? deferring : Reflect.get(target, key, target)),
    }) as C;
    const service = factory(view);
    const stoppable = service as S & { stop?: () => unknown };
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
