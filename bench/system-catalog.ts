import type { WorkloadId } from "./workload-catalog.ts";

/** The systems the benchmark compares, in the order each round runs them. */
export const SYSTEM_IDS = [
  "p2prpc-tcp",
  "p2prpc-tcp-baseline",
  "p2prpc-tcp-baseline-client",
  "p2prpc-tcp-stock",
  "p2prpc-tcp-fastpath",
  "p2prpc-quic",
  "grpc-js",
  "grpc-js-tls",
  "connect-node",
  "libp2p-new-stream",
  "libp2p-one-stream",
  "libp2p-one-stream-quic",
  "connect-on-libp2p",
  "net",
] as const;

export type SystemId = (typeof SYSTEM_IDS)[number];

/**
 * The systems a run compares unless `--only` says otherwise: all but the
 * baseline, which runs only with `--baseline=<git ref>`, and p2prpc on a
 * libp2p node of the user's own, stock and through `withFastPath`, which
 * measure the fast path (`--only=p2prpc-tcp,p2prpc-tcp-stock,p2prpc-tcp-fastpath`)
 * and would add two systems' worth of time to every default run, and raw
 * libp2p over QUIC, the floor of p2prpc's QUIC figures
 * (`--only=p2prpc-quic,libp2p-one-stream-quic,p2prpc-tcp,libp2p-one-stream`).
 */
export const DEFAULT_SYSTEM_IDS: readonly SystemId[] = SYSTEM_IDS.filter(
  (id) =>
    id !== "p2prpc-tcp-baseline" &&
    id !== "p2prpc-tcp-baseline-client" &&
    id !== "p2prpc-tcp-stock" &&
    id !== "p2prpc-tcp-fastpath" &&
    id !== "libp2p-one-stream-quic",
);

export interface SystemInfo {
  readonly id: SystemId;
  /** Short name for tables and the chart. */
  readonly label: string;
  /** What runs on each side, in one line. */
  readonly description: string;
  /** The workloads that make sense for this system; the others are n/a. */
  readonly workloads: readonly WorkloadId[];
  /** Whether the server needs the run's self-signed certificate. */
  readonly tls: boolean;
}

export const SYSTEMS: Readonly<Record<SystemId, SystemInfo>> = {
  "p2prpc-tcp": {
    id: "p2prpc-tcp",
    label: "p2prpc TCP",
    description: "p2prpc over libp2p TCP + Noise + Yamux (createRpcNode, createLibp2pTransport)",
    workloads: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    tls: false,
  },
  "p2prpc-tcp-baseline": {
    id: "p2prpc-tcp-baseline",
    label: "p2prpc TCP, baseline",
    description:
      "p2prpc TCP as of the commit given with --baseline=<git ref> (its src/ and gen/, with today's dependencies), to measure a change in the same run",
    workloads: ["a", "b", "c", "d", "e", "i", "j"],
    tls: false,
  },
  "p2prpc-tcp-baseline-client": {
    id: "p2prpc-tcp-baseline-client",
    label: "p2prpc TCP, baseline client",
    description:
      "the client (createRpcNode and createLibp2pTransport) as of the --baseline commit against today's server: what a change to the client alone costs, e.g. the pool's for one peer",
    workloads: ["a", "b", "c", "d", "e", "i", "j"],
    tls: false,
  },
  "p2prpc-tcp-stock": {
    id: "p2prpc-tcp-stock",
    label: "p2prpc TCP, stock node",
    description:
      "p2prpc on a libp2p node of the user's own: createLibp2p with plain tcp(), noise(), yamux(), identify and ping, no wrappers",
    workloads: ["a", "b", "c", "d", "e"],
    tls: false,
  },
  "p2prpc-tcp-fastpath": {
    id: "p2prpc-tcp-fastpath",
    label: "p2prpc TCP, withFastPath",
    description:
      "p2prpc-tcp-stock's node options passed through withFastPath (p2prpc/libp2p), nothing else changed",
    workloads: ["a", "b", "c", "d", "e"],
    tls: false,
  },
  "p2prpc-quic": {
    id: "p2prpc-quic",
    label: "p2prpc QUIC",
    description: "p2prpc over libp2p QUIC (@chainsafe/libp2p-quic)",
    workloads: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    tls: false,
  },
  "grpc-js": {
    id: "grpc-js",
    label: "grpc-js h2c",
    description: "@grpc/grpc-js client and server, plaintext HTTP/2, @grpc/proto-loader",
    workloads: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    tls: false,
  },
  "grpc-js-tls": {
    id: "grpc-js-tls",
    label: "grpc-js TLS",
    description: "@grpc/grpc-js over HTTP/2 + TLS (self-signed P-256 certificate made per run)",
    workloads: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    tls: true,
  },
  "connect-node": {
    id: "connect-node",
    label: "connect-node",
    description:
      "@connectrpc/connect-node, gRPC protocol over plaintext HTTP/2 (createGrpcTransport, connectNodeAdapter)",
    workloads: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    tls: false,
  },
  "libp2p-new-stream": {
    id: "libp2p-new-stream",
    label: "libp2p raw, stream/req",
    description: "raw libp2p streams (same TCP stack), a new negotiated stream per request",
    workloads: ["a", "b", "f", "g", "h"],
    tls: false,
  },
  "libp2p-one-stream": {
    id: "libp2p-one-stream",
    label: "libp2p raw, one stream",
    description: "raw libp2p streams (same TCP stack), long-lived streams reused for every request",
    workloads: ["a", "b", "c", "d", "e", "i"],
    tls: false,
  },
  "libp2p-one-stream-quic": {
    id: "libp2p-one-stream-quic",
    label: "libp2p raw QUIC, one stream",
    description:
      "raw libp2p streams over QUIC (@chainsafe/libp2p-quic, as p2prpc QUIC), long-lived streams reused for every request",
    workloads: ["a", "b", "c", "d", "e", "i"],
    tls: false,
  },
  "connect-on-libp2p": {
    id: "connect-on-libp2p",
    label: "Connect on raw libp2p",
    description:
      "the floor under p2prpc's API: Connect's createClient and protobuf-es over raw libp2p's reused streams, one frame each way, no headers, status, deadlines or cancellation",
    workloads: ["a", "b"],
    tls: false,
  },
  net: {
    id: "net",
    label: "node:net",
    description: "plain node:net sockets, varint-length-prefixed frames (the floor)",
    workloads: ["a", "b", "c", "d", "e", "f", "g", "i"],
    tls: false,
  },
};
