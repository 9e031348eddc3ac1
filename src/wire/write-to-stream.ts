import type { Stream } from "@libp2p/interface";

/**
 * Sends bytes on a stream, first waiting for `drain` when the stream asked for
 * it, so a fast producer never piles up more than one write in the stream's
 * buffer. Waits on the `drain` event rather than `onDrain()`, whose promise
 * resolved only the first time in the libp2p version we measured.
 */
export async function writeToStream(stream: Stream, data: Uint8Array): Promise<void> {
  if (stream.writableNeedsDrain && stream.status === "open") {
    await drained(stream);
  }
  // Throws StreamStateError when the stream can no longer be written.
  stream.send(data);
}

function drained(stream: Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (event: Event): void => {
      cleanup();
      const error = (event as Event & { error?: Error }).error;
      reject(error ?? new Error("stream closed while waiting to write"));
    };
    const cleanup = (): void => {
      stream.removeEventListener("drain", onDrain);
      stream.removeEventListener("close", onClose);
    };
    stream.addEventListener("drain", onDrain);
    stream.addEventListener("close", onClose);
  });
}
