import { createRpcNode } from "../src/index.ts";
import type { ClientContext } from "./client-cases.ts";
import { conformanceClient, ScriptedServer } from "./scripted-server.ts";

/** A scripted server and a client node, connected, for the client rows. */
export interface ClientHarness {
  /** A fresh context for one row: the last row's scripts are forgotten. */
  context(signal: AbortSignal): ClientContext;
  stop(): Promise<void>;
}

/**
 * Starts the two nodes of the client rows: a scripted raw server listening
 * on `listen` and a p2prpc client node (listening too when `clientListen`
 * is given, as the memory transport needs).
 */
export async function startClientHarness(
  listen: string[],
  clientListen: string[] = [],
): Promise<ClientHarness> {
  const serverNode = await createRpcNode({ listen });
  const clientNode = await createRpcNode({ listen: clientListen });
  await clientNode.dial(serverNode.getMultiaddrs());
  const server = new ScriptedServer(serverNode);
  const resetMayLookClean = listen.some((address) => address.includes("/quic"));
  return {
    context(signal) {
      server.reset();
      return {
        signal,
        server,
        resetMayLookClean,
        client: (options) =>
          conformanceClient(clientNode, serverNode, { maxIdleStreams: 64, ...options }),
        async roundTrip() {
          await serverNode.services.ping.ping(clientNode.peerId, { signal });
        },
      };
    },
    async stop() {
      await Promise.all([clientNode.stop(), serverNode.stop()]);
    },
  };
}
