import type {
  BinaryReadOptions,
  BinaryWriteOptions,
  DescMessage,
  DescMethod,
  DescMethodStreaming,
  DescMethodUnary,
  MessageInitShape,
} from "@bufbuild/protobuf";
import {
  type ContextValues,
  createContextValues,
  type Interceptor,
  type StreamResponse,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { runStreamingCall } from "@connectrpc/connect/protocol";
import type { ContentRouting, PeerId } from "@libp2p/interface";
import { isMultiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { MAX_TIMEOUT_MS } from "../constants.ts";
import { DEFAULT_MAX_PROVIDERS } from "../discovery/constants.ts";
import type { BalancePolicy } from "../pool/balance-policy.ts";
import { ConnectionKeeper } from "../pool/connection-keeper.ts";
import { DiscoveredPeerSource } from "../pool/discovered-peer-source.ts";
import { DiscoveredPeers, type DiscoveryNode } from "../pool/discovered-peers.ts";
import { PeerChannel, type PeerChannelOptions } from "../pool/peer-channel.ts";
import { PeerPool } from "../pool/peer-pool.ts";
import { ProviderPeerSource } from "../pool/provider-peer-source.ts";
import type { RetryOptions } from "../pool/retry-options.ts";
import { StaticPeerSource } from "../pool/static-peer-source.ts";
import { methodProtocol } from "../protocol-id.ts";
import { interceptUnary } from "./intercept-unary.ts";
import { resolveTransportOptions } from "./resolve-transport-options.ts";
import type { Dialer } from "./stream-opener.ts";

/**
 * Options of {@link createLibp2pTransport}: the common ones, and either
 * `peer` or `peers`.
 */
export type Libp2pTransportOptions = Libp2pTransportCommonOptions &
  (
    | {
        /**
         * The peer to call: a PeerId (its addresses come from the peer store or
         * peer routing), a multiaddr ending in `/p2p/<peer id>` (as a Multiaddr or
         * a string), or several multiaddrs of one peer. Give this or `peers`.
         */
        peer: PeerTarget;
        /** Not with `peer` or `discover`. */
        peers?: undefined;
        /** Not with `peer` or `peers`. */
        discover?: undefined;
      }
    | {
        /**
         * Several peers that serve the same services: each call goes to one of
         * them, chosen by `balance`, and a call that failed where that is safe runs
         * again on another (see `retry`). Give this or `peer`.
         */
        peers: PeerTarget[];
        /** Not with `peers` or `discover`. */
        peer?: undefined;
        /** Not with `peer` or `peers`. */
        discover?: undefined;
      }
    | {
        /**
         * `true`: call the peers found to serve each method: those libp2p knows (the
         * peer store, filled by identify) whose protocols include the
         * method's protocol id, followed as they come and go (a topology on
         * the protocol, `peer:update` events), connected ones first. Needs a
         * full libp2p node as `libp2p`. See `waitForReady` for a method no
         * known peer serves.
         *
         * `"providers"`: call any peer that advertises the method's service
         * in the DHT (`rpcServer({ advertise: true })`), found with the node's
         * `contentRouting.findProviders` under the service's `serviceCid`
         * (asked again after `providersMaxAgeMs`); a call fails with
         * `Unavailable` when none is found. Needs a node with a DHT
         * (`createRpcNode({ dht })`).
         */
        discover: true | "providers";
        /** Not with `peers` or `discover`. */
        peer?: undefined;
        /** Not with `peer` or `discover`. */
        peers?: undefined;
      }
  );

/** The options of {@link createLibp2pTransport} besides its peer or peers. */
export interface Libp2pTransportCommonOptions {
  /** The local libp2p node the calls leave from (anything with libp2p's `dial`). */
  libp2p: Dialer;
  /**
   * How a call's peer is chosen among `peers`: `"pick-first"` (the first
   * that has not failed, the next on failure), `"round-robin"`,
   * `"least-loaded"` (the better of two random peers by calls in flight and
   * latency), or a {@link BalancePolicy} of your own.
   * @default "pick-first"
   */
  balance?: "pick-first" | "round-robin" | "least-loaded" | BalancePolicy;
  /**
   * Retries of calls that failed where running them again is safe: a
   * request that never reached a handler, or, for a unary method marked
   * `NO_SIDE_EFFECTS` or `IDEMPOTENT`, one that got no response. `false`
   * never retries.
   * @default { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 5000, budgetMaxTokens: 10, budgetTokenRatio: 0.1 }
   */
  retry?: RetryOptions | false;
  /**
   * With `discover`, a call of a method no known peer serves waits for one
   * within its deadline; otherwise it fails at once with `Unavailable`.
   * @default false
   */
  waitForReady?: boolean;
  /**
   * With `discover: "providers"`, how long the providers found for a service
   * are called before the DHT is asked again, in milliseconds.
   * @default 60000
   */
  providersMaxAgeMs?: number;
  /**
   * Longest wait for a connection to a peer, in milliseconds; a dial that
   * takes longer fails the attempt with `Unavailable` (and may be retried).
   * The call's own deadline bounds it too. 0: only the deadline does.
   * @default 10000
   */
  dialTimeoutMs?: number;
  /** Interceptors applied to every call, outermost first. */
  interceptors?: Interceptor[];
  /**
   * Largest response message accepted, in bytes; larger ones fail the call
   * with `ResourceExhausted` from their length prefix.
   * @default 4194304 (4 MiB)
   */
  readMaxBytes?: number;
  /**
   * Largest request message sent, in bytes; larger ones fail the call with
   * `ResourceExhausted` before anything is sent.
   * @default 4194304 (4 MiB)
   */
  writeMaxBytes?: number;
  /**
   * Deadline applied to calls that do not set `timeoutMs`, in milliseconds.
   * A call's own `timeoutMs <= 0` (or NaN) means no deadline. Deadlines are capped at
   * 2147483647 ms, the longest a timer can wait.
   */
  defaultTimeoutMs?: number;
  /** Protobuf binary read/write options. */
  binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
  /**
   * Protocol id prefix; must match the server's.
   * @default "/p2prpc"
   */
  protocolPrefix?: string;
  /**
   * Concurrent outbound streams allowed per method on one connection (libp2p's
   * own default is 64).
   * @default 1024
   */
  maxOutboundStreams?: number;
  /**
   * Streams of finished calls kept open for the next calls of the same
   * method, which then skip opening and negotiating a stream; counted over
   * all methods of the peer. 0 opens a stream per call.
   * @default 64
   */
  maxIdleStreams?: number;
  /**
   * How long an idle stream is kept, in milliseconds.
   * @default 30000
   */
  idleStreamTimeoutMs?: number;
}

/**
 * A Connect `Transport` whose calls travel over libp2p streams to one peer,
 * each on a stream negotiated for its method. Use it with `createClient` from
 * `@connectrpc/connect`: calls take Connect's `CallOptions` (`timeoutMs`,
 * `headers`, `signal`, `onHeader`, `onTrailer`) and fail with `ConnectError`.
 *
 * @example
 * ```ts
 * import { createClient } from "@connectrpc/connect";
 * import { createLibp2pTransport, createRpcNode } from "p2prpc";
 * import { GreeterService } from "./gen/acme/greeter/v1/greeter_pb.ts";
 *
 * const libp2p = await createRpcNode();
 * const transport = createLibp2pTransport({
 *   libp2p,
 *   peer: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…",
 * });
 * const greeter = createClient(GreeterService, transport);
 * const { message } = await greeter.sayHello({ name: "Ada" }, { timeoutMs: 2000 });
 * ```
 */
export function createLibp2pTransport(options: Libp2pTransportOptions): Libp2pTransport {
  const resolved = resolveTransportOptions(options);
  const { libp2p, peers, interceptors, defaultTimeoutMs } = resolved;
  const channelOptions: PeerChannelOptions = {
    call: resolved.call,
    streams: resolved.streams,
    maxOutboundStreams: resolved.maxOutboundStreams,
    dialTimeoutMs: resolved.dialTimeoutMs,
    keeper: keeperOf(libp2p),
  };
  const discovered =
    peers.kind === "discover" ? new DiscoveredPeers(discoveryNodeOf(libp2p)) : undefined;
  const channelOf = (peer: PeerId): PeerChannel =>
    new PeerChannel(peer.toString(), libp2p, peer, channelOptions);
  const pool = new PeerPool(
    peers.kind === "providers"
      ? new ProviderPeerSource(contentRoutingOf(libp2p), channelOf, {
          maxAgeMs: peers.maxAgeMs,
          maxProviders: DEFAULT_MAX_PROVIDERS,
        })
      : discovered !== undefined && peers.kind === "discover"
        ? new DiscoveredPeerSource(discovered, channelOf, peers.waitForReady)
        : new StaticPeerSource(
            (peers.kind === "static" ? peers.targets : []).map(
              (target) => new PeerChannel(targetId(target), libp2p, target, channelOptions),
            ),
          ),
    resolved.balance,
    resolved.retry,
  );
  if (discovered !== undefined) {
    discovered.onChange = ({ protocol, peer, added }) => pool.peerSetChanged(protocol, peer, added);
  }
  const protocolOptions = { protocolPrefix: resolved.protocolPrefix };
  const protocols = new Map<DescMethod, string>();
  const protocolOf = (method: DescMethod): string => {
    let protocol = protocols.get(method);
    if (protocol === undefined) {
      protocol = methodProtocol(method, protocolOptions);
      protocols.set(method, protocol);
    }
    return protocol;
  };
  const effectiveTimeout = (timeoutMs: number | undefined): number | undefined => {
    if (timeoutMs === undefined) {
      return defaultTimeoutMs;
    }
    // `!(timeoutMs > 0)` also catches NaN, which would reach the header as no number at all.
    return !(timeoutMs > 0) ? undefined : Math.min(timeoutMs, MAX_TIMEOUT_MS);
  };

  return {
    pool,
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      message: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const timeout = effectiveTimeout(timeoutMs);
      const deadline = timeout === undefined ? undefined : Date.now() + timeout;
      const protocol = protocolOf(method);
      return interceptUnary<I, O>({
        interceptors,
        signal,
        timeoutMs: timeout,
        req: {
          stream: false,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: protocol,
          header: new Headers(header),
          contextValues: contextValues ?? createContextValues(),
          message,
        },
        next: (req, control) => pool.unary(protocol, req, control, deadline),
      });
    },

    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const timeout = effectiveTimeout(timeoutMs);
      const deadline = timeout === undefined ? undefined : Date.now() + timeout;
      const protocol = protocolOf(method);
      return runStreamingCall<I, O>({
        interceptors,
        signal,
        timeoutMs: timeout,
        req: {
          stream: true,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: protocol,
          header: new Headers(header),
          contextValues: contextValues ?? createContextValues(),
          message: input,
        },
        next: (req) => pool.stream(protocol, req, deadline),
      });
    },
  };
}

/** A peer to call: a PeerId, or multiaddrs of one peer; a string is a multiaddr if it starts with `/`, else a PeerId. */
export type PeerTarget = PeerId | Multiaddr | Multiaddr[] | string;

/**
 * The `Transport` {@link createLibp2pTransport} returns: Connect's, and the
 * {@link PeerPool} under it (stats, events).
 */
export interface Libp2pTransport extends Transport {
  /** The peers this transport calls: `stats()`, and events such as `call:retried`. */
  readonly pool: PeerPool;
}

/** The id a target is known by in stats and events: its PeerId when it names one. */
function targetId(target: PeerId | Multiaddr | Multiaddr[]): string {
  if (Array.isArray(target)) {
    const [first] = target;
    return first === undefined ? "" : targetId(first);
  }
  if (isMultiaddr(target)) {
    return (
      target.getComponents().findLast((component) => component.name === "p2p")?.value ??
      target.toString()
    );
  }
  return target.toString();
}

/** The node's `connectionKeeper` service, when it has one (`createRpcNode` adds it). */
function keeperOf(libp2p: Dialer): ConnectionKeeper | undefined {
  const keeper = (libp2p as { services?: { connectionKeeper?: unknown } }).services
    ?.connectionKeeper;
  return keeper instanceof ConnectionKeeper ? keeper : undefined;
}

/** The node's content routing, which `discover: "providers"` asks. */
function contentRoutingOf(libp2p: Dialer): ContentRouting {
  const routing = (libp2p as { contentRouting?: ContentRouting }).contentRouting;
  if (routing === undefined) {
    throw new TypeError(
      'createLibp2pTransport\'s `discover: "providers"` needs a libp2p node with content routing',
    );
  }
  return routing;
}

/** `libp2p` as discovery needs it: a full node, not just something that dials. */
function discoveryNodeOf(libp2p: Dialer): DiscoveryNode {
  const node = libp2p as Partial<DiscoveryNode>;
  if (
    typeof node.register !== "function" ||
    node.peerStore === undefined ||
    typeof node.addEventListener !== "function"
  ) {
    throw new TypeError("createLibp2pTransport's `discover` needs a libp2p node as `libp2p`");
  }
  return node as DiscoveryNode;
}
