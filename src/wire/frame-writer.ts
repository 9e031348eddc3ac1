import type { Stream } from "@libp2p/interface";
import { COPY_BODY_MAX_BYTES, DEFAULT_MAX_BATCH_BYTES } from "../constants.ts";
import { concatFrames, frameHead, joinParts } from "./encode-frame.ts";
import type { EncodedFrame } from "./encode-message.ts";
import type { FrameType } from "./frame-type.ts";
import { stopWaitingForCipher, trackReadByCipher } from "./read-by-cipher.ts";

/** What {@link FrameWriter.settleByReference} watches besides the stream: a libp2p `Connection`. */
export interface ClosingTarget {
  readonly status: string;
  addEventListener(type: "close", listener: () => void): void;
  removeEventListener(type: "close", listener: () => void): void;
}

/**
 * Writes frames to one stream, coalescing bursts of small frames into few
 * writes without delaying a lone frame.
 *
 * The first frame after a quiet spell leaves at once and opens a batch window
 * that lasts until the event loop's next check phase (`setImmediate`); frames
 * written inside the window are sent together when it closes, or as soon as
 * they reach `maxBatchBytes`. Every libp2p `send()` becomes a muxer frame, an
 * encryption frame and socket writes, so a stream of tiny messages otherwise
 * spends its time in syscalls.
 *
 * Backpressure: while the stream drains, frames queue up to one batch; past
 * that, `write()` returns a promise that resolves once the stream drained and
 * the queue was sent, and callers await it before writing more. The `drain`
 * event is used, not `onDrain()`, whose promise resolved only the first time
 * in the libp2p version we measured.
 */
export class FrameWriter {
  readonly #stream: Stream;
  readonly #maxBatchBytes: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Parts in `#pending` sent by reference (see `joinParts`); with none, one copy joins them all. */
  #largeParts = 0;
  #windowOpen = false;
  #drained: Promise<void> | undefined;
  /** A large frame sent by copy was reported read by the cipher (see {@link readsReported}). */
  #readsReported = false;
  /** Whether the stream reports reads is being found out, or has been. */
  #probed = false;
  /** The frame that finds it out, until it is reported read or given up on. */
  #probe: Uint8Array | undefined;
  /** A value sent by reference that the cipher has not read yet. */
  #unread: { readonly value: Uint8Array; readonly whenRead: Promise<void> } | undefined;

  constructor(stream: Stream, maxBatchBytes = DEFAULT_MAX_BATCH_BYTES) {
    this.#stream = stream;
    this.#maxBatchBytes = maxBatchBytes;
  }

  /**
   * Queues a frame for the current batch. Returns a promise to await before
   * writing more when the stream is full, `undefined` otherwise. Throws when
   * the stream can no longer be written.
   */
  write(frame: Uint8Array | readonly Uint8Array[]): Promise<void> | undefined {
    this.#queue(frame);
    return this.#afterQueue();
  }

  /**
   * Queues one frame, `type` and `body`, as {@link write} does: the body is
   * not copied here, and a large one never is (see `joinParts`).
   */
  writeFrame(type: FrameType, body: Uint8Array): Promise<void> | undefined {
    this.#queuePart(frameHead(type, body.byteLength));
    this.#queuePart(body);
    return this.#afterQueue();
  }

  /**
   * True once this stream's bytes are known to go through a cipher that
   * reports what it has read (`noteReadByCipher`, as `cachedKeyCrypto` does
   * for Noise on TCP and memory connections): a large frame sent by copy was
   * reported. From then on a large value may be sent by reference
   * ({@link writeLarge}). Never true over QUIC (its encryption is native) or
   * on a node whose Noise uses another crypto.
   */
  get readsReported(): boolean {
    return this.#readsReported;
  }

  /**
   * Writes a large message frame from `encodeMessageFrame`.
   *
   * A frame in one buffer is written as {@link write} writes it; while this
   * stream is not known to report reads, the first of at least
   * `COPY_BODY_MAX_BYTES` is watched to find out whether it does.
   *
   * A frame whose value comes by reference leaves at once, unless the stream
   * is draining, and the returned promise settles only when the cipher has
   * read all of the value: until then its owner must not change it, and the
   * caller awaits the promise before giving control back to it. It rejects
   * when the stream closes first. When the cipher read the value during this
   * call, nothing is returned, as from {@link write}. If a value in the same
   * buffer is still in flight, this one is copied instead.
   */
  writeLarge({ frame, value }: EncodedFrame): Promise<void> | undefined {
    if (value === undefined) {
      if (this.#probe !== undefined) {
        // Not reported by the next large frame: take the stream as silent.
        this.#stopProbing();
      } else if (!this.#probed && frame.byteLength >= COPY_BODY_MAX_BYTES) {
        this.#startProbing(frame);
      }
      return this.write(frame);
    }
    let read = false;
    let onRead: (() => void) | undefined;
    if (
      !trackReadByCipher(value, () => {
        read = true;
        onRead?.();
      })
    ) {
      return this.write(concatFrames([frame, value]));
    }
    try {
      void this.writeNow([frame, value]);
    } catch (error) {
      stopWaitingForCipher(value);
      throw error;
    }
    if (read) {
      // Sent and read: nothing of it is queued here, nothing to wait for.
      return undefined;
    }
    let resolveRead: (() => void) | undefined;
    const whenRead = new Promise<void>((resolve) => {
      resolveRead = resolve;
    });
    onRead = (): void => {
      this.#unread = undefined;
      resolveRead?.();
    };
    this.#unread = { value, whenRead };
    const stream = this.#stream;
    return new Promise<void>((resolve, reject) => {
      // The value stays tracked after a close: bytes of it may still wait
      // below the stream (see settleByReference).
      const onClose = (event: Event): void => {
        const error = (event as Event & { error?: unknown }).error;
        reject(error instanceof Error ? error : new Error("stream closed before a value was sent"));
      };
      void whenRead.then(() => {
        stream.removeEventListener("close", onClose);
        resolve();
      });
      stream.addEventListener("close", onClose, { once: true });
    });
  }

  /**
   * For a call that ends while a value this writer sent by reference has
   * not been read yet ({@link writeLarge}): settles once its owner may have
   * it back, and returns nothing when that is already so.
   *
   * When `peerGone` (the peer reset or closed the stream), the peer reads
   * nothing more of it: at once. Otherwise once the cipher has read it, the
   * peer resets or closes the stream, or `connection` closes (what is still
   * queued then goes nowhere). Not when this side closes the stream: bytes
   * of the value may already wait below it and still be sent.
   */
  settleByReference(connection: ClosingTarget, peerGone: boolean): Promise<void> | undefined {
    const unread = this.#unread;
    if (unread === undefined) {
      return undefined;
    }
    if (peerGone || connection.status === "closed") {
      this.#unread = undefined;
      stopWaitingForCipher(unread.value);
      return undefined;
    }
    const stream = this.#stream;
    return new Promise<void>((resolve) => {
      const settle = (): void => {
        stream.removeEventListener("close", onStreamClose);
        connection.removeEventListener("close", onGone);
        resolve();
      };
      const onGone = (): void => {
        this.#unread = undefined;
        stopWaitingForCipher(unread.value);
        settle();
      };
      const onStreamClose = (event: Event): void => {
        if ((event as Event & { local?: boolean }).local === false) {
          onGone();
        }
      };
      void unread.whenRead.then(settle);
      stream.addEventListener("close", onStreamClose);
      connection.addEventListener("close", onGone);
    });
  }

  #startProbing(frame: Uint8Array): void {
    const stream = this.#stream;
    const onClose = (): void => this.#stopProbing();
    const tracked = trackReadByCipher(frame, () => {
      stream.removeEventListener("close", onClose);
      this.#probe = undefined;
      this.#readsReported = true;
    });
    this.#probed = true;
    if (tracked) {
      this.#probe = frame;
      stream.addEventListener("close", onClose, { once: true });
    }
  }

  #stopProbing(): void {
    if (this.#probe !== undefined) {
      stopWaitingForCipher(this.#probe);
      this.#probe = undefined;
    }
  }

  #afterQueue(): Promise<void> | undefined {
    if (this.#drained === undefined) {
      if (!this.#windowOpen) {
        this.flush();
        this.#openWindow();
      } else if (this.#pendingBytes >= this.#maxBatchBytes) {
        this.flush();
      }
    }
    // While the stream drains, up to one batch more is queued before the
    // caller must wait: some transports (QUIC) ask to drain after every send,
    // and blocking at once would send one frame per drain.
    return this.#drained !== undefined && this.#pendingBytes >= this.#maxBatchBytes
      ? this.#drained
      : undefined;
  }

  /**
   * Sends `frame` and everything queued before it now, without a batch window.
   * For a call's last frames the returned promise may be ignored (`void`): a
   * stream that dies while draining rejects it, but nothing is left to write.
   */
  writeNow(frame: Uint8Array | readonly Uint8Array[]): Promise<void> | undefined {
    this.#queue(frame);
    this.flush();
    return this.#drained;
  }

  /** Sends whatever is queued, unless the stream is waiting to drain. */
  flush(): void {
    if (this.#pending.length === 0 || this.#drained !== undefined) {
      return;
    }
    const data = this.#largeParts === 0 ? concatFrames(this.#pending) : joinParts(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#largeParts = 0;
    // Throws StreamStateError when the stream can no longer be written.
    if (!this.#stream.send(data)) {
      const drained = this.#waitForDrain();
      // Handled here so a stream that dies while nobody writes raises nothing;
      // callers awaiting it still see the rejection.
      drained.catch(() => {});
      this.#drained = drained;
    }
  }

  #queue(frame: Uint8Array | readonly Uint8Array[]): void {
    if (frame instanceof Uint8Array) {
      this.#queuePart(frame);
      return;
    }
    for (const part of frame) {
      this.#queuePart(part);
    }
  }

  #queuePart(part: Uint8Array): void {
    this.#pending.push(part);
    this.#pendingBytes += part.byteLength;
    if (part.byteLength >= COPY_BODY_MAX_BYTES) {
      this.#largeParts++;
    }
  }

  #openWindow(): void {
    this.#windowOpen = true;
    setImmediate(() => {
      this.#windowOpen = false;
      if (this.#stream.writeStatus === "writable") {
        try {
          this.flush();
        } catch {
          // The stream broke; whoever writes next learns it.
        }
      }
    });
  }

  #waitForDrain(): Promise<void> {
    const stream = this.#stream;
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        cleanup();
        this.#drained = undefined;
        try {
          this.flush();
          resolve();
        } catch (error) {
          reject(error);
        }
      };
      const onClose = (event: Event): void => {
        cleanup();
        const error = (event as Event & { error?: unknown }).error;
        reject(error instanceof Error ? error : new Error("stream closed while waiting to write"));
      };
      const cleanup = (): void => {
        stream.removeEventListener("drain", onDrain);
        stream.removeEventListener("close", onClose);
      };
      stream.addEventListener("drain", onDrain);
      stream.addEventListener("close", onClose);
    });
  }
}
