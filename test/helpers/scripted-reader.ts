import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { DecodedItem } from "../../src/wire/frame-decoder.ts";
import type { FrameReader } from "../../src/wire/frame-reader.ts";
import { FrameType } from "../../src/wire/frame-type.ts";

/** Marks the clean end of the stream in a {@link ScriptedReader}'s items. */
const END = Symbol("end");

type Item = DecodedItem | typeof END | Error;

/**
 * A stand-in for the members of `FrameReader` a call's input uses (`read()`,
 * `readInto()`, `tryRead()`), fed by the test: items handed over with {@link push} are
 * buffered (`tryRead()` returns them) unless reads wait, which get them
 * first, in the order they were made. {@link end} and {@link fail} stay, as a stream's end does:
 * every later read sees them.
 */
export class ScriptedReader {
  readonly #items: Item[] = [];
  readonly #waiters: Array<{
    resolve(item: DecodedItem | undefined): void;
    reject(error: Error): void;
  }> = [];

  /** The reader, as the code under test takes it. */
  get reader(): FrameReader {
    return this as unknown as FrameReader;
  }

  /** Items not taken yet, in order (the end as `"end"`, a failure as the error). */
  get remaining(): Array<DecodedItem | "end" | Error> {
    return this.#items.map((item) => (item === END ? "end" : item));
  }

  /** True while a `read()` waits for an item. */
  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** Hands items over, as frames arriving. */
  push(...items: DecodedItem[]): this {
    for (const item of items) {
      this.#give(item);
    }
    return this;
  }

  /** The remote ended its side cleanly. */
  end(): this {
    this.#give(END);
    return this;
  }

  /** The stream failed (a reset): reads reject with `error`. */
  fail(error: Error): this {
    this.#give(error);
    return this;
  }

  tryRead(): DecodedItem | undefined {
    const head = this.#items[0];
    if (head === undefined || head === END || head instanceof Error) {
      return undefined;
    }
    this.#items.shift();
    return head;
  }

  read(): Promise<DecodedItem | undefined> {
    const head = this.#items[0];
    if (head === END) {
      return Promise.resolve(undefined);
    }
    if (head instanceof Error) {
      return Promise.reject(head);
    }
    if (head !== undefined) {
      this.#items.shift();
      return Promise.resolve(head);
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** As `FrameReader.readInto`: the waiter is called at once, or as the item is pushed. */
  readInto(waiter: {
    resolve(item: DecodedItem | undefined): void;
    reject(error: Error): void;
  }): void {
    const head = this.#items[0];
    if (head === END) {
      waiter.resolve(undefined);
    } else if (head instanceof Error) {
      waiter.reject(head);
    } else if (head !== undefined) {
      this.#items.shift();
      waiter.resolve(head);
    } else {
      this.#waiters.push(waiter);
    }
  }

  #give(item: Item): void {
    if (this.#waiters.length === 0) {
      this.#items.push(item);
      return;
    }
    if (item instanceof Error || item === END) {
      // An end or a failure answers every waiting read, and stays.
      this.#items.push(item);
      for (const waiter of this.#waiters.splice(0)) {
        if (item === END) {
          waiter.resolve(undefined);
        } else {
          waiter.reject(item);
        }
      }
      return;
    }
    this.#waiters.shift()?.resolve(item);
  }
}

/** A decoded frame of `type` with `body`. */
export function frameItem(type: FrameType, body: Uint8Array = new Uint8Array()): DecodedItem {
  return { type, body };
}

/** A decoded MESSAGE frame carrying `init` as a message of `schema`. */
export function messageItem<S extends DescMessage>(
  schema: S,
  init: MessageInitShape<S>,
): DecodedItem {
  return frameItem(FrameType.Message, toBinary(schema, create(schema, init)));
}

/** The END_OF_INPUT frame, decoded. */
export const END_OF_INPUT_ITEM: DecodedItem = frameItem(FrameType.EndOfInput);
