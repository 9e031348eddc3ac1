import type { Stream } from "@libp2p/interface";
import { COPY_BODY_MAX_BYTES, DEFAULT_MAX_BATCH_BYTES, TURN_BUDGET_BYTES } from "../constants.ts";
import { ByReferenceSender, type ClosingTarget } from "./by-reference-sender.ts";
import type { ByReferenceTracker } from "./by-reference-tracker.ts";
import { concatFrames, frameHead, joinParts } from "./encode-frame.ts";
import type { EncodedFrame } from "./encode-message.ts";
import type { FrameType } from "./frame-type.ts";

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
 * the queue was sent (in the event loop's check phase after the `drain`, so
 * that I/O is read between a bulk producer's writes), and callers await it
 * before writing more. The `drain`
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
  readonly #byReference: ByReferenceSender;
  readonly #tracker: ByReferenceTracker | undefined;
  /**
   * Bytes handed to the stream in this turn of the event loop, counted from
   * the first large write; while above 0, the count's end is scheduled.
   */
  #turnBytes = 0;
  /** Resolves at the end of this turn (its check phase); made when a writer must wait for it. */
  #turnEnd: PromiseWithResolvers<void> | undefined;

  /**
   * `tracker`: the node's {@link ByReferenceTracker}, which lets large values
   * leave by reference (a server's writers get it); without one every value
   * is copied. `maxBatchBytes`: a batch of small frames leaves once it is
   * this large.
   */
  constructor(
    stream: Stream,
    {
      tracker,
      maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
    }: { readonly tracker?: ByReferenceTracker; readonly maxBatchBytes?: number } = {},
  ) {
    this.#stream = stream;
    this.#maxBatchBytes = maxBatchBytes;
    this.#tracker = tracker;
    this.#byReference = new ByReferenceSender(stream, this, tracker);
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

  /** See {@link ByReferenceSender.readsReported}. */
  get readsReported(): boolean {
    return this.#byReference.readsReported;
  }

  /** Writes a large message frame; see {@link ByReferenceSender.writeLarge}. */
  writeLarge(encoded: EncodedFrame): Promise<void> | undefined {
    return this.#byReference.writeLarge(encoded) ?? this.#afterTurnBudget();
  }

  /**
   * Resets the stream, throwing away what is queued here; see
   * {@link ByReferenceSender.abandon}.
   */
  abandonByReference(reason: Error): void {
    // Queued parts will never be sent: a value among them counts as read.
    this.#tracker?.noteRead(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#largeParts = 0;
    this.#byReference.abandon(reason);
  }

  /** See {@link ByReferenceSender.settle}. */
  settleByReference(connection: ClosingTarget, peerGone: boolean): Promise<void> | undefined {
    return this.#byReference.settle(connection, peerGone);
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
      : this.#afterTurnBudget();
  }

  /**
   * A promise of the turn's end once this turn handed the stream
   * `TURN_BUDGET_BYTES` or more, `undefined` before. A socket whose kernel
   * buffer has room takes every write at once and never asks to drain, so a
   * producer that is never told to wait writes until that buffer is full
   * (megabytes), all in one turn, and the event loop reads nothing
   * meanwhile: a small call's request to the same process waited behind it
   * (docs/POOL.md, "Sharing one connection").
   */
  #afterTurnBudget(): Promise<void> | undefined {
    if (this.#turnBytes < TURN_BUDGET_BYTES) {
      return undefined;
    }
    this.#turnEnd ??= Promise.withResolvers<void>();
    return this.#turnEnd.promise;
  }

  #countTurn(bytes: number): void {
    if (this.#turnBytes === 0) {
      if (bytes < COPY_BODY_MAX_BYTES) {
        // A small write (a unary call's frames) starts no count: no timer per call.
        return;
      }
      setImmediate(() => {
        this.#turnBytes = 0;
        const ended = this.#turnEnd;
        this.#turnEnd = undefined;
        ended?.resolve();
      });
    }
    this.#turnBytes += bytes;
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

  /**
   * Resolves once everything queued was handed to the stream; at once when
   * nothing waits for a drain. Close the stream only after it: a close that
   * wins the race for the `drain` event would send end-of-stream ahead of the
   * frames still queued here (a server's last TRAILER over QUIC, which asks
   * to drain after every send). Rejects when the stream dies first.
   */
  async flushed(): Promise<void> {
    while (this.#drained !== undefined) {
      await this.#drained;
    }
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
    const sent = this.#stream.send(data);
    this.#countTurn(data.byteLength);
    if (!sent) {
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
      const resume = (): void => {
        this.#drained = undefined;
        try {
          this.flush();
          resolve();
        } catch (error) {
          reject(error);
        }
      };
      // Resumes in the next check phase, not inside the drain: a socket whose
      // writes complete at once emits `drain` from a nextTick, so a bulk
      // producer resumed here would write, drain and write again without the
      // event loop ever reaching its poll phase, and a small call's request
      // on the same process waited in the socket's receive queue until the
      // kernel's send buffer filled (docs/POOL.md, "Sharing one connection").
      const onDrain = (): void => {
        cleanup();
        setImmediate(resume);
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
