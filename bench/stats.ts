/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The `p`-th percentile (0–100) of sorted values, nearest-rank. */
function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Latency samples kept per cell at most. */
const SAMPLE_LIMIT = 4_000_000;

/** Collects latency samples (ms) up to a bound, for p50/p99. */
export class LatencyRecorder {
  #samples = new Float64Array(1024);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** The first sample added (NaN when none). */
  get first(): number {
    return this.#count === 0 ? Number.NaN : (this.#samples[0] as number);
  }

  add(milliseconds: number): void {
    if (this.#count === this.#samples.length) {
      if (this.#count >= SAMPLE_LIMIT) {
        return;
      }
      const grown = new Float64Array(Math.min(SAMPLE_LIMIT, this.#samples.length * 2));
      grown.set(this.#samples);
      this.#samples = grown;
    }
    this.#samples[this.#count++] = milliseconds;
  }

  /** p50 and p99 in milliseconds. */
  summary(): { p50Ms: number; p99Ms: number } {
    const sorted = this.#samples.slice(0, this.#count).sort();
    return { p50Ms: percentileOfSorted(sorted, 50), p99Ms: percentileOfSorted(sorted, 99) };
  }
}
