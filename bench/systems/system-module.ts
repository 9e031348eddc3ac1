import type { ServerInfo, TlsMaterial } from "../ipc-messages.ts";

/** What the server process gives a system's server. */
export interface ServerContext {
  readonly tls: TlsMaterial | undefined;
  /** Resolves when the benchmark releases held streams (workload h). */
  readonly waitForRelease: () => Promise<void>;
}

/** What the client process gives a system's client. */
export interface ClientContext {
  readonly server: ServerInfo;
  readonly tls: TlsMaterial | undefined;
}

/** What a server stream is asked to send (the bench.proto ServerStreamRequest). */
export interface StreamRequest {
  readonly count: number;
  readonly payloadSize: number;
  /** 0: no time limit. */
  readonly durationMs: number;
  readonly hold: boolean;
}

/** An open bidi call used for ping-pong. */
export interface PingPong {
  /** Sends one message and waits for its echo (resolving with whatever the system has at hand). */
  roundTrip(payload: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}

/** A client connected to the server, as workloads a–e and h use it. */
export interface BenchClient {
  /** One unary call echoing `payload`. */
  unary(payload: Uint8Array): Promise<void>;
  openPingPong(): Promise<PingPong>;
  /** One server-streaming call; `onMessage` gets each message's payload size. Resolves at its end. */
  serverStream(request: StreamRequest, onMessage: (bytes: number) => void): Promise<void>;
  close(): Promise<void>;
}

/** A new peer for workloads f and g: set up untimed, then connected and called. */
export interface FreshPeer {
  /** Connects (dial, handshakes) and makes one unary call. */
  connectAndCall(payload: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface SystemClient {
  /** A client on one connection, reused by every call. */
  connect(): Promise<BenchClient>;
  /** A peer that has not connected yet (for libp2p: a new node with its own identity). */
  newPeer(): Promise<FreshPeer>;
}

/** Both sides of one system. */
export interface SystemModule {
  /** Starts the server; it runs until its process exits (nothing needs a graceful stop). */
  startServer(context: ServerContext): Promise<ServerInfo>;
  createClient(context: ClientContext): SystemClient;
}
