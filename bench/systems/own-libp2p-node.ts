import { identify } from "@libp2p/identify";
import type { Libp2p, ServiceMap } from "@libp2p/interface";
import { noise } from "@libp2p/noise";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { createLibp2p, type Libp2pOptions, type ServiceFactoryMap } from "libp2p";
import { withFastPath } from "../../src/libp2p.ts";
import { MANY_PEERS_CONNECTION_MANAGER } from "./many-peers.ts";

/**
 * A node as a user who brings their own libp2p would build it: `createLibp2p`
 * with plain `tcp()`, `noise()`, `yamux()`, identify and ping, every setting
 * libp2p's default (the server's connection manager aside, as for every
 * libp2p system here, so workload g's peers are let in). `fast` passes the
 * same options through `withFastPath`, and nothing else changes.
 */
export async function ownLibp2pNode(
  fast: boolean,
  listen: string[],
  services: ServiceFactoryMap<ServiceMap> = {},
): Promise<Libp2p> {
  const options: Libp2pOptions = {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(listen.length === 0 ? {} : { connectionManager: MANY_PEERS_CONNECTION_MANAGER }),
    services: { identify: identify(), ping: ping(), ...services },
  };
  return createLibp2p(fast ? withFastPath(options) : options);
}
