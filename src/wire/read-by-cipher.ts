/** A value sent by reference whose bytes the cipher has not all read yet. */
interface InFlight {
  readonly start: number;
  readonly end: number;
  unread: number;
  /** Called once every byte was read; cleared when the sender stopped waiting. */
  onRead: (() => void) | undefined;
}

/** At most one value in flight per buffer, so each read is counted for the right one. */
const inFlight = new WeakMap<ArrayBufferLike, InFlight>();
/**
 * Values whose sender waits. While there are none, reads are not looked at:
 * reading `buffer` of a small typed array moves its bytes out of V8's heap,
 * which would cost every small message about a microsecond.
 */
let waiting = 0;

/**
 * Registers `value` as sent by reference: `onRead` is called once a cipher
 * that reports its reads ({@link noteReadByCipher}) has read every byte of
 * it. Returns false, registering nothing, when a value in the same buffer is
 * still in flight: the caller then sends a copy.
 *
 * This is how a large value can leave without being copied into its frame
 * while its owner keeps the right to change it afterwards: the owner is held
 * until the cipher has read it (`FrameWriter.writeLarge`).
 *
 * @example
 * ```ts
 * if (trackReadByCipher(value, () => resume())) {
 *   stream.send(value); // resume() runs once Noise has encrypted all of it
 * }
 * ```
 */
export function trackReadByCipher(value: Uint8Array, onRead: () => void): boolean {
  if (value.byteLength === 0 || inFlight.has(value.buffer)) {
    return false;
  }
  inFlight.set(value.buffer, {
    start: value.byteOffset,
    end: value.byteOffset + value.byteLength,
    unread: value.byteLength,
    onRead,
  });
  waiting++;
  return true;
}

/**
 * The sender of `value` stopped waiting (its stream closed, or it gave up).
 * The value stays in flight, so its buffer is not sent by reference again,
 * until the cipher is seen reading the rest of it; if that never happens,
 * its buffer is copied from then on.
 */
export function stopWaitingForCipher(value: Uint8Array): void {
  const entry = inFlight.get(value.buffer);
  if (entry !== undefined && entry.start === value.byteOffset && entry.onRead !== undefined) {
    entry.onRead = undefined;
    waiting--;
  }
}

/**
 * Called by a cipher after it has read `plaintext` (encrypted it into a
 * buffer of its own): counts the bytes of any value in flight that it
 * covers. `cachedKeyCrypto` calls it for everything it encrypts.
 */
export function noteReadByCipher(plaintext: Uint8Array | Iterable<Uint8Array>): void {
  if (waiting === 0) {
    return;
  }
  if (plaintext instanceof Uint8Array) {
    noteChunk(plaintext);
    return;
  }
  for (const chunk of plaintext) {
    noteChunk(chunk);
  }
}

function noteChunk(chunk: Uint8Array): void {
  const entry = inFlight.get(chunk.buffer);
  if (entry === undefined) {
    return;
  }
  const read =
    Math.min(entry.end, chunk.byteOffset + chunk.byteLength) -
    Math.max(entry.start, chunk.byteOffset);
  if (read <= 0) {
    return;
  }
  entry.unread -= read;
  if (entry.unread <= 0) {
    inFlight.delete(chunk.buffer);
    const onRead = entry.onRead;
    if (onRead !== undefined) {
      entry.onRead = undefined;
      waiting--;
      onRead();
    }
  }
}
