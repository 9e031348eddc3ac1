import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import {
  RequestHeaderSchema,
  type Trailer,
  TrailerSchema,
} from "../../gen/p2prpc/wire/v1/wire_pb.ts";
import { concatFrames, encodeFrame } from "../../src/wire/encode-frame.ts";
import type { DecodedItem } from "../../src/wire/frame-decoder.ts";
import { FrameReader } from "../../src/wire/frame-reader.ts";
import { FrameType } from "../../src/wire/frame-type.ts";

/** Encodes a REQUEST_HEADER frame by hand. */
export function requestHeaderFrame(timeoutMs?: number): Uint8Array {
  const header = create(RequestHeaderSchema, {});
  if (timeoutMs !== undefined) {
    header.timeoutMs = timeoutMs;
  }
  return encodeFrame(FrameType.RequestHeader, toBinary(RequestHeaderSchema, header));
}

/** A stream spoken to frame by frame, below the client, to test the server. */
export class RawStream {
  readonly stream: Stream;
  readonly #reader: FrameReader;

  private constructor(stream: Stream) {
    this.stream = stream;
    this.#reader = new FrameReader(stream, { maxPayloadBytes: 64 * 1024 * 1024 });
  }

  static async open(node: Libp2p, peer: PeerId, protocol: string): Promise<RawStream> {
    return new RawStream(await node.dialProtocol(peer, protocol));
  }

  send(...frames: Uint8Array[]): void {
    this.stream.send(concatFrames(frames));
  }

  read(): Promise<DecodedItem | undefined> {
    return this.#reader.read();
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
}
