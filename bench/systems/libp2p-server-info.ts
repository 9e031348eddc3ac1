import type { Libp2p } from "@libp2p/interface";
import type { ServerInfo } from "../ipc-messages.ts";

/** What a libp2p system's client needs: the server node's first listen address. */
export function libp2pServerInfo(node: Libp2p, name: string): ServerInfo {
  const address = node.getMultiaddrs()[0];
  if (address === undefined) {
    throw new Error(`the ${name} server has no listen address`);
  }
  return { address: address.toString() };
}
