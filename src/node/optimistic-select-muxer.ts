// Relies on: what optimistic-select-stream.ts relies on (libp2p ^3.3.11 passing
// `negotiateFully` to the muxer and skipping select for a stream with a
// `protocol`; @libp2p/utils ~7.4.1's `AbstractStream.onData`), and on the
// muxer's public `createStream`. A stream without that shape negotiates in
// full, as libp2p does, and the node logs it once. Delete with
// optimistic-select-stream.ts.
import type { CreateStreamOptions, Stream, StreamMuxerFactory } from "@libp2p/interface";
import { fallbackReporter, loggerOf, type ReportFallback } from "./fallback-reporter.ts";
import { onStreamMuxer } from "./on-stream-muxer.ts";
import { canSelectOptimistically, selectOptimistically } from "./optimistic-select-stream.ts";

/** What `Connection.newStream` passes on to the muxer: its own options, `negotiateFully` among them. */
type NewStreamMuxerOptions = CreateStreamOptions & { negotiateFully?: boolean };

/**
 * Wraps a stream muxer factory (e.g. `yamux()`) so that `newStream(protocol,
 * { negotiateFully: false })` selects the protocol optimistically, as
 * libp2p's `NewStreamOptions` documents but libp2p 3 does not do: the
 * multistream-select proposal leaves at once, data written to the stream
 * follows it without waiting for the remote's answer, and the answer is
 * checked as it arrives (see `optimisticSelectionOf`). A remote that does not
 * serve the protocol resets the stream instead of failing `newStream`.
 * Streams opened without `negotiateFully: false`, or for several protocols,
 * negotiate in full as before; the remote side needs nothing new. A stream
 * without the internals this relies on (see `optimistic-select-stream.ts`)
 * negotiates in full too, and the node logs that once (`p2prpc:wrappers`).
 *
 * It saves the round trip of negotiation on every new stream, which is most
 * of a first call's cost after the connection exists. `createRpcNode`
 * applies it; p2prpc's client asks for it for unary calls, and runs a call
 * whose stream was refused again on a fully negotiated stream.
 *
 * @example
 * ```ts
 * import { yamux } from "@libp2p/yamux";
 * import { createLibp2p } from "libp2p";
 * import { optimisticSelect } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p({
 *   streamMuxers: [optimisticSelect(yamux())],
 *   // transports, connectionEncrypters, services …
 * });
 * ```
 */
export function optimisticSelect<C>(
  factory: (components: C) => StreamMuxerFactory,
): (components: C) => StreamMuxerFactory {
  return (components) => {
    const report = fallbackReporter("optimisticSelect", loggerOf(components));
    return withOptimisticSelect(factory(components), report);
  };
}

/**
 * Makes the muxers `factory` builds select optimistically when asked to;
 * returns `factory`. A stream of another shape is left to libp2p's full
 * negotiation, and `report` is told.
 */
export function withOptimisticSelect(
  factory: StreamMuxerFactory,
  report: ReportFallback,
): StreamMuxerFactory {
  return onStreamMuxer(factory, (muxer) => {
    const createStream = muxer.createStream.bind(muxer);
    muxer.createStream = async (options?: NewStreamMuxerOptions): Promise<Stream> => {
      const stream = await createStream(options);
      const protocol = options?.protocol;
      if (options?.negotiateFully === false && protocol !== undefined && protocol !== "") {
        if (canSelectOptimistically(stream)) {
          selectOptimistically(stream, protocol);
        } else {
          report("the muxer's stream has no `onData` method, `send` and `protocol`");
        }
      }
      return stream;
    };
  });
}
