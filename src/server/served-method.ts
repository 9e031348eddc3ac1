import type { BinaryReadOptions, BinaryWriteOptions } from "@bufbuild/protobuf";
import type { HandlerContext, Interceptor, MethodImplSpec } from "@connectrpc/connect";
import type { Logger } from "@libp2p/interface";
import type { ByReferenceTracker } from "../wire/by-reference-tracker.ts";
import type { PeerAuthorizer } from "./peer-authorizer.ts";
import type { ServerDrain } from "./server-drain.ts";

/** Everything the server needs to serve one method, resolved once at start. */
export interface ServedMethod {
  readonly spec: MethodImplSpec;
  /** The method's protocol id. */
  readonly protocol: string;
  readonly interceptors: Interceptor[];
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  readonly maxTimeoutMs: number;
  /** See `RpcServerInit.headerTimeoutMs`. */
  readonly headerTimeoutMs: number;
  /** Aborts when the server starts draining, or the route's own shutdown signal aborts. */
  readonly shutdownSignal: AbortSignal;
  /** The server's calls in flight and its drain. */
  readonly drain: ServerDrain;
  readonly requestGate: ((context: HandlerContext) => void | Promise<void>) | undefined;
  readonly binaryOptions: Partial<BinaryReadOptions & BinaryWriteOptions> | undefined;
  /** The node's tracker of values sent by reference; without one, every value is copied. */
  readonly tracker: ByReferenceTracker | undefined;
  readonly log: Logger;
  /** Admits or refuses the caller before anything of its call is decoded; undefined admits all. */
  readonly authorize: PeerAuthorizer | undefined;
}
