// Captured at load: a test that fakes the timers still gets a real limit.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** The default limit of {@link within}, in milliseconds. */
export const WITHIN_LIMIT_MS = 5000;

/**
 * `promise`, or a rejection naming `what` after `limitMs` (on real timers,
 * also under fake ones): a step that never settles fails its test.
 */
export function within<T>(
  promise: Promise<T>,
  what: string,
  limitMs = WITHIN_LIMIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = realSetTimeout(
      () => reject(new Error(`${what}: not settled within ${limitMs} ms`)),
      limitMs,
    );
  });
  return Promise.race([promise, limit]).finally(() => realClearTimeout(timer));
}
