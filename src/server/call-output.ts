import { create, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ResponseHeaderSchema } from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { encodeFrame } from "../wire/encode-frame.ts";
import { encodedBodyBytes, encodedFrameParts, encodeMessageFrame } from "../wire/encode-message.ts";
import { FrameType } from "../wire/frame-type.ts";
import type { FrameWriter } from "../wire/frame-writer.ts";
import { headersToMetadata } from "../wire/metadata.ts";
import type { CallContext } from "./call-context.ts";
import type { ServedMethod } from "./served-method.ts";

/** RESPONSE_HEADER without metadata: most calls send exactly this. */
const EMPTY_RESPONSE_HEADER = encodeFrame(FrameType.ResponseHeader);

/**
 * The response side of one call: it owns the RESPONSE_HEADER, the messages
 * and the TRAILER, and the order they leave in (PROTOCOL.md 5.3).
 *
 * - The header is built once, from the handler's response headers, when the
 *   first message or the trailer needs it.
 * - A unary or client-streaming call answers one message: it is held and
 *   leaves with the header and the trailer in one write ({@link finish}),
 *   or is dropped when the call fails after it ({@link dropMessage}).
 * - A streamed message leaves at once; after the first (which carries the
 *   header), each goes straight to the writer, which may send a large value
 *   by reference and hold the handler until the cipher has read it.
 *
 * @example
 * ```ts
 * const output = new CallOutput(writer, method);
 * output.context = context; // once the call's context exists
 * await output.emit(message); // a promise when the stream is full
 * output.finish(trailer);
 * ```
 */
export class CallOutput {
  readonly #writer: FrameWriter;
  readonly #method: ServedMethod;
  /** Unary and client-streaming calls answer one message, which leaves with the trailer. */
  readonly #single: boolean;
  /** The call's context, whose response headers the header carries; set once it exists. */
  context: CallContext | undefined;
  #headerTaken = false;
  /** The header, built and not yet handed to the writer. */
  #header: Uint8Array | undefined;
  /** A single response's frame parts, held until {@link finish}. */
  #message: readonly Uint8Array[] = [];

  constructor(writer: FrameWriter, method: ServedMethod) {
    this.#writer = writer;
    this.#method = method;
    const kind = method.spec.kind;
    this.#single = kind === "unary" || kind === "client_streaming";
  }

  /**
   * Writes (or, for a single response, holds) one response message; returns
   * a promise to await before the next when the stream is full. Throws
   * ResourceExhausted for a message over the server's write limit.
   */
  emit(message: MessageShape<DescMessage>): Promise<void> | undefined {
    const method = this.#method;
    const output = method.spec.method.output;
    const direct = !this.#single && this.#headerTaken && this.#header === undefined;
    const encoded = encodeMessageFrame(
      FrameType.Message,
      output,
      // create() returns a message of this type as it is; the check is
      // isMessage's, inlined: it is on every streamed message's path.
      message.$typeName === output.typeName ? message : create(output, message),
      method.binaryOptions,
      direct && this.#writer.readsReported,
    );
    const bodyBytes = encodedBodyBytes(encoded);
    if (bodyBytes > method.writeMaxBytes) {
      throw new ConnectError(
        `response message of ${bodyBytes} bytes exceeds the limit of ${method.writeMaxBytes} bytes`,
        Code.ResourceExhausted,
      );
    }
    if (direct) {
      return encoded instanceof Uint8Array
        ? this.#writer.writeFrame(FrameType.Message, encoded)
        : this.#writer.writeLarge(encoded);
    }
    this.#takeHeader();
    const parts = encodedFrameParts(FrameType.Message, encoded);
    if (this.#single) {
      this.#message = parts;
      return undefined;
    }
    const header = this.#header as Uint8Array;
    this.#header = undefined;
    return this.#writer.write([header, ...parts]);
  }

  /** The call failed after its answer was held: the answer never leaves (the header does). */
  dropMessage(): void {
    this.#message = [];
  }

  /**
   * Sends what is left: the header (unless it left with a streamed
   * message), a held answer, and `trailer`, in one write. Throws when the
   * stream can no longer be written.
   */
  finish(trailer: Uint8Array): void {
    this.#takeHeader();
    const header = this.#header;
    this.#header = undefined;
    const frames =
      header === undefined ? [...this.#message, trailer] : [header, ...this.#message, trailer];
    this.#message = [];
    void this.#writer.writeNow(frames);
  }

  #takeHeader(): void {
    if (this.#headerTaken) {
      return;
    }
    this.#headerTaken = true;
    const headers = this.context?.responseHeaderIfUsed();
    const metadata = headers === undefined ? [] : headersToMetadata(headers);
    this.#header =
      metadata.length === 0
        ? EMPTY_RESPONSE_HEADER
        : encodeFrame(
            FrameType.ResponseHeader,
            toBinary(ResponseHeaderSchema, create(ResponseHeaderSchema, { metadata })),
          );
  }
}
