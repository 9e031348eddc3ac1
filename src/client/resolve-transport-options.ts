import type { Interceptor } from "@connectrpc/connect";
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import {
  DEFAULT_DIAL_TIMEOUT_MS,
  DEFAULT_IDLE_STREAM_TIMEOUT_MS,
  DEFAULT_MAX_IDLE_STREAMS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_METHOD,
  MAX_TIMEOUT_MS,
} from "../constants.ts";
import { DEFAULT_PROVIDERS_MAX_AGE_MS } from "../discovery/constants.ts";
import { checkNumber } from "../options/check-number.ts";
import { checkProtocolPrefix } from "../options/check-protocol-prefix.ts";
import type { BalancePolicy } from "../pool/balance-policy.ts";
import { leastLoaded } from "../pool/least-loaded.ts";
import { pickFirst } from "../pool/pick-first.ts";
import { type ResolvedRetryOptions, resolveRetryOptions } from "../pool/retry-options.ts";
import { roundRobin } from "../pool/round-robin.ts";
import type { ClientCallOptions } from "./client-call-options.ts";
import type { Libp2pTransportOptions, PeerTarget } from "./create-libp2p-transport.ts";
import type { Dialer } from "./stream-opener.ts";
import type { StreamPoolOptions } from "./stream-pool.ts";

/** What a transport's calls go to: fixed targets, or the peers discovered to serve each method. */
export type ResolvedPeers =
  | { readonly kind: "static"; readonly targets: ReadonlyArray<PeerId | Multiaddr | Multiaddr[]> }
  | { readonly kind: "discover"; readonly waitForReady: boolean }
  | { readonly kind: "providers"; readonly maxAgeMs: number };

/** {@link Libp2pTransportOptions} checked, with every default filled in. */
export interface ResolvedTransportOptions {
  readonly libp2p: Dialer;
  readonly peers: ResolvedPeers;
  readonly call: ClientCallOptions;
  readonly streams: StreamPoolOptions;
  readonly maxOutboundStreams: number;
  readonly dialTimeoutMs: number;
  readonly balance: BalancePolicy;
  readonly retry: ResolvedRetryOptions;
  /** A copy of the caller's list, made once (Connect's runners take a mutable array). */
  readonly interceptors: Interceptor[];
  /** The deadline of calls without their own, in milliseconds; undefined: none. */
  readonly defaultTimeoutMs: number | undefined;
  readonly protocolPrefix: string | undefined;
}

const WHAT = "createLibp2pTransport";
const BALANCE_NAMES = ["pick-first", "round-robin", "least-loaded"] as const;

/**
 * Checks `options` of `createLibp2pTransport` once, when the transport is
 * made, and returns them complete: a call never meets a missing default or
 * a nonsensical value. Throws a `TypeError` for a missing or wrong-typed
 * option (no `libp2p.dial`, an unknown balance policy, `peer` and `peers`
 * together) and a `RangeError` for a number out of range (a negative limit,
 * a fractional stream count), naming the option.
 *
 * @example
 * ```ts
 * const resolved = resolveTransportOptions({ libp2p, peer, readMaxBytes: -1 });
 * // RangeError: createLibp2pTransport's readMaxBytes must be a whole number of at least 1, not -1
 * ```
 */
export function resolveTransportOptions(options: Libp2pTransportOptions): ResolvedTransportOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${WHAT} needs an options object`);
  }
  const libp2p = options.libp2p as Partial<Dialer> | undefined;
  if (libp2p === undefined || libp2p === null || typeof libp2p.dial !== "function") {
    throw new TypeError(`${WHAT}'s libp2p must be a libp2p node (anything with dial())`);
  }
  const number = (
    name: keyof Libp2pTransportOptions,
    fallback: number,
    min: number,
    whole = true,
  ): number =>
    checkNumber(options[name] as number | undefined, `${WHAT}'s ${name}`, { fallback, min, whole });
  const interceptors = options.interceptors ?? [];
  if (!Array.isArray(interceptors) || interceptors.some((item) => typeof item !== "function")) {
    throw new TypeError(`${WHAT}'s interceptors must be an array of interceptor functions`);
  }
  const defaultTimeoutMs = checkNumber(options.defaultTimeoutMs, `${WHAT}'s defaultTimeoutMs`, {
    fallback: 0,
    min: Number.NEGATIVE_INFINITY,
    max: Number.POSITIVE_INFINITY,
  });
  return {
    libp2p: libp2p as Dialer,
    peers: peersOf(options),
    call: {
      readMaxBytes: number("readMaxBytes", DEFAULT_MAX_MESSAGE_BYTES, 1),
      writeMaxBytes: number("writeMaxBytes", DEFAULT_MAX_MESSAGE_BYTES, 1),
      binaryOptions: options.binaryOptions,
    },
    streams: {
      maxIdle: number("maxIdleStreams", DEFAULT_MAX_IDLE_STREAMS, 0),
      idleTimeoutMs: number("idleStreamTimeoutMs", DEFAULT_IDLE_STREAM_TIMEOUT_MS, 1, false),
    },
    maxOutboundStreams: number("maxOutboundStreams", DEFAULT_MAX_STREAMS_PER_METHOD, 1),
    dialTimeoutMs: number("dialTimeoutMs", DEFAULT_DIAL_TIMEOUT_MS, 0, false),
    balance: balancePolicyOf(options.balance),
    retry: resolveRetryOptions(options.retry === false ? { maxAttempts: 1 } : options.retry),
    interceptors: [...interceptors],
    // A default of 0 or less means no deadline, as a call's own timeoutMs does.
    defaultTimeoutMs:
      defaultTimeoutMs <= 0 ? undefined : Math.min(defaultTimeoutMs, MAX_TIMEOUT_MS),
    protocolPrefix:
      options.protocolPrefix === undefined
        ? undefined
        : checkProtocolPrefix(options.protocolPrefix, `${WHAT}'s protocolPrefix`),
  };
}

function peersOf(options: Libp2pTransportOptions): ResolvedPeers {
  const { peer, peers, discover } = options;
  const given = [peer !== undefined, peers !== undefined, discover !== undefined].filter(Boolean);
  if (given.length !== 1) {
    throw new TypeError(`${WHAT} needs exactly one of \`peer\`, \`peers\` and \`discover\``);
  }
  if (discover === "providers") {
    return {
      kind: "providers",
      maxAgeMs: checkNumber(options.providersMaxAgeMs, `${WHAT}'s providersMaxAgeMs`, {
        fallback: DEFAULT_PROVIDERS_MAX_AGE_MS,
        min: 0,
        whole: false,
      }),
    };
  }
  if (discover !== undefined) {
    if (discover !== true) {
      throw new TypeError(`${WHAT}'s discover must be true or "providers" when given`);
    }
    return { kind: "discover", waitForReady: options.waitForReady ?? false };
  }
  if (peers !== undefined && (!Array.isArray(peers) || peers.length === 0)) {
    throw new TypeError(`${WHAT}'s \`peers\` must be a non-empty array`);
  }
  const targets = (peers ?? [peer as PeerTarget]).map(targetOf);
  return { kind: "static", targets };
}

/** A target as the dialer takes it: a string is a multiaddr if it starts with `/`, else a PeerId. */
function targetOf(target: PeerTarget): PeerId | Multiaddr | Multiaddr[] {
  if (typeof target !== "string") {
    return target;
  }
  try {
    return target.startsWith("/") ? multiaddr(target) : peerIdFromString(target);
  } catch (error) {
    throw new TypeError(`${WHAT}: "${target}" is neither a multiaddr nor a PeerId`, {
      cause: error,
    });
  }
}

function balancePolicyOf(balance: Libp2pTransportOptions["balance"]): BalancePolicy {
  switch (balance ?? "pick-first") {
    case "pick-first":
      return pickFirst();
    case "round-robin":
      return roundRobin();
    case "least-loaded":
      return leastLoaded();
    default:
      if (typeof (balance as Partial<BalancePolicy> | undefined)?.pick !== "function") {
        throw new TypeError(
          `${WHAT}'s balance must be one of ${BALANCE_NAMES.map((name) => `"${name}"`).join(", ")} or a BalancePolicy, not ${String(balance)}`,
        );
      }
      return balance as BalancePolicy;
  }
}
