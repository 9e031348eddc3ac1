import { quic } from "@chainsafe/libp2p-quic";
import { type Identify, identify } from "@libp2p/identify";
import type { PrivateKey, ServiceMap } from "@libp2p/interface";
import { memory } from "@libp2p/memory";
import { noise } from "@libp2p/noise";
import { type Ping, ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p, type Libp2p, type Libp2pOptions, type ServiceFactoryMap } from "libp2p";
import { DEFAULT_MAX_CONNECTIONS } from "../constants.ts";
import { dhtParts, type RpcNodeDhtOptions } from "../discovery/dht-options.ts";
import { type RpcNodeRelayOptions, relayParts } from "../discovery/relay-options.ts";
import {
  type ConnectionKeeper,
  type ConnectionKeeperInit,
  connectionKeeper,
} from "../pool/connection-keeper.ts";
import { type ByReferenceTracker, byReferenceTracker } from "../wire/by-reference-tracker.ts";
import { lazyLogger } from "./lazy-logger.ts";
import { lazyQuic } from "./lazy-quic.ts";
import { type LivenessCheck, livenessCheck } from "./liveness-check.ts";
import { livenessMonitor } from "./liveness-monitor.ts";
import { loadPrivateKey } from "./load-private-key.ts";
import { type ClosableDatastore, datastoreLifecycle, openDataDir } from "./open-data-dir.ts";
import { resolveNodeOptions } from "./resolve-node-options.ts";
import { withFastPath } from "./with-fast-path.ts";

export { DEFAULT_LISTEN_ADDRESSES } from "./resolve-node-options.ts";

/** Concurrent streams a QUIC peer may open on one connection (see `createRpcNode`). */
const QUIC_MAX_STREAMS = 1024;

/** The services {@link createRpcNode} adds to every node, beside the caller's. */
// A type, not an interface: it must fit libp2p's `ServiceMap` (an index signature).
export type RpcNodeServices = {
  /** libp2p identify (run late: see `identifyDelayMs`). */
  identify: Identify;
  /** libp2p ping, which `p2prpc ping` uses and which answers peers' liveness checks. */
  ping: Ping;
  /**
   * Finds dead connections within `livenessTimeoutMs` (see `livenessCheck`);
   * absent with `livenessTimeoutMs: 0` or when `libp2p.connectionMonitor` is
   * given (libp2p's own monitor then runs).
   */
  livenessCheck?: LivenessCheck;
  /** The pool's node-wide half (see `connectionKeeper`); absent with `connectionKeeper: false`. */
  connectionKeeper: ConnectionKeeper;
  /**
   * Which large values the node's server sent by reference and how much of
   * each Noise has encrypted (`rpcServer` and the node's Noise share it).
   */
  byReferenceTracker: ByReferenceTracker;
};

/** Options of {@link createRpcNode}. */
export interface RpcNodeOptions<T extends ServiceMap = ServiceMap> {
  /**
   * Multiaddrs to listen on. `/memory/<name>` addresses use the in-memory
   * transport (tests).
   * @default ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"]
   */
  listen?: string[];
  /** The node's identity. Takes precedence over `privateKeyFile`. */
  privateKey?: PrivateKey;
  /**
   * A file holding the node's private key; created with a new Ed25519 key
   * when missing, so the PeerId survives restarts.
   */
  privateKeyFile?: string;
  /** Extra libp2p services, e.g. `{ rpc: rpcServer({ routes }) }`. */
  services?: ServiceFactoryMap<T>;
  /**
   * Any other libp2p option; wins over the defaults set here. Transports,
   * connection encrypters and stream muxers given here replace the node's
   * own and get the same fast path (`withFastPath` from `p2prpc/libp2p`):
   * `streamMuxers: [yamux({ … })]` keeps batched window updates and
   * optimistic select, `connectionEncrypters: [noise({ … })]` the Noise
   * wrappers; pieces of other kinds are used as they are.
   */
  libp2p?: Omit<Libp2pOptions, "services" | "privateKey">;
  /**
   * Milliseconds after a connection opens before this node runs identify on
   * it; `0` runs it at once, as libp2p does by default. Waiting keeps
   * identify (a stream, a signed peer record, peer-store writes on both
   * sides) out of the way of the first calls to a new peer; until it ran,
   * the peer store does not know the peer's protocols and addresses. Ignored
   * when `services` brings its own `identify`.
   * @default 1000
   */
  identifyDelayMs?: number;
  /**
   * Options of the node's `connectionKeeper` service, which protects peers
   * with calls in flight from pruning, closes connections idle for
   * `idleTimeoutMs`, keeps at most `maxPeers` and redials pinned peers (see
   * docs/POOL.md). `false` leaves it out; so does a `connectionKeeper` of
   * your own in `services`.
   * @default {}
   */
  connectionKeeper?: ConnectionKeeperInit | false;
  /**
   * Longest time, in milliseconds, a dead connection (peer crashed, frozen,
   * or gone from the network without a word) stays open: the node's
   * `livenessCheck` service pings a connection that has been silent for
   * 29/64 of it (30/64 on the listener's side; a Yamux ping frame on Yamux
   * connections, an `/ipfs/ping` stream on others, such as QUIC) and aborts
   * one whose ping got no answer within another half of it. Calls in flight
   * on it then fail with `Unavailable`, and the next call dials again. Both
   * sides of a connection check it, so a server also lets go of dead
   * clients' calls; a connection carrying traffic is pinged only every 30 s
   * (for its `rtt`), and an idle one sees one ping and one answer every
   * 4.5–4.7 s. Yamux's own keep-alive is off while the check runs. Why 10 s:
   * close to what gRPC keepalive users set (a ping every few seconds, a
   * timeout of a few more), below libp2p's own 15 s
   * worst case (10 s interval, 5 s least ping timeout, growing after
   * failures), and idle pings cost little (docs/POOL.md has the figures). A
   * smaller bound pings more often and gives a ping less time, so a busy or
   * slow link is more likely to be cut while alive. `0` turns the monitor
   * off; a negative value is refused (`RangeError`). Given
   * `libp2p.connectionMonitor`, libp2p's connection monitor runs instead
   * (pinging by stream every half of the bound, each ping given the other
   * half), with those settings winning over these.
   * @default 10000
   */
  livenessTimeoutMs?: number;
  /**
   * A directory where the node keeps its datastore (LevelDB, in
   * `<dataDir>/datastore`, created when missing): libp2p's peer store
   * (addresses, protocols, tags and metadata of known peers) then survives
   * restarts, so a restarted node can call a peer it knew by PeerId alone.
   * The datastore is opened before the node starts and closed after it
   * stopped; one node at a time may use a directory. The key is not kept
   * here: give `privateKeyFile` too to keep the PeerId. To use another
   * datastore, pass it, opened, as `libp2p.datastore`.
   * @default undefined (peer store in memory, lost when the process ends)
   */
  dataDir?: string;
  /**
   * Turns on DHT routing (`@libp2p/kad-dht`, joined through `bootstrap`
   * peers): a PeerId alone is then enough to call a peer, whose addresses
   * the DHT finds, and servers can advertise their services as provider
   * records (see docs/DISCOVERY.md). The DHT runs as the `dht` service.
   * @default undefined (no DHT: peers are found from the peer store only)
   */
  dht?: RpcNodeDhtOptions;
  /**
   * Turns on reach through NATs: the circuit relay v2 transport (listen
   * through `relays`, dial `/p2p-circuit` addresses), DCUtR hole punching,
   * and optionally a relay server for others (see docs/DISCOVERY.md). Which
   * methods run on a relayed (limited) connection is the server's
   * `limitedConnections`.
   * @default undefined (direct connections only)
   */
  relay?: RpcNodeRelayOptions;
}

/**
 * Creates and starts a libp2p node set up for RPC: TCP, QUIC and in-memory
 * transports, Noise encryption, Yamux multiplexing, identify and ping,
 * listening on loopback unless told otherwise. Identify runs one second after
 * a connection opens, not at once (see `identifyDelayMs`).
 *
 * Its muxers (Yamux, and QUIC's own) select protocols optimistically when
 * `newStream` is given `negotiateFully: false` (see `optimisticSelect`), as
 * p2prpc's client does for a unary call's new stream.
 *
 * Limits that libp2p sets for light protocols are raised for RPC: Yamux
 * accepts a burst of early streams and thousands of concurrent streams per
 * connection, QUIC 1024 concurrent streams per connection (256 by default;
 * the same as libp2p's per-method limit that `rpcServer` sets, so one method
 * can use them all), and a host may open many connections per second.
 * QUIC's limit is not raised further because quinn sets up state for every
 * stream a peer may open when the connection starts: at 4096 that was
 * ~300 KiB more per connection and ~0.65 ms more per handshake.
 *
 * Every wrapper of libp2p internals it uses comes from `withFastPath`, which
 * it applies to its options, the caller's `libp2p` overrides included. The
 * options are checked before anything is built: a negative
 * `identifyDelayMs` or `livenessTimeoutMs` is a `RangeError`; a listen
 * address that is not a multiaddr, or of a kind it has no transport for, a
 * `TypeError`.
 *
 * @example
 * ```ts
 * import { createRpcNode, rpcServer } from "p2prpc";
 *
 * const node = await createRpcNode({
 *   privateKeyFile: ".keys/server.key",
 *   services: { rpc: rpcServer({ routes }) },
 * });
 * console.log(node.getMultiaddrs().map(String));
 * ```
 */
export async function createRpcNode<T extends ServiceMap = ServiceMap>(
  options: RpcNodeOptions<T> = {},
): Promise<Libp2p<T & RpcNodeServices>> {
  const resolved = resolveNodeOptions(options);
  const privateKey =
    resolved.privateKey ??
    (resolved.privateKeyFile === undefined
      ? undefined
      : await loadPrivateKey(resolved.privateKeyFile));
  const overrides = resolved.libp2p;
  // A user's own identify runs as the user set it up.
  const identifyDelayMs = "identify" in resolved.services ? 0 : resolved.identifyDelayMs;
  const datastore: ClosableDatastore | undefined =
    resolved.dataDir === undefined ? undefined : await openDataDir(resolved.dataDir);
  const dht = resolved.dht === undefined ? undefined : dhtParts(resolved.dht);
  const relay = resolved.relay === undefined ? undefined : relayParts(resolved.relay);
  // Our liveness check replaces libp2p's connection monitor, unless the
  // caller set that monitor up (then it runs as today, with their settings).
  const checkLiveness = resolved.livenessTimeoutMs > 0 && overrides.connectionMonitor === undefined;
  const services = {
    // First, so that every later service and the encrypter can find it.
    byReferenceTracker: byReferenceTracker(),
    ...dht?.services,
    ...relay?.services,
    identify: identify(),
    ping: ping(),
    ...(checkLiveness
      ? { livenessCheck: livenessCheck({ livenessTimeoutMs: resolved.livenessTimeoutMs }) }
      : {}),
    ...(resolved.connectionKeeper === false
      ? {}
      : { connectionKeeper: connectionKeeper(resolved.connectionKeeper) }),
    ...(datastore === undefined ? {} : { datastoreLifecycle: datastoreLifecycle(datastore) }),
    ...resolved.services,
  } as ServiceFactoryMap<T & RpcNodeServices>;
  // The fast path wraps what it knows among the pieces below, the caller's
  // overrides in `libp2p` included: overriding streamMuxers,
  // connectionEncrypters or transports keeps the wrappers that fit them.
  const libp2pOptions = withFastPath(
    {
      addresses: {
        listen: [...resolved.listen, ...(relay?.listen ?? [])],
      },
      transports: [
        tcp(),
        // Made on the first QUIC dial or listen (see lazyQuic): its native
        // endpoints cost ~270 KiB per node, unused on a node that never needs them.
        lazyQuic(quic({ maxConcurrentStreamLimit: QUIC_MAX_STREAMS })),
        memory(),
        ...(relay === undefined ? [] : [relay.transport]),
      ],
      connectionEncrypters: [noise()],
      streamMuxers: [
        yamux({
          maxEarlyStreams: 1024,
          maxInboundStreams: 16_384,
          maxOutboundStreams: 16_384,
          // Yamux's keep-alive (a ping from each side every 30 s, a timer per
          // connection, failures only logged) is redundant with the
          // liveness check, which pings what is silent and measures rtt.
          enableKeepAlive: !checkLiveness,
        }),
      ],
      // Real loggers only for namespaces `DEBUG` enables (see lazyLogger):
      // libp2p's default makes them for every component, connection and
      // stream, 72 KiB per node and 9 KiB per connection, logging or not.
      logger: lazyLogger(),
      ...(datastore === undefined ? {} : { datastore }),
      ...(dht === undefined ? {} : { peerDiscovery: dht.peerDiscovery }),
      ...overrides,
      connectionMonitor: checkLiveness
        ? { enabled: false }
        : { ...livenessMonitor(resolved.livenessTimeoutMs), ...overrides.connectionMonitor },
      // Inbound limits, against floods of new peers (docs/RELIABILITY.md):
      // at most DEFAULT_MAX_CONNECTIONS connections; at most 100 handshakes at
      // once (libp2p's 10 refused bursts of honest clients, e.g. a pool that
      // restarts), each bounded by libp2p's 10 s inbound upgrade timeout; and
      // 1000 new connections per second from one host (libp2p's 5 refused
      // clients behind one NAT, and the tests' and benchmarks' loopback peers).
      connectionManager: {
        maxConnections: DEFAULT_MAX_CONNECTIONS,
        inboundConnectionThreshold: 1000,
        maxIncomingPendingConnections: 100,
        ...overrides.connectionManager,
      },
      ...(privateKey === undefined ? {} : { privateKey }),
      services,
    } as Libp2pOptions<T & RpcNodeServices>,
    { identifyDelayMs },
  );
  const node = await createLibp2p(libp2pOptions).catch(async (error: unknown) => {
    await datastore?.close();
    throw error;
  });
  return node;
}
