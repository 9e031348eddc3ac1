// Relies on: @chainsafe/libp2p-quic ~2.1.1, private in its typings: the
// muxer factory its connections hand to libp2p's upgrader
// (`QuicStreamMuxerFactory`, see on-transport-muxers.ts) keeps its
// constructor argument as `init`, whose `connection` is the native QUIC
// connection with `inboundStream()` and `outboundStream()`; a native stream
// has `id()` (the libp2p stream's `id`) and `read(max)`, which the libp2p
// stream's read loop calls with 4,096 bytes whatever its read status, and
// which resolves with what the stream has, up to `max` bytes, in a buffer of
// that length;
// `QuicStream.sendPause()` and `sendResume()` do nothing. Checked per
// connection and stream: without `init.connection`, or for a stream whose
// id matches no native stream, QUIC is used as it is (a paused stream reads
// on until libp2p resets it past `maxReadBufferLength`) and the node logs it
// once. Delete once the QUIC stream pauses its reads itself: the canary in
// test/node/quic-read-backpressure.test.ts fails then.
import type { Stream, StreamMuxerFactory, Transport } from "@libp2p/interface";
import { fallbackReporter, type ReportFallback } from "./fallback-reporter.ts";
import { onStreamMuxer } from "./on-stream-muxer.ts";
import { onTransportMuxers } from "./on-transport-muxers.ts";

/** The native QUIC stream's reading side, as `@chainsafe/libp2p-quic`'s `QuicStream` uses it. */
interface NativeStream {
  id(): unknown;
  read(max: number): Promise<unknown>;
}

/** The native QUIC connection, as the muxer uses it. */
interface NativeConnection {
  inboundStream(): Promise<NativeStream>;
  outboundStream(): Promise<NativeStream>;
}

/** `QuicStreamMuxerFactory`'s constructor argument, kept on the factory as `init`. */
interface QuicMuxerFactoryInit {
  connection: NativeConnection;
}

/**
 * Bytes a native read may bring at most, where `@chainsafe/libp2p-quic` asks
 * for 4,096. Each read is an async call into the native binding and a
 * promise, so 4 KiB reads capped a 64 KiB bulk transfer at 60 MB/s, the
 * receiver's CPU saturated (bench/README.md, "QUIC bulk"). A read returns
 * what has arrived, in a buffer of its length, so small messages cost the
 * same as before.
 */
export const NATIVE_READ_BYTES = 64 * 1024;

/** Holds a stream's native reads while its libp2p stream is paused. */
class ReadGate {
  #open: PromiseWithResolvers<void> | undefined;

  get closed(): Promise<void> | undefined {
    return this.#open?.promise;
  }

  pause(): void {
    this.#open ??= Promise.withResolvers();
  }

  resume(): void {
    this.#open?.resolve();
    this.#open = undefined;
  }
}

/** The shape this wrapper relies on: it is checked, and anything else is left alone. */
function quicInitOf(factory: StreamMuxerFactory): QuicMuxerFactoryInit | undefined {
  const init = (factory as { init?: Partial<QuicMuxerFactoryInit> }).init;
  const connection = init?.connection;
  return typeof connection?.inboundStream === "function" &&
    typeof connection.outboundStream === "function"
    ? (init as QuicMuxerFactoryInit)
    : undefined;
}

/**
 * Makes a paused QUIC stream stop reading, so QUIC's own flow control pushes
 * back on the sender, as a paused Yamux stream does.
 *
 * Relies on `@chainsafe/libp2p-quic` ~2.1: `QuicStream.sendPause()` and
 * `sendResume()` do nothing, and its read loop (`readFromStream`) keeps
 * calling the native stream's `read(4096)` whatever the stream's read status,
 * so a reader that pauses its stream gets every byte the peer sends buffered
 * in JS, until libp2p resets the stream past `maxReadBufferLength`
 * (`StreamBufferError`). A peer streaming faster than the reader consumes
 * then saw its call fail with `Unavailable`; with this wrapper the peer's
 * writes wait, as over TCP. It rebuilds the muxer factory the transport hands
 * to libp2p's upgrader around a view of the native connection whose streams'
 * `read()` waits while the libp2p stream is paused: one read already under
 * way (64 KiB at most) still arrives. Each native read also asks for up to
 * 64 KiB instead of 4 KiB (`NATIVE_READ_BYTES`), which more than doubled
 * QUIC's bulk throughput (bench/README.md, "QUIC bulk"). When the factory is not of that shape,
 * the transport is used as it is, and the node logs that once
 * (`p2prpc:wrappers`). Delete it once the QUIC stream pauses its reads
 * itself.
 *
 * @example
 * ```ts
 * import { quic } from "@chainsafe/libp2p-quic";
 * import { createLibp2p } from "libp2p";
 * import { quicReadBackpressure } from "p2prpc/libp2p";
 *
 * const node = await createLibp2p({ transports: [quicReadBackpressure(quic())] });
 * ```
 */
export function quicReadBackpressure<C>(
  factory: (components: C) => Transport,
): (components: C) => Transport {
  return onTransportMuxers(
    factory,
    "quicReadBackpressure",
    (report) => (muxerFactory) => withQuicReadBackpressure(muxerFactory, report),
  );
}

/**
 * Returns a muxer factory like `factory` whose streams stop reading while
 * paused; `factory` itself when it is not of the shape this relies on, and
 * then `report` is told.
 */
export function withQuicReadBackpressure(
  factory: StreamMuxerFactory,
  report: ReportFallback = fallbackReporter("quicReadBackpressure"),
): StreamMuxerFactory {
  const init = quicInitOf(factory);
  if (init === undefined) {
    report("the muxer factory has no `init.connection` with `inboundStream` and `outboundStream`");
    return factory;
  }
  const gates = new Map<unknown, ReadGate>();
  const native = init.connection;
  const gated = (stream: NativeStream): NativeStream => {
    if (typeof stream?.id !== "function" || typeof stream.read !== "function") {
      report("a native stream without `id()` and `read(max)`");
      return stream;
    }
    const gate = new ReadGate();
    const id = stream.id();
    gates.set(id, gate);
    const read = stream.read.bind(stream);
    return new Proxy(stream, {
      get(target, key) {
        if (key === "read") {
          return async (max: number) => {
            for (let closed = gate.closed; closed !== undefined; closed = gate.closed) {
              await closed;
            }
            return read(Math.max(max, NATIVE_READ_BYTES));
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  const connection: NativeConnection = new Proxy(native, {
    get(target, key) {
      if (key === "inboundStream" || key === "outboundStream") {
        return async () => gated(await target[key]());
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const Factory = factory.constructor as new (init: QuicMuxerFactoryInit) => StreamMuxerFactory;
  const rebuilt = new Factory({ ...init, connection });
  const attach = (stream: Stream): void => {
    const gate = gates.get(stream.id);
    if (gate === undefined) {
      report("a stream whose `id` matches no native stream's `id()`");
      return;
    }
    gates.delete(stream.id);
    const hooks = stream as unknown as { sendPause(): void; sendResume(): void };
    hooks.sendPause = () => gate.pause();
    hooks.sendResume = () => gate.resume();
    // A closed stream reads on to its end, so the read loop finishes.
    stream.addEventListener("close", () => gate.resume(), { once: true });
  };
  return onStreamMuxer(rebuilt, (muxer) => {
    muxer.addEventListener("stream", (event) => attach(event.detail));
    const createStream = muxer.createStream.bind(muxer);
    muxer.createStream = async (options) => {
      const stream = await createStream(options);
      attach(stream);
      return stream;
    };
  });
}
