import { createClient } from "@connectrpc/connect";
import type { Libp2p, ServiceMap } from "@libp2p/interface";
import type { ServiceFactoryMap } from "libp2p";
import { BenchService } from "../../gen/p2prpc/bench/v1/bench_pb.ts";
import type * as p2prpc from "../../src/index.ts";
import { benchServiceImpl } from "./bench-service-impl.ts";
import { connectBenchClient } from "./connect-bench-client.ts";
import { libp2pServerInfo } from "./libp2p-server-info.ts";
import { MANY_PEERS_CONNECTION_MANAGER } from "./many-peers.ts";
import type { SystemModule } from "./system-module.ts";

const LISTEN = {
  tcp: "/ip4/127.0.0.1/tcp/0",
  quic: "/ip4/127.0.0.1/udp/0/quic-v1",
} as const;

/**
 * The part of p2prpc's public API the benchmark uses. This file imports
 * p2prpc for the type only, and today's copy only when a system that runs
 * it first needs it, so a process that runs a baseline commit's copy loads
 * that copy alone, as one that runs today's loads today's alone.
 */
export type P2prpcApi = Pick<
  typeof p2prpc,
  "createLibp2pTransport" | "createRpcNode" | "rpcServer"
>;

/**
 * Makes a node listening on `listen` (none for a client) with `services`
 * beside its own: createRpcNode, or a node of the user's own.
 */
export type NodeMaker = (
  listen: string[],
  services?: ServiceFactoryMap<ServiceMap>,
) => Promise<Libp2p>;

/** Today's p2prpc, the `src/` of this checkout, imported when first asked for. */
export async function importTodaysApi(): Promise<P2prpcApi> {
  return await import("../../src/index.ts");
}

/**
 * p2prpc through its public API only: createRpcNode + rpcServer,
 * createLibp2pTransport; `api` is a baseline commit's, or today's (the
 * default, imported by the first call that needs it, so a process given a
 * baseline for both sides never loads today's). `makeNode` replaces
 * createRpcNode on both sides (a libp2p node of the user's own).
 * `serverApi` (default `api`) serves: today's under a baseline client
 * measures a change to the client alone.
 */
export function p2prpcSystem(
  transport: keyof typeof LISTEN,
  api?: P2prpcApi,
  makeNode?: NodeMaker,
  serverApi: P2prpcApi | undefined = api,
): SystemModule {
  const resolve = async (given: P2prpcApi | undefined): Promise<P2prpcApi> =>
    given ?? (await importTodaysApi());
  const newNode = async (
    side: P2prpcApi | undefined,
    listen: string[],
    services?: ServiceFactoryMap<ServiceMap>,
  ): Promise<Libp2p> => {
    if (makeNode !== undefined) {
      return await makeNode(listen, services);
    }
    const { createRpcNode } = await resolve(side);
    return await createRpcNode({
      listen,
      ...(services === undefined
        ? {}
        : { services, libp2p: { connectionManager: MANY_PEERS_CONNECTION_MANAGER } }),
    });
  };
  return {
    async startServer(context) {
      const { rpcServer } = await resolve(serverApi);
      const node = await newNode(serverApi, [LISTEN[transport]], {
        rpc: rpcServer({
          routes: (router) =>
            router.service(BenchService, benchServiceImpl(context.waitForRelease)),
        }),
      });
      return libp2pServerInfo(node, `p2prpc ${transport}`);
    },

    createClient({ server }) {
      return {
        async connect() {
          const { createLibp2pTransport } = await resolve(api);
          const node = await newNode(api, []);
          const client = createClient(
            BenchService,
            createLibp2pTransport({ libp2p: node, peer: server.address }),
          );
          return connectBenchClient(client, async () => {
            await node.stop();
          });
        },
        async newPeer() {
          const { createLibp2pTransport } = await resolve(api);
          // A new node, so a new identity: the server sees a new peer.
          const node = await newNode(api, []);
          return {
            async connectAndCall(payload) {
              const client = createClient(
                BenchService,
                createLibp2pTransport({ libp2p: node, peer: server.address }),
              );
              await client.unary({ payload });
            },
            close: async () => {
              await node.stop();
            },
          };
        },
      };
    },
  };
}
