/**
 * libp2p connection-manager settings for a server that holds many peers
 * (workload g: up to 1,000 at once, dialled in quick succession). Passed
 * through `createRpcNode({ libp2p: { connectionManager } })`.
 */
export const MANY_PEERS_CONNECTION_MANAGER = {
  maxConnections: 10_000,
  inboundConnectionThreshold: 10_000,
  maxIncomingPendingConnections: 1_000,
} as const;
