import type { Transport, Upgrader } from "@libp2p/interface";
import { withOptimisticSelect } from "./optimistic-select.ts";

/** The part of the upgraders' options this module rewrites. */
interface MuxerOptions {
  muxerFactory?: Parameters<typeof withOptimisticSelect>[0];
}

const wrapped = new WeakMap<Upgrader, Upgrader>();

/**
 * `optimisticSelect` for a transport that brings its own multiplexing
 * instead of using the node's `streamMuxers`, such as QUIC
 * (`@chainsafe/libp2p-quic`): the muxer it hands to libp2p's upgrader on
 * every connection, dialed or accepted, selects protocols optimistically when
 * `newStream` is called with `negotiateFully: false`. Other transports are
 * left as they were: their connections use the node's `streamMuxers`.
 *
 * @example
 * ```ts
 * import { quic } from "@chainsafe/libp2p-quic";
 * import { createLibp2p } from "libp2p";
 * import { optimisticSelectTransport } from "p2prpc";
 *
 * const node = await createLibp2p({ transports: [optimisticSelectTransport(quic())] });
 * ```
 */
export function optimisticSelectTransport<C>(
  factory: (components: C) => Transport,
): (components: C) => Transport {
  return (components) => {
    const transport = factory(components);
    const dial = transport.dial.bind(transport);
    transport.dial = (address, options) =>
      dial(address, { ...options, upgrader: upgraderFor(options.upgrader) });
    const createListener = transport.createListener.bind(transport);
    transport.createListener = (options) =>
      createListener({ ...options, upgrader: upgraderFor(options.upgrader) });
    return transport;
  };
}

/** `upgrader`, except that the muxer factory given to its upgrades selects optimistically. */
function upgraderFor(upgrader: Upgrader): Upgrader {
  let proxy = wrapped.get(upgrader);
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
        return (connection: unknown, options: MuxerOptions | undefined) =>
          value.call(
            target,
            connection,
            options?.muxerFactory === undefined
              ? options
              : { ...options, muxerFactory: withOptimisticSelect(options.muxerFactory) },
          );
      },
    });
    wrapped.set(upgrader, proxy);
  }
  return proxy;
}
