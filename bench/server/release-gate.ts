/**
 * Holds server streams of workload h after their first message until the
 * benchmark releases them all at once. (h) runs in a server process of its
 * own, so the gate opens once and stays open: a stream that reaches it after
 * the release passes at once instead of waiting for a release that never
 * comes.
 */
export class ReleaseGate {
  #open: () => void = () => {};
  readonly #opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  /** Resolves once `release()` was called, at once if it already was. */
  wait(): Promise<void> {
    return this.#opened;
  }

  release(): void {
    this.#open();
  }
}
