// Relies on: what each wrapper it applies relies on (see their files), and
// on how it recognises the pieces they fit, each built once per node: a
// transport whose `Symbol.toStringTag` is "quic" (@chainsafe/libp2p-quic
// ~2.1.1's `QuicTransport`), an encrypter whose `protocol` is "/noise"
// (@libp2p/noise ~17.0.3), a muxer factory whose `protocol` is
// "/yamux/1.0.0" (@libp2p/yamux ~8.0.3). Anything else passes through
// untouched. A recognised piece whose internals changed falls back wrapper
// by wrapper, each logging it once (`p2prpc:wrappers`).

import type {
  ConnectionEncrypter,
  ServiceMap,
  StreamMuxerFactory,
  Transport,
} from "@libp2p/interface";
import type { Libp2pOptions } from "libp2p";
import { DEFAULT_IDENTIFY_DELAY_MS } from "../constants.ts";
import { checkNumber } from "../options/check-number.ts";
import {
  BY_REFERENCE_TRACKER_SERVICE,
  type ByReferenceTracker,
  byReferenceTracker,
  findByReferenceTracker,
} from "../wire/by-reference-tracker.ts";
import { batchWindowUpdates } from "./batch-window-updates.ts";
import { corkTcpWrites } from "./cork-tcp-writes.ts";
import { deferIdentify } from "./defer-identify.ts";
import { fallbackReporter, loggerOf } from "./fallback-reporter.ts";
import { leanNoiseDecrypt } from "./lean-noise-decrypt.ts";
import { LINEAR_CONNECTION_LIST_SERVICE, linearConnectionList } from "./linear-connection-list.ts";
import { optimisticSelect } from "./optimistic-select-muxer.ts";
import { optimisticSelectTransport } from "./optimistic-select-transport.ts";
import { quicReadBackpressure } from "./quic-read-backpressure.ts";
import { quietNoiseDecoder } from "./quiet-noise-decoder.ts";
import { useCachedKeyCrypto } from "./use-cached-key-crypto.ts";

/** What libp2p hands every factory of a node's options. */
type Components = Parameters<NonNullable<Libp2pOptions["transports"]>[number]>[0];

/** Options of {@link withFastPath}. */
export interface FastPathInit {
  /**
   * Milliseconds after a connection opens before the node's
   * `services.identify` runs on it (see `createRpcNode`'s `identifyDelayMs`);
   * `0` leaves identify as it is, run at once.
   * @default 1000
   */
  identifyDelayMs?: number;
}

const QUIC_TAG = "quic";
const NOISE_PROTOCOL = "/noise";
const YAMUX_PROTOCOL = "/yamux/1.0.0";

/** QUIC gets optimistic select and read backpressure on the muxer it brings; other transports are left alone. */
function fastTransport(factory: (components: Components) => Transport) {
  return (components: Components): Transport => {
    const transport = factory(components);
    if ((transport as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] !== QUIC_TAG) {
      return transport;
    }
    return optimisticSelectTransport(quicReadBackpressure(() => transport))(components);
  };
}

/** Noise gets the cached-key cipher, corked TCP writes and lean, quiet decoding; other encrypters are left alone. */
function fastEncrypter(factory: (components: Components) => ConnectionEncrypter) {
  return (components: Components): ConnectionEncrypter => {
    const encrypter = factory(components);
    if (encrypter.protocol !== NOISE_PROTOCOL) {
      return encrypter;
    }
    const report = fallbackReporter("cachedKeyCrypto", loggerOf(components));
    let tracker: ByReferenceTracker | undefined;
    let looked = false;
    // Looked up at the first message, after the node started and its
    // services (the tracker among them) exist.
    const trackerOfNode = (): ByReferenceTracker | undefined => {
      if (!looked) {
        looked = true;
        tracker = findByReferenceTracker(components);
      }
      return tracker;
    };
    const noise = useCachedKeyCrypto(encrypter, report, trackerOfNode);
    return leanNoiseDecrypt(quietNoiseDecoder(corkTcpWrites(() => noise)))(components);
  };
}

/** Yamux gets batched window updates and optimistic select; other muxers are left alone. */
function fastMuxer(factory: (components: Components) => StreamMuxerFactory) {
  return (components: Components): StreamMuxerFactory => {
    const muxer = factory(components);
    if (muxer.protocol !== YAMUX_PROTOCOL) {
      return muxer;
    }
    return optimisticSelect(batchWindowUpdates(() => muxer))(components);
  };
}

/**
 * Returns libp2p options like `options`, with p2prpc's fast path applied to
 * the pieces it knows: the wrappers of libp2p internals that `createRpcNode`
 * uses (see `p2prpc/libp2p`), around the node's own transports, encrypters,
 * muxers and identify, with their own settings. It is the one step that
 * makes a node you build with `createLibp2p` as fast for p2prpc as
 * `createRpcNode`'s (a unary call, 64 in flight, did about 1.7× the calls per
 * second of a stock node; bench/README.md has the figures).
 *
 * - QUIC (`@chainsafe/libp2p-quic`'s `quic()`) gets `optimisticSelectTransport`
 *   and `quicReadBackpressure`.
 * - Noise (`noise()`) gets `cachedKeyCrypto` (unless given a crypto of its
 *   own), `corkTcpWrites`, `quietNoiseDecoder` and `leanNoiseDecrypt`.
 * - Yamux (`yamux()`) gets `batchWindowUpdates` and `optimisticSelect`.
 * - `services.identify` runs `identifyDelayMs` after a connection opens.
 * - The connection manager's `getConnections()` takes linear time
 *   (`linearConnectionList`, added as a service).
 *
 * Everything else (TCP, memory, WebSockets, other encrypters and muxers, the
 * other services and options) passes through untouched. A known piece whose
 * internals changed upstream keeps libp2p's own behaviour, wrapper by
 * wrapper, and the node logs each once (`DEBUG=p2prpc:wrappers*`). Pass the
 * plain upstream factories: a piece wrapped by hand already is wrapped again.
 * The fast path needs nothing of the remote peer: it talks to any libp2p
 * node, fast path or not.
 *
 * @example
 * ```ts
 * import { identify } from "@libp2p/identify";
 * import { noise } from "@libp2p/noise";
 * import { ping } from "@libp2p/ping";
 * import { tcp } from "@libp2p/tcp";
 * import { yamux } from "@libp2p/yamux";
 * import { createLibp2p } from "libp2p";
 * import { rpcServer } from "p2prpc";
 * import { withFastPath } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p(
 *   withFastPath({
 *     addresses: { listen: ["/ip4/0.0.0.0/tcp/4001"] },
 *     transports: [tcp()],
 *     connectionEncrypters: [noise()],
 *     streamMuxers: [yamux()],
 *     services: { identify: identify(), ping: ping(), rpc: rpcServer({ routes }) },
 *   }),
 * );
 * ```
 */
export function withFastPath<T extends ServiceMap = ServiceMap>(
  options: Libp2pOptions<T>,
  init: FastPathInit = {},
): Libp2pOptions<T> {
  if (options === null || typeof options !== "object") {
    throw new TypeError("withFastPath needs a libp2p options object");
  }
  const identifyDelayMs = checkNumber(init.identifyDelayMs, "withFastPath's identifyDelayMs", {
    fallback: DEFAULT_IDENTIFY_DELAY_MS,
    min: 0,
    max: 0x7fff_ffff,
  });
  const given = options.services as Record<string, unknown> | undefined;
  // The node's tracker of values sent by reference comes first, so that its
  // server and its Noise find it (see ByReferenceTracker); one the caller
  // brought is kept.
  const services: Record<string, unknown> = {
    [BY_REFERENCE_TRACKER_SERVICE]: byReferenceTracker(),
    [LINEAR_CONNECTION_LIST_SERVICE]: linearConnectionList(),
    ...given,
  };
  const identify = services.identify as ((components: never) => unknown) | undefined;
  return {
    ...options,
    ...(options.transports === undefined
      ? {}
      : { transports: options.transports.map(fastTransport) }),
    ...(options.connectionEncrypters === undefined
      ? {}
      : { connectionEncrypters: options.connectionEncrypters.map(fastEncrypter) }),
    ...(options.streamMuxers === undefined
      ? {}
      : { streamMuxers: options.streamMuxers.map(fastMuxer) }),
    services: (identify === undefined || identifyDelayMs === 0
      ? services
      : {
          ...services,
          identify: deferIdentify(identify, identifyDelayMs),
        }) as Libp2pOptions<T>["services"],
  };
}
