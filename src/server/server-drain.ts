import { Code, ConnectError } from "@connectrpc/connect";
import type { Stream } from "@libp2p/interface";
import type { CallControl } from "../call-control.ts";

/**
 * Default grace period of a draining server, in milliseconds: what
 * Kubernetes-style rolling restarts leave for calls in flight is usually
 * seconds, and a unary call that needs more than 5 s is rare; a longer one
 * only delays `node.stop()`.
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5000;

/**
 * After the grace period the remaining calls are cancelled; a call that still
 * has not ended this long after (a handler that ignores its signal only
 * delays its trailer; a stream whose client never ends its input holds the
 * call in DRAIN) has its stream reset.
 */
const CANCEL_SETTLE_MS = 1000;

/**
 * The shutdown options of `rpcServer` (part of `RpcServerInit`).
 *
 * @example
 * ```ts
 * const node = await createRpcNode({
 *   services: { rpc: rpcServer({ routes, shutdownGraceMs: 10_000 }) },
 * });
 * // Later: refuses new calls, gives those in flight 10 s, cancels the rest.
 * await node.stop();
 * ```
 */
export interface ServerShutdownInit {
  /**
   * How long `node.stop()` (or {@link RpcServer.drain} without a value) lets
   * calls in flight finish, in milliseconds, before it cancels them with
   * `Canceled`. New calls are refused from the start of the drain: they see
   * `Unavailable`, and a client's pool runs them on another peer.
   * @default 5000
   */
  shutdownGraceMs?: number;
}

/**
 * One stream's call in flight, as the drain sees it: each stream makes one,
 * registers it for its life ({@link ServerDrain.opened}) and reuses it for
 * every call it carries, so counting a call is a field and a counter
 * ({@link ServerDrain.callStarted}).
 */
export interface InFlightCall {
  /** The control of the call the stream carries now. */
  control: CallControl | undefined;
  readonly stream: Stream;
}

/**
 * The calls a server has in flight, and its drain: from its start new calls
 * are refused (the streams that carry them are closed before any frame of
 * theirs is read, which a client knows to mean "never ran"), calls in
 * flight may finish for a grace period, then the rest are cancelled.
 */
export class ServerDrain {
  readonly #controller = new AbortController();
  /** Every open stream's record; those with a `control` carry a call. */
  readonly #streams = new Set<InFlightCall>();
  #inFlight = 0;
  readonly #closing = new Set<Promise<void>>();
  #onIdle: (() => void) | undefined;
  #drained: Promise<void> | undefined;

  /** Aborts (with `Unavailable`) when the drain starts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True once the drain started. */
  get draining(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Calls in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A stream opened: its record, whose `control` is set while it carries a call. */
  opened(stream: InFlightCall): void {
    this.#streams.add(stream);
  }

  /** The stream of `opened(stream)` is done. */
  closed(stream: InFlightCall): void {
    this.#streams.delete(stream);
  }

  /** `stream` carries the call of `control` from its REQUEST_HEADER to {@link callEnded}. */
  callStarted(stream: InFlightCall, control: CallControl): void {
    stream.control = control;
    this.#inFlight++;
  }

  /** The call `stream` carried is over; clears its `control`. */
  callEnded(stream: InFlightCall): void {
    if (stream.control === undefined) {
      return;
    }
    stream.control = undefined;
    this.#inFlight--;
    if (this.#inFlight === 0) {
      this.#onIdle?.();
    }
  }

  /** The streams that carry a call now. */
  #calls(): InFlightCall[] {
    return [...this.#streams].filter((stream) => stream.control !== undefined);
  }

  /**
   * Closes `stream`'s write side once `flushed` (its writer's) resolved, and
   * holds a drain until that is done: a
   * call's last frames must be with the muxer before libp2p closes the
   * connection. (Yamux's close skips a stream whose close is under way and
   * sends its GoAway at once, which can overtake the frames still queued on
   * that stream; the client then reads a clean end instead of its TRAILER.)
   */
  close(stream: Stream, flushed: Promise<void>): Promise<void> {
    // The frames still queued go first (FrameWriter.flushed).
    const closing = flushed.then(() => stream.close());
    const settled = closing.then(
      () => this.#closing.delete(settled),
      () => this.#closing.delete(settled),
    ) as Promise<unknown> as Promise<void>;
    this.#closing.add(settled);
    return closing;
  }

  /** Starts the drain (once: later calls get the same promise); resolves when no call is left. */
  drain(graceMs: number): Promise<void> {
    this.#drained ??= this.#run(graceMs);
    return this.#drained;
  }

  async #run(graceMs: number): Promise<void> {
    this.#controller.abort(new ConnectError("server is draining", Code.Unavailable));
    if (!(await this.#settled(graceMs))) {
      const reason = new ConnectError("server is shutting down", Code.Canceled);
      const cancelled: Stream[] = [];
      for (const call of this.#calls()) {
        call.control?.abort(reason);
        cancelled.push(call.stream);
      }
      // Their TRAILERs must reach the clients before libp2p closes the
      // connections: a stream is done once both sides closed it.
      this.#closing.add(closedBothWays(cancelled));
      if (!(await this.#settled(CANCEL_SETTLE_MS))) {
        for (const call of this.#calls()) {
          call.stream.abort(reason);
        }
        await this.#settled(CANCEL_SETTLE_MS);
      }
    }
    await this.#closed(CANCEL_SETTLE_MS);
  }

  /** Resolves once every close begun through {@link close} is done, or after `limitMs`. */
  async #closed(limitMs: number): Promise<void> {
    if (this.#closing.size === 0) {
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#closing]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, limitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** True once no call is in flight, false if some still are after `limitMs`. */
  #settled(limitMs: number): Promise<boolean> {
    if (this.#inFlight === 0 || limitMs <= 0) {
      // No timer for no grace: a handler that never lets the event loop reach
      // its timers (an endless stream over the in-memory transport) is
      // cancelled at once all the same.
      return Promise.resolve(this.#inFlight === 0);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onIdle = undefined;
        resolve(false);
      }, limitMs);
      this.#onIdle = () => {
        clearTimeout(timer);
        this.#onIdle = undefined;
        resolve(true);
      };
    });
  }
}

/** Resolves once every stream of `streams` is closed both ways (or reset). */
function closedBothWays(streams: readonly Stream[]): Promise<void> {
  return Promise.all(
    streams.map((stream) =>
      stream.status === "open"
        ? new Promise<void>((resolve) => {
            stream.addEventListener("close", () => resolve(), { once: true });
          })
        : undefined,
    ),
  ).then(() => {});
}
