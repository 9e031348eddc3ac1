import type { StreamMuxerFactory, Transport, Upgrader } from "@libp2p/interface";
import { fallbackReporter, loggerOf, type ReportFallback } from "./fallback-reporter.ts";

/** The part of the upgrader's options rewritten here. */
interface MuxerOptions {
  muxerFactory?: StreamMuxerFactory;
}

/**
 * Wraps a transport that brings its own multiplexing instead of using the
 * node's `streamMuxers`, such as QUIC (`@chainsafe/libp2p-quic`): every
 * connection it dials or accepts is upgraded with
 * `wrap(muxerFactory)` instead of its own muxer factory. The transport-side
 * counterpart of `onStreamMuxer`; `optimisticSelectTransport` and
 * `quicReadBackpressure` hook QUIC through it. `wrapFor` gets the reporter
 * of `wrapper`'s fallbacks, one per node.
 *
 * Relies on: the transport passing its muxer factory to libp2p's upgrader as
 * `options.muxerFactory` of `upgradeInbound`/`upgradeOutbound` (libp2p ^3.3.11,
 * `@chainsafe/libp2p-quic` ~2.1.1). A connection upgraded without one is
 * left as it is, and the node logs it once.
 */
export function onTransportMuxers<C>(
  factory: (components: C) => Transport,
  wrapper: string,
  wrapFor: (report: ReportFallback) => (muxerFactory: StreamMuxerFactory) => StreamMuxerFactory,
): (components: C) => Transport {
  const proxies = new WeakMap<Upgrader, Upgrader>();
  const upgraderFor = (
    upgrader: Upgrader,
    report: ReportFallback,
    wrap: (muxerFactory: StreamMuxerFactory) => StreamMuxerFactory,
  ): Upgrader => {
    let proxy = proxies.get(upgrader);
    if (proxy === undefined) {
      proxy = new Proxy(upgrader, {
        get(target, key) {
          const value: unknown = Reflect.get(target, key, target);
          if (typeof value !== "function") {
            return value;
          }
          if (key !== "upgradeInbound" && key !== "upgradeOutbound") {
            return value.bind(target);
          }
          return (connection: unknown, options: MuxerOptions | undefined) => {
            if (options?.muxerFactory === undefined) {
              report("the transport upgraded a connection without `options.muxerFactory`");
              return value.call(target, connection, options);
            }
            return value.call(target, connection, {
              ...options,
              muxerFactory: wrap(options.muxerFactory),
            });
          };
        },
      });
      proxies.set(upgrader, proxy);
    }
    return proxy;
  };
  return (components) => {
    const report = fallbackReporter(wrapper, loggerOf(components));
    const wrap = wrapFor(report);
    const transport = factory(components);
    const dial = transport.dial.bind(transport);
    transport.dial = (address, options) =>
      dial(address, { ...options, upgrader: upgraderFor(options.upgrader, report, wrap) });
    const createListener = transport.createListener.bind(transport);
    transport.createListener = (options) =>
      createListener({ ...options, upgrader: upgraderFor(options.upgrader, report, wrap) });
    return transport;
  };
}
