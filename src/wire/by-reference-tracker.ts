/** A value sent by reference whose bytes the cipher has not all read yet. */
interface InFlight {
  readonly start: number;
  readonly end: number;
  unread: number;
  /** Called once every byte was read; cleared when the sender stopped waiting. */
  onRead: (() => void) | undefined;
}

/**
 * Which large values a node's streams sent by reference, and how much of
 * each its cipher has read: the link between the writers that send a value
 * without copying it (`FrameWriter.writeLarge`, on the server) and the
 * cipher that reads it (the Noise crypto that `withFastPath` gives a node,
 * which calls {@link noteRead} for everything it encrypts). One per node:
 * `withFastPath` (and so `createRpcNode`) adds it as the service
 * `byReferenceTracker`, and `rpcServer` and the node's Noise find it among
 * their components. A node without one sends every value by copy.
 *
 * @example
 * ```ts
 * const tracker = new ByReferenceTracker();
 * if (tracker.track(value, () => resume())) {
 *   stream.send(value); // resume() runs once the cipher has read all of it
 * }
 * ```
 */
export class ByReferenceTracker {
  /** At most one value in flight per buffer, so each read is counted for the right one. */
  readonly #inFlight = new WeakMap<ArrayBufferLike, InFlight>();
  /**
   * Values whose sender waits. While there are none, reads are not looked
   * at: reading `buffer` of a small typed array moves its bytes out of V8's
   * heap, which would cost every small message about a microsecond.
   */
  #waiting = 0;

  /**
   * Registers `value` as sent by reference: `onRead` is called once the
   * cipher has read every byte of it. Returns false, registering nothing,
   * when a value in the same buffer is still in flight: the caller then
   * sends a copy.
   */
  track(value: Uint8Array, onRead: () => void): boolean {
    if (value.byteLength === 0 || this.#inFlight.has(value.buffer)) {
      return false;
    }
    this.#inFlight.set(value.buffer, {
      start: value.byteOffset,
      end: value.byteOffset + value.byteLength,
      unread: value.byteLength,
      onRead,
    });
    this.#waiting++;
    return true;
  }

  /**
   * The sender of `value` stopped waiting (its stream closed, or it gave
   * up). The value stays in flight, so its buffer is not sent by reference
   * again, until the cipher is seen reading the rest of it; if that never
   * happens, its buffer is copied from then on.
   */
  stopWaiting(value: Uint8Array): void {
    const entry = this.#inFlight.get(value.buffer);
    if (entry !== undefined && entry.start === value.byteOffset && entry.onRead !== undefined) {
      entry.onRead = undefined;
      this.#waiting--;
    }
  }

  /**
   * Called by a cipher after it has read `plaintext` (encrypted it into a
   * buffer of its own): counts the bytes of any value in flight that it
   * covers.
   */
  noteRead(plaintext: Uint8Array | Iterable<Uint8Array>): void {
    if (this.#waiting === 0) {
      return;
    }
    if (plaintext instanceof Uint8Array) {
      this.#noteChunk(plaintext);
      return;
    }
    for (const chunk of plaintext) {
      this.#noteChunk(chunk);
    }
  }

  #noteChunk(chunk: Uint8Array): void {
    const entry = this.#inFlight.get(chunk.buffer);
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
      this.#inFlight.delete(chunk.buffer);
      const onRead = entry.onRead;
      if (onRead !== undefined) {
        entry.onRead = undefined;
        this.#waiting--;
        onRead();
      }
    }
  }
}

/** The libp2p service name under which `createRpcNode` adds the node's tracker. */
export const BY_REFERENCE_TRACKER_SERVICE = "byReferenceTracker";

/**
 * A libp2p service factory of the node's {@link ByReferenceTracker}, as
 * `withFastPath` adds it under the name `byReferenceTracker`. Add it by hand
 * only to a node that takes the fast path's Noise without `withFastPath`.
 *
 * @example
 * ```ts
 * const node = await createLibp2p(
 *   withFastPath({
 *     // transports, connectionEncrypters: [noise()], streamMuxers: [yamux()] …
 *     services: { rpc: rpcServer({ routes }) }, // byReferenceTracker comes first
 *   }),
 * );
 * ```
 */
export function byReferenceTracker(): () => ByReferenceTracker {
  return () => new ByReferenceTracker();
}

/**
 * The node's tracker among libp2p `components` (the service
 * `byReferenceTracker`), or undefined on a node without one: libp2p's
 * components throw for a service the node does not have.
 */
export function findByReferenceTracker(components: unknown): ByReferenceTracker | undefined {
  try {
    const found = (components as Record<string, unknown>)[BY_REFERENCE_TRACKER_SERVICE];
    return found instanceof ByReferenceTracker ? found : undefined;
  } catch {
    return undefined;
  }
}
