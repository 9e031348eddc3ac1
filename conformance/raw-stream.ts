import { fromBinary } from "@bufbuild/protobuf";
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { type Trailer, TrailerSchema } from "../gen/p2prpc/wire/v1/wire_pb.ts";
import { concatFrames } from "../src/wire/encode-frame.ts";
import type { DecodedItem } from "../src/wire/frame-decoder.ts";
import { FrameReader } from "../src/wire/frame-reader.ts";
import { FrameType } from "../src/wire/frame-type.ts";

/** How a stream ended, as the side reading it saw: cleanly, or reset (a framing error included). */
export type StreamEnd = "clean" | "reset";

/** Everything the remote sent on a stream until it ended, and how it ended. */
export interface StreamOutcome {
  readonly frames: readonly DecodedItem[];
  readonly end: StreamEnd;
}

/**
 * A stream spoken to frame by frame, below any p2prpc client or server: the
 * conformance suite writes bytes by hand and reads what the peer answers.
 * Frames it reads are decoded with no size limit short of 64 MiB.
 */
export class RawStream {
  readonly stream: Stream;
  readonly #reader: FrameReader;

  constructor(stream: Stream) {
    this.stream = stream;
    this.#reader = new FrameReader(stream, { maxPayloadBytes: 64 * 1024 * 1024 });
  }

  /** Opens a stream to `peer` and negotiates `protocol` on it in full. */
  static async open(
    node: Libp2p,
    peer: PeerId | Multiaddr | Multiaddr[],
    protocol: string,
    signal?: AbortSignal,
  ): Promise<RawStream> {
    return new RawStream(await node.dialProtocol(peer, protocol, { signal }));
  }

  /** Sends frames (or any bytes) in one write. */
  send(...frames: Uint8Array[]): void {
    this.stream.send(concatFrames(frames));
  }

  /** Half-closes the writable side: the peer reads end-of-file. */
  async closeWrite(): Promise<void> {
    await this.stream.close();
  }

  /** The next frame; undefined at a clean end; rejects on a reset. */
  read(): Promise<DecodedItem | undefined> {
    return this.#reader.read();
  }

  /** True once the remote ended its side, cleanly or by a reset. */
  get remoteEnded(): boolean {
    return this.#reader.remoteEnded;
  }

  /** Reads frames up to the TRAILER and decodes it; fails on anything odd. */
  async readTrailer(): Promise<{ trailer: Trailer; frames: FrameType[] }> {
    const frames: FrameType[] = [];
    for (;;) {
      const item = await this.#reader.read();
      if (item === undefined || item.type === "oversize") {
        throw new Error(`no trailer: got ${item === undefined ? "end of stream" : "oversize"}`);
      }
      frames.push(item.type);
      if (item.type === FrameType.Trailer) {
        return { trailer: fromBinary(TrailerSchema, item.body), frames };
      }
    }
  }

  /** Reads every frame until the stream ends, and how it ended. */
  async outcome(): Promise<StreamOutcome> {
    const frames: DecodedItem[] = [];
    for (;;) {
      let item: DecodedItem | undefined;
      try {
        item = await this.#reader.read();
      } catch {
        return { frames, end: "reset" };
      }
      if (item === undefined) {
        return { frames, end: "clean" };
      }
      frames.push(item);
    }
  }
}
