/** The `q` quantile (0–1) of `samples`, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) {
    return Number.NaN;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** Runs `call` one after the other until `until()` says stop (at least `min` times); returns each one's milliseconds. */
export async function timeCalls(
  call: () => Promise<unknown>,
  until: () => boolean,
  min = 1,
): Promise<number[]> {
  const samples: number[] = [];
  while (samples.length < min || !until()) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}
