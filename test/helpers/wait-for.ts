/**
 * Resolves once `condition()` holds, checking on every timer turn; rejects
 * after `limitMs`. For state that changes without an event to wait on
 * (e.g. a stream count on the far side), never as a fixed sleep.
 */
export async function waitFor(
  condition: () => boolean,
  what: string,
  limitMs = 5000,
): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > limitMs) {
      throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves when `signal` aborts (at once if it already has), with its reason. */
export function aborted(signal: AbortSignal, limitMs = 5000): Promise<unknown> {
  if (signal.aborted) {
    return Promise.resolve(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`signal not aborted within ${limitMs} ms`)),
      limitMs,
    );
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

/** The ConnectError code a promise rejects with (fails the test if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "number") {
      throw error;
    }
    return code;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
