import { autoNAT } from "@libp2p/autonat";
import { bootstrap } from "@libp2p/bootstrap";
import type { ServiceMap } from "@libp2p/interface";
import { type KadDHT, type KadDHTInit, kadDHT, passthroughMapper } from "@libp2p/kad-dht";
import type { Libp2pOptions, ServiceFactoryMap } from "libp2p";
import {
  DEFAULT_DHT_PROTOCOL,
  DEFAULT_PROVIDER_REPUBLISH_INTERVAL_MS,
  DEFAULT_PROVIDER_VALIDITY_MS,
} from "./constants.ts";
import { lookUpPeersWithoutAddresses } from "./look-up-peers-without-addresses.ts";

/**
 * DHT routing of {@link createRpcNode}: a Kademlia DHT (`@libp2p/kad-dht`)
 * that finds a peer's addresses from its PeerId (libp2p's `dial` asks it when
 * the peer store has none) and keeps the provider records that
 * `rpcServer({ advertise: true })` publishes.
 */
export interface RpcNodeDhtOptions {
  /**
   * Multiaddrs, each ending in `/p2p/<peer id>`, of nodes already in the DHT.
   * The node dials them once started (`@libp2p/bootstrap`) and learns the
   * rest of the network from them. A network's first node has none.
   * @default []
   */
  bootstrap?: string[];
  /**
   * `"server"` answers other nodes' DHT queries and stores their records;
   * `"client"` only asks. `"auto"` starts as a client and becomes a server
   * once AutoNAT confirmed a public address (the right choice on the
   * internet, where a node behind NAT must not be a DHT server). Nodes on
   * loopback, a LAN or in tests have no public address: give them `"server"`.
   * @default "auto"
   */
  mode?: "auto" | "server" | "client";
  /**
   * Which addresses of peers the DHT keeps and hands out: `"public"` drops
   * private and loopback ones (what a node on the internet wants), `"all"`
   * keeps every address (LAN, loopback, tests).
   * @default "public"
   */
  addresses?: "public" | "all";
  /**
   * The DHT's protocol id. p2prpc nodes form their own DHT, apart from IPFS's
   * (`/ipfs/kad/1.0.0`).
   * @default "/p2prpc/kad/1.0.0"
   */
  protocol?: string;
  /**
   * How long a provider record stays valid on the nodes that store it, in
   * milliseconds; past that they drop it, so a server that stopped is no
   * longer found. Every node of one DHT should use the same value.
   * @default 172800000 (48 h, kad-dht's)
   */
  providerValidityMs?: number;
  /**
   * How often the DHT checks its provider records, in milliseconds: it drops
   * expired ones it stores, and publishes again its own that expire within
   * `providerValidityMs / 2`.
   * @default 3600000 (1 h, kad-dht's)
   */
  providerRepublishIntervalMs?: number;
  /** Any other `@libp2p/kad-dht` option; wins over what the fields above set. */
  kadDHT?: KadDHTInit;
}

/** The services {@link createRpcNode} adds with `dht`. */
export type RpcNodeDhtServices = {
  /** The Kademlia DHT, behind libp2p's `peerRouting` and `contentRouting`. */
  dht: KadDHT;
};

/** The DHT part of a node: its services and its peer discovery. @internal */
export interface DhtParts<T extends ServiceMap> {
  readonly services: ServiceFactoryMap<T>;
  readonly peerDiscovery: NonNullable<Libp2pOptions["peerDiscovery"]>;
}

/** Resolves `options` into the services and peer discovery a node gets. @internal */
export function dhtParts(options: RpcNodeDhtOptions): DhtParts<ServiceMap> {
  const mode = options.mode ?? "auto";
  const validity = options.providerValidityMs ?? DEFAULT_PROVIDER_VALIDITY_MS;
  const init: KadDHTInit = {
    protocol: options.protocol ?? DEFAULT_DHT_PROTOCOL,
    ...(mode === "auto" ? {} : { clientMode: mode === "client" }),
    ...(options.addresses === "all" ? { peerInfoMapper: passthroughMapper } : {}),
    reprovide: {
      validity,
      threshold: validity / 2,
      interval: options.providerRepublishIntervalMs ?? DEFAULT_PROVIDER_REPUBLISH_INTERVAL_MS,
    },
    ...options.kadDHT,
  };
  const bootstrapList = options.bootstrap ?? [];
  return {
    // kad-dht needs the `ping` service, which every node of createRpcNode has.
    services: {
      dht: lookUpPeersWithoutAddresses(kadDHT(init)),
      ...(mode === "auto" ? { autoNAT: autoNAT() } : {}),
    } as unknown as ServiceFactoryMap<ServiceMap>,
    peerDiscovery:
      bootstrapList.length === 0 ? [] : [bootstrap({ list: bootstrapList, timeout: 0 })],
  };
}
