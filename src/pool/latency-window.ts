/** Samples a {@link LatencyWindow} keeps: enough for a p99, little memory per peer. */
const WINDOW_SAMPLES = 256;

/**
 * The latencies of a peer's most recent calls, for percentiles on demand,
 * and their exponentially weighted moving average for balancing. Recording
 * is O(1); a percentile sorts a copy of the window, so read it for stats,
 * never per call.
 */
export class LatencyWindow {
  readonly #samples = new Float64Array(WINDOW_SAMPLES);
  #count = 0;
  #next = 0;
  #average = 0;

  /** Weight of the newest sample in the moving average. */
  static readonly ALPHA = 0.2;

  /** The moving average, in milliseconds; 0 before the first sample. */
  get averageMs(): number {
    return this.#average;
  }

  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % WINDOW_SAMPLES;
    if (this.#count < WINDOW_SAMPLES) {
      this.#count++;
    }
    this.#average =
      this.#count === 1 ? ms : this.#average + LatencyWindow.ALPHA * (ms - this.#average);
  }

  /** The `q`-quantile (0–1) of the window, in milliseconds; undefined with no sample. */
  quantile(q: number): number | undefined {
    if (this.#count === 0) {
      return undefined;
    }
    const sorted = this.#samples.slice(0, this.#count).sort();
    return sorted[Math.min(this.#count - 1, Math.floor(q * this.#count))];
  }
}
