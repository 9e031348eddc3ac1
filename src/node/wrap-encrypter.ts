import type { ConnectionEncrypter } from "@libp2p/interface";

type Secure = ConnectionEncrypter["secureInbound"];

/**
 * Wraps both directions of a connection encrypter factory (e.g. `noise()`)
 * with the same function; the rest of the encrypter is left as it is.
 */
export function wrapEncrypter<C>(
  factory: (components: C) => ConnectionEncrypter,
  wrap: (secure: Secure) => Secure,
): (components: C) => ConnectionEncrypter {
  return (components) => {
    const encrypter = factory(components);
    encrypter.secureInbound = wrap(encrypter.secureInbound.bind(encrypter));
    encrypter.secureOutbound = wrap(encrypter.secureOutbound.bind(encrypter));
    return encrypter;
  };
}
