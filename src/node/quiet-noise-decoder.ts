// Relies on: @libp2p/noise ~17.0.3, whose encrypted stream
// (`EncryptedMessageStream`, private in its typings) keeps a `decoder`
// field, a `LengthPrefixedDecoder` of @libp2p/utils ~7.4.1 whose own
// `lengthDecoder` field is Noise's `uint16BEDecode` (a function with
// `bytes === 2`: a 2-byte big-endian length) and is called with the buffered
// bytes before every message, throwing a `RangeError` below 2 bytes, which
// the decoder catches as "wait for more". Checked on every secured
// connection: without that shape it is used as it is (the exception per
// chunk stays) and the node logs it once. Delete when @libp2p/utils' decoder
// checks the buffered length before decoding, or Noise's length decoder
// stops throwing: the canary in test/node/quiet-noise-decoder.test.ts fails
// then.
import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
import { fallbackReporter, loggerOf, type ReportFallback } from "./fallback-reporter.ts";
import { onSecuredConnection } from "./wrap-encrypter.ts";

/** What `@libp2p/noise`'s encrypted stream exposes and this module relies on. */
interface NoiseMessageStream {
  decoder?: { lengthDecoder?: unknown };
}

type LengthDecoder = ((data: { byteLength: number }) => number) & { bytes?: number };

/**
 * Wraps Noise (`noise()`) so its streams stop throwing an exception for
 * every chunk they receive.
 *
 * `@libp2p/noise` reads its 2-byte length prefixes with `@libp2p/utils`'s
 * `LengthPrefixedDecoder`, which asks for the next length after every chunk
 * and learns that fewer than 2 bytes are left from a thrown `RangeError`. In
 * the usual case the chunk ended on a message boundary, so every received
 * chunk builds and throws an Error with its stack trace: ~25 µs per chunk
 * here, about a tenth of a small call's round trip. The replacement reports
 * a zero length when fewer than 2 bytes are buffered. The decoder then waits
 * for more bytes, exactly as after the exception.
 *
 * Streams of another shape are left untouched, and the node logs that once
 * (`p2prpc:wrappers`). `createRpcNode` applies it.
 *
 * @example
 * ```ts
 * import { noise } from "@libp2p/noise";
 *
 * const encrypter = quietNoiseDecoder(noise());
 * ```
 */
export function quietNoiseDecoder<C>(
  factory: (components: C) => ConnectionEncrypter,
): (components: C) => ConnectionEncrypter {
  return onSecuredConnection(factory, (components) => {
    const report = fallbackReporter("quietNoiseDecoder", loggerOf(components));
    return (connection) => quietLengthDecoder(connection, report);
  });
}

function quietLengthDecoder(connection: MessageStream, report: ReportFallback): void {
  const decoder = (connection as unknown as NoiseMessageStream).decoder;
  const original = decoder?.lengthDecoder as LengthDecoder | undefined;
  // Noise's decoder reads a 2-byte big-endian length (`uint16BEDecode.bytes`).
  if (decoder === undefined || typeof original !== "function" || original.bytes !== 2) {
    report("the secured connection has no `decoder.lengthDecoder` reading a 2-byte length");
    return;
  }
  decoder.lengthDecoder = (data: { byteLength: number }): number =>
    data.byteLength < 2 ? 0 : original(data);
}
