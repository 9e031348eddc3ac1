/** One `everyTick` call's callback, until it is stopped. */
interface Subscription {
  readonly callback: () => void;
  active: boolean;
}

/** One shared interval timer and the callbacks it calls, per period. */
interface Ticker {
  readonly timer: ReturnType<typeof setInterval>;
  /**
   * Replaced, never changed, when a callback is added or stopped: a tick
   * walks the array it started with by index, so it allocates nothing (a
   * Set's iterator made a result object per callback and tick, most of a
   * process's garbage with a thousand idle nodes in it).
   */
  subscriptions: readonly Subscription[];
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
  const ticker = tickers.get(periodMs) ?? startTicker(periodMs);
  // An object per call, so the same function added twice is two subscriptions.
  const subscription: Subscription = { callback, active: true };
  ticker.subscriptions = [...ticker.subscriptions, subscription];
  return () => {
    if (!subscription.active) {
      return;
    }
    subscription.active = false;
    ticker.subscriptions = ticker.subscriptions.filter((each) => each !== subscription);
    if (ticker.subscriptions.length === 0) {
      clearInterval(ticker.timer);
      tickers.delete(periodMs);
    }
  };
}

/** The shared, unref'd timer of `periodMs`, with no subscriptions yet. */
function startTicker(periodMs: number): Ticker {
  const ticker: Ticker = {
    timer: setInterval(() => {
      const subscriptions = ticker.subscriptions;
      for (let index = 0; index < subscriptions.length; index++) {
        const subscription = subscriptions[index] as Subscription;
        // One stopped earlier in this tick is not called.
        if (subscription.active) {
          subscription.callback();
        }
      }
    }, periodMs),
    subscriptions: [],
  };
  ticker.timer.unref?.();
  tickers.set(periodMs, ticker);
  return ticker;
}
