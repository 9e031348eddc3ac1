/**
 * p2prpc's speed-ups for libp2p's own Noise, Yamux, QUIC and multistream-select,
 * for integrators who build their libp2p node themselves. `createRpcNode`
 * applies every one of them; a node made with `createLibp2p` gets them all in
 * one step, `withFastPath(options)`, which wraps the node's own transports,
 * encrypters, muxers and identify where they fit. The wrappers are exported
 * one by one too; each is documented with what it relies on upstream and
 * what it buys.
 *
 * @example
 * ```ts
 * import { identify } from "@libp2p/identify";
 * import { noise } from "@libp2p/noise";
 * import { tcp } from "@libp2p/tcp";
 * import { yamux } from "@libp2p/yamux";
 * import { createLibp2p } from "libp2p";
 * import { withFastPath } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p(
 *   withFastPath({
 *     transports: [tcp()],
 *     connectionEncrypters: [noise()],
 *     streamMuxers: [yamux()],
 *     services: { identify: identify() },
 *   }),
 * );
 * ```
 *
 * @packageDocumentation
 */

export { batchWindowUpdates } from "./node/batch-window-updates.ts";
export { cachedKeyCrypto } from "./node/cached-key-crypto.ts";
export { corkTcpWrites } from "./node/cork-tcp-writes.ts";
export type {
  LinearConnectionList,
  LinearConnectionListComponents,
} from "./node/linear-connection-list.ts";
export { linearConnectionList } from "./node/linear-connection-list.ts";
export { optimisticSelect } from "./node/optimistic-select-muxer.ts";
export type { OptimisticSelection } from "./node/optimistic-select-stream.ts";
export { optimisticSelectionOf } from "./node/optimistic-select-stream.ts";
export { optimisticSelectTransport } from "./node/optimistic-select-transport.ts";
export { quicReadBackpressure } from "./node/quic-read-backpressure.ts";
export type { FastPathInit } from "./node/with-fast-path.ts";
export { withFastPath } from "./node/with-fast-path.ts";
export { ByReferenceTracker, byReferenceTracker } from "./wire/by-reference-tracker.ts";
