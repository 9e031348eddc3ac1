// Relies on: what optimistic-select-muxer.ts relies on, and on the
// transport handing its own muxer factory to libp2p's upgrader as
// `options.muxerFactory` (@chainsafe/libp2p-quic ~2.1.1, libp2p ^3.3.11; see
// on-transport-muxers.ts). A connection upgraded without one uses the
// node's `streamMuxers`, and the node logs it once. Delete with
// optimistic-select-stream.ts.
import type { Transport } from "@libp2p/interface";
import { onTransportMuxers } from "./on-transport-muxers.ts";
import { withOptimisticSelect } from "./optimistic-select-muxer.ts";

/**
 * `optimisticSelect` for a transport that brings its own multiplexing
 * instead of using the node's `streamMuxers`, such as QUIC
 * (`@chainsafe/libp2p-quic`): the muxer it hands to libp2p's upgrader on
 * every connection, dialed or accepted, selects protocols optimistically when
 * `newStream` is called with `negotiateFully: false`. Other transports are
 * left as they were: their connections use the node's `streamMuxers`; when
 * the transport hands the upgrader no muxer factory, or its streams lack the
 * internals this relies on, the node logs that once (`p2prpc:wrappers`).
 *
 * @example
 * ```ts
 * import { quic } from "@chainsafe/libp2p-quic";
 * import { createLibp2p } from "libp2p";
 * import { optimisticSelectTransport } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p({ transports: [optimisticSelectTransport(quic())] });
 * ```
 */
export function optimisticSelectTransport<C>(
  factory: (components: C) => Transport,
): (components: C) => Transport {
  return onTransportMuxers(
    factory,
    "optimisticSelectTransport",
    (report) => (muxerFactory) => withOptimisticSelect(muxerFactory, report),
  );
}
