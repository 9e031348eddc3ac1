import type { BinaryReadOptions, BinaryWriteOptions } from "@bufbuild/protobuf";
import type { HandlerContext, Interceptor, MethodImplSpec } from "@connectrpc/connect";
import type { Logger } from "@libp2p/interface";
import type { ByReferenceTracker } from "../wire/by-reference-tracker.ts";

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
  readonly shutdownSignal: AbortSignal;
  readonly requestGate: ((context: HandlerContext) => void | Promise<void>) | undefined;
  readonly binaryOptions: Partial<BinaryReadOptions & BinaryWriteOptions> | undefined;
  /** The node's tracker of values sent by reference; without one, every value is copied. */
  readonly tracker: ByReferenceTracker | undefined;
  readonly log: Logger;
}
