import { threadId } from "node:worker_threads";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import type { Libp2p } from "@libp2p/interface";
import { EchoService } from "../../gen/p2prpc/test/v1/test_pb.ts";
import {
  createLibp2pTransport,
  createRpcNode,
  type Libp2pTransportCommonOptions,
  type PeerTarget,
  type RpcServerInit,
  rpcServer,
} from "../../src/index.ts";
import { createEchoProbe, type EchoProbe, echoImpl } from "./echo-service.ts";

/** The transports every end-to-end test runs over. */
export const TRANSPORTS = ["memory", "tcp", "quic"] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

let memoryCounter = 0;

/**
 * A fresh in-memory listen address, unique in this process and thread (test
 * files may run in worker threads, which share the process's pid).
 */
export function memoryListen(): string[] {
  return [`/memory/p2prpc-test-${process.pid}-${threadId}-${memoryCounter++}`];
}

/** Where a node listens for `kind`: a fresh memory address, or loopback port 0. */
export function listenFor(kind: TransportKind): string[] {
  switch (kind) {
    case "memory":
      return memoryListen();
    case "tcp":
      return ["/ip4/127.0.0.1/tcp/0"];
    case "quic":
      return ["/ip4/127.0.0.1/udp/0/quic-v1"];
  }
}

/** Options of a test client: the transport's, and a peer other than the pair's server. */
export type ClientOptions = Partial<Libp2pTransportCommonOptions> & { peer?: PeerTarget };

export interface Pair {
  readonly server: Libp2p;
  readonly client: Libp2p;
  readonly probe: EchoProbe;
  readonly echo: Client<typeof EchoService>;
  /** Ids of the streams of `protocol` the server has open from this client. */
  serverStreamIds(protocol: string): string[];
  /** A new client of the same server with other transport options. */
  connect(options?: ClientOptions): Client<typeof EchoService>;
  stop(): Promise<void>;
}

export interface PairOptions {
  readonly server?: Partial<RpcServerInit>;
  readonly client?: ClientOptions;
  readonly interceptors?: Interceptor[];
}

/**
 * The deadline of every call a test client makes without its own
 * `timeoutMs`: a call that stalls fails with DeadlineExceeded before the
 * test's timeout. A call passes `{ timeoutMs: 0 }` to have no deadline.
 */
export const TEST_CALL_TIMEOUT_MS = 20_000;

/** Starts a server node serving EchoService and a client node, over `kind`. */
export async function startPair(kind: TransportKind, options: PairOptions = {}): Promise<Pair> {
  const probe = createEchoProbe();
  const server = await createRpcNode({
    listen: listenFor(kind),
    services: {
      rpc: rpcServer({
        routes: (router) => router.service(EchoService, echoImpl(probe)),
        ...options.server,
      }),
    },
  });
  const client = await createRpcNode({ listen: kind === "memory" ? listenFor(kind) : [] });
  const connect = (extra: ClientOptions = {}): Client<typeof EchoService> =>
    createClient(
      EchoService,
      createLibp2pTransport({
        libp2p: client,
        defaultTimeoutMs: TEST_CALL_TIMEOUT_MS,
        ...options.client,
        ...extra,
        peer: extra.peer ?? options.client?.peer ?? server.getMultiaddrs(),
      }),
    );
  return {
    server,
    client,
    probe,
    echo: connect(),
    connect,
    serverStreamIds: (protocol) =>
      server
        .getConnections(client.peerId)
        .flatMap((connection) => connection.streams)
        .filter((stream) => stream.protocol === protocol)
        .map((stream) => stream.id),
    async stop() {
      await Promise.all([client.stop(), server.stop()]);
    },
  };
}
