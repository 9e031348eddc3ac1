import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServedMethod } from "./served-method.ts";

/**
 * Which methods run on a limited connection (a circuit relay v2 connection,
 * whose relay caps its duration and bytes) by default: unary ones, whose
 * small request and response fit the relay's limits (2 minutes and 128 KiB
 * per connection with the relay's defaults); streaming calls wait for a
 * direct connection.
 */
export function unaryOnly(method: DescMethod): boolean {
  return method.methodKind === "unary";
}

/**
 * The same method, refusing every call with `FailedPrecondition` before its
 * handler runs: what a server answers on a limited connection for a method
 * not allowed there. The client may call again once a direct connection
 * exists (DCUtR, or a dial of the server's public address).
 */
export function refusedOnLimitedConnections(method: ServedMethod): ServedMethod {
  return {
    ...method,
    requestGate: () => {
      throw new ConnectError(
        `${method.spec.method.parent.typeName}.${method.spec.method.name} does not run on a limited (relayed) connection`,
        Code.FailedPrecondition,
      );
    },
  };
}
