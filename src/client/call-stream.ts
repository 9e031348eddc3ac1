import type { Stream } from "@libp2p/interface";
import { FrameReader } from "../wire/frame-reader.ts";

/**
 * A negotiated stream and its frame reader, kept together for as long as the
 * stream carries calls: one call at a time, several calls in a row.
 */
export class CallStream {
  readonly stream: Stream;
  readonly reader: FrameReader;
  /** When the stream last went idle (ms since the epoch). */
  idleSince = 0;

  constructor(stream: Stream, readMaxBytes: number) {
    this.stream = stream;
    this.reader = new FrameReader(stream, { maxPayloadBytes: readMaxBytes + 1 });
  }

  /** True while both directions are open and nothing broke: it can carry another call. */
  get reusable(): boolean {
    const { stream } = this;
    return (
      stream.status === "open" &&
      stream.writeStatus === "writable" &&
      stream.remoteWriteStatus === "writable" &&
      !this.reader.done
    );
  }

  /** Resets the stream: for a call that did not end cleanly. */
  abort(error: Error): void {
    this.reader.detach();
    this.stream.abort(error);
  }

  /** Closes the writable side: the server then closes its side too. */
  close(): void {
    this.reader.detach();
    this.stream.close().catch(() => {});
  }
}
