/**
 * Holds server streams of workload h after their first message until the
 * benchmark releases them all at once; then re-arms for the next cell.
 */
export class ReleaseGate {
  #release: () => void = () => {};
  #released: Promise<void> = this.#arm();

  #arm(): Promise<void> {
    return new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  /** Resolves at the next `release()`. */
  wait(): Promise<void> {
    return this.#released;
  }

  release(): void {
    const release = this.#release;
    this.#released = this.#arm();
    release();
  }
}
