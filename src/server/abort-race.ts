/**
 * Races promises against one abort signal, one at a time, with a single
 * listener for the whole call: a deadline or a cancellation ends the call on
 * time even when the handler ignores its signal, without adding and removing
 * an event listener for every message of a stream.
 */
export class AbortRace {
  readonly #signal: AbortSignal;
  #pending: ((reason: unknown) => void) | undefined;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Resolves as `promise` does, or rejects with the signal's reason as soon as it aborts. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.#signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(this.#signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (reason: unknown): void => {
        promise.catch(() => {});
        reject(reason);
      };
      this.#pending = onAbort;
      promise.then(
        (value) => {
          if (this.#pending === onAbort) {
            this.#pending = undefined;
          }
          resolve(value);
        },
        (reason: unknown) => {
          if (this.#pending === onAbort) {
            this.#pending = undefined;
          }
          reject(reason);
        },
      );
    });
  }

  /** Stops listening to the signal. */
  dispose(): void {
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#pending = undefined;
  }

  readonly #onAbort = (): void => {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(this.#signal.reason);
  };
}
