// Relies on: @libp2p/noise ~17.0.3: its `crypto` option (`ICryptoInterface`)
// and `defaultCrypto` (`@libp2p/noise/crypto`), whose node:crypto path hands
// the raw key to `createCipheriv` for every message of 1,200 bytes or more
// and whose WebAssembly cipher takes the smaller ones; Noise calls
// `chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)` and
// `chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst?)` for every
// transport message with a 12-byte nonce and the session's 32-byte key, the
// same `Uint8Array` for every message of a session and direction (the cache
// is keyed on it), and a ciphertext that ends in a 16-byte tag. Checked on
// every message: a key or nonce of another type or size goes to
// `defaultCrypto` as it is, and the node logs it once. Delete when Noise's
// node:crypto path reuses a key object itself: the canary in
// test/node/cached-key-crypto.test.ts fails then.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import type { ICryptoInterface } from "@libp2p/noise";
import { defaultCrypto } from "@libp2p/noise/crypto";
import { Uint8ArrayList } from "uint8arraylist";
import type { ByReferenceTracker } from "../wire/by-reference-tracker.ts";
import { fallbackReporter, type ReportFallback } from "./fallback-reporter.ts";

const CHACHA20_POLY1305 = "chacha20-poly1305";
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
/**
 * From this size up node:crypto with a reused key is faster than the
 * WebAssembly ChaCha20-Poly1305 that Noise uses for small messages (measured
 * on Node 24: 6.7 vs 6.8 µs at 600 bytes, 8.8 vs 11.7 µs at 1,200).
 */
const NODE_CIPHER_MIN_BYTES = 600;

interface CachedKey {
  /** A copy of the raw key, to notice a key changed in place. */
  readonly raw: Uint8Array;
  readonly key: KeyObject;
}

const keys = new WeakMap<Uint8Array, CachedKey>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    return false;
  }
  for (let index = 0; index < a.byteLength; index++) {
    if (a[index] !== b[index]) {
      return false;
    }
  }
  return true;
}

/** The KeyObject for a Noise cipher state's key, made once per key. */
function secretKey(k: Uint8Array): KeyObject {
  const cached = keys.get(k);
  if (cached !== undefined && sameBytes(cached.raw, k)) {
    return cached.key;
  }
  const key = createSecretKey(k);
  // new Uint8Array(k) copies; a Buffer's slice() would not.
  keys.set(k, { raw: new Uint8Array(k), key });
  return key;
}

/** Whether Noise handed over a key and nonce of the shape this module relies on. */
function isSessionKey(nonce: unknown, k: unknown): k is Uint8Array {
  return (
    k instanceof Uint8Array &&
    k.byteLength === KEY_BYTES &&
    nonce instanceof Uint8Array &&
    nonce.byteLength === NONCE_BYTES
  );
}

const WRONG_SHAPE = "Noise passed a key or nonce that is not a 32-byte and a 12-byte Uint8Array";

/** No tracker: nothing is sent by reference, nothing to tell. */
const NO_TRACKER = (): undefined => undefined;

/**
 * `cachedKeyCrypto` whose fallbacks (a key or nonce of another shape, handed
 * to Noise's default crypto as it is) go to `report`, and which tells
 * `tracker()` of everything it has encrypted (see `ByReferenceTracker`).
 */
export function createCachedKeyCrypto(
  report: ReportFallback,
  tracker: () => ByReferenceTracker | undefined = NO_TRACKER,
): ICryptoInterface {
  /** Tells that each chunk of `data` has been read by the cipher. */
  const noteRead = (data: Uint8Array | Uint8ArrayList): void => {
    tracker()?.noteRead(data);
  };
  return {
    ...defaultCrypto,
    chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
      if (!isSessionKey(nonce, k)) {
        report(WRONG_SHAPE);
        const sealed = defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
        noteRead(plaintext);
        return sealed;
      }
      if (plaintext.byteLength < NODE_CIPHER_MIN_BYTES) {
        const sealed = defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
        noteRead(plaintext);
        return sealed;
      }
      const cipher = createCipheriv(CHACHA20_POLY1305, secretKey(k), nonce, {
        authTagLength: TAG_BYTES,
      });
      cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
      const output = new Uint8ArrayList();
      const reads = tracker();
      for (const chunk of plaintext instanceof Uint8Array ? [plaintext] : plaintext) {
        output.append(cipher.update(chunk));
        reads?.noteRead(chunk);
      }
      // ChaCha20 is a stream cipher: final() returns nothing but must run.
      cipher.final();
      output.append(cipher.getAuthTag());
      return output;
    },
    chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
      if (!isSessionKey(nonce, k)) {
        report(WRONG_SHAPE);
        return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst);
      }
      if (ciphertext.byteLength < NODE_CIPHER_MIN_BYTES + TAG_BYTES) {
        return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst);
      }
      const textBytes = ciphertext.byteLength - TAG_BYTES;
      const decipher = createDecipheriv(CHACHA20_POLY1305, secretKey(k), nonce, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(ad, { plaintextLength: textBytes });
      decipher.setAuthTag(ciphertext.subarray(textBytes));
      if (ciphertext instanceof Uint8Array) {
        const output = decipher.update(ciphertext.subarray(0, textBytes));
        // Throws when the tag does not match.
        decipher.final();
        return output;
      }
      const output = new Uint8ArrayList();
      for (const chunk of ciphertext.sublist(0, textBytes)) {
        output.append(decipher.update(chunk));
      }
      decipher.final();
      return output;
    },
  };
}

/**
 * The crypto of `@libp2p/noise`, with ChaCha20-Poly1305 on node:crypto
 * through one `KeyObject` per session key.
 *
 * Noise's own node:crypto path passes the raw key to `createCipheriv` for
 * every message. On Node 24 that builds a key object each time and costs
 * 20–45 µs per message, more than encrypting 64 KiB (Node 20 does not pay
 * it). Reusing the key object removes that cost, so node:crypto also beats
 * the WebAssembly cipher from 600 bytes up instead of 1,200. Everything
 * else (hashing, key agreement, small messages) is Noise's default crypto.
 * This shared instance reports to no node's `ByReferenceTracker`, so a
 * server on it copies large values; the Noise of `withFastPath` does report, which
 * lets p2prpc send a large value by reference and hold its sender until
 * the value has been read (`FrameWriter.writeLarge`).
 * A key or nonce of another shape goes to Noise's default crypto as it is,
 * and that is logged once (`p2prpc:wrappers`, libp2p's default logger;
 * `withFastPath` swaps the same cipher into a built Noise and logs to the
 * node's logger instead, which is how `createRpcNode` uses it). Pass it to
 * `noise()` when building a node yourself, or let `withFastPath` do it.
 *
 * @example
 * ```ts
 * import { noise } from "@libp2p/noise";
 * import { cachedKeyCrypto, corkTcpWrites } from "p2prpc/libp2p";
 *
 * const encrypter = corkTcpWrites(noise({ crypto: cachedKeyCrypto }));
 * ```
 */
export const cachedKeyCrypto: ICryptoInterface = createCachedKeyCrypto(
  fallbackReporter("cachedKeyCrypto"),
);
