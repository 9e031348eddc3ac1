import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";

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

/**
 * Wraps a connection encrypter factory so that `onSecured` sees every
 * connection it secures, both directions, before libp2p uses it.
 */
export function onSecuredConnection<C>(
  factory: (components: C) => ConnectionEncrypter,
  onSecured: (connection: MessageStream) => void,
): (components: C) => ConnectionEncrypter {
  return wrapEncrypter(factory, (secure) => async (connection, options) => {
    const secured = await secure(connection, options);
    onSecured(secured.connection);
    return secured;
  });
}
