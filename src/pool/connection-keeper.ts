import {
  type ComponentLogger,
  type Connection,
  KEEP_ALIVE,
  type Libp2pEvents,
  type Logger,
  type Metrics,
  type PeerId,
  type PeerStore,
  type Startable,
  TypedEventEmitter,
  type TypedEventTarget,
} from "@libp2p/interface";
import type { ConnectionManager } from "@libp2p/interface-internal";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  DEFAULT_IDLE_CONNECTION_TIMEOUT_MS,
  DEFAULT_MAX_PEERS,
  DEFAULT_PROTOCOL_PREFIX,
} from "../constants.ts";

/** The tag that protects a busy peer's connection from libp2p's pruning. */
export const BUSY_TAG = "p2prpc-busy";
/** The tag that makes libp2p redial a pinned peer (a `KEEP_ALIVE` tag). */
export const PINNED_TAG = `${KEEP_ALIVE}-p2prpc`;
/** Tag value of a busy or pinned peer: libp2p's largest. */
const TAG_VALUE = 100;

/** Options of {@link connectionKeeper}. */
export interface ConnectionKeeperInit {
  /**
   * A connection that carried no p2prpc call for this long, in milliseconds,
   * is closed, unless it carries streams of other protocols or its peer is
   * pinned. 0 never closes idle connections.
   * @default 60000
   */
  idleTimeoutMs?: number;
  /**
   * Peers this node keeps connections to for p2prpc calls; past it, the
   * least recently used idle peer's connections are closed. Busy and pinned
   * peers are never evicted.
   * @default 100
   */
  maxPeers?: number;
  /** Peers always kept: never idle-closed or evicted, and redialed by libp2p when lost. */
  pinned?: Array<PeerId | string>;
  /**
   * Protocol id prefix of the calls counted (others' streams keep a
   * connection open).
   * @default "/p2prpc"
   */
  protocolPrefix?: string;
}

/** The libp2p components a {@link ConnectionKeeper} uses. */
export interface ConnectionKeeperComponents {
  /** Where the busy and pinned tags go. */
  peerStore: PeerStore;
  /** The node's connections, to close idle ones. */
  connectionManager: ConnectionManager;
  /** `connection:open` and `peer:disconnect`, for the keeper's events. */
  events: TypedEventTarget<Libp2pEvents>;
  /** The libp2p logger (`p2prpc:keeper`). */
  logger: ComponentLogger;
  /** The node's metrics, when configured. */
  metrics?: Metrics;
}

/** One tracked peer, as {@link ConnectionKeeper.peers} reports it. */
export interface KeptPeerInfo {
  /** The peer's id. */
  readonly peer: string;
  /** Calls to it in flight. */
  readonly inFlight: number;
  /** Whether it is pinned. */
  readonly pinned: boolean;
  /** Open connections to it. */
  readonly connections: number;
}

/** Detail of the keeper's events: the peer concerned. */
export interface KeeperPeerDetail {
  /** The peer's id. */
  readonly peer: string;
}

/** Events of a {@link ConnectionKeeper}. */
export interface ConnectionKeeperEvents {
  /** A peer's connections were closed because it was idle for `idleTimeoutMs`. */
  "peer:idle": CustomEvent<KeeperPeerDetail>;
  /** A peer's connections were closed to stay within `maxPeers`. */
  "peer:evicted": CustomEvent<KeeperPeerDetail>;
  /** A peer this node calls connected. */
  "peer:connected": CustomEvent<KeeperPeerDetail>;
  /** A peer this node calls lost its last connection. */
  "peer:disconnected": CustomEvent<KeeperPeerDetail>;
}

/** What the keeper knows of one peer; transports hold it for their calls. */
export class KeptPeer {
  /** The peer's id. */
  readonly id: string;
  /** Calls to it in flight. */
  inFlight = 0;
  /** `performance.now()` of the last call's start or end. */
  lastUsed = performance.now();
  /** Whether the busy tag is set (it is cleared only when the peer is idle at a sweep). */
  tagged = false;
  /** Whether it is pinned. */
  pinned = false;
  /** The keeper dropped it (idle, evicted, disconnected): the next call tracks the peer anew. */
  forgotten = false;

  /** A record of `id`, idle. */
  constructor(id: string) {
    this.id = id;
  }
}

/**
 * The node-wide half of p2prpc's pool, a libp2p service: it keeps the
 * connections that calls need and drops the rest, through libp2p's own
 * machinery rather than beside it.
 *
 * - A peer with calls in flight is tagged `p2prpc-busy` (value 100), so
 *   libp2p's connection manager prunes it last. The tag is set by a call that
 *   finds it missing and cleared by the sweep once the peer is idle: busy
 *   peers cost no peer-store write per call.
 * - A peer with no call for `idleTimeoutMs` has its connections closed, unless
 *   a stream of another protocol is open on them (something else uses it).
 * - At most `maxPeers` peers are kept; the least recently used idle one is
 *   evicted first, never a busy or pinned one.
 * - A pinned peer carries a `KEEP_ALIVE` tag, so libp2p redials it when its
 *   connection is lost, and is never closed for being idle.
 *
 * `createRpcNode` includes it; every transport on the node reports its calls
 * to it. With metrics configured on the node, it reports calls in flight per
 * peer and the peers kept (calculated when scraped: nothing per call).
 *
 * @example
 * ```ts
 * const node = await createRpcNode({
 *   connectionKeeper: { idleTimeoutMs: 30_000, maxPeers: 500, pinned: [bootstrapPeer] },
 * });
 * ```
 */
export class ConnectionKeeper
  extends TypedEventEmitter<ConnectionKeeperEvents>
  implements Startable
{
  readonly #components: ConnectionKeeperComponents;
  readonly #log: Logger;
  readonly #idleTimeoutMs: number;
  readonly #maxPeers: number;
  readonly #prefix: string;
  readonly #pinned: readonly string[];
  readonly #peers = new Map<string, KeptPeer>();
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(components: ConnectionKeeperComponents, init: ConnectionKeeperInit = {}) {
    super();
    this.#components = components;
    this.#log = components.logger.forComponent("p2prpc:keeper");
    this.#idleTimeoutMs = init.idleTimeoutMs ?? DEFAULT_IDLE_CONNECTION_TIMEOUT_MS;
    this.#maxPeers = init.maxPeers ?? DEFAULT_MAX_PEERS;
    this.#prefix = `${init.protocolPrefix ?? DEFAULT_PROTOCOL_PREFIX}/`;
    this.#pinned = (init.pinned ?? []).map(String);
    if (!(this.#idleTimeoutMs >= 0) || !Number.isInteger(this.#maxPeers) || this.#maxPeers < 1) {
      throw new RangeError(
        `connectionKeeper: idleTimeoutMs must be >= 0 and maxPeers a whole number >= 1 (got ${this.#idleTimeoutMs}, ${this.#maxPeers})`,
      );
    }
    components.metrics?.registerMetricGroup("p2prpc_calls_in_flight", {
      help: "p2prpc calls in flight, by peer",
      label: "peer",
      calculate: () =>
        Object.fromEntries([...this.#peers.values()].map((peer) => [peer.id, peer.inFlight])),
    });
    components.metrics?.registerMetric("p2prpc_kept_peers", {
      help: "peers the p2prpc connection keeper tracks",
      calculate: () => this.#peers.size,
    });
  }

  /** The service's name, as libp2p services give theirs. */
  readonly [Symbol.toStringTag] = "p2prpc/connection-keeper";

  async start(): Promise<void> {
    this.#components.events.addEventListener("connection:open", this.#onOpen);
    this.#components.events.addEventListener("peer:disconnect", this.#onDisconnect);
    for (const id of this.#pinned) {
      await this.pin(id);
    }
    if (this.#idleTimeoutMs > 0) {
      const every = Math.max(10, Math.min(this.#idleTimeoutMs / 2, 10_000));
      this.#sweeper = setInterval(() => this.#sweep(), every);
      this.#sweeper.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#components.events.removeEventListener("connection:open", this.#onOpen);
    this.#components.events.removeEventListener("peer:disconnect", this.#onDisconnect);
  }

  /** The record of `peer`, made on first use; transports keep it for their calls. */
  track(peer: string): KeptPeer {
    let kept = this.#peers.get(peer);
    if (kept === undefined) {
      kept = new KeptPeer(peer);
      this.#peers.set(peer, kept);
      this.#evictOverLimit();
    }
    return kept;
  }

  /**
   * A call to `peer` started; returns the record to pass to
   * {@link callEnded} and to keep for the next call (a new one if the keeper
   * had dropped `peer`'s).
   */
  callStarted(record: KeptPeer, now = performance.now()): KeptPeer {
    const peer = record.forgotten ? this.track(record.id) : record;
    peer.inFlight++;
    peer.lastUsed = now;
    if (!peer.tagged) {
      peer.tagged = true;
      this.#tag(peer.id, BUSY_TAG, TAG_VALUE);
    }
    return peer;
  }

  /** A call to `peer` ended. */
  callEnded(peer: KeptPeer, now = performance.now()): void {
    peer.inFlight--;
    peer.lastUsed = now;
  }

  /** Always keeps `peer`: never idle-closed or evicted, redialed by libp2p when lost. */
  async pin(peer: PeerId | string): Promise<void> {
    const kept = this.track(String(peer));
    kept.pinned = true;
    await this.#components.peerStore.merge(asPeerId(peer), {
      tags: { [PINNED_TAG]: { value: TAG_VALUE } },
    });
  }

  /** Undoes {@link pin}. */
  async unpin(peer: PeerId | string): Promise<void> {
    const kept = this.#peers.get(String(peer));
    if (kept !== undefined) {
      kept.pinned = false;
    }
    await this.#components.peerStore.merge(asPeerId(peer), { tags: { [PINNED_TAG]: undefined } });
  }

  /** The peers tracked, with their calls in flight and whether they are pinned. */
  peers(): KeptPeerInfo[] {
    return [...this.#peers.values()].map((kept) => ({
      peer: kept.id,
      inFlight: kept.inFlight,
      pinned: kept.pinned,
      connections: this.#connectionsOf(kept.id).length,
    }));
  }

  readonly #onOpen = (event: CustomEvent<Connection>): void => {
    const peer = event.detail.remotePeer.toString();
    if (this.#peers.has(peer) && this.#connectionsOf(peer).length === 1) {
      this.safeDispatchEvent("peer:connected", { detail: { peer } });
    }
  };

  readonly #onDisconnect = (event: CustomEvent<PeerId>): void => {
    const peer = event.detail.toString();
    const kept = this.#peers.get(peer);
    if (kept === undefined) {
      return;
    }
    this.safeDispatchEvent("peer:disconnected", { detail: { peer } });
    if (kept.inFlight === 0 && !kept.pinned) {
      this.#forget(kept);
    }
  };

  #connectionsOf(peer: string): Connection[] {
    return this.#components.connectionManager.getConnections(asPeerId(peer));
  }

  #sweep(): void {
    const idleSince = performance.now() - this.#idleTimeoutMs;
    for (const kept of [...this.#peers.values()]) {
      if (kept.inFlight > 0) {
        continue;
      }
      if (kept.tagged) {
        kept.tagged = false;
        this.#tag(kept.id, BUSY_TAG, undefined);
      }
      if (!kept.pinned && kept.lastUsed <= idleSince && this.#closeIfOnlyOurs(kept)) {
        this.safeDispatchEvent("peer:idle", { detail: { peer: kept.id } });
      }
    }
  }

  /** Past `maxPeers`, closes the least recently used idle, unpinned peers. */
  #evictOverLimit(): void {
    if (this.#peers.size <= this.#maxPeers) {
      return;
    }
    const idle = [...this.#peers.values()]
      .filter((kept) => kept.inFlight === 0 && !kept.pinned)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const kept of idle) {
      if (this.#peers.size <= this.#maxPeers) {
        return;
      }
      this.#closeAll(kept);
      this.safeDispatchEvent("peer:evicted", { detail: { peer: kept.id } });
    }
  }

  /** Closes `kept`'s connections if only p2prpc streams are open on them; true if it did. */
  #closeIfOnlyOurs(kept: KeptPeer): boolean {
    const connections = this.#connectionsOf(kept.id);
    if (connections.length === 0) {
      this.#forget(kept);
      return false;
    }
    // Kept if anything but this node's own calls uses a connection: another
    // protocol's stream, or the peer calling this node.
    const foreign = connections.some((connection) =>
      connection.streams.some(
        (stream) =>
          stream.direction === "inbound" ||
          (stream.protocol !== undefined && !stream.protocol.startsWith(this.#prefix)),
      ),
    );
    if (foreign) {
      return false;
    }
    this.#closeAll(kept);
    return true;
  }

  #closeAll(kept: KeptPeer): void {
    this.#forget(kept);
    for (const connection of this.#connectionsOf(kept.id)) {
      connection.close().catch((error: unknown) => {
        this.#log.error("closing an idle connection to %s failed - %e", kept.id, error);
        connection.abort(error instanceof Error ? error : new Error(String(error)));
      });
    }
  }

  #forget(kept: KeptPeer): void {
    kept.forgotten = true;
    if (this.#peers.get(kept.id) === kept) {
      this.#peers.delete(kept.id);
    }
    if (kept.tagged) {
      kept.tagged = false;
      this.#tag(kept.id, BUSY_TAG, undefined);
    }
  }

  #tag(peer: string, tag: string, value: number | undefined): void {
    this.#components.peerStore
      .merge(asPeerId(peer), { tags: { [tag]: value === undefined ? undefined : { value } } })
      .catch((error: unknown) => {
        this.#log.error("tagging %s with %s failed - %e", peer, tag, error);
      });
  }
}

function asPeerId(peer: PeerId | string): PeerId {
  return typeof peer === "string" ? peerIdFromString(peer) : peer;
}

/**
 * The libp2p service factory of {@link ConnectionKeeper}: pass it in a
 * node's `services` (as `connectionKeeper`), where transports find it.
 * `createRpcNode` adds it unless told not to.
 *
 * @example
 * ```ts
 * import { createLibp2p } from "libp2p";
 * import { connectionKeeper, rpcServer } from "p2prpc";
 *
 * const node = await createLibp2p({
 *   services: { connectionKeeper: connectionKeeper({ maxPeers: 200 }), rpc: rpcServer({ routes }) },
 * });
 * ```
 */
export function connectionKeeper(
  init: ConnectionKeeperInit = {},
): (components: ConnectionKeeperComponents) => ConnectionKeeper {
  return (components) => new ConnectionKeeper(components, init);
}
