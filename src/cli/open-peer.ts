import type { Transport } from "@connectrpc/connect";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Ping } from "@libp2p/ping";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2pTransport } from "../client/create-libp2p-transport.ts";
import { createRpcNode } from "../node/create-rpc-node.ts";
import { UsageError } from "./exit-codes.ts";

/** Options every command that calls a peer takes. */
export interface PeerOptions {
  /** The key file of the calling node; a new key each run when absent. */
  key?: string;
}

/** A running client node and a transport to one peer. */
export interface OpenPeer {
  readonly node: Libp2p<{ ping: Ping }>;
  readonly target: Multiaddr | PeerId;
  readonly transport: Transport;
  close(): Promise<void>;
}

/** PEER as given: a multiaddr (`/ip4/…/p2p/12D3KooW…`) or a PeerId (`12D3KooW…`). */
export function parsePeer(peer: string): Multiaddr | PeerId {
  try {
    return peer.startsWith("/") ? multiaddr(peer) : peerIdFromString(peer);
  } catch (error) {
    throw new UsageError(`PEER must be a multiaddr or a PeerId: ${peer} (${String(error)})`);
  }
}

/** Starts a node that only dials, and a transport to `peer`. */
export async function openPeer(peer: string, options: PeerOptions): Promise<OpenPeer> {
  const target = parsePeer(peer);
  const node = await createRpcNode({
    listen: [],
    ...(options.key === undefined ? {} : { privateKeyFile: options.key }),
  });
  return {
    node,
    target,
    transport: createLibp2pTransport({ libp2p: node, peer: target }),
    close: async () => {
      await node.stop();
    },
  };
}
