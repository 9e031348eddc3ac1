import type { DescMethod } from "@bufbuild/protobuf";
import { DEFAULT_PROTOCOL_PREFIX, WIRE_VERSION } from "./constants.ts";

/** Options of {@link methodProtocol}. */
export interface MethodProtocolOptions {
  /**
   * The first segment of the protocol id. Client and server must agree on it.
   * @default "/p2prpc"
   */
  protocolPrefix?: string;
}

/**
 * The libp2p protocol id of an RPC method: every call of the method runs on a
 * stream negotiated for this id.
 *
 * @example
 * ```ts
 * import { methodProtocol } from "p2prpc";
 * import { GreeterService } from "./gen/acme/greeter/v1/greeter_pb.ts";
 *
 * methodProtocol(GreeterService.method.sayHello);
 * // "/p2prpc/acme.greeter.v1.GreeterService/SayHello/1.0.0"
 * ```
 */
export function methodProtocol(method: DescMethod, options?: MethodProtocolOptions): string {
  const prefix = options?.protocolPrefix ?? DEFAULT_PROTOCOL_PREFIX;
  return `${prefix}/${method.parent.typeName}/${method.name}/${WIRE_VERSION}`;
}
