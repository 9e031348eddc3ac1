// Relies on: @libp2p/noise ~17.0.3, private in its typings: a `Noise`
// encrypter keeps the crypto every handshake and session uses as `crypto`,
// made by `wrapCrypto` (`encrypt` is the given crypto's
// `chaCha20Poly1305Encrypt`, `decrypt` its `chaCha20Poly1305Decrypt`), and
// hands that same object to each handshake, which looks the functions up for
// every message. Checked when the encrypter is built: one whose `crypto` is
// not Noise's default (a crypto of the user's own, or another shape) keeps
// it, and the node logs it once. Delete with cached-key-crypto.ts.
import type { ConnectionEncrypter } from "@libp2p/interface";
import { defaultCrypto } from "@libp2p/noise/crypto";
import type { ByReferenceTracker } from "../wire/by-reference-tracker.ts";
import { cachedKeyCrypto, createCachedKeyCrypto } from "./cached-key-crypto.ts";
import type { ReportFallback } from "./fallback-reporter.ts";

/** The part of a built `Noise` encrypter this module rewrites. */
interface NoiseCrypto {
  crypto?: { encrypt?: unknown; decrypt?: unknown };
}

/**
 * Gives a built Noise encrypter (`noise()(components)`) the cipher of
 * `cachedKeyCrypto`, whose fallbacks go to `report` and which reports what
 * it has encrypted to `tracker()` (the node's `ByReferenceTracker`, if any);
 * returns the encrypter.
 * A Noise built with `cachedKeyCrypto` already is left as it is; one with a
 * crypto of its own keeps it, and `report` is told.
 */
export function useCachedKeyCrypto<E extends ConnectionEncrypter>(
  encrypter: E,
  report: ReportFallback,
  tracker?: () => ByReferenceTracker | undefined,
): E {
  const crypto = (encrypter as NoiseCrypto).crypto;
  if (crypto?.encrypt === cachedKeyCrypto.chaCha20Poly1305Encrypt) {
    return encrypter;
  }
  if (
    crypto?.encrypt !== defaultCrypto.chaCha20Poly1305Encrypt ||
    crypto.decrypt !== defaultCrypto.chaCha20Poly1305Decrypt
  ) {
    report("Noise's `crypto` is not its default crypto (a `crypto` of its own, or another shape)");
    return encrypter;
  }
  const cached = createCachedKeyCrypto(report, tracker);
  crypto.encrypt = cached.chaCha20Poly1305Encrypt;
  crypto.decrypt = cached.chaCha20Poly1305Decrypt;
  return encrypter;
}
