// Relies on: @libp2p/noise ~17.0.3, whose encrypted stream
// (`EncryptedMessageStream`, private in its typings) decrypts each received
// message through its own `decrypt(chunk)` method (replaced here on the
// instance), which splits it into Noise messages of at most 65,535 bytes
// (`NOISE_MSG_MAX_LENGTH_BYTES`, 16 of them the ChaCha20-Poly1305 tag) and
// opens each with `handshake.decrypt(ciphertext, dst?)`, counting
// `metrics.decryptedPackets` / `decryptErrors`. Checked on every secured
// connection: without `decrypt` and `handshake.decrypt` it is used as it is
// (Noise's copy stays) and the node logs it once. Delete when Noise stops
// making a destination for a message in parts: the canary in
// test/node/lean-noise-decrypt.test.ts fails then.
import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { fallbackReporter, loggerOf, type ReportFallback } from "./fallback-reporter.ts";
import { onSecuredConnection } from "./wrap-encrypter.ts";

/** Largest Noise message, ciphertext and tag (`NOISE_MSG_MAX_LENGTH_BYTES` in `@libp2p/noise`). */
const NOISE_MESSAGE_MAX_BYTES = 65535;
const TAG_BYTES = 16;

type Chunk = Uint8Array | Uint8ArrayList;

/** What `@libp2p/noise`'s encrypted stream exposes and this module relies on. */
interface NoiseMessageStream {
  decrypt?: (chunk: Chunk) => Chunk;
  handshake?: { decrypt: (ciphertext: Chunk, dst?: Uint8Array) => Chunk };
  metrics?: {
    decryptedPackets?: { increment(): void };
    decryptErrors?: { increment(): void };
  };
}

/**
 * Wraps Noise (`noise()`) so that a received message that arrived in several
 * socket reads is decrypted from its parts, without first being copied into
 * one buffer.
 *
 * `@libp2p/noise`'s `decrypt()` hands the cipher a destination buffer made
 * from the ciphertext's own bytes, so the WebAssembly cipher can decrypt in
 * place. For a message that spans several reads, which every large message
 * does, making that buffer copies the whole message, and node:crypto (used
 * from 600 bytes with `cachedKeyCrypto`) never writes to it. In a bulk
 * transfer of 64 KiB messages the copy was about 5% of the receiver's CPU.
 * Here a message in one piece is decrypted exactly as before (its
 * destination is a view, free); a message in parts goes to the cipher as a
 * list, with no destination, which every Noise crypto accepts.
 *
 * Streams of another shape are left untouched, and the node logs that once
 * (`p2prpc:wrappers`). `createRpcNode` applies it.
 *
 * @example
 * ```ts
 * import { noise } from "@libp2p/noise";
 *
 * const encrypter = leanNoiseDecrypt(noise());
 * ```
 */
export function leanNoiseDecrypt<C>(
  factory: (components: C) => ConnectionEncrypter,
): (components: C) => ConnectionEncrypter {
  return onSecuredConnection(factory, (components) => {
    const report = fallbackReporter("leanNoiseDecrypt", loggerOf(components));
    return (connection) => decryptPartsInPlace(connection, report);
  });
}

function decryptPartsInPlace(connection: MessageStream, report: ReportFallback): void {
  const stream = connection as unknown as NoiseMessageStream;
  const decrypt = stream.decrypt;
  const handshake = stream.handshake;
  if (typeof decrypt !== "function" || typeof handshake?.decrypt !== "function") {
    report("the secured connection has no `decrypt` method and `handshake.decrypt` beside it");
    return;
  }
  stream.decrypt = (chunk: Chunk): Chunk => {
    if (chunk instanceof Uint8Array) {
      return decrypt.call(stream, chunk);
    }
    const output = new Uint8ArrayList();
    for (let start = 0; start < chunk.byteLength; start += NOISE_MESSAGE_MAX_BYTES) {
      const end = Math.min(start + NOISE_MESSAGE_MAX_BYTES, chunk.byteLength);
      if (end - TAG_BYTES < start) {
        throw new Error("Invalid chunk");
      }
      try {
        output.append(handshake.decrypt(chunk.sublist(start, end)));
        stream.metrics?.decryptedPackets?.increment();
      } catch (error) {
        stream.metrics?.decryptErrors?.increment();
        throw error;
      }
    }
    return output;
  };
}
