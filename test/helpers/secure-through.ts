import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";

type Wrap = (factory: () => ConnectionEncrypter) => (components: object) => ConnectionEncrypter;

/**
 * One encrypter made by an encrypter wrapper around an inner encrypter that
 * hands each connection back as it is, built with `components` (as libp2p
 * builds one per node): the returned function runs a connection through it
 * and resolves with what the wrapper returns as the secured connection.
 */
export function encrypterThrough(
  wrap: Wrap,
  components: object = {},
): (connection: object) => Promise<MessageStream> {
  let current: object = {};
  const encrypter = wrap(() => ({
    protocol: "/inner",
    secureInbound: async () => ({ connection: current }) as never,
    secureOutbound: async () => ({ connection: current }) as never,
  }))(components);
  return async (connection) => {
    current = connection;
    return (await encrypter.secureOutbound({} as MessageStream)).connection;
  };
}

/**
 * Runs `connection` through an encrypter wrapper as if an inner encrypter had
 * just secured it (the inner one hands it back as it is); resolves with what
 * the wrapper returns as the secured connection.
 */
export async function secureThrough(wrap: Wrap, connection: object): Promise<MessageStream> {
  return encrypterThrough(wrap)(connection);
}
