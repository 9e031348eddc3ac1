import type { Stream, StreamMuxer, StreamMuxerFactory } from "@libp2p/interface";
import { multiaddrConnectionPair } from "@libp2p/utils";
import { yamux } from "@libp2p/yamux";

/** Two ends of one real Yamux stream over an in-memory connection, with flow control. */
export interface YamuxStreamPair {
  readonly outbound: Stream;
  readonly inbound: Stream;
  close(): Promise<void>;
}

/**
 * Opens a Yamux stream between two muxers over an in-memory connection: the
 * real muxer (windows, pause and resume), without libp2p nodes around it.
 */
export async function yamuxStreamPair(): Promise<YamuxStreamPair> {
  const [local, remote] = multiaddrConnectionPair();
  const plain = yamux({ enableKeepAlive: false }) as (components: object) => StreamMuxerFactory;
  const muxers: StreamMuxer[] = [
    plain({}).createStreamMuxer(local),
    plain({}).createStreamMuxer(remote),
  ];
  const [dialer, listener] = muxers as [StreamMuxer, StreamMuxer];
  const accepted = new Promise<Stream>((resolve) => {
    listener.addEventListener("stream", (event) => resolve(event.detail), { once: true });
  });
  const outbound = await dialer.createStream();
  // Yamux announces a stream with its first frame.
  outbound.send(new Uint8Array(0));
  const inbound = await accepted;
  return {
    outbound,
    inbound,
    async close() {
      await Promise.all(muxers.map((muxer) => muxer.close()));
    },
  };
}
