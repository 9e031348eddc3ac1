import type {
  BinaryReadOptions,
  BinaryWriteOptions,
  DescMessage,
  DescMethod,
  DescMethodStreaming,
  DescMethodUnary,
  MessageInitShape,
} from "@bufbuild/protobuf";
import {
  type ContextValues,
  createContextValues,
  type Interceptor,
  type StreamResponse,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { runStreamingCall } from "@connectrpc/connect/protocol";
import type { PeerId } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import {
  DEFAULT_IDLE_STREAM_TIMEOUT_MS,
  DEFAULT_MAX_IDLE_STREAMS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_METHOD,
  MAX_TIMEOUT_MS,
} from "../constants.ts";
import { optimisticSelectionOf } from "../node/select-optimistically.ts";
import { methodProtocol } from "../protocol-id.ts";
import { CallStream } from "./call-stream.ts";
import type { ClientCallOptions } from "./client-call-options.ts";
import { runUnary } from "./run-unary.ts";
import { type Dialer, StreamOpener } from "./stream-opener.ts";
import { StreamPool } from "./stream-pool.ts";
import { runStreamingOnStream } from "./streaming-call.ts";
import { isUnanswered, runUnaryOnStream } from "./unary-call.ts";

/** Options of {@link createLibp2pTransport}. */
export interface Libp2pTransportOptions {
  /** The local libp2p node the calls leave from (anything with libp2p's `dial`). */
  libp2p: Dialer;
  /**
   * The peer to call: a PeerId (its addresses come from the peer store or
   * peer routing), a multiaddr ending in `/p2p/<peer id>` (as a Multiaddr or
   * a string), or several multiaddrs of one peer.
   */
  peer: PeerId | Multiaddr | Multiaddr[] | string;
  /** Interceptors applied to every call, outermost first. */
  interceptors?: Interceptor[];
  /**
   * Largest response message accepted, in bytes; larger ones fail the call
   * with `ResourceExhausted` from their length prefix.
   * @default 4194304 (4 MiB)
   */
  readMaxBytes?: number;
  /**
   * Largest request message sent, in bytes; larger ones fail the call with
   * `ResourceExhausted` before anything is sent.
   * @default 4194304 (4 MiB)
   */
  writeMaxBytes?: number;
  /**
   * Deadline applied to calls that do not set `timeoutMs`, in milliseconds.
   * A call's own `timeoutMs <= 0` means no deadline. Deadlines are capped at
   * 2147483647 ms, the longest a timer can wait.
   */
  defaultTimeoutMs?: number;
  /** Protobuf binary read/write options. */
  binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
  /**
   * Protocol id prefix; must match the server's.
   * @default "/p2prpc"
   */
  protocolPrefix?: string;
  /**
   * Concurrent outbound streams allowed per method on one connection (libp2p's
   * own default is 64).
   * @default 1024
   */
  maxOutboundStreams?: number;
  /**
   * Streams of finished calls kept open for the next calls of the same
   * method, which then skip opening and negotiating a stream; counted over
   * all methods of the peer. 0 opens a stream per call.
   * @default 64
   */
  maxIdleStreams?: number;
  /**
   * How long an idle stream is kept, in milliseconds.
   * @default 30000
   */
  idleStreamTimeoutMs?: number;
}

/**
 * A Connect `Transport` whose calls travel over libp2p streams to one peer,
 * each on a stream negotiated for its method. Use it with `createClient` from
 * `@connectrpc/connect`: calls take Connect's `CallOptions` (`timeoutMs`,
 * `headers`, `signal`, `onHeader`, `onTrailer`) and fail with `ConnectError`.
 *
 * @example
 * ```ts
 * import { createClient } from "@connectrpc/connect";
 * import { createLibp2pTransport, createRpcNode } from "p2prpc";
 * import { GreeterService } from "./gen/acme/greeter/v1/greeter_pb.ts";
 *
 * const libp2p = await createRpcNode();
 * const transport = createLibp2pTransport({
 *   libp2p,
 *   peer: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…",
 * });
 * const greeter = createClient(GreeterService, transport);
 * const { message } = await greeter.sayHello({ name: "Ada" }, { timeoutMs: 2000 });
 * ```
 */
export function createLibp2pTransport(options: Libp2pTransportOptions): Transport {
  const pool = new StreamPool({
    maxIdle: options.maxIdleStreams ?? DEFAULT_MAX_IDLE_STREAMS,
    idleTimeoutMs: options.idleStreamTimeoutMs ?? DEFAULT_IDLE_STREAM_TIMEOUT_MS,
  });
  const opener = new StreamOpener(
    options.libp2p,
    typeof options.peer === "string" ? multiaddr(options.peer) : options.peer,
    options.maxOutboundStreams ?? DEFAULT_MAX_STREAMS_PER_METHOD,
  );
  const interceptors = options.interceptors ?? [];
  const callOptions: ClientCallOptions = {
    readMaxBytes: options.readMaxBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    writeMaxBytes: options.writeMaxBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    binaryOptions: options.binaryOptions,
  };
  const openStream = async (
    protocol: string,
    signal: AbortSignal,
    optimistic = false,
  ): Promise<CallStream> =>
    new CallStream(await opener.open(protocol, signal, optimistic), callOptions.readMaxBytes);
  const openCall = async (protocol: string, signal: AbortSignal): Promise<CallStream> =>
    pool.take(protocol) ?? openStream(protocol, signal);
  const protocols = new Map<DescMethod, string>();
  const protocolOf = (method: DescMethod): string => {
    let protocol = protocols.get(method);
    if (protocol === undefined) {
      protocol = methodProtocol(method, options);
      protocols.set(method, protocol);
    }
    return protocol;
  };
  const effectiveTimeout = (timeoutMs: number | undefined): number | undefined => {
    const value = timeoutMs ?? options.defaultTimeoutMs;
    return value === undefined || value <= 0 ? undefined : Math.min(value, MAX_TIMEOUT_MS);
  };

  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      message: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const timeout = effectiveTimeout(timeoutMs);
      const deadline = timeout === undefined ? undefined : Date.now() + timeout;
      const protocol = protocolOf(method);
      return runUnary<I, O>({
        interceptors,
        signal,
        timeoutMs: timeout,
        req: {
          stream: false,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: protocol,
          header: new Headers(header),
          contextValues: contextValues ?? createContextValues(),
          message,
        },
        next: async (req, control) => {
          const release = (done: CallStream): void => pool.give(protocol, done);
          const reused = pool.take(protocol);
          if (reused !== undefined) {
            try {
              return await runUnaryOnStream(reused, req, control, deadline, callOptions, release);
            } catch (error) {
              // The server closed the idle stream as the call left (shutdown,
              // idle close): the call never ran, so it goes on a new stream.
              if (!isUnanswered(error) || (control?.aborted ?? req.signal.aborted)) {
                throw error;
              }
            }
          }
          // A new stream is selected optimistically: the request follows the
          // protocol proposal without waiting for its echo. If the remote
          // refused it, or the stream failed before the echo came, no handler
          // saw the request: the call runs again on a fully negotiated stream,
          // which reports a method the peer does not serve as Unimplemented.
          const call = await openStream(protocol, req.signal, true);
          try {
            return await runUnaryOnStream(call, req, control, deadline, callOptions, release);
          } catch (error) {
            const selection = optimisticSelectionOf(call.stream);
            if (
              selection === undefined ||
              selection.confirmed ||
              (control?.aborted ?? req.signal.aborted)
            ) {
              throw error;
            }
          }
          const negotiated = await openStream(protocol, req.signal);
          return runUnaryOnStream(negotiated, req, control, deadline, callOptions, release);
        },
      });
    },

    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      const timeout = effectiveTimeout(timeoutMs);
      const deadline = timeout === undefined ? undefined : Date.now() + timeout;
      const protocol = protocolOf(method);
      return runStreamingCall<I, O>({
        interceptors,
        signal,
        timeoutMs: timeout,
        req: {
          stream: true,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: protocol,
          header: new Headers(header),
          contextValues: contextValues ?? createContextValues(),
          message: input,
        },
        next: async (req) => {
          const call = await openCall(protocol, req.signal);
          return runStreamingOnStream(call, req, deadline, callOptions, (done) =>
            pool.give(protocol, done),
          );
        },
      });
    },
  };
}
