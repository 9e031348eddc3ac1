import { Code, ConnectError } from "@connectrpc/connect";

/**
 * How one call ends early, on either side. On the server: the client resets
 * or closes the stream, the deadline passes, the server shuts down, or the
 * call completes. On the client: the caller's signal aborts, the deadline
 * passes, or the call settles. Every cause goes through
 * {@link CallControl.abort}; the first reason sticks.
 *
 * It replaces the linked `AbortController`s (with their listeners and `abort`
 * events) that Connect builds for every call: the `AbortSignal` a handler or
 * an interceptor sees is made only when something reads
 * {@link CallControl.signal}, and then carries the same reason, already
 * aborted if the call is over. Awaited steps of the call are raced against
 * the abort with {@link CallControl.race}, through one callback, not one
 * listener per step.
 */
export class CallControl {
  #aborted = false;
  #reason: unknown;
  #clientGone = false;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: ((reason: unknown) => void) | undefined;

  /** Starts the deadline clock, once the call's timeout is known (none: no deadline). */
  startDeadline(timeoutMs: number | undefined): void {
    if (timeoutMs !== undefined && !this.#aborted && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      }, timeoutMs);
    }
  }

  /** True once the call was aborted, for any reason. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why the call was aborted; undefined while it was not. */
  get reason(): unknown {
    return this.#reason;
  }

  /** Server side: true when the client reset or closed the stream during the call; nobody is left to answer. */
  get clientGone(): boolean {
    return this.#clientGone;
  }

  /**
   * The handler's signal, made on first use: it aborts with the call's
   * reason, at once if the call is already over.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) {
        this.#controller.abort(this.#reason);
      }
    }
    return this.#controller.signal;
  }

  /** Aborts the call: stops the deadline clock, fails the pending race, aborts the signal if it exists. */
  abort(reason: unknown): void {
    if (this.#aborted) {
      return;
    }
    this.#aborted = true;
    this.#reason = reason;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(reason);
    this.#controller?.abort(reason);
  }

  /** Server side: aborts the call because the client reset or closed the stream. */
  abortByClient(reason: unknown): void {
    this.#clientGone = true;
    this.abort(reason);
  }

  /** Resolves as `promise` does, or rejects with the abort reason as soon as the call is aborted. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.#aborted) {
      promise.catch(() => {});
      return Promise.reject(this.#reason);
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
}
