// Relies on: libp2p ~3.3.11's `Connection` keeping its muxer as a `muxer`
// field (public in the class, absent from `@libp2p/interface`'s typings),
// and @libp2p/yamux ~8.0.3's `YamuxMuxer.ping({ signal })` (a Yamux ping
// frame on stream 0, resolved by the peer's ACK; concurrent calls share one
// ping). A connection whose muxer has no `ping` (QUIC, mplex, …) is checked as
// libp2p's connection monitor checks every connection: an `/ipfs/ping/1.0.0`
// stream with 32 random bytes echoed.
import type { ComponentLogger, Connection, Logger, Startable } from "@libp2p/interface";
import type { ConnectionManager } from "@libp2p/interface-internal";
import { byteStream } from "@libp2p/utils";

/** The ping protocol of the stream check (libp2p's, served by `@libp2p/ping`). */
const PING_PROTOCOL = "/ipfs/ping/1.0.0";
/** Bytes a stream check sends and expects back (libp2p's ping size). */
const PING_BYTES = 32;

/** Options of {@link livenessCheck}. */
export interface LivenessCheckInit {
  /**
   * Longest time, in milliseconds, a dead connection stays open: every
   * connection is pinged every half of it, and one whose ping got no answer
   * by the next round is aborted. Must be positive.
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
interface PingingMuxer {
  ping(options: { signal: AbortSignal }): Promise<number>;
}

/**
 * A libp2p service that finds dead connections within `livenessTimeoutMs`,
 * the job of libp2p's connection monitor, at a fraction of its cost on Yamux
 * connections: it pings a Yamux connection with a Yamux ping frame (12 bytes
 * each way on the connection) instead of opening, negotiating and closing an
 * `/ipfs/ping` stream every round on both sides. Connections whose muxer has
 * no ping (QUIC's) get libp2p's stream ping.
 *
 * One timer serves every connection: each round, every `livenessTimeoutMs / 2`,
 * ends the previous round, aborting each connection whose ping is still
 * unanswered (which fails its streams, so calls in flight end `Unavailable`),
 * and pings every open connection. A peer that stops answering just after a
 * ping is therefore found at most two rounds later, within the bound.
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
  readonly #roundMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Ends the round in progress: its unanswered pings fail. */
  #round: AbortController | undefined;

  constructor(components: LivenessCheckComponents, init: LivenessCheckInit) {
    if (!(init.livenessTimeoutMs > 0)) {
      throw new RangeError(
        `livenessCheck's livenessTimeoutMs must be positive, not ${init.livenessTimeoutMs}`,
      );
    }
    this.#components = components;
    this.#log = components.logger.forComponent("p2prpc:liveness-check");
    this.#roundMs = Math.max(1, Math.floor(init.livenessTimeoutMs / 2));
  }

  start(): void {
    this.#timer = setInterval(() => this.#nextRound(), this.#roundMs);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#round?.abort(stoppedError());
    this.#round = undefined;
  }

  #nextRound(): void {
    this.#round?.abort(timeoutError(this.#roundMs));
    const round = new AbortController();
    this.#round = round;
    for (const connection of this.#components.connectionManager.getConnections()) {
      if (connection.status !== "open") {
        continue;
      }
      this.#check(connection, round.signal).catch((error: unknown) => {
        if (round.signal.reason?.name === "AbortError") {
          return; // the node stopped
        }
        this.#log.error(
          "no answer from %p, aborting the connection: %e",
          connection.remotePeer,
          error,
        );
        connection.abort(error instanceof Error ? error : timeoutError(this.#roundMs));
      });
    }
  }

  #check(connection: Connection, signal: AbortSignal): Promise<unknown> {
    const muxer = (connection as { muxer?: Partial<PingingMuxer> }).muxer;
    if (typeof muxer?.ping === "function") {
      return (muxer as PingingMuxer).ping({ signal });
    }
    return streamPing(connection, signal);
  }
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

function timeoutError(roundMs: number): Error {
  return Object.assign(new Error(`no ping answer within ${roundMs} ms`), { name: "TimeoutError" });
}

function stoppedError(): Error {
  return Object.assign(new Error("the node stopped"), { name: "AbortError" });
}
