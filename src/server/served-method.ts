import type { BinaryReadOptions, BinaryWriteOptions } from "@bufbuild/protobuf";
import type { HandlerContext, Interceptor, MethodImplSpec } from "@connectrpc/connect";
import type { Logger } from "@libp2p/interface";

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
  readonly log: Logger;
}
