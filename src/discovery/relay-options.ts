import {
  type CircuitRelayServerInit,
  circuitRelayServer,
  circuitRelayTransport,
} from "@libp2p/circuit-relay-v2";
import { dcutr } from "@libp2p/dcutr";
import type { ServiceMap } from "@libp2p/interface";
import type { Libp2pOptions, ServiceFactoryMap } from "libp2p";

/**
 * Reach through NATs in {@link createRpcNode}: circuit relay v2
 * (`@libp2p/circuit-relay-v2`) to listen and dial through a relay, and DCUtR
 * (`@libp2p/dcutr`) to replace a relayed connection with a direct one by hole
 * punching. See docs/DISCOVERY.md for what runs on a relayed connection.
 */
export interface RpcNodeRelayOptions {
  /**
   * Multiaddrs of relays, each ending in `/p2p/<relay's peer id>`: the node
   * reserves a slot on each and listens through it
   * (`<relay>/p2p-circuit/p2p/<this node>`), which is how a node behind NAT
   * becomes reachable.
   * @default []
   */
  relays?: string[];
  /**
   * Runs a circuit relay v2 server for other nodes (a node with a public
   * address). `true` uses libp2p's defaults (relayed connections limited to
   * 2 minutes and 128 KiB each way), or pass the server's options.
   * @default false
   */
  server?: boolean | CircuitRelayServerInit;
  /**
   * Runs DCUtR: after a relayed connection opens, the two nodes try to
   * connect directly (hole punching, with the public addresses identify
   * told them), and calls move to the direct connection when it opens.
   * @default true
   */
  holePunching?: boolean;
}

/** The relay part of a node: its transport, services and listen addresses. @internal */
export interface RelayParts {
  readonly transport: NonNullable<Libp2pOptions["transports"]>[number];
  readonly services: ServiceFactoryMap<ServiceMap>;
  readonly listen: string[];
}

/** Resolves `options` into what a node gets. @internal */
export function relayParts(options: RpcNodeRelayOptions): RelayParts {
  const server = options.server ?? false;
  return {
    transport: circuitRelayTransport(),
    services: {
      ...(options.holePunching === false ? {} : { dcutr: dcutr() }),
      ...(server === false ? {} : { relay: circuitRelayServer(server === true ? {} : server) }),
    } as unknown as ServiceFactoryMap<ServiceMap>,
    listen: (options.relays ?? []).map((relay) => `${relay}/p2p-circuit`),
  };
}
