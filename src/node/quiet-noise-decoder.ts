import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
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
 * Streams of another shape are left untouched. `createRpcNode` applies it.
 */
export function quietNoiseDecoder<C>(
  factory: (components: C) => ConnectionEncrypter,
): (components: C) => ConnectionEncrypter {
  return onSecuredConnection(factory, quietLengthDecoder);
}

function quietLengthDecoder(connection: MessageStream): void {
  const decoder = (connection as unknown as NoiseMessageStream).decoder;
  const original = decoder?.lengthDecoder as LengthDecoder | undefined;
  // Noise's decoder reads a 2-byte big-endian length (`uint16BEDecode.bytes`).
  if (decoder === undefined || typeof original !== "function" || original.bytes !== 2) {
    return;
  }
  decoder.lengthDecoder = (data: { byteLength: number }): number =>
    data.byteLength < 2 ? 0 : original(data);
}
