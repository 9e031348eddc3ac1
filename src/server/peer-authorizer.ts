import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Connection, PeerId } from "@libp2p/interface";
import type { RemotePeer } from "./remote-peer.ts";

/**
 * The authorization options of `rpcServer` (part of `RpcServerInit`): which
 * peers may call. A refused call ends with `PermissionDenied` before its
 * request header is decoded, before any interceptor, gate or handler runs;
 * its input is skipped, never decoded. The peer checked is the connection's
 * remote peer, proven by its handshake: metadata cannot stand in for it.
 *
 * @example
 * ```ts
 * import { peerIdFromString } from "@libp2p/peer-id";
 * import { rpcServer } from "p2prpc";
 *
 * const admins = new Set(["12D3KooWA…"]);
 * rpcServer({
 *   routes,
 *   // Only these two keys may call at all …
 *   allowedPeers: [peerIdFromString("12D3KooWA…"), "12D3KooWB…"],
 *   // … and only admins may call the Admin service.
 *   authorizePeer: ({ peerId }, method) =>
 *     method.parent.name !== "AdminService" || admins.has(peerId.toString()),
 * });
 * ```
 */
export interface PeerAuthorizationInit {
  /**
   * The only peers admitted: PeerIds or their string forms. Any other peer's
   * call fails with `PermissionDenied` before its handler runs.
   * @default undefined (every peer admitted)
   */
  allowedPeers?: Iterable<PeerId | string>;
  /**
   * Admits a call when it returns (or resolves) true; false fails it with
   * `PermissionDenied` before its handler runs. `peer` is the connection's
   * remote peer, authenticated by its security handshake: nothing the
   * caller sends can change it. With `allowedPeers` too, a call must pass
   * both.
   * @default undefined (every peer admitted)
   */
  authorizePeer?: (peer: RemotePeer, method: DescMethod) => boolean | Promise<boolean>;
}

/**
 * Checks the peer of one call: returns nothing when it is admitted at once,
 * a promise when the user's function answers later, and throws (or
 * rejects) `PermissionDenied` when it is not.
 */
export type PeerAuthorizer = (
  connection: Connection,
  method: DescMethod,
) => undefined | Promise<void>;

/** The authorizer `init` asks for, or `undefined` when it admits everyone. */
export function createPeerAuthorizer(init: PeerAuthorizationInit): PeerAuthorizer | undefined {
  const allowed =
    init.allowedPeers === undefined
      ? undefined
      : new Set([...init.allowedPeers].map((peer) => peer.toString()));
  const authorize = init.authorizePeer;
  if (allowed === undefined && authorize === undefined) {
    return undefined;
  }
  return (connection, method) => {
    // The caller's identity is the connection's, never anything it sent.
    const peerId = connection.remotePeer;
    if (allowed !== undefined && !allowed.has(peerId.toString())) {
      throw denied(peerId, method);
    }
    if (authorize === undefined) {
      return undefined;
    }
    const peer: RemotePeer = { peerId, remoteAddr: connection.remoteAddr, connection };
    const verdict = authorize(peer, method);
    if (verdict === true) {
      return undefined;
    }
    if (verdict === false) {
      throw denied(peerId, method);
    }
    return Promise.resolve(verdict).then((admitted) => {
      if (admitted !== true) {
        throw denied(peerId, method);
      }
    });
  };
}

function denied(peer: PeerId, method: DescMethod): ConnectError {
  return new ConnectError(
    `peer ${peer.toString()} may not call ${method.parent.typeName}/${method.name}`,
    Code.PermissionDenied,
  );
}
