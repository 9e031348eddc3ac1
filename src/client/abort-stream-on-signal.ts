import type { Stream } from "@libp2p/interface";

/**
 * Resets `stream` when `signal` aborts (cancellation, deadline), which also
 * tells the server. Returns the function that stops watching.
 */
export function abortStreamOnSignal(stream: Stream, signal: AbortSignal): () => void {
  const onAbort = (): void => {
    stream.abort(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
  };
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}
