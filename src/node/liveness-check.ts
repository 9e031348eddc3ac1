// Relies on: libp2p ~3.3.11's `Connection` keeping its muxer as a `muxer`
// field (public in the class, absent from `@libp2p/interface`'s typings);
// @libp2p/utils' AbstractStreamMuxer handing every chunk read from the
// connection to `this.onData(chunk)` (so an own `onData` on the instance sees
// them all); and @libp2p/yamux ~8.0.3's `YamuxMuxer.ping()` (a Yamux ping
// frame on stream 0, resolved by the peer's ACK). A connection whose muxer has
// no `ping` (QUIC, mplex, …) is checked as libp2p's connection monitor checks
// every connection: an `/ipfs/ping/1.0.0` stream with 32 random bytes echoed.
import type { ComponentLogger, Connection, Logger, Startable } from "@libp2p/interface";
import type { ConnectionManager } from "@libp2p/interface-internal";
import { byteStream } from "@libp2p/utils";
import { everyTick } from "./every-tick.ts";

/** The ping protocol of the stream check (libp2p's, served by `@libp2p/ping`). */
const PING_PROTOCOL = "/ipfs/ping/1.0.0";
/** Bytes a stream check sends and expects back (libp2p's ping size). */
const PING_BYTES = 32;
/**
 * Ticks per `livenessTimeoutMs`: the check looks at every connection once a
 * tick. The finer the ticks, the closer the silence before a ping comes to
 * what the bound leaves after the answer's half, and the fewer pings an idle
 * connection costs: at 16 ticks an idle connection was pinged about every 6
 * ticks (3.4–4.1 s after the last answer at the 10 s default), at 64 every
 * 29 to 30 (4.5–4.7 s), about 18% fewer pings, for 4 times as many passes
 * over the connections, each a few field reads per connection.
 */
const TICKS_PER_TIMEOUT = 64;
/**
 * Ticks of silence on a connection before it is pinged: what the bound
 * leaves (see below). The side that dialed pings first: the listener waits
 * one tick more, so that on an idle connection it hears the dialer's ping
 * before its own would leave. With the same wait on both sides, two nodes
 * whose ticks fell into one event-loop turn (nodes of one process, whose
 * timers a busy loop lines up) both pinged every time.
 */
const IDLE_TICKS = 29;
/** The listener's extra tick of silence (see IDLE_TICKS). */
const INBOUND_EXTRA_TICKS = 1;
/**
 * Ticks a ping is given to be answered: half of the bound, as libp2p's
 * monitor gave its pings at our 10 s default, so a peer whose event loop
 * stalls for up to 5 s (a long GC) is not cut. With 4 ticks (2.5 s), a
 * forced full GC of the scale benchmark's server at 5,000 peers had its
 * clients abort a quarter of their connections.
 */
const ANSWER_TICKS = 32;
/**
 * Longest time between two pings of a connection that is never silent, so
 * that its `rtt` stays fresh: Yamux's own keep-alive interval, which the
 * check replaces (`createRpcNode` turns that keep-alive off).
 */
const RTT_REFRESH_MS = 30_000;
// A peer that dies right after its last frame is found within
// 1 (the tick that notices the frame) + IDLE_TICKS + INBOUND_EXTRA_TICKS +
// ANSWER_TICKS = 63 ticks,
// one tick inside the bound, while this node's event loop keeps time.

/** Options of {@link livenessCheck}. */
export interface LivenessCheckInit {
  /**
   * Longest time, in milliseconds, a dead connection stays open: a connection
   * that has been silent for 29/64 of it (30/64 on the side that accepted
   * it) is pinged, and one whose ping is not
   * answered within another half of it is aborted. Must be positive.
   */
  livenessTimeoutMs: number;
}

/** What {@link livenessCheck} needs of the node. */
export interface LivenessCheckComponents {
  /** Where the open connections to check come from. */
  connectionManager: ConnectionManager;
  /** The node's loggers: an unanswered ping is logged as an error. */
  logger: ComponentLogger;
}

/** The part of a Yamux muxer the check uses (private in libp2p's typings). */
interface WatchedMuxer {
  ping(): Promise<number>;
  onData(chunk: unknown): void;
}

/** What the check knows of one connection. */
interface ConnectionState {
  /** Set by the muxer hook when a chunk arrives; cleared by the next tick. */
  heard: boolean;
  /** When the check last knew the peer alive (`performance.now()`). */
  aliveMs: number;
  /** When the outstanding ping left, or undefined when there is none. */
  pingSentMs: number | undefined;
  /** The tick at which the outstanding ping left. */
  pingTick: number;
  /** When the last ping left (-Infinity before the first). */
  lastPingMs: number;
  /** Ends the outstanding stream ping when its answer is late. */
  pingAbort: AbortController | undefined;
}

/**
 * A libp2p service that finds dead connections within `livenessTimeoutMs`,
 * the job of libp2p's connection monitor, at a fraction of its cost: it pings
 * only connections that have gone silent, and pings a Yamux connection with a
 * Yamux ping frame (12 bytes each way) instead of opening, negotiating and
 * closing an `/ipfs/ping` stream. Connections whose muxer has no ping
 * (QUIC's) get libp2p's stream ping.
 *
 * Any frame from the peer shows it alive: the check hooks each Yamux
 * muxer's input, where a chunk only sets a flag. One timer serves every
 * connection, of every node in the process with the same bound
 * (`everyTick`), and ticks 64 times per `livenessTimeoutMs`. A connection
 * this node dialed is pinged once nothing has arrived on it for 29 ticks, one
 * it accepted after 30; one whose ping is still unanswered 32 ticks later is
 * aborted (which fails its streams, so calls in flight end `Unavailable`). A
 * peer that dies right after its last frame is thus found within 63 ticks,
 * inside the bound. On an idle connection the dialer pings and the listener,
 * hearing the ping a tick before its own would leave, does not: one ping and
 * one answer per connection every 29 to 30 ticks (4.5–4.7 s at a 10 s
 * bound), where a ping from each side every half of the bound made four
 * frames. A connection is also pinged when it is first
 * seen and every 30 s whatever its traffic, which keeps its `rtt` (what
 * libp2p's monitor kept, and the pool's stats report) fresh; Yamux's own
 * keep-alive, which did that, is off on `createRpcNode`'s nodes. A ping's
 * answer time is counted in ticks as well as in milliseconds: a blocked event
 * loop fires one late tick, not the ticks it missed, so answers that wait
 * unread meanwhile are read before the check can give up on them.
 *
 * `createRpcNode` runs it, as the `livenessCheck` service, in place of
 * libp2p's connection monitor unless `libp2p.connectionMonitor` is given.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   connectionMonitor: { enabled: false },
 *   services: { livenessCheck: livenessCheck({ livenessTimeoutMs: 10_000 }) },
 *   // transports, connectionEncrypters, streamMuxers …
 * });
 * ```
 */
export function livenessCheck(
  init: LivenessCheckInit,
): (components: LivenessCheckComponents) => LivenessCheck {
  return (components) => new LivenessCheck(components, init);
}

/** The service {@link livenessCheck} makes. */
export class LivenessCheck implements Startable {
  /** The service's name, as libp2p services give theirs. */
  readonly [Symbol.toStringTag] = "p2prpc:liveness-check";
  readonly #components: LivenessCheckComponents;
  readonly #log: Logger;
  readonly #tickMs: number;
  /** Silence before a ping, by the connection's direction. */
  readonly #idleMs: { readonly inbound: number; readonly outbound: number };
  readonly #answerMs: number;
  readonly #states = new WeakMap<Connection, ConnectionState>();
  /** Ends this check's share of the process's tick timer. */
  #stopTicking: (() => void) | undefined;
  /** Ticks so far. */
  #ticks = 0;
  /** The time of the current tick. */
  #now = 0;

  constructor(components: LivenessCheckComponents, init: LivenessCheckInit) {
    if (!(init.livenessTimeoutMs > 0)) {
      throw new RangeError(
        `livenessCheck's livenessTimeoutMs must be positive, not ${init.livenessTimeoutMs}`,
      );
    }
    this.#components = components;
    this.#log = components.logger.forComponent("p2prpc:liveness-check");
    this.#tickMs = Math.max(1, init.livenessTimeoutMs / TICKS_PER_TIMEOUT);
    // Half a tick short of the whole ticks, so timer jitter never costs one.
    const outboundIdleMs = (IDLE_TICKS - 0.5) * this.#tickMs;
    this.#idleMs = {
      outbound: outboundIdleMs,
      inbound: outboundIdleMs + INBOUND_EXTRA_TICKS * this.#tickMs,
    };
    this.#answerMs = (ANSWER_TICKS - 0.5) * this.#tickMs;
  }

  start(): void {
    this.#stopTicking ??= everyTick(this.#tickMs, () => this.#tick());
  }

  stop(): void {
    this.#stopTicking?.();
    this.#stopTicking = undefined;
  }

  #tick(): void {
    this.#now = performance.now();
    this.#ticks++;
    // The manager's map, not getConnections(): no list is built per tick.
    // Its forEach and an indexed loop, not for…of: an iterator and a result
    // object per peer and tick were most of an idle node's garbage.
    this.#components.connectionManager.getConnectionsMap().forEach(this.#checkPeer);
  }

  /** Checks one peer's connections at `#now`; made once, so a tick makes no closure. */
  readonly #checkPeer = (connections: readonly Connection[]): void => {
    for (let index = 0; index < connections.length; index++) {
      this.#check(connections[index] as Connection, this.#now);
    }
  };

  /** One connection's part of a tick. */
  #check(connection: Connection, now: number): void {
    if (connection.status !== "open") {
      return;
    }
    const state = this.#states.get(connection) ?? this.#watch(connection, now);
    if (state.heard) {
      // Anything from the peer answers an outstanding ping too.
      state.heard = false;
      state.aliveMs = now;
      state.pingSentMs = undefined;
    }
    if (state.pingSentMs === undefined) {
      if (
        now - state.aliveMs >= this.#idleMs[connection.direction] ||
        now - state.lastPingMs >= RTT_REFRESH_MS
      ) {
        this.#ping(connection, state, now);
      }
    } else if (
      this.#ticks - state.pingTick >= ANSWER_TICKS &&
      now - state.pingSentMs >= this.#answerMs
    ) {
      this.#abort(connection, state);
    }
  }

  /**
   * Starts watching a connection seen for the first time: its opening counts
   * as heard, and it is pinged at once, which gives it an `rtt`.
   */
  #watch(connection: Connection, now: number): ConnectionState {
    const state: ConnectionState = {
      heard: false,
      aliveMs: now,
      pingSentMs: undefined,
      pingTick: 0,
      lastPingMs: Number.NEGATIVE_INFINITY,
      pingAbort: undefined,
    };
    this.#states.set(connection, state);
    const muxer = yamuxOf(connection);
    if (muxer !== undefined) {
      const onData = muxer.onData;
      muxer.onData = (chunk) => {
        state.heard = true;
        onData.call(muxer, chunk);
      };
    }
    return state;
  }

  #ping(connection: Connection, state: ConnectionState, now: number): void {
    state.pingSentMs = now;
    state.pingTick = this.#ticks;
    state.lastPingMs = now;
    const answered = (rttMs: number): void => {
      state.pingSentMs = undefined;
      state.pingAbort = undefined;
      // The answer's own time, not the next tick's: the frame that carried it
      // set `heard`, and the tick would move the silence's start up to a
      // tick later, behind the other side's, whose ping could then cross ours.
      state.heard = false;
      state.aliveMs = performance.now();
      // What libp2p's connection monitor keeps there; the pool's stats read it.
      connection.rtt = rttMs;
    };
    const muxer = yamuxOf(connection);
    if (muxer !== undefined) {
      // No signal: on a dead connection the ping stays pending, and is
      // collected with the connection once it is aborted.
      muxer.ping().then(answered, (error: unknown) => this.#failed(connection, state, error));
      return;
    }
    const abort = new AbortController();
    state.pingAbort = abort;
    streamPing(connection, abort.signal).then(
      () => answered(performance.now() - now),
      (error: unknown) => this.#failed(connection, state, error),
    );
  }

  /** A ping that failed before its time was up (the connection closing, a reset stream). */
  #failed(connection: Connection, state: ConnectionState, error: unknown): void {
    if (state.pingSentMs === undefined || connection.status !== "open") {
      return;
    }
    this.#log.error("ping to %p failed, aborting the connection: %e", connection.remotePeer, error);
    state.pingSentMs = undefined;
    connection.abort(error instanceof Error ? error : new Error(String(error)));
  }

  #abort(connection: Connection, state: ConnectionState): void {
    const error = timeoutError(this.#answerMs);
    this.#log.error("no answer from %p, aborting the connection: %e", connection.remotePeer, error);
    state.pingSentMs = undefined;
    state.pingAbort?.abort(error);
    state.pingAbort = undefined;
    connection.abort(error);
  }
}

/** The connection's Yamux muxer, if it has one (one with a ping frame and a hookable input). */
function yamuxOf(connection: Connection): WatchedMuxer | undefined {
  const muxer = (connection as { muxer?: Partial<WatchedMuxer> }).muxer;
  return typeof muxer?.ping === "function" && typeof muxer.onData === "function"
    ? (muxer as WatchedMuxer)
    : undefined;
}

/** libp2p's connection monitor's check: 32 random bytes echoed on an `/ipfs/ping` stream. */
async function streamPing(connection: Connection, signal: AbortSignal): Promise<void> {
  let stream: Awaited<ReturnType<Connection["newStream"]>> | undefined;
  try {
    stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true });
    const bytes = byteStream(stream);
    await Promise.all([
      bytes.write(crypto.getRandomValues(new Uint8Array(PING_BYTES)), { signal }),
      bytes.read({ bytes: PING_BYTES, signal }),
    ]);
    await stream.close({ signal });
  } catch (error) {
    stream?.abort(error instanceof Error ? error : new Error(String(error)));
    // A peer that answered multistream-select without serving ping is alive.
    if ((error as { name?: unknown } | null)?.name !== "UnsupportedProtocolError") {
      throw error;
    }
  }
}

function timeoutError(answerMs: number): Error {
  return Object.assign(new Error(`no ping answer within ${Math.round(answerMs)} ms`), {
    name: "TimeoutError",
  });
}
