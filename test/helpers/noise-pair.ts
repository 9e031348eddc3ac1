import { generateKeyPair } from "@libp2p/crypto/keys";
import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";
import { defaultLogger } from "@libp2p/logger";
import { type ICryptoInterface, noise } from "@libp2p/noise";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { multiaddrConnectionPair } from "@libp2p/utils";
import { cachedKeyCrypto } from "../../src/libp2p.ts";

/** A Noise encrypter factory as libp2p takes it. */
export type EncrypterFactory = (components: never) => ConnectionEncrypter;

async function encrypter(
  wrap: (factory: EncrypterFactory) => EncrypterFactory,
  crypto: ICryptoInterface,
): Promise<ConnectionEncrypter> {
  const privateKey = await generateKeyPair("Ed25519");
  const factory = wrap(noise({ crypto }) as EncrypterFactory);
  return factory({
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey),
    logger: defaultLogger(),
    upgrader: { getStreamMuxers: () => new Map() },
  } as never);
}

/**
 * Two ends of an in-memory connection secured by real Noise (with `crypto`,
 * `cachedKeyCrypto` unless told otherwise), each encrypter first passed
 * through `wrap`.
 */
export async function noisePair(
  wrap: (factory: EncrypterFactory) => EncrypterFactory,
  crypto: ICryptoInterface = cachedKeyCrypto,
): Promise<{ sender: MessageStream; receiver: MessageStream }> {
  const [outbound, inbound] = multiaddrConnectionPair();
  const [a, b] = await Promise.all([encrypter(wrap, crypto), encrypter(wrap, crypto)]);
  const [out, inb] = await Promise.all([
    a.secureOutbound(outbound, { skipStreamMuxerNegotiation: true }),
    b.secureInbound(inbound, { skipStreamMuxerNegotiation: true }),
  ]);
  return { sender: out.connection, receiver: inb.connection };
}
