import type { DescMessage } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { TypedEventEmitter } from "@libp2p/interface";
import type { CallControl } from "../call-control.ts";
import { isNoResponse, neverReachedHandler, wasRefusedUnread } from "../client/attempt-outcome.ts";
import type { BalancePolicy } from "./balance-policy.ts";
import type { PeerChannel, PeerStats } from "./peer-channel.ts";
import { RetryBudget } from "./retry-budget.ts";
import { backoffMs, NEVER_RETRIED, type ResolvedRetryOptions } from "./retry-options.ts";

/**
 * The call a {@link PeerSource} finds peers for: only its signal, read when a
 * source must wait (reading it makes the call's signal, which most calls
 * never need).
 */
export interface SignalOf {
  readonly signal: AbortSignal;
}

/**
 * Where a {@link PeerPool} gets the peers of a call: a fixed list, or the
 * peers discovered to serve the method.
 */
export interface PeerSource {
  /**
   * The candidates for a call of `protocol`, never empty: at once when they
   * are known, or a promise (which waits for a first peer, or rejects with
   * `Unavailable` when there is none and the call does not wait).
   */
  candidates(
    protocol: string,
    call: SignalOf,
  ): readonly PeerChannel[] | Promise<readonly PeerChannel[]>;
  /** Every channel made so far. */
  channels(): readonly PeerChannel[];
}

/** Detail of a `call:retried` event. */
export interface CallRetriedDetail {
  /** The method's protocol id. */
  readonly protocol: string;
  /** The peer the failed attempt went to. */
  readonly peer: string;
  /** The attempt that comes next (2 for the first retry). */
  readonly attempt: number;
  /** Why the last attempt failed. */
  readonly error: ConnectError;
  /** How long the call waits before it, in milliseconds. */
  readonly backoffMs: number;
}

/** Detail of a `dial:failed` event. */
export interface DialFailedDetail {
  /** The peer's id. */
  readonly peer: string;
  /** Why: `Unavailable`, with libp2p's error as its cause. */
  readonly error: ConnectError;
}

/** Detail of `peer:added` and `peer:removed` events of a discovered set. */
export interface PeerSetDetail {
  /** The method's protocol id. */
  readonly protocol: string;
  /** The peer's id. */
  readonly peer: string;
}

/** Events of a {@link PeerPool}. */
export interface PeerPoolEvents {
  /** A call failed where running it again was safe, and runs again. */
  "call:retried": CustomEvent<CallRetriedDetail>;
  /** An attempt got no connection or no stream to its peer: nothing was sent. */
  "dial:failed": CustomEvent<DialFailedDetail>;
  /** A discovered peer came to serve a method. */
  "peer:added": CustomEvent<PeerSetDetail>;
  /** A discovered peer stopped serving a method (its protocols changed). */
  "peer:removed": CustomEvent<PeerSetDetail>;
}

/**
 * The peers a transport calls: picks one per attempt with its
 * {@link BalancePolicy}, and runs a failed call again, on the same peer or
 * another, when that is safe (see DESIGN.md, "Retries"):
 *
 * - the attempt's request never reached a handler (no connection, the stream
 *   was refused or closed before the call started), whatever the method; or
 * - the method is marked `idempotency_level = NO_SIDE_EFFECTS` or
 *   `IDEMPOTENT` in its proto, it is unary, and no frame of a response came;
 *
 * never for a code that says the request itself is wrong (`NEVER_RETRIED`),
 * never past the call's deadline, and only while the retry budget allows.
 * Waits between attempts back off exponentially with full jitter.
 */
export class PeerPool extends TypedEventEmitter<PeerPoolEvents> {
  readonly #source: PeerSource;
  readonly #balance: BalancePolicy;
  readonly #retry: ResolvedRetryOptions;
  readonly #budget: RetryBudget;

  constructor(source: PeerSource, balance: BalancePolicy, retry: ResolvedRetryOptions) {
    super();
    this.#source = source;
    this.#balance = balance;
    this.#retry = retry;
    this.#budget = new RetryBudget(retry.budgetMaxTokens, retry.budgetTokenRatio);
  }

  /** Re-dispatches a discovered set's changes as `peer:added` / `peer:removed`. @internal */
  peerSetChanged(protocol: string, peer: string, added: boolean): void {
    this.safeDispatchEvent(added ? "peer:added" : "peer:removed", { detail: { protocol, peer } });
  }

  /** Each peer's figures, in the set's order (discovered peers: as they were found). */
  stats(): PeerStats[] {
    return this.#source.channels().map((channel) => channel.stats());
  }

  /** Runs a unary call, attempt by attempt (the transport's; not for applications). @internal */
  unary<I extends DescMessage, O extends DescMessage>(
    protocol: string,
    req: UnaryRequest<I, O>,
    control: CallControl | undefined,
    deadline: number | undefined,
  ): Promise<UnaryResponse<I, O>> {
    const candidates = this.#source.candidates(protocol, req);
    return candidates instanceof Promise
      ? candidates.then((found) => this.#unaryFirst(found, protocol, req, control, deadline))
      : this.#unaryFirst(candidates, protocol, req, control, deadline);
  }

  /** A unary call's first attempt, without an async frame of its own: most calls need no other. */
  #unaryFirst<I extends DescMessage, O extends DescMessage>(
    candidates: readonly PeerChannel[],
    protocol: string,
    req: UnaryRequest<I, O>,
    control: CallControl | undefined,
    deadline: number | undefined,
  ): Promise<UnaryResponse<I, O>> {
    const channel = this.#pick(candidates, undefined);
    const started = channel.begin();
    return channel.unary(protocol, req, control, deadline).then(
      (response) => {
        channel.succeeded(started);
        this.#budget.onSuccess();
        return response;
      },
      (error: unknown) => this.#unaryAgain(error, channel, protocol, req, control, deadline),
    );
  }

  /** After a unary call's first attempt failed: retries while that is safe, or throws. */
  async #unaryAgain<I extends DescMessage, O extends DescMessage>(
    firstError: unknown,
    firstChannel: PeerChannel,
    protocol: string,
    req: UnaryRequest<I, O>,
    control: CallControl | undefined,
    deadline: number | undefined,
  ): Promise<UnaryResponse<I, O>> {
    const idempotent =
      req.method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
    let error = firstError;
    let channel = firstChannel;
    let failed: Set<PeerChannel> | undefined;
    for (let attempt = 1; ; attempt++) {
      channel.failed(error);
      failed = await this.#beforeRetry(error, attempt, protocol, channel, failed, {
        aborted: control?.aborted ?? req.signal.aborted,
        idempotent,
        deadline,
        signal: () => req.signal,
      });
      channel = this.#pick(await this.#source.candidates(protocol, req), failed);
      const started = channel.begin();
      try {
        const response = await channel.unary(protocol, req, control, deadline);
        channel.succeeded(started);
        this.#budget.onSuccess();
        return response;
      } catch (next) {
        error = next;
      }
    }
  }

  /** Runs a streaming call; only an attempt whose request never left is retried. @internal */
  async stream<I extends DescMessage, O extends DescMessage>(
    protocol: string,
    req: StreamRequest<I, O>,
    deadline: number | undefined,
  ): Promise<StreamResponse<I, O>> {
    let failed: Set<PeerChannel> | undefined;
    for (let attempt = 1; ; attempt++) {
      const channel = this.#pick(await this.#source.candidates(protocol, req), failed);
      try {
        const response = await channel.stream(protocol, req, deadline);
        this.#budget.onSuccess();
        return response;
      } catch (error) {
        failed = await this.#beforeRetry(error, attempt, protocol, channel, failed, {
          aborted: req.signal.aborted,
          idempotent: false,
          deadline,
          signal: () => req.signal,
        });
      }
    }
  }

  #pick(
    channels: readonly PeerChannel[],
    failed: ReadonlySet<PeerChannel> | undefined,
  ): PeerChannel {
    if (channels.length === 1) {
      return channels[0] as PeerChannel;
    }
    let candidates =
      failed === undefined || failed.size >= channels.length
        ? channels
        : channels.filter((channel) => !failed.has(channel));
    // A peer that failed rests a while (100 ms, doubling to 5 s), offered only
    // when every other is resting too; then one call tries it again.
    if (candidates.some((channel) => channel.failures > 0)) {
      const now = performance.now();
      const awake = candidates.filter(
        (channel) => channel.failures === 0 || channel.resting <= now,
      );
      if (awake.length > 0) {
        candidates = awake;
      }
    }
    return this.#balance.pick(candidates) as PeerChannel;
  }

  /**
   * Decides after a failed attempt: throws the call's error when it must not
   * run again, otherwise waits out the backoff and returns the peers to
   * avoid next.
   */
  async #beforeRetry(
    error: unknown,
    attempt: number,
    protocol: string,
    channel: PeerChannel,
    failed: Set<PeerChannel> | undefined,
    call: {
      readonly aborted: boolean;
      readonly idempotent: boolean;
      readonly deadline: number | undefined;
      readonly signal: () => AbortSignal;
    },
  ): Promise<Set<PeerChannel>> {
    const connectError = ConnectError.from(error);
    // A server that refused the call unread (draining, or closing an idle
    // stream) did no work: the retry throttle, which protects servers from
    // re-executions, is not charged for it, so a draining peer's calls all
    // fail over, not only the first few. maxAttempts still bounds it.
    const refused = wasRefusedUnread(error);
    if (!refused) {
      this.#budget.onFailure();
    }
    if (neverReachedHandler(error) && connectError.code === Code.Unavailable) {
      this.safeDispatchEvent("dial:failed", { detail: { peer: channel.id, error: connectError } });
    }
    const safe = neverReachedHandler(error) || (call.idempotent && isNoResponse(error));
    if (
      call.aborted ||
      !safe ||
      NEVER_RETRIED.has(connectError.code) ||
      attempt >= this.#retry.maxAttempts ||
      !(refused || this.#budget.allowsRetry)
    ) {
      throw connectError;
    }
    const wait = backoffMs(this.#retry, attempt + 1);
    if (call.deadline !== undefined && Date.now() + wait >= call.deadline) {
      throw connectError;
    }
    this.safeDispatchEvent("call:retried", {
      detail: {
        protocol,
        peer: channel.id,
        attempt: attempt + 1,
        error: connectError,
        backoffMs: wait,
      },
    });
    await sleep(wait, call.signal());
    const next = failed ?? new Set<PeerChannel>();
    next.add(channel);
    return next;
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
