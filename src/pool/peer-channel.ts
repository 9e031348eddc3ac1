import type { DescMessage } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { Connection, PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { CallControl } from "../call-control.ts";
import { markNeverReachedHandler, neverReachedHandler } from "../client/attempt-outcome.ts";
import { CallStream } from "../client/call-stream.ts";
import type { ClientCallOptions } from "../client/client-call-options.ts";
import { runStreamingOnStream } from "../client/run-streaming-on-stream.ts";
import { runUnaryOnStream } from "../client/run-unary-on-stream.ts";
import { type Dialer, StreamOpener } from "../client/stream-opener.ts";
import { StreamPool, type StreamPoolOptions } from "../client/stream-pool.ts";
import { optimisticSelectionOf } from "../node/optimistic-select-stream.ts";
import type { PeerLoad } from "./balance-policy.ts";
import type { ConnectionKeeper, KeptPeer } from "./connection-keeper.ts";
import { LatencyWindow } from "./latency-window.ts";

/** The streams a unary attempt tries, in order (see {@link PeerChannel.unary}). */
const REUSED = 0;
const OPTIMISTIC = 1;
const NEGOTIATED = 2;

/**
 * Marks the error of a call on an optimistically selected stream whose
 * protocol the remote never confirmed: no handler saw the request (the
 * remote refused the protocol, or the stream failed before its echo came).
 * Returns `error`.
 */
function markUnconfirmed(error: unknown, call: CallStream): unknown {
  const selection = optimisticSelectionOf(call.stream);
  return selection !== undefined && !selection.confirmed && error instanceof Error
    ? markNeverReachedHandler(error)
    : error;
}

/** How long a peer rests after its first failed attempt, in milliseconds; doubled per failure after. */
const REST_FIRST_MS = 100;
/** The longest rest, in milliseconds. */
const REST_MAX_MS = 5000;

/** Weight of the newest sample in a peer's moving average of service time. */
const SERVICE_ALPHA = 0.2;

/** Settings a {@link PeerChannel} shares with its set's other channels. */
export interface PeerChannelOptions {
  readonly call: ClientCallOptions;
  readonly streams: StreamPoolOptions;
  readonly maxOutboundStreams: number;
  readonly dialTimeoutMs: number;
  /** The node's keeper, told of every call so it protects busy peers and drops idle ones. */
  readonly keeper: ConnectionKeeper | undefined;
}

/** One peer's figures, as {@link PeerPool.stats} reports them. */
export interface PeerStats {
  /** The peer's id. */
  readonly peer: string;
  /** Calls to it in flight now. */
  readonly inFlight: number;
  /** Attempts made to it in all. */
  readonly calls: number;
  /** Attempts to it that succeeded. */
  readonly succeeded: number;
  /** Failed attempts by status code name (`Unavailable`, …). */
  readonly errors: Readonly<Record<string, number>>;
  /** Median latency of its recent successful calls, in milliseconds (undefined: none yet). */
  readonly latencyP50Ms: number | undefined;
  /** 99th percentile of the same, in milliseconds. */
  readonly latencyP99Ms: number | undefined;
  /** When it last carried a call (ms since the epoch; 0: never). */
  readonly lastUsedMs: number;
  /** Open connections to it (undefined: the node cannot tell, or the target names no PeerId). */
  readonly connections: number | undefined;
  /**
   * Round-trip time of its connection as libp2p's connection monitor last
   * measured it, in milliseconds (undefined: not measured yet).
   */
  readonly rttMs: number | undefined;
}

/**
 * One peer of a set: its stream opener and its pool of idle method streams,
 * and what the balancer and the stats need to know of it (calls in flight,
 * latency, failures). Runs single attempts; retrying is the set's business.
 */
export class PeerChannel implements PeerLoad {
  readonly id: string;
  readonly #opener: StreamOpener;
  readonly #dialer: Dialer;
  readonly #streams: StreamPool;
  readonly #options: PeerChannelOptions;
  readonly #latency = new LatencyWindow();
  readonly #errors = new Map<string, number>();
  inFlight = 0;
  failures = 0;
  /** `performance.now()` before which a failing peer is offered only when no other is. */
  resting = 0;
  #calls = 0;
  #succeeded = 0;
  #lastUsedMs = 0;
  /**
   * Moving average of a call's latency divided by the calls in flight with
   * it: what one call costs the peer, queueing taken out (see PeerLoad).
   */
  #serviceMs = 0;
  /** Hands a call's stream back to the pool of its method's idle streams: one function for every call. */
  readonly #release = (call: CallStream): void => this.#streams.give(call.protocol, call);
  /** The keeper's record of this peer, once a call went to it. */
  #kept: KeptPeer | undefined;

  constructor(
    id: string,
    dialer: Dialer,
    target: PeerId | Multiaddr | Multiaddr[],
    options: PeerChannelOptions,
  ) {
    this.id = id;
    this.#dialer = dialer;
    this.#options = options;
    this.#opener = new StreamOpener(
      dialer,
      target,
      options.maxOutboundStreams,
      options.dialTimeoutMs,
    );
    this.#streams = new StreamPool(options.streams);
  }

  get latencyMs(): number {
    return this.#serviceMs;
  }

  /**
   * One attempt of a unary call on this peer. The attempt may take up to
   * three streams, each kind once, moving on only while the call
   * {@link neverReachedHandler}: an idle pooled stream (the server may have
   * closed it as the call left, between calls); a new stream selected
   * optimistically, the request following the protocol proposal without
   * waiting for its echo (the remote may refuse the protocol); a stream
   * negotiated in full, which reports a method the peer does not serve as
   * `Unimplemented`. What fails on the last stream goes to the pool, which
   * decides on retries with the same predicate.
   */
  async unary<I extends DescMessage, O extends DescMessage>(
    protocol: string,
    req: UnaryRequest<I, O>,
    control: CallControl | undefined,
    deadline: number | undefined,
  ): Promise<UnaryResponse<I, O>> {
    const options = this.#options.call;
    const release = this.#release;
    const reused = this.#streams.take(protocol);
    let kind = reused === undefined ? OPTIMISTIC : REUSED;
    let call = reused ?? (await this.#open(protocol, req.signal, true));
    for (;;) {
      try {
        return await runUnaryOnStream(call, req, control, deadline, options, release);
      } catch (error) {
        if (
          kind === NEGOTIATED ||
          (control?.aborted ?? req.signal.aborted) ||
          !neverReachedHandler(markUnconfirmed(error, call))
        ) {
          throw error;
        }
      }
      kind++;
      call = await this.#open(protocol, req.signal, kind === OPTIMISTIC);
    }
  }

  /**
   * One attempt of a streaming call on this peer, counted here: it succeeds
   * once its response header came, and stays in flight until it ends,
   * cleanly (its stream goes back to the pool) or not (its stream is reset).
   */
  async stream<I extends DescMessage, O extends DescMessage>(
    protocol: string,
    req: StreamRequest<I, O>,
    deadline: number | undefined,
  ): Promise<StreamResponse<I, O>> {
    const started = this.begin();
    let inFlight = true;
    const end = (): void => {
      if (inFlight) {
        inFlight = false;
        this.#ended();
      }
    };
    let call: CallStream | undefined;
    try {
      call = this.#streams.take(protocol) ?? (await this.#open(protocol, req.signal));
      const { stream } = call;
      stream.addEventListener("close", end, { once: true });
      const response = await runStreamingOnStream(
        call,
        req,
        deadline,
        this.#options.call,
        (done) => {
          stream.removeEventListener("close", end);
          end();
          this.#streams.give(protocol, done);
        },
      );
      this.#answered(started);
      return response;
    } catch (error) {
      call?.stream.removeEventListener("close", end);
      end();
      this.#rejected(error);
      throw error;
    }
  }

  /** Counts the start of an attempt; returns its start time, for {@link succeeded} or {@link failed}. */
  begin(): number {
    this.inFlight++;
    this.#calls++;
    const now = performance.now();
    const keeper = this.#options.keeper;
    if (keeper !== undefined) {
      this.#kept = keeper.callStarted(this.#kept ?? keeper.track(this.id), now);
    }
    return now;
  }

  /** Counts the success of a unary attempt that began at `started`. */
  succeeded(started: number): void {
    const concurrent = this.inFlight;
    const now = performance.now();
    this.#ended(now);
    this.#answered(started, concurrent, now);
  }

  /** Counts the failure of a unary attempt. */
  failed(error: unknown): void {
    this.#ended();
    this.#rejected(error);
  }

  #answered(started: number, concurrent = this.inFlight, now = performance.now()): void {
    const service = (now - started) / Math.max(1, concurrent);
    this.#serviceMs =
      this.#serviceMs === 0
        ? service
        : this.#serviceMs + SERVICE_ALPHA * (service - this.#serviceMs);
    this.failures = 0;
    this.#succeeded++;
    this.#lastUsedMs = now;
    this.#latency.record(now - started);
  }

  #ended(now?: number): void {
    this.inFlight--;
    if (this.#kept !== undefined) {
      this.#options.keeper?.callEnded(this.#kept, now);
    }
  }

  #rejected(error: unknown): void {
    this.failures++;
    // Rests 100 ms after its first failure, doubling to 5 s: then one call tries it again.
    this.resting =
      performance.now() + Math.min(REST_MAX_MS, REST_FIRST_MS * 2 ** (this.failures - 1));
    this.#lastUsedMs = performance.now();
    const name = Code[ConnectError.from(error).code] ?? "Unknown";
    this.#errors.set(name, (this.#errors.get(name) ?? 0) + 1);
  }

  stats(): PeerStats {
    const connections = this.#connections();
    return {
      peer: this.id,
      inFlight: this.inFlight,
      calls: this.#calls,
      succeeded: this.#succeeded,
      errors: Object.fromEntries(this.#errors),
      latencyP50Ms: this.#latency.quantile(0.5),
      latencyP99Ms: this.#latency.quantile(0.99),
      lastUsedMs: this.#lastUsedMs === 0 ? 0 : performance.timeOrigin + this.#lastUsedMs,
      connections: connections?.length,
      rttMs: connections?.find((connection) => connection.rtt !== undefined)?.rtt,
    };
  }

  /** The node's connections to this peer, when the node and the target say. */
  #connections(): Connection[] | undefined {
    const node = this.#dialer as { getConnections?: (peer: PeerId) => Connection[] };
    if (typeof node.getConnections !== "function") {
      return undefined;
    }
    try {
      return node.getConnections(peerIdFromString(this.id));
    } catch {
      return undefined; // the target is a bare multiaddr: no PeerId
    }
  }

  async #open(protocol: string, signal: AbortSignal, optimistic = false): Promise<CallStream> {
    try {
      const stream = await this.#opener.open(protocol, signal, optimistic);
      return new CallStream(stream, protocol, this.#options.call.readMaxBytes);
    } catch (error) {
      // Nothing of the call left this node: it may run again, here or elsewhere.
      throw markNeverReachedHandler(ConnectError.from(error));
    }
  }
}
