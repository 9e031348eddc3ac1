// Relies on: libp2p ~3.3.11's connection manager (`DefaultConnectionManager`),
// whose `getConnections()` without a peer builds its list with
// `conns = conns.concat(peerConns)` per peer, quadratic in the number of
// peers, and whose own code calls it as `this.getConnections()` on every
// inbound connection (`acceptIncomingConnection`) and, through the
// connection pruner, on every `connection:open`; and on its
// `getConnectionsMap()`, the peer map of each peer's connections. Delete
// once libp2p builds the list in linear time: the canary in
// test/node/linear-connection-list.test.ts fails then.
import type { Connection, PeerId } from "@libp2p/interface";
import type { ConnectionManager } from "@libp2p/interface-internal";

/** The service's name in `services`, as `withFastPath` adds it. */
export const LINEAR_CONNECTION_LIST_SERVICE = "linearConnectionList";

/** What {@link linearConnectionList} needs of the node. */
export interface LinearConnectionListComponents {
  /** The manager whose `getConnections()` is replaced. */
  connectionManager: ConnectionManager;
}

/** The service {@link linearConnectionList} makes: nothing to call, it works by being there. */
export interface LinearConnectionList {
  /** The service's name, as libp2p services give theirs. */
  readonly [Symbol.toStringTag]: string;
}

/**
 * A libp2p service that makes the node's `connectionManager.getConnections()`
 * (and so `libp2p.getConnections()` and `libp2p.getPeers()`) take time linear
 * in the number of peers, as `Array.prototype.concat` per peer does not.
 *
 * Why: libp2p asks for the whole list on every inbound connection (to check
 * `maxConnections`) and again, through its pruner, on every connection that
 * opens, and a node with thousands of peers paid for each with a new array
 * per peer, so connecting n peers cost time in n². The scale benchmark
 * (`npm run bench:scale`, bench/README.md) measures what that did to
 * connecting 5,000 peers. The list is the same, in the same order, new on each call;
 * `getConnections(peer)` is left as it is. A manager without
 * `getConnectionsMap()` is left alone.
 *
 * `withFastPath`, and so `createRpcNode`, adds it as the
 * `linearConnectionList` service.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   services: { linearConnectionList: linearConnectionList() },
 *   // transports, connectionEncrypters, streamMuxers …
 * });
 * ```
 */
export function linearConnectionList(): (
  components: LinearConnectionListComponents,
) => LinearConnectionList {
  return (components) => {
    const manager = components.connectionManager;
    if (typeof manager.getConnectionsMap === "function") {
      const byPeer = manager.getConnections.bind(manager);
      manager.getConnections = (peerId?: PeerId): Connection[] => {
        if (peerId != null) {
          return byPeer(peerId);
        }
        const all: Connection[] = [];
        for (const connections of manager.getConnectionsMap().values()) {
          for (const connection of connections) {
            all.push(connection);
          }
        }
        return all;
      };
    }
    return { [Symbol.toStringTag]: "p2prpc:linear-connection-list" };
  };
}
