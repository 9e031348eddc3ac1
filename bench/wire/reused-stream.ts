import type { Stream } from "@libp2p/interface";
import { feedFrames } from "./libp2p-stream-io.ts";
import { encodeFrame, FrameSplitter } from "./varint-frames.ts";

/**
 * A long-lived stream carrying one request frame at a time; each call
 * resolves with the body of the frame that answers it.
 */
export class ReusedStream {
  readonly stream: Stream;
  #pending: { resolve: (body: Uint8Array) => void; reject: (error: Error) => void } | undefined;
  #failure: Error | undefined;

  constructor(stream: Stream) {
    this.stream = stream;
    feedFrames(
      stream,
      new FrameSplitter((body) => {
        const pending = this.#pending;
        this.#pending = undefined;
        pending?.resolve(body);
      }),
    );
    stream.addEventListener("close", (event) => {
      this.#failure = event.error ?? new Error("echo stream closed");
      this.#pending?.reject(this.#failure);
      this.#pending = undefined;
    });
  }

  /** Sends `body` as one frame and resolves with the answer's body. */
  call(body: Uint8Array): Promise<Uint8Array> {
    if (this.#failure !== undefined) {
      return Promise.reject(this.#failure);
    }
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.stream.send(encodeFrame(body));
    });
  }
}
