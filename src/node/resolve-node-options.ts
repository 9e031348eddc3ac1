import type { PrivateKey, ServiceMap } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import type { Libp2pOptions, ServiceFactoryMap } from "libp2p";
import {
  DEFAULT_IDENTIFY_DELAY_MS,
  DEFAULT_LIVENESS_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
} from "../constants.ts";
import type { RpcNodeDhtOptions } from "../discovery/dht-options.ts";
import type { RpcNodeRelayOptions } from "../discovery/relay-options.ts";
import { checkNumber } from "../options/check-number.ts";
import type { ConnectionKeeperInit } from "../pool/connection-keeper.ts";
import type { RpcNodeOptions } from "./create-rpc-node.ts";

/** {@link RpcNodeOptions} checked, with every default filled in. */
export interface ResolvedNodeOptions<T extends ServiceMap = ServiceMap> {
  /** The addresses to listen on, each a valid multiaddr of a kind the node can listen on. */
  readonly listen: readonly string[];
  readonly privateKey: PrivateKey | undefined;
  readonly privateKeyFile: string | undefined;
  readonly services: ServiceFactoryMap<T>;
  readonly libp2p: Omit<Libp2pOptions, "services" | "privateKey">;
  readonly identifyDelayMs: number;
  readonly connectionKeeper: ConnectionKeeperInit | false;
  readonly livenessTimeoutMs: number;
  readonly dataDir: string | undefined;
  readonly dht: RpcNodeDhtOptions | undefined;
  readonly relay: RpcNodeRelayOptions | undefined;
}

/** Addresses a node listens on when not told otherwise: loopback TCP and QUIC. */
export const DEFAULT_LISTEN_ADDRESSES: readonly string[] = [
  "/ip4/127.0.0.1/tcp/0",
  "/ip4/127.0.0.1/udp/0/quic-v1",
];

const WHAT = "createRpcNode";

/** The last protocol of each kind of address `createRpcNode`'s own transports listen on. */
const OWN_LISTEN_KINDS = ["tcp", "quic-v1", "memory"] as const;

function isObject(value: unknown): value is object {
  return value !== null && typeof value === "object";
}

/**
 * Checks `options` of `createRpcNode` once, before anything is built, and
 * returns them complete. Throws a `TypeError` naming the option for a
 * wrong-typed one or a listen address that is not a multiaddr, or is of a
 * kind the node has no transport for (with its own transports: TCP, QUIC v1,
 * memory, and `/p2p-circuit` with `relay`), and a `RangeError` for a number
 * out of range (a negative `identifyDelayMs` or `livenessTimeoutMs`).
 *
 * @example
 * ```ts
 * resolveNodeOptions({ livenessTimeoutMs: -1 });
 * // RangeError: createRpcNode's livenessTimeoutMs must be a number from 0 to 2147483647, not -1
 * ```
 */
export function resolveNodeOptions<T extends ServiceMap>(
  options: RpcNodeOptions<T>,
): ResolvedNodeOptions<T> {
  if (!isObject(options)) {
    throw new TypeError(`${WHAT} needs an options object`);
  }
  const { privateKeyFile, dataDir, connectionKeeper } = options;
  for (const [name, value] of [
    ["privateKeyFile", privateKeyFile],
    ["dataDir", dataDir],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new TypeError(`${WHAT}'s ${name} must be a non-empty path, not ${String(value)}`);
    }
  }
  for (const [name, value] of [
    ["services", options.services],
    ["libp2p", options.libp2p],
    ["dht", options.dht],
    ["relay", options.relay],
  ] as const) {
    if (value !== undefined && !isObject(value)) {
      throw new TypeError(`${WHAT}'s ${name} must be an object when given, not ${String(value)}`);
    }
  }
  if (connectionKeeper !== undefined && connectionKeeper !== false && !isObject(connectionKeeper)) {
    throw new TypeError(
      `${WHAT}'s connectionKeeper must be false or an options object, not ${String(connectionKeeper)}`,
    );
  }
  const libp2p = options.libp2p ?? {};
  const time = (name: "identifyDelayMs" | "livenessTimeoutMs", fallback: number): number =>
    checkNumber(options[name], `${WHAT}'s ${name}`, { fallback, min: 0, max: MAX_TIMEOUT_MS });
  return {
    listen: listenOf(options.listen, libp2p.transports !== undefined, options.relay !== undefined),
    privateKey: options.privateKey,
    privateKeyFile,
    services: (options.services ?? {}) as ServiceFactoryMap<T>,
    libp2p,
    identifyDelayMs: time("identifyDelayMs", DEFAULT_IDENTIFY_DELAY_MS),
    connectionKeeper: connectionKeeper ?? {},
    livenessTimeoutMs: time("livenessTimeoutMs", DEFAULT_LIVENESS_TIMEOUT_MS),
    dataDir,
    dht: options.dht,
    relay: options.relay,
  };
}

/**
 * The listen addresses, each checked to be a multiaddr and, unless the
 * caller brought transports of its own, of a kind the node's transports
 * listen on.
 */
function listenOf(
  listen: readonly string[] | undefined,
  ownTransports: boolean,
  relay: boolean,
): readonly string[] {
  if (listen === undefined) {
    return DEFAULT_LISTEN_ADDRESSES;
  }
  if (!Array.isArray(listen)) {
    throw new TypeError(`${WHAT}'s listen must be an array of multiaddrs, not ${String(listen)}`);
  }
  for (const address of listen as unknown[]) {
    let names: string[];
    try {
      names = multiaddr(address as string)
        .getComponents()
        .map((component) => component.name);
    } catch (error) {
      throw new TypeError(
        `${WHAT}'s listen address ${JSON.stringify(address)} is not a multiaddr`,
        {
          cause: error,
        },
      );
    }
    if (ownTransports) {
      continue;
    }
    const kinds: readonly string[] = relay
      ? [...OWN_LISTEN_KINDS, "p2p-circuit"]
      : OWN_LISTEN_KINDS;
    const last = names.filter((name) => name !== "p2p").at(-1);
    if (last === undefined || !kinds.includes(last)) {
      throw new TypeError(
        `${WHAT}'s listen address ${JSON.stringify(address)} is of a kind it has no transport for (it listens on ${kinds.map((kind) => `/${kind}`).join(", ")} addresses); give libp2p.transports to listen on others`,
      );
    }
  }
  return listen;
}
