import { Code } from "@connectrpc/connect";

/** How a transport retries a call that failed where retrying is safe. */
export interface RetryOptions {
  /**
   * Attempts of one call in all, the first included; 1 never retries.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Upper bound of the first backoff, in milliseconds; each later one
   * doubles it, up to `maxBackoffMs`. The wait is drawn uniformly below the
   * bound ("full jitter").
   * @default 100
   */
  initialBackoffMs?: number;
  /**
   * Largest backoff bound, in milliseconds.
   * @default 5000
   */
  maxBackoffMs?: number;
  /**
   * The retry budget, gRPC's throttle: a token bucket of this size, full at
   * first. Every failed attempt takes one token, every success gives back
   * `budgetTokenRatio`; retries stop while the bucket is at half or less, so
   * a set whose peers all fail sees few retries, not a storm.
   * @default 10
   */
  budgetMaxTokens?: number;
  /**
   * Tokens a successful call gives back.
   * @default 0.1
   */
  budgetTokenRatio?: number;
}

/** {@link RetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Readonly<Required<RetryOptions>>;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  maxAttempts: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 5000,
  budgetMaxTokens: 10,
  budgetTokenRatio: 0.1,
};

/**
 * Codes that say the request itself is wrong, or was refused for what it is:
 * another attempt, anywhere, would fail the same way. Never retried.
 */
export const NEVER_RETRIED: ReadonlySet<Code> = new Set([
  Code.InvalidArgument,
  Code.Unimplemented,
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.AlreadyExists,
  Code.Canceled,
  Code.DeadlineExceeded,
]);

/** Resolves and checks `options`; throws a RangeError on nonsense. */
export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  const resolved = { ...DEFAULT_RETRY, ...options };
  const { maxAttempts, initialBackoffMs, maxBackoffMs, budgetMaxTokens, budgetTokenRatio } =
    resolved;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(
      `retry.maxAttempts must be a whole number of at least 1, not ${maxAttempts}`,
    );
  }
  for (const [name, value] of Object.entries({
    initialBackoffMs,
    maxBackoffMs,
    budgetMaxTokens,
    budgetTokenRatio,
  })) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`retry.${name} must be a finite number of at least 0, not ${value}`);
    }
  }
  return resolved;
}

/** The backoff before attempt `attempt` (2 for the first retry), in milliseconds. */
export function backoffMs(
  options: ResolvedRetryOptions,
  attempt: number,
  random: () => number = Math.random,
): number {
  const bound = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** (attempt - 2));
  return random() * bound;
}
