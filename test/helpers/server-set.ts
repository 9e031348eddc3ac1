import { type Client, createClient, type ServiceImpl } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { TransferService } from "../../gen/p2prpc/test/v1/transfer_pb.ts";
import {
  createLibp2pTransport,
  createRpcNode,
  type Libp2pTransport,
  type Libp2pTransportCommonOptions,
  rpcServer,
} from "../../src/index.ts";
import { listenFor, TEST_CALL_TIMEOUT_MS, type TransportKind } from "./start-pair.ts";
import { transferImpl } from "./transfer-service.ts";

/** One server of a {@link ServerSet}, and what its handlers saw. */
export interface SetServer {
  readonly node: Libp2p;
  /** Exchange calls its handler ran. */
  exchanges: number;
}

/** Several servers of TransferService and one client node, over one transport kind. */
export interface ServerSet {
  readonly servers: readonly SetServer[];
  readonly client: Libp2p;
  /** A client over a transport to every server, in order. */
  connect(options?: Partial<Libp2pTransportCommonOptions>): {
    transfer: Client<typeof TransferService>;
    transport: Libp2pTransport;
  };
  stop(): Promise<void>;
}

/**
 * Starts `count` servers; `impl(index, server)` may replace handlers of
 * each (the default counts Exchange calls and answers as transferImpl).
 */
export async function startServerSet(
  kind: TransportKind,
  count: number,
  impl: (
    index: number,
    server: SetServer,
  ) => Partial<ServiceImpl<typeof TransferService>> = () => ({}),
): Promise<ServerSet> {
  const servers: SetServer[] = [];
  for (let index = 0; index < count; index++) {
    const server = { exchanges: 0 } as { node: Libp2p; exchanges: number };
    const handlers: ServiceImpl<typeof TransferService> = {
      ...transferImpl,
      exchange(req, ctx) {
        server.exchanges++;
        return transferImpl.exchange(req, ctx);
      },
      ...impl(index, server),
    };
    server.node = await createRpcNode({
      listen: listenFor(kind),
      services: {
        rpc: rpcServer({ routes: (router) => router.service(TransferService, handlers) }),
      },
    });
    servers.push(server);
  }
  const client = await createRpcNode({ listen: kind === "memory" ? listenFor(kind) : [] });
  return {
    servers,
    client,
    connect(options = {}) {
      const transport = createLibp2pTransport({
        libp2p: client,
        defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        ...options,
        peers: servers.map(({ node }) => node.getMultiaddrs()),
      });
      return { transfer: createClient(TransferService, transport), transport };
    },
    async stop() {
      await Promise.all([client.stop(), ...servers.map(({ node }) => node.stop())]);
    },
  };
}
