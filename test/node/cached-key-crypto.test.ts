import assert from "node:assert/strict";
import { createSecretKey, randomBytes } from "node:crypto";
import type { ICryptoInterface } from "@libp2p/noise";
import { defaultCrypto } from "@libp2p/noise/crypto";
import { Uint8ArrayList } from "uint8arraylist";
import { describe, it } from "vitest";
import { cachedKeyCrypto, createCachedKeyCrypto } from "../../src/node/cached-key-crypto.ts";
import { fallbackReporter } from "../../src/node/fallback-reporter.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { noisePair } from "../helpers/noise-pair.ts";
import { receiveBytes } from "../helpers/receive-bytes.ts";

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

  it("hands a key or nonce of another shape to Noise's default crypto, and logs that once", () => {
    const log = captureWrapperLog();
    const crypto = createCachedKeyCrypto(fallbackReporter("cachedKeyCrypto", log.logger));
    // A later Noise that passed its key as a KeyObject, say: Noise's own
    // node:crypto path (from 1,200 bytes) takes it as it is.
    const raw = randomBytes(32);
    const key = createSecretKey(raw) as unknown as Uint8Array;
    const plaintext = randomBytes(4096);
    const sealed = flat(crypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key));
    assert.deepEqual(
      sealed,
      flat(defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, raw)),
    );
    assert.deepEqual(
      flat(crypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, key)),
      Uint8Array.from(plaintext),
    );
    // An 8-byte nonce fails exactly as it fails in Noise's default crypto.
    const short = new Uint8Array(8);
    const expected = captureError(() =>
      defaultCrypto.chaCha20Poly1305Encrypt(plaintext, short, ad, raw),
    );
    assert.deepEqual(
      captureError(() => crypto.chaCha20Poly1305Encrypt(plaintext, short, ad, raw)),
      expected,
    );
    assert.equal(log.linesOf("cachedKeyCrypto").length, 1);
  });
});

/** The class and message of what `run` throws (`undefined` when it does not throw). */
function captureError(run: () => unknown): { name: string; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

describe("cachedKeyCrypto canary: unpatched @libp2p/noise", () => {
  it("passes Noise's key as it is to node:crypto from 1,200 bytes, to WebAssembly below", () => {
    // When this fails, Noise's default crypto moved its switch or stopped
    // handing the raw key to createCipheriv per message (it may cache a key
    // object itself): revisit cachedKeyCrypto and NODE_CIPHER_MIN_BYTES.
    const key = createSecretKey(randomBytes(32)) as unknown as Uint8Array;
    assert.doesNotThrow(() =>
      defaultCrypto.chaCha20Poly1305Encrypt(randomBytes(1200), nonce, ad, key),
    );
    assert.throws(() => defaultCrypto.chaCha20Poly1305Encrypt(randomBytes(1199), nonce, ad, key));
  });

  it("hands its crypto the session's 32-byte key, the same object for every message, and a 12-byte nonce", async () => {
    const calls: { k: Uint8Array; nonce: Uint8Array }[] = [];
    const recording: ICryptoInterface = {
      ...cachedKeyCrypto,
      chaCha20Poly1305Encrypt(plaintext, n, a, k) {
        calls.push({ k, nonce: n });
        return cachedKeyCrypto.chaCha20Poly1305Encrypt(plaintext, n, a, k);
      },
    };
    const { sender, receiver } = await noisePair((factory) => factory, recording);
    calls.length = 0;
    for (const size of [10, 5000]) {
      const arrived = receiveBytes(receiver, size);
      sender.send(new Uint8Array(size));
      await arrived;
    }
    assert.ok(calls.length >= 2);
    for (const call of calls) {
      assert.ok(call.k instanceof Uint8Array && call.k.byteLength === 32);
      assert.ok(call.nonce instanceof Uint8Array && call.nonce.byteLength === 12);
      assert.equal(call.k, calls[0]?.k, "one key object per session and direction");
    }
  });
});
