import type { Stream } from "@libp2p/interface";
import { FrameReader } from "../wire/frame-reader.ts";
import { FrameWriter } from "../wire/frame-writer.ts";

/**
 * A negotiated stream and its frame reader, kept together for as long as the
 * stream carries calls: one call at a time, several calls in a row.
 */
export class CallStream {
  readonly stream: Stream;
  /** The protocol id of the method the stream was opened for. */
  readonly protocol: string;
  readonly reader: FrameReader;
  readonly writer: FrameWriter;
  /** When the stream last went idle (ms since the epoch). */
  idleSince = 0;

  constructor(stream: Stream, protocol: string, readMaxBytes: number) {
    this.stream = stream;
    this.protocol = protocol;
    this.reader = new FrameReader(stream, { maxPayloadBytes: readMaxBytes + 1 });
    this.writer = new FrameWriter(stream);
  }

  /**
   * True while both directions are open, nothing broke and nothing arrived
   * since the last call's TRAILER: it can carry another call. A server sends
   * nothing between calls (PROTOCOL.md 6); a stream holding bytes it sent
   * anyway is not used again, or they would be read as the next call's answer.
   */
  get reusable(): boolean {
    const { stream } = this;
    return (
      stream.status === "open" &&
      stream.writeStatus === "writable" &&
      stream.remoteWriteStatus === "writable" &&
      !this.reader.done &&
      this.reader.idle
    );
  }

  /** Resets the stream: for a call that did not end cleanly. */
  abort(error: Error): void {
    // The reader hears the abort (its 'close' event) and fails a pending read.
    this.stream.abort(error);
    this.reader.detach();
  }

  /** Closes the writable side: the server then closes its side too. */
  close(): void {
    this.reader.detach();
    try {
      this.writer.flush();
    } catch {
      // already broken: close() below settles it
    }
    this.stream.close().catch(() => {});
  }
}
