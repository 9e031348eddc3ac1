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
 * The part of p2prpc's public API the benchmark uses. The type only: this
 * file imports no copy of p2prpc itself, so a process that runs a baseline
 * commit's copy loads that copy alone, as one that runs today's loads
 * today's alone (`loadSystem` imports the one it needs).
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

/**
 * p2prpc through its public API only: createRpcNode + rpcServer,
 * createLibp2pTransport; `api` is today's (`src/index.ts`), or a baseline
 * commit's. `makeNode`
 * replaces createRpcNode on both sides (a libp2p node of the user's own).
 * `serverApi` (default `api`) serves: today's under a baseline client
 * measures a change to the client alone.
 */
export function p2prpcSystem(
  transport: keyof typeof LISTEN,
  api: P2prpcApi,
  makeNode?: NodeMaker,
  serverApi: P2prpcApi = api,
): SystemModule {
  const { createLibp2pTransport } = api;
  const nodeMaker =
    (createRpcNode: P2prpcApi["createRpcNode"]): NodeMaker =>
    (listen, services) =>
      createRpcNode({
        listen,
        ...(services === undefined
          ? {}
          : { services, libp2p: { connectionManager: MANY_PEERS_CONNECTION_MANAGER } }),
      });
  const newNode: NodeMaker = makeNode ?? nodeMaker(api.createRpcNode);
  const newServerNode: NodeMaker = makeNode ?? nodeMaker(serverApi.createRpcNode);
  return {
    async startServer(context) {
      const { rpcServer } = serverApi;
      const node = await newServerNode([LISTEN[transport]], {
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
          const node = await newNode([]);
          const client = createClient(
            BenchService,
            createLibp2pTransport({ libp2p: node, peer: server.address }),
          );
          return connectBenchClient(client, async () => {
            await node.stop();
          });
        },
        async newPeer() {
          // A new node, so a new identity: the server sees a new peer.
          const node = await newNode([]);
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
