/**
 * p2prpc's speed-ups for libp2p's own Noise, Yamux, QUIC and multistream-select,
 * for integrators who build their libp2p node themselves. `createRpcNode`
 * applies every one of them; a node made with `createLibp2p` gets them by
 * wrapping its transports, encrypters and muxers as each function's example
 * shows. Each is documented with what it relies on upstream and what it buys.
 *
 * @example
 * ```ts
 * import { noise } from "@libp2p/noise";
 * import { yamux } from "@libp2p/yamux";
 * import { createLibp2p } from "libp2p";
 * import { batchWindowUpdates, cachedKeyCrypto, corkTcpWrites } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p({
 *   connectionEncrypters: [corkTcpWrites(noise({ crypto: cachedKeyCrypto }))],
 *   streamMuxers: [batchWindowUpdates(yamux())],
 *   // transports, services …
 * });
 * ```
 *
 * @packageDocumentation
 */

export { batchWindowUpdates } from "./node/batch-window-updates.ts";
export { cachedKeyCrypto, cachedKeyNoise } from "./node/cached-key-crypto.ts";
export { corkTcpWrites } from "./node/cork-tcp-writes.ts";
export { optimisticSelect } from "./node/optimistic-select-muxer.ts";
export type { OptimisticSelection } from "./node/optimistic-select-stream.ts";
export { optimisticSelectionOf } from "./node/optimistic-select-stream.ts";
export { optimisticSelectTransport } from "./node/optimistic-select-transport.ts";
export { quicReadBackpressure } from "./node/quic-read-backpressure.ts";
export { ByReferenceTracker, byReferenceTracker } from "./wire/by-reference-tracker.ts";
