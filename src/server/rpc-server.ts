import type { BinaryReadOptions, BinaryWriteOptions, DescMethod } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext, Interceptor } from "@connectrpc/connect";
import type {
  ComponentLogger,
  Connection,
  ContentRouting,
  Logger,
  Startable,
  Stream,
} from "@libp2p/interface";
import type { Registrar } from "@libp2p/interface-internal";
import { MAX_TIMEOUT_MS } from "../constants.ts";
import { ServiceAdvertiser } from "../discovery/service-advertiser.ts";
import { serviceKeyOf } from "../discovery/service-cid.ts";
import { checkNumber } from "../options/check-number.ts";
import { methodProtocol } from "../protocol-id.ts";
import { type ByReferenceTracker, findByReferenceTracker } from "../wire/by-reference-tracker.ts";
import { refusedOnLimitedConnections, unaryOnly } from "./limited-connection-gate.ts";
import { createPeerAuthorizer, type PeerAuthorizationInit } from "./peer-authorizer.ts";
import { PeerStreamLimit } from "./peer-stream-limit.ts";
import { type ResolvedServerInit, resolveServerInit } from "./resolve-server-init.ts";
import { RpcRouter } from "./rpc-router.ts";
import { serveStream } from "./serve-stream.ts";
import type { ServedMethod } from "./served-method.ts";
import { ServerDrain, type ServerShutdownInit } from "./server-drain.ts";

/**
 * Options of {@link rpcServer}. Authorization (`allowedPeers`,
 * `authorizePeer`) and shutdown (`shutdownGraceMs`) options come from
 * {@link PeerAuthorizationInit} and {@link ServerShutdownInit}.
 */
export interface RpcServerInit extends PeerAuthorizationInit, ServerShutdownInit {
  /**
   * Registers the services to serve: the same function a Connect HTTP server
   * takes. Methods of a registered service left out of its implementation
   * answer `Unimplemented`; methods of services never registered are not
   * negotiated at all, which the client also reports as `Unimplemented`.
   */
  routes: (router: ConnectRouter) => void;
  /**
   * Server interceptors, run around every handler. Per-route `interceptors`
   * given to `router.service()`/`router.rpc()` replace these, as in Connect.
   */
  interceptors?: Interceptor[];
  /**
   * Largest request message accepted, in bytes. A larger one is refused from
   * its length prefix, before its body is buffered, with `ResourceExhausted`.
   * Per-route `readMaxBytes` overrides it.
   * @default 4194304 (4 MiB)
   */
  readMaxBytes?: number;
  /**
   * Largest response message sent, in bytes; a handler producing a larger one
   * fails the call with `ResourceExhausted`. Per-route `writeMaxBytes` overrides it.
   * @default 4194304 (4 MiB)
   */
  writeMaxBytes?: number;
  /**
   * Largest deadline a client may ask for, in milliseconds; a larger one is
   * refused with `InvalidArgument`. Capped at 2147483647, the longest timer.
   * @default 2147483647
   */
  maxTimeoutMs?: number;
  /**
   * Runs once a call's header is read, before any request message: throw a
   * ConnectError to refuse the call cheaply (e.g. an unknown peer).
   */
  requestGate?: (context: HandlerContext) => void | Promise<void>;
  /** Protobuf binary read/write options for request and response messages. */
  binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
  /**
   * Protocol id prefix; clients must use the same one.
   * @default "/p2prpc"
   */
  protocolPrefix?: string;
  /**
   * Concurrent inbound streams allowed per method on one connection (the
   * libp2p registrar's `maxInboundStreams`, which defaults to only 32).
   * @default 1024
   */
  maxInboundStreams?: number;
  /**
   * Concurrent outbound streams allowed per method on one connection, for a
   * node that also calls the methods it serves.
   * @default 1024
   */
  maxOutboundStreams?: number;
  /**
   * Concurrent streams one peer may have open to this server, over all
   * methods and connections; a stream past it is reset before anything is
   * read from it (the caller sees `Unavailable`, as for
   * `maxInboundStreams`). libp2p's own limit is per method and connection.
   * @default 1024
   */
  maxStreamsPerPeer?: number;
  /**
   * Milliseconds a new stream may take to deliver its first REQUEST_HEADER
   * (and a later header, once its first byte arrived, one to two times
   * this): a stream that does not is reset, against peers that negotiate a
   * method and send nothing, or a byte at a time. Idle streams between
   * calls are not timed. `0` turns it off.
   * @default 10000 (libp2p's own limit for negotiating an inbound stream)
   */
  headerTimeoutMs?: number;
  /**
   * Publishes a provider record for every service served, keyed by the
   * service's name (see `serviceCid`), in the node's content routing (the
   * DHT of `createRpcNode({ dht })`), so clients find this server with
   * `createLibp2pTransport({ discover: "providers" })`. The DHT publishes
   * the records again while the server runs; after it stops they expire
   * (`providerValidityMs`).
   * @default false
   */
  advertise?: boolean;
  /**
   * Which methods may run on a limited connection, such as one through a
   * circuit relay v2 (its relay caps duration and bytes; see
   * docs/DISCOVERY.md): `true` all, `false` none, or a function of the
   * method. A call of another method on such a connection fails with
   * `FailedPrecondition` before its handler runs.
   * @default unary methods only
   */
  limitedConnections?: boolean | ((method: DescMethod) => boolean);
}

/** The libp2p components an {@link RpcServer} uses. */
export interface RpcServerComponents {
  /** Where the server registers one protocol handler per method. */
  registrar: Registrar;
  /** The server logs as `p2prpc:server`. */
  logger: ComponentLogger;
  /** Where `advertise` publishes provider records (libp2p's content routing). */
  contentRouting?: ContentRouting;
}

/**
 * The libp2p service behind {@link rpcServer}: registers one protocol
 * handler per method on `start()`, removes them on `stop()`. Stopping the
 * node drains the server first ({@link RpcServer.drain}, run from libp2p's
 * `beforeStop`): new calls are refused with `Unavailable`, calls in flight
 * get `shutdownGraceMs` to finish, the rest end with `Canceled`.
 *
 * @example
 * ```ts
 * const node = await createRpcNode({ services: { rpc: rpcServer({ routes }) } });
 * console.log(node.services.rpc.protocols); // one protocol id per method
 * ```
 */
export class RpcServer implements Startable {
  readonly #components: RpcServerComponents;
  readonly #init: ResolvedServerInit;
  readonly #log: Logger;
  #methods: ServedMethod[] = [];
  #drain = new ServerDrain();
  #advertiser: ServiceAdvertiser | undefined;

  constructor(components: RpcServerComponents, init: RpcServerInit) {
    this.#components = components;
    this.#init = resolveServerInit(init);
    this.#log = components.logger.forComponent("p2prpc:server");
  }

  /** `"p2prpc:server"`, as libp2p services name themselves. */
  readonly [Symbol.toStringTag] = "p2prpc:server";

  /** The protocol ids this server answers, one per method. */
  get protocols(): string[] {
    return this.#methods.map((method) => method.protocol);
  }

  /** Calls being served now, on every method and connection. */
  get callsInFlight(): number {
    return this.#drain.inFlight;
  }

  async start(): Promise<void> {
    this.#drain = new ServerDrain();
    this.#methods = resolveMethods(
      this.#init,
      this.#drain,
      this.#log,
      // The node's tracker, when it has one (createRpcNode adds it): large
      // streamed values then leave by reference.
      findByReferenceTracker(this.#components),
    );
    const options = {
      maxInboundStreams: this.#init.maxInboundStreams,
      maxOutboundStreams: this.#init.maxOutboundStreams,
      // Every method is reached on limited connections, so that one not allowed there
      // answers FailedPrecondition instead of a reset stream.
      runOnLimitedConnection: true,
    };
    const perPeer = new PeerStreamLimit(this.#init.maxStreamsPerPeer);
    const limited = this.#init.limitedConnections ?? unaryOnly;
    for (const method of this.#methods) {
      const onLimited =
        limited === true || (limited !== false && limited(method.spec.method))
          ? method
          : refusedOnLimitedConnections(method);
      await this.#components.registrar.handle(
        method.protocol,
        perPeer.wrap((stream: Stream, connection: Connection) =>
          serveStream(stream, connection, connection.limits === undefined ? method : onLimited),
        ),
        options,
      );
    }
    this.#log("serving %d methods", this.#methods.length);
    if (this.#init.advertise === true) {
      const routing = this.#components.contentRouting;
      if (routing === undefined) {
        throw new TypeError("rpcServer's `advertise` needs a node with content routing");
      }
      this.#advertiser = new ServiceAdvertiser(routing, this.#log);
      this.#advertiser.start([...new Set(this.protocols.map(serviceKeyOf))]);
    }
  }

  /**
   * Drains the server: from now on it refuses new calls (a client sees
   * `Unavailable`, which its pool retries on another peer: the call never
   * ran), lets the calls in flight finish for `graceMs`, then cancels those
   * left with `Canceled`. Resolves once no call is in flight. A drained
   * server serves nothing more until it is started again; `node.stop()`
   * drains it first, with `shutdownGraceMs`. A second call returns the
   * first drain's promise.
   *
   * @example
   * ```ts
   * process.once("SIGTERM", async () => {
   *   await node.services.rpc.drain({ graceMs: 10_000 }); // finish what runs
   *   await node.stop();
   * });
   * ```
   */
  drain(options: { graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? this.#init.shutdownGraceMs;
    return this.#drain.drain(graceMs);
  }

  /** Drains the server before libp2p closes its connections (which would break calls in flight). */
  async beforeStop(): Promise<void> {
    await this.drain();
  }

  async stop(): Promise<void> {
    await this.#advertiser?.stop();
    this.#advertiser = undefined;
    await this.drain();
    for (const protocol of this.protocols) {
      await this.#components.registrar.unhandle(protocol);
    }
    this.#methods = [];
  }
}

function resolveMethods(
  init: ResolvedServerInit,
  drain: ServerDrain,
  log: Logger,
  tracker: ByReferenceTracker | undefined,
): ServedMethod[] {
  const router = new RpcRouter();
  init.routes(router);
  const shutdownSignal = drain.signal;
  const authorize = createPeerAuthorizer(init);
  const served: ServedMethod[] = [];
  for (const { spec, options } of router.routes.values()) {
    served.push({
      spec,
      protocol: methodProtocol(spec.method, init),
      interceptors: options.interceptors ?? init.interceptors ?? [],
      readMaxBytes: routeNumber(spec, "readMaxBytes", options.readMaxBytes, init.readMaxBytes),
      writeMaxBytes: routeNumber(spec, "writeMaxBytes", options.writeMaxBytes, init.writeMaxBytes),
      maxTimeoutMs: Math.min(
        routeNumber(spec, "maxTimeoutMs", options.maxTimeoutMs, init.maxTimeoutMs),
        MAX_TIMEOUT_MS,
      ),
      headerTimeoutMs: init.headerTimeoutMs,
      shutdownSignal:
        options.shutdownSignal === undefined
          ? shutdownSignal
          : AbortSignal.any([shutdownSignal, options.shutdownSignal]),
      drain,
      authorize,
      requestGate: options.requestGate ?? init.requestGate,
      binaryOptions: options.binaryOptions ?? init.binaryOptions,
      tracker,
      log,
    });
  }
  return served;
}

/** A route's own limit, checked as the server's are; the server's when the route has none. */
function routeNumber(
  spec: { readonly method: DescMethod },
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  return checkNumber(
    value,
    `the route ${spec.method.parent.typeName}/${spec.method.name}'s ${name}`,
    {
      fallback,
      min: 1,
      whole: true,
    },
  );
}

/**
 * A libp2p service that serves Connect service implementations over libp2p
 * streams, one negotiated protocol per method
 * (`/p2prpc/<package.Service>/<Method>/1.0.0`).
 *
 * `routes` is the same function a Connect HTTP server takes, so one
 * implementation serves HTTP and P2P. Handlers get Connect's `HandlerContext`;
 * {@link getRemotePeer} tells them who called, as authenticated by the
 * connection.
 *
 * @example
 * ```ts
 * import { createLibp2p } from "libp2p";
 * import { rpcServer, getRemotePeer } from "p2prpc";
 * import { GreeterService } from "./gen/acme/greeter/v1/greeter_pb.ts";
 *
 * const node = await createLibp2p({
 *   // transports, connectionEncrypters, streamMuxers, addresses …
 *   services: {
 *     rpc: rpcServer({
 *       routes: (router) =>
 *         router.service(GreeterService, {
 *           sayHello: (req, ctx) => ({
 *             message: `hello ${req.name} from ${getRemotePeer(ctx).peerId}`,
 *           }),
 *         }),
 *     }),
 *   },
 * });
 * ```
 */
export function rpcServer(init: RpcServerInit): (components: RpcServerComponents) => RpcServer {
  // Checked here, once: nonsense fails where the user wrote it.
  const resolved = resolveServerInit(init);
  return (components) => new RpcServer(components, resolved);
}
