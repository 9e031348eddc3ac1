import assert from "node:assert/strict";
import type { Libp2p, PeerId, PrivateKey } from "@libp2p/interface";
import type { MemoryDatastore as Datastore } from "datastore-core";
import { decode } from "uint8-varint";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  createRpcNode,
  type RpcNodeDhtOptions,
  type RpcServerInit,
  rpcServer,
} from "../../src/index.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** Loopback nodes have no public address: they are DHT servers and keep every address. */
export const LAN_DHT: RpcNodeDhtOptions = { mode: "server", addresses: "all" };

/** The first listen address of `node`, with its `/p2p/` part. */
export function addressOf(node: Libp2p): string {
  return String(node.getMultiaddrs()[0]);
}

/** Resolves once `node`'s DHT routing table holds at least `size` peers. */
export async function routingTableOf(node: Libp2p, size: number): Promise<void> {
  const dht = (node.services as { dht?: { routingTable: { size: number } } }).dht;
  assert.ok(dht !== undefined, "the node has a DHT");
  await waitFor(() => dht.routingTable.size >= size, `a routing table of ${size}`, 15_000);
}

/** A DHT node on loopback TCP, joined through `bootstrap`, keeping its records in `datastore` when given. */
export async function startDhtNode(
  bootstrap: Libp2p | undefined,
  dht: RpcNodeDhtOptions = {},
  server?: Partial<RpcServerInit>,
  datastore?: Datastore,
  privateKey?: PrivateKey,
): Promise<Libp2p> {
  const node = await createRpcNode({
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(datastore === undefined ? {} : { libp2p: { datastore } }),
    dht: {
      ...LAN_DHT,
      ...dht,
      ...(bootstrap === undefined ? {} : { bootstrap: [addressOf(bootstrap)] }),
    },
    ...(server === undefined
      ? {}
      : {
          services: {
            rpc: rpcServer({
              routes: (router) =>
                router.service(EchoService, {
                  // Each server answers with its own PeerId: the test sees who served a call.
                  unary: () => ({ text: node.peerId.toString() }),
                }),
              ...server,
            }),
          },
        }),
  });
  if (bootstrap !== undefined) {
    await routingTableOf(node, 1);
  }
  return node;
}

/** The PeerIds of the providers of `cid` that one lookup from `node` finds. */
export async function providersOf(
  node: Libp2p,
  cid: Parameters<Libp2p["contentRouting"]["findProviders"]>[0],
): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const provider of node.contentRouting.findProviders(cid, {
    signal: AbortSignal.timeout(10_000),
  })) {
    found.add(provider.id.toString());
  }
  return found;
}

/**
 * Looks up the providers of `cid` from `node` again and again until the
 * answer satisfies `done`, and returns it; fails after `limitMs`.
 */
export async function providersUntil(
  node: Libp2p,
  cid: Parameters<Libp2p["contentRouting"]["findProviders"]>[0],
  done: (providers: Set<string>) => boolean,
  limitMs = 30_000,
): Promise<Set<string>> {
  const start = Date.now();
  for (;;) {
    const found = await providersOf(node, cid);
    if (done(found)) {
      return found;
    }
    if (Date.now() - start > limitMs) {
      throw new Error(`providers still ${[...found].join(", ") || "none"} after ${limitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * When each provider record `datastore` holds for `provider` was written
 * (kad-dht keeps them as `/dht/provider/<multihash>/<peer id>` → varint ms),
 * read from the node's real datastore.
 */
export async function providerRecordTimes(
  datastore: Datastore,
  provider: PeerId,
): Promise<number[]> {
  const times: number[] = [];
  for await (const { key, value } of datastore.query({ prefix: "/dht/provider/" })) {
    if (key.toString().endsWith(`/${provider.toString()}`)) {
      times.push(decode(value));
    }
  }
  return times;
}
