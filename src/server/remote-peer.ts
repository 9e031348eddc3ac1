import { type ContextKey, createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Connection, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";

/** The peer at the other end of a call, as the connection authenticated it. */
export interface RemotePeer {
  /** The caller's PeerId, proven by the connection's encryption handshake (Noise or QUIC TLS). */
  readonly peerId: PeerId;
  /** The address the caller's connection came from. */
  readonly remoteAddr: Multiaddr;
  /** The libp2p connection the call runs on. */
  readonly connection: Connection;
}

/**
 * The context key under which p2prpc puts the {@link RemotePeer} of every
 * call it serves. Interceptors and handlers read it from `context.values`.
 *
 * @example
 * ```ts
 * import type { Interceptor } from "@connectrpc/connect";
 * import { remotePeerKey } from "p2prpc";
 *
 * const logCaller: Interceptor = (next) => async (req) => {
 *   console.log(`${req.method.name} from ${req.contextValues.get(remotePeerKey)?.peerId}`);
 *   return next(req);
 * };
 * ```
 */
export const remotePeerKey: ContextKey<RemotePeer | undefined> = createContextKey<
  RemotePeer | undefined
>(undefined, { description: "p2prpc remote peer" });

/**
 * The authenticated remote peer of a call served by {@link rpcServer}.
 * Throws when the context does not come from a p2prpc server.
 *
 * @example
 * ```ts
 * import { getRemotePeer } from "p2prpc";
 *
 * const impl: ServiceImpl<typeof GreeterService> = {
 *   sayHello(req, ctx) {
 *     const { peerId } = getRemotePeer(ctx);
 *     return { message: `hello ${req.name}, you are ${peerId}` };
 *   },
 * };
 * ```
 */
export function getRemotePeer(context: Pick<HandlerContext, "values">): RemotePeer {
  const peer = context.values.get(remotePeerKey);
  if (peer === undefined) {
    throw new Error("getRemotePeer: this call was not served by a p2prpc server");
  }
  return peer;
}
