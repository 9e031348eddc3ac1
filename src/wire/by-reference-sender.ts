import type { Stream } from "@libp2p/interface";
import { COPY_BODY_MAX_BYTES } from "../constants.ts";
import type { ByReferenceTracker } from "./by-reference-tracker.ts";
import { concatFrames } from "./encode-frame.ts";
import type { EncodedFrame } from "./encode-message.ts";

/** What {@link ByReferenceSender.settle} watches besides the stream: a libp2p `Connection`. */
export interface ClosingTarget {
  readonly status: string;
  addEventListener(type: "close", listener: () => void): void;
  removeEventListener(type: "close", listener: () => void): void;
}

/** Where a {@link ByReferenceSender} writes its frames: the stream's `FrameWriter`. */
export interface FrameSink {
  /** Queues a frame; returns a promise to await before writing more when the stream is full. */
  write(frame: Uint8Array | readonly Uint8Array[]): Promise<void> | undefined;
  /** Sends a frame and everything queued before it now. */
  writeNow(frame: Uint8Array | readonly Uint8Array[]): Promise<void> | undefined;
}

/**
 * The part of a stream's `FrameWriter` that sends large values by
 * reference: it finds out whether the stream's cipher reports what it has
 * read (the node's {@link ByReferenceTracker} hears of it), sends a value by reference once it does, holds
 * the value's owner until the cipher has read it, and tells a call that ends
 * early when the owner may have it back. See DESIGN.md, "Large streamed
 * values by reference".
 *
 * @example
 * ```ts
 * // Inside FrameWriter; a server's emit() calls writer.writeLarge(encoded).
 * const sender = new ByReferenceSender(stream, writer, tracker);
 * const held = sender.writeLarge(encodeMessageFrame(FrameType.Message, schema, message, undefined, sender.readsReported));
 * if (held !== undefined) await held; // only now may the handler change the value
 * ```
 */
export class ByReferenceSender {
  readonly #stream: Stream;
  readonly #writer: FrameSink;
  /** The node's tracker; without one, every value is sent by copy. */
  readonly #tracker: ByReferenceTracker | undefined;
  /** A large frame sent by copy was reported read by the cipher (see {@link readsReported}). */
  #readsReported = false;
  /** Whether the stream reports reads is being found out, or has been. */
  #probed = false;
  /** The frame that finds it out, until it is reported read or given up on. */
  #probe: Uint8Array | undefined;
  /** A value sent by reference that the cipher has not read yet. */
  #unread: { readonly value: Uint8Array; readonly whenRead: Promise<void> } | undefined;

  constructor(stream: Stream, writer: FrameSink, tracker: ByReferenceTracker | undefined) {
    this.#stream = stream;
    this.#writer = writer;
    this.#tracker = tracker;
  }

  /**
   * True once this stream's bytes are known to go through a cipher that
   * reports what it has read to this node's tracker (as the fast path's Noise
   * crypto does for Noise on TCP and memory connections): a large frame sent by copy was
   * reported. From then on a large value may be sent by reference
   * ({@link writeLarge}). Never true over QUIC (its encryption is native) or
   * on a node whose Noise uses another crypto, or that has no tracker.
   */
  get readsReported(): boolean {
    return this.#readsReported;
  }

  /**
   * Writes a large message frame from `encodeMessageFrame`.
   *
   * A frame in one buffer is written as `FrameWriter.write` writes it; while this
   * stream is not known to report reads, the first of at least
   * `COPY_BODY_MAX_BYTES` is watched to find out whether it does.
   *
   * A frame whose value comes by reference leaves at once, unless the stream
   * is draining, and the returned promise settles only when the cipher has
   * read all of the value: until then its owner must not change it, and the
   * caller awaits the promise before giving control back to it. It rejects
   * when the stream closes first. When the cipher read the value during this
   * call, nothing is returned, as from `FrameWriter.write`. If a value in the same
   * buffer is still in flight, this one is copied instead.
   */
  writeLarge({ frame, value }: EncodedFrame): Promise<void> | undefined {
    if (value === undefined) {
      if (this.#probe !== undefined) {
        // Not reported by the next large frame: take the stream as silent.
        this.#stopProbing();
      } else if (
        !this.#probed &&
        this.#tracker !== undefined &&
        frame.byteLength >= COPY_BODY_MAX_BYTES
      ) {
        this.#startProbing(frame);
      }
      return this.#writer.write(frame);
    }
    let read = false;
    let onRead: (() => void) | undefined;
    const tracker = this.#tracker;
    if (
      tracker === undefined ||
      !tracker.track(value, () => {
        read = true;
        onRead?.();
      })
    ) {
      return this.#writer.write(concatFrames([frame, value]));
    }
    try {
      void this.#writer.writeNow([frame, value]);
    } catch (error) {
      tracker.stopWaiting(value);
      throw error;
    }
    if (read) {
      // Sent and read: nothing of it is queued here, nothing to wait for.
      return undefined;
    }
    const { promise: whenRead, resolve: resolveRead } = Promise.withResolvers<void>();
    onRead = (): void => {
      this.#unread = undefined;
      resolveRead();
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
  settle(connection: ClosingTarget, peerGone: boolean): Promise<void> | undefined {
    const unread = this.#unread;
    if (unread === undefined) {
      return undefined;
    }
    if (peerGone || connection.status === "closed") {
      this.#unread = undefined;
      this.#tracker?.stopWaiting(unread.value);
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
        this.#tracker?.stopWaiting(unread.value);
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

  /**
   * Resets the stream although a value sent by reference may be unread: for
   * a call that ended at its deadline (or at shutdown) while the peer reads
   * nothing, which would otherwise hold the handler for as long as the peer
   * likes. What of the value still waits in the stream's write buffer is
   * thrown away by the reset, so it counts as read; what already went below
   * the stream is read as the connection drains, or the connection closes
   * ({@link settle} then lets go).
   */
  abandon(reason: Error): void {
    if (this.#unread !== undefined) {
      // libp2p's AbstractMessageStream keeps unsent bytes in a protected `writeBuffer`.
      const unsent = (this.#stream as unknown as { writeBuffer?: Iterable<Uint8Array> })
        .writeBuffer;
      if (unsent !== undefined) {
        this.#tracker?.noteRead([...unsent]);
      }
    }
    this.#stream.abort(reason);
  }

  #startProbing(frame: Uint8Array): void {
    const stream = this.#stream;
    const onClose = (): void => this.#stopProbing();
    const tracked = (this.#tracker as ByReferenceTracker).track(frame, () => {
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
      this.#tracker?.stopWaiting(this.#probe);
      this.#probe = undefined;
    }
  }
}
