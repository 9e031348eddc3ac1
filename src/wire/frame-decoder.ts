import { Uint8ArrayList } from "uint8arraylist";
import type { FrameType } from "./frame-type.ts";

/** A decoded frame: its type and its body (the payload after the type byte). */
export interface Frame {
  readonly type: FrameType;
  readonly body: Uint8ArrayList;
}

/** What the decoder yields: a frame, or word that a frame was over the limit. */
export type DecodedItem = Frame | { readonly type: "oversize"; readonly payloadBytes: number };

/** The longest varint a length prefix may use: 2^56 covers any real frame. */
const MAX_PREFIX_BYTES = 8;

/** The peer broke the framing rules; the stream cannot be read any further. */
export class FramingError extends Error {
  override name = "FramingError";
}

/**
 * Splits a byte stream into frames, incrementally and synchronously.
 *
 * Bytes are kept as they came and decoded one frame at a time, so a reader
 * with a large backlog holds bytes, not thousands of frame objects. A frame
 * whose declared length exceeds `maxPayloadBytes` is reported as `oversize`
 * as soon as its length prefix is read; its body is then skipped as it
 * arrives, never buffered, so the stream stays usable after the error.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "p2prpc";
 *
 * const decoder = new FrameDecoder(4 * 1024 * 1024 + 1);
 * for (const item of decoder.push(chunk)) {
 *   if (item.type === "oversize") throw new Error(`${item.payloadBytes} bytes is too large`);
 *   handle(item.type, item.body);
 * }
 * ```
 */
export class FrameDecoder {
  readonly #buffer = new Uint8ArrayList();
  readonly #maxPayloadBytes: number;
  #skipBytes = 0;

  constructor(maxPayloadBytes: number) {
    this.#maxPayloadBytes = maxPayloadBytes;
  }

  /** Bytes held and not decoded yet (complete frames included). */
  get bufferedBytes(): number {
    return this.#buffer.byteLength;
  }

  /** True when no partial frame is buffered or being skipped. */
  get idle(): boolean {
    return this.#buffer.byteLength === 0 && this.#skipBytes === 0;
  }

  /** Appends bytes; frames are decoded later, one `next()` at a time. */
  append(data: Uint8Array | Uint8ArrayList): void {
    this.#buffer.append(data);
  }

  /**
   * Decodes the next item from the bytes appended so far, or returns
   * `undefined` when they do not complete one. Throws a FramingError when the
   * bytes break the framing rules.
   */
  next(): DecodedItem | undefined {
    const buffer = this.#buffer;
    while (buffer.byteLength > 0) {
      if (this.#skipBytes > 0) {
        const skipped = Math.min(this.#skipBytes, buffer.byteLength);
        buffer.consume(skipped);
        this.#skipBytes -= skipped;
        continue;
      }
      const prefix = readPrefix(buffer);
      if (prefix === undefined) {
        return undefined;
      }
      const { payloadBytes, prefixBytes } = prefix;
      if (payloadBytes === 0) {
        throw new FramingError("empty frame: every frame starts with a type byte");
      }
      if (payloadBytes > this.#maxPayloadBytes) {
        buffer.consume(prefixBytes);
        this.#skipBytes = payloadBytes;
        return { type: "oversize", payloadBytes };
      }
      if (buffer.byteLength < prefixBytes + payloadBytes) {
        return undefined;
      }
      const type = buffer.get(prefixBytes) as FrameType;
      const body = buffer.sublist(prefixBytes + 1, prefixBytes + payloadBytes);
      buffer.consume(prefixBytes + payloadBytes);
      return { type, body };
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
}

function readPrefix(
  buffer: Uint8ArrayList,
): { payloadBytes: number; prefixBytes: number } | undefined {
  let value = 0;
  let scale = 1;
  const available = Math.min(buffer.byteLength, MAX_PREFIX_BYTES);
  for (let i = 0; i < available; i++) {
    const byte = buffer.get(i);
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      return { payloadBytes: value, prefixBytes: i + 1 };
    }
    scale *= 128;
  }
  if (buffer.byteLength >= MAX_PREFIX_BYTES) {
    throw new FramingError(`length prefix longer than ${MAX_PREFIX_BYTES} bytes`);
  }
  return undefined;
}
