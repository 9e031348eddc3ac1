import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { defaultCrypto } from "@libp2p/noise/crypto";
import { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import { cachedKeyCrypto } from "../../src/node/cached-key-crypto.ts";

const nonce = new Uint8Array(12).fill(3);
const ad = new Uint8Array([1, 2, 3]);

function flat(data: Uint8Array | Uint8ArrayList): Uint8Array {
  return Uint8Array.from(data instanceof Uint8Array ? data : data.subarray());
}

/** A list of the same bytes in uneven pieces. */
function pieces(data: Uint8Array): Uint8ArrayList {
  const list = new Uint8ArrayList();
  for (let start = 0; start < data.byteLength; start += 777) {
    list.append(data.subarray(start, start + 777));
  }
  return list;
}

// Sizes on both sides of the switch between Noise's WebAssembly cipher and node:crypto.
const SIZES = [0, 1, 599, 600, 601, 1199, 1200, 4096, 65_519];

describe("cachedKeyCrypto", () => {
  it("encrypts exactly as Noise's default crypto, from a Uint8Array or a list", () => {
    const k = randomBytes(32);
    for (const size of SIZES) {
      const plaintext = randomBytes(size);
      const expected = flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k));
      assert.deepEqual(
        flat(cachedKeyCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)),
        expected,
        `${size} bytes`,
      );
      assert.deepEqual(
        flat(cachedKeyCrypto.chaCha20Poly1305Encrypt(pieces(plaintext), nonce, ad, k)),
        expected,
        `${size} bytes in pieces`,
      );
    }
  });

  it("decrypts what Noise's default crypto encrypted, from a Uint8Array or a list", () => {
    const k = randomBytes(32);
    for (const size of SIZES) {
      const plaintext = randomBytes(size);
      const sealed = flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k));
      assert.deepEqual(
        flat(cachedKeyCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, k)),
        Uint8Array.from(plaintext),
        `${size} bytes`,
      );
      assert.deepEqual(
        flat(cachedKeyCrypto.chaCha20Poly1305Decrypt(pieces(sealed), nonce, ad, k)),
        Uint8Array.from(plaintext),
        `${size} bytes in pieces`,
      );
    }
  });

  it("rejects a tampered message", () => {
    const k = randomBytes(32);
    const sealed = flat(cachedKeyCrypto.chaCha20Poly1305Encrypt(randomBytes(4096), nonce, ad, k));
    sealed[100] = (sealed[100] ?? 0) ^ 1;
    assert.throws(() => cachedKeyCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, k));
    assert.throws(() => cachedKeyCrypto.chaCha20Poly1305Decrypt(pieces(sealed), nonce, ad, k));
  });

  it("notices a key changed in place and uses the new one", () => {
    const k = randomBytes(32);
    const plaintext = randomBytes(4096);
    cachedKeyCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k);
    k.set(randomBytes(32));
    const sealed = flat(cachedKeyCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k));
    assert.deepEqual(sealed, flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)));
  });
});
