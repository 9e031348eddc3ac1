import type { ConnectionEncrypter, MessageStream } from "@libp2p/interface";

/**
 * Runs `connection` through an encrypter wrapper as if an inner encrypter had
 * just secured it (the inner one hands it back as it is); resolves with what
 * the wrapper returns as the secured connection.
 */
export async function secureThrough(
  wrap: (factory: () => ConnectionEncrypter) => (components: object) => ConnectionEncrypter,
  connection: object,
): Promise<MessageStream> {
  const encrypter = wrap(() => ({
    protocol: "/inner",
    secureInbound: async () => ({ connection }) as never,
    secureOutbound: async () => ({ connection }) as never,
  }))({});
  return (await encrypter.secureOutbound({} as MessageStream)).connection;
}
