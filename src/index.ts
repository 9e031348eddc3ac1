/**
 * p2prpc: gRPC-style RPC over libp2p streams, with Connect-ES clients and
 * servers. Each RPC method is its own negotiated libp2p protocol.
 *
 * @example
 * ```ts
 * import { createClient } from "@connectrpc/connect";
 * import { createLibp2pTransport, createRpcNode, rpcServer } from "p2prpc";
 * import { GreeterService } from "./gen/acme/greeter/v1/greeter_pb.ts";
 *
 * const server = await createRpcNode({
 *   services: {
 *     rpc: rpcServer({
 *       routes: (router) =>
 *         router.service(GreeterService, { sayHello: (req) => ({ message: `hi ${req.name}` }) }),
 *     }),
 *   },
 * });
 * const client = await createRpcNode();
 * const greeter = createClient(
 *   GreeterService,
 *   createLibp2pTransport({ libp2p: client, peer: server.getMultiaddrs() }),
 * );
 * console.log((await greeter.sayHello({ name: "Ada" })).message);
 * ```
 *
 * The root export holds what an application needs: the client transport,
 * the server, the node, the pool and the standard services. Integrators
 * find libp2p's speed-ups for their own nodes in `p2prpc/libp2p`, and the
 * frame codec in `p2prpc/wire`.
 *
 * @packageDocumentation
 */

export type {
  Libp2pTransport,
  Libp2pTransportCommonOptions,
  Libp2pTransportOptions,
  PeerTarget,
} from "./client/create-libp2p-transport.ts";
export { createLibp2pTransport } from "./client/create-libp2p-transport.ts";
export type { Dialer } from "./client/stream-opener.ts";
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_METHOD,
  DEFAULT_PROTOCOL_PREFIX,
} from "./constants.ts";
export type { RpcNodeDhtOptions } from "./discovery/dht-options.ts";
export type { RpcNodeRelayOptions } from "./discovery/relay-options.ts";
export { serviceCid } from "./discovery/service-cid.ts";
export type { RpcNodeOptions, RpcNodeServices } from "./node/create-rpc-node.ts";
export { createRpcNode, DEFAULT_LISTEN_ADDRESSES } from "./node/create-rpc-node.ts";
export { lazyLogger } from "./node/lazy-logger.ts";
export { lazyQuic } from "./node/lazy-quic.ts";
export type { LivenessCheckComponents, LivenessCheckInit } from "./node/liveness-check.ts";
export { LivenessCheck, livenessCheck } from "./node/liveness-check.ts";
export { loadPrivateKey } from "./node/load-private-key.ts";
export type { BalancePolicy, PeerLoad } from "./pool/balance-policy.ts";
export type {
  ConnectionKeeperComponents,
  ConnectionKeeperEvents,
  ConnectionKeeperInit,
  KeeperPeerDetail,
  KeptPeerInfo,
} from "./pool/connection-keeper.ts";
export {
  BUSY_TAG,
  ConnectionKeeper,
  connectionKeeper,
  KeptPeer,
  PINNED_TAG,
} from "./pool/connection-keeper.ts";
export { leastLoaded } from "./pool/least-loaded.ts";
export type { PeerStats } from "./pool/peer-channel.ts";
export type {
  CallRetriedDetail,
  DialFailedDetail,
  PeerPool,
  PeerPoolEvents,
  PeerSetDetail,
} from "./pool/peer-pool.ts";
export { pickFirst } from "./pool/pick-first.ts";
export type { RetryOptions } from "./pool/retry-options.ts";
export { roundRobin } from "./pool/round-robin.ts";
export type { MethodProtocolOptions } from "./protocol-id.ts";
export { methodProtocol } from "./protocol-id.ts";
export type { PeerAuthorizationInit } from "./server/peer-authorizer.ts";
export type { RemotePeer } from "./server/remote-peer.ts";
export { getRemotePeer, remotePeerKey } from "./server/remote-peer.ts";
export type { RpcServerComponents, RpcServerInit } from "./server/rpc-server.ts";
export { RpcServer, rpcServer } from "./server/rpc-server.ts";
export type { ServerShutdownInit } from "./server/server-drain.ts";
export type { ReflectionCallOptions } from "./services/fetch-descriptors.ts";
export { fetchDescriptors, listServices } from "./services/fetch-descriptors.ts";
export type { HealthService, HealthServiceOptions } from "./services/health-service.ts";
export { createHealthService, ServingStatus } from "./services/health-service.ts";
export type { ReflectionService, ReflectionServiceOptions } from "./services/reflection-service.ts";
export { createReflectionService } from "./services/reflection-service.ts";
export { toConnectError } from "./to-connect-error.ts";
