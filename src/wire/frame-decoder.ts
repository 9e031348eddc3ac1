import type { Uint8ArrayList } from "uint8arraylist";
import type { FrameType } from "./frame-type.ts";

/** A decoded frame: its type and its body (the payload after the type byte). */
export interface Frame {
  /** The frame's type, its first payload byte. */
  readonly type: FrameType;
  /**
   * The body, contiguous: a view into the received bytes when the frame
   * arrived in one chunk, otherwise a copy joining its pieces.
   */
  readonly body: Uint8Array;
}

/** What the decoder yields: a frame, or word that a frame was over the limit. */
export type DecodedItem =
  | Frame
  | {
      /** A frame whose length prefix claims more than the decoder's limit. */
      readonly type: "oversize";
      /** The payload length the prefix claims, in bytes; its body is skipped, never buffered. */
      readonly payloadBytes: number;
    };

/** The longest varint a length prefix may use: 2^56 covers any real frame. */
const MAX_PREFIX_BYTES = 8;
const EMPTY = new Uint8Array(0);
/** Dropped chunks are removed from the queue's front in batches of at least this many. */
const COMPACT_AFTER = 1024;

/** The peer broke the framing rules; the stream cannot be read any further. */
export class FramingError extends Error {
  /** Always `"FramingError"`. */
  override name = "FramingError";
}

/**
 * Splits a byte stream into frames, incrementally and synchronously.
 *
 * Bytes are kept as they came and decoded one frame at a time, so a reader
 * with a large backlog holds bytes, not thousands of frame objects. A frame
 * that lies within one received chunk (the usual case: a decrypted Noise
 * message holds many small frames) is returned as a view, without copying or
 * per-frame list objects. A frame whose declared length exceeds
 * `maxPayloadBytes` is reported as `oversize` as soon as its length prefix is
 * read; its body is then skipped as it arrives, never buffered, so the stream
 * stays usable after the error.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "p2prpc/wire";
 *
 * const decoder = new FrameDecoder(4 * 1024 * 1024 + 1);
 * for (const item of decoder.push(chunk)) {
 *   if (item.type === "oversize") throw new Error(`${item.payloadBytes} bytes is too large`);
 *   handle(item.type, item.body);
 * }
 * ```
 */
export class FrameDecoder {
  /** Received chunks; those before `#head` are used up. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Read position in `#chunks[#head]`. */
  #offset = 0;
  /** Unread bytes in all chunks. */
  #bytes = 0;
  readonly #maxPayloadBytes: number;
  #skipBytes = 0;

  constructor(maxPayloadBytes: number) {
    this.#maxPayloadBytes = maxPayloadBytes;
  }

  /** Bytes held and not decoded yet (complete frames included). */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** True when no partial frame is buffered or being skipped. */
  get idle(): boolean {
    return this.#bytes === 0 && this.#skipBytes === 0;
  }

  /** Appends bytes; frames are decoded later, one `next()` at a time. */
  append(data: Uint8Array | Uint8ArrayList): void {
    if (data instanceof Uint8Array) {
      this.#push(data);
      return;
    }
    for (const chunk of data) {
      this.#push(chunk);
    }
  }

  /**
   * Decodes the next item from the bytes appended so far, or returns
   * `undefined` when they do not complete one. Throws a FramingError when the
   * bytes break the framing rules.
   */
  next(): DecodedItem | undefined {
    while (this.#bytes > 0) {
      if (this.#skipBytes > 0) {
        const skipped = Math.min(this.#skipBytes, this.#bytes);
        this.#consume(skipped);
        this.#skipBytes -= skipped;
        continue;
      }
      // The length prefix, read without consuming it.
      let payloadBytes = 0;
      let prefixBytes = 0;
      let scale = 1;
      const available = Math.min(this.#bytes, MAX_PREFIX_BYTES);
      for (let index = 0; index < available; index++) {
        const byte = this.#byteAt(index);
        payloadBytes += (byte & 0x7f) * scale;
        if (byte < 0x80) {
          // A last byte of 0 after others adds nothing: a longer encoding
          // than needed, which PROTOCOL.md 3 forbids (one compare per
          // multi-byte prefix).
          if (byte === 0 && index > 0) {
            throw new FramingError("length prefix not minimally encoded");
          }
          prefixBytes = index + 1;
          break;
        }
        scale *= 128;
      }
      if (prefixBytes === 0) {
        if (this.#bytes >= MAX_PREFIX_BYTES) {
          throw new FramingError(`length prefix longer than ${MAX_PREFIX_BYTES} bytes`);
        }
        return undefined;
      }
      if (payloadBytes === 0) {
        throw new FramingError("empty frame: every frame starts with a type byte");
      }
      if (payloadBytes > this.#maxPayloadBytes) {
        this.#consume(prefixBytes);
        this.#skipBytes = payloadBytes;
        return { type: "oversize", payloadBytes };
      }
      if (this.#bytes < prefixBytes + payloadBytes) {
        return undefined;
      }
      const type = this.#byteAt(prefixBytes) as FrameType;
      this.#consume(prefixBytes + 1);
      return { type, body: this.#take(payloadBytes - 1) };
    }
    return undefined;
  }

  /** Appends bytes and returns every item they complete. */
  push(data: Uint8Array | Uint8ArrayList): DecodedItem[] {
    this.append(data);
    const items: DecodedItem[] = [];
    for (let item = this.next(); item !== undefined; item = this.next()) {
      items.push(item);
    }
    return items;
  }

  #push(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#bytes += chunk.byteLength;
    }
  }

  /** The unread byte at `index` (which must be below `#bytes`). */
  #byteAt(index: number): number {
    let position = this.#offset + index;
    for (let chunk = this.#head; ; chunk++) {
      const bytes = this.#chunks[chunk] as Uint8Array;
      if (position < bytes.byteLength) {
        return bytes[position] as number;
      }
      position -= bytes.byteLength;
    }
  }

  /** Drops `count` unread bytes (at most `#bytes`). */
  #consume(count: number): void {
    this.#bytes -= count;
    let left = count;
    while (left > 0) {
      const chunk = this.#chunks[this.#head] as Uint8Array;
      const rest = chunk.byteLength - this.#offset;
      if (left < rest) {
        this.#offset += left;
        return;
      }
      left -= rest;
      this.#dropHead();
    }
  }

  /** Takes the next `count` unread bytes (at most `#bytes`) as one array. */
  #take(count: number): Uint8Array {
    const first = this.#chunks[this.#head];
    if (first === undefined || count === 0) {
      return EMPTY;
    }
    if (first.byteLength - this.#offset >= count) {
      const view = first.subarray(this.#offset, this.#offset + count);
      this.#consume(count);
      return view;
    }
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[this.#head] as Uint8Array;
      const piece = Math.min(chunk.byteLength - this.#offset, count - filled);
      out.set(chunk.subarray(this.#offset, this.#offset + piece), filled);
      filled += piece;
      this.#consume(piece);
    }
    return out;
  }

  #dropHead(): void {
    this.#chunks[this.#head] = EMPTY;
    this.#head++;
    this.#offset = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}
