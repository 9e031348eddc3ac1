import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import type { ICryptoInterface } from "@libp2p/noise";
import { defaultCrypto } from "@libp2p/noise/crypto";
import { Uint8ArrayList } from "uint8arraylist";
import { noteReadByCipher } from "../wire/read-by-cipher.ts";

const CHACHA20_POLY1305 = "chacha20-poly1305";
const TAG_BYTES = 16;
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
 * It also reports each chunk it has encrypted (`noteReadByCipher`), which
 * lets p2prpc send a large value by reference and hold its sender until
 * the value has been read (`FrameWriter.writeLarge`).
 * `createRpcNode` uses it; pass it to `noise()` when building a node yourself.
 *
 * @example
 * ```ts
 * import { noise } from "@libp2p/noise";
 * import { cachedKeyCrypto, corkTcpWrites } from "p2prpc/libp2p";
 *
 * const encrypter = corkTcpWrites(noise({ crypto: cachedKeyCrypto }));
 * ```
 */
export const cachedKeyCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt(plaintext, nonce, ad, k) {
    if (plaintext.byteLength < NODE_CIPHER_MIN_BYTES) {
      const sealed = defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
      noteReadByCipher(plaintext);
      return sealed;
    }
    const cipher = createCipheriv(CHACHA20_POLY1305, secretKey(k), nonce, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength });
    const output = new Uint8ArrayList();
    for (const chunk of plaintext instanceof Uint8Array ? [plaintext] : plaintext) {
      output.append(cipher.update(chunk));
      noteReadByCipher(chunk);
    }
    // ChaCha20 is a stream cipher: final() returns nothing but must run.
    cipher.final();
    output.append(cipher.getAuthTag());
    return output;
  },
  chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst) {
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
