import type { MessageStream, StreamMuxer, StreamMuxerFactory } from "@libp2p/interface";

/**
 * Makes `factory` hand every muxer it creates, one per connection, to
 * `onMuxer` before libp2p uses it; returns `factory`. The muxer-side
 * counterpart of `wrapEncrypter`: `optimisticSelect` and `batchWindowUpdates`
 * hook their muxers through it.
 */
export function onStreamMuxer(
  factory: StreamMuxerFactory,
  onMuxer: (muxer: StreamMuxer) => void,
): StreamMuxerFactory {
  const createStreamMuxer = factory.createStreamMuxer.bind(factory);
  factory.createStreamMuxer = (connection: MessageStream): StreamMuxer => {
    const muxer = createStreamMuxer(connection);
    onMuxer(muxer);
    return muxer;
  };
  return factory;
}
