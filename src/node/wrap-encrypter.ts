import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";

type Secure = ConnectionEncrypter["secureInbound"];

/**
 * Wraps both directions of a connection encrypter factory (e.g. `noise()`)
 * with the same function, made once per encrypter from the factory's
 * components (a libp2p node builds one encrypter); the rest of the encrypter
 * is left as it is.
 */
export function wrapEncrypter<C>(
  factory: (components: C) => ConnectionEncrypter,
  wrap: (secure: Secure, components: C) => Secure,
): (components: C) => ConnectionEncrypter {
  return (components) => {
    const encrypter = factory(components);
    encrypter.secureInbound = wrap(encrypter.secureInbound.bind(encrypter), components);
    encrypter.secureOutbound = wrap(encrypter.secureOutbound.bind(encrypter), components);
    return encrypter;
  };
}

/**
 * Wraps a connection encrypter factory so that the function `onSecuredFor`
 * makes from its components (once per encrypter) sees every connection it
 * secures, both directions, before libp2p uses it.
 */
export function onSecuredConnection<C>(
  factory: (components: C) => ConnectionEncrypter,
  onSecuredFor: (components: C) => (connection: MessageStream) => void,
): (components: C) => ConnectionEncrypter {
  return (components) => {
    const onSecured = onSecuredFor(components);
    return wrapEncrypter(factory, (secure) => async (connection, options) => {
      const secured = await secure(connection, options);
      onSecured(secured.connection);
      return secured;
    })(components);
  };
}
