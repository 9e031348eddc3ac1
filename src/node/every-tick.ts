/** One shared interval timer and the callbacks it calls, per period. */
interface Ticker {
  readonly timer: ReturnType<typeof setInterval>;
  readonly callbacks: Set<() => void>;
}

const tickers = new Map<number, Ticker>();

/**
 * Calls `callback` every `periodMs`, on one interval timer shared by every
 * callback of the same period in this process, until the returned function
 * is called. The timer is unref'd: it never keeps the process alive.
 *
 * Why shared: a process that runs many libp2p nodes (a simulation, a test, a
 * benchmark's client process with a thousand of them) would otherwise wake
 * its event loop once per node per tick, and a wake-up with a few field
 * reads behind it costs far more than the reads (about 14 µs measured in
 * `npm run bench:liveness -- ping-cpu`, 51 nodes in one process). Callbacks of
 * one period run in the order they were added; one that throws stops the
 * rest of that tick, as an uncaught exception in any timer would.
 *
 * @example
 * ```ts
 * const stop = everyTick(625, () => checkConnections());
 * // … later
 * stop();
 * ```
 */
export function everyTick(periodMs: number, callback: () => void): () => void {
  let ticker = tickers.get(periodMs);
  if (ticker === undefined) {
    const callbacks = new Set<() => void>();
    const timer = setInterval(() => {
      for (const each of callbacks) {
        each();
      }
    }, periodMs);
    timer.unref?.();
    ticker = { timer, callbacks };
    tickers.set(periodMs, ticker);
  }
  // A wrapper per call, so the same function added twice is two subscriptions.
  const subscription = (): void => callback();
  const { callbacks, timer } = ticker;
  callbacks.add(subscription);
  return () => {
    if (callbacks.delete(subscription) && callbacks.size === 0) {
      clearInterval(timer);
      tickers.delete(periodMs);
    }
  };
}
