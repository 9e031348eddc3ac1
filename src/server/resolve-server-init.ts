import {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_STREAMS_PER_METHOD,
  DEFAULT_MAX_STREAMS_PER_PEER,
  MAX_TIMEOUT_MS,
} from "../constants.ts";
import { checkNumber } from "../options/check-number.ts";
import { checkProtocolPrefix } from "../options/check-protocol-prefix.ts";
import type { RpcServerInit } from "./rpc-server.ts";
import { DEFAULT_SHUTDOWN_GRACE_MS } from "./server-drain.ts";

/** {@link RpcServerInit} checked, with every number filled in. */
export type ResolvedServerInit = RpcServerInit &
  Required<
    Pick<
      RpcServerInit,
      | "readMaxBytes"
      | "writeMaxBytes"
      | "maxTimeoutMs"
      | "maxInboundStreams"
      | "maxOutboundStreams"
      | "maxStreamsPerPeer"
      | "headerTimeoutMs"
      | "shutdownGraceMs"
    >
  >;

const WHAT = "rpcServer";

/**
 * Checks `rpcServer`'s options once, when the service is made: a complete
 * object, or a `TypeError` (no `routes` function, interceptors that are not
 * functions, a protocol prefix that is not one token, a `limitedConnections`
 * of another type) or a `RangeError` (a negative or fractional limit, a
 * timeout out of range) that names the option.
 *
 * @example
 * ```ts
 * resolveServerInit({ routes, readMaxBytes: 0 });
 * // RangeError: rpcServer's readMaxBytes must be a whole number of at least 1, not 0
 * ```
 */
export function resolveServerInit(init: RpcServerInit): ResolvedServerInit {
  if (init === null || typeof init !== "object" || typeof init.routes !== "function") {
    throw new TypeError(`${WHAT} needs { routes: (router) => … }`);
  }
  if (
    init.interceptors !== undefined &&
    (!Array.isArray(init.interceptors) ||
      init.interceptors.some((interceptor) => typeof interceptor !== "function"))
  ) {
    throw new TypeError(`${WHAT}'s interceptors must be an array of interceptor functions`);
  }
  const limited = init.limitedConnections;
  if (limited !== undefined && typeof limited !== "boolean" && typeof limited !== "function") {
    throw new TypeError(`${WHAT}'s limitedConnections must be true, false or a function`);
  }
  if (init.protocolPrefix !== undefined) {
    checkProtocolPrefix(init.protocolPrefix, `${WHAT}'s protocolPrefix`);
  }
  const number = (
    name: keyof ResolvedServerInit,
    fallback: number,
    min: number,
    max?: number,
  ): number =>
    checkNumber(init[name] as number | undefined, `${WHAT}'s ${name}`, {
      fallback,
      min,
      whole: true,
      ...(max === undefined ? {} : { max }),
    });
  return {
    ...init,
    readMaxBytes: number("readMaxBytes", DEFAULT_MAX_MESSAGE_BYTES, 1),
    writeMaxBytes: number("writeMaxBytes", DEFAULT_MAX_MESSAGE_BYTES, 1),
    maxTimeoutMs: Math.min(number("maxTimeoutMs", MAX_TIMEOUT_MS, 1), MAX_TIMEOUT_MS),
    maxInboundStreams: number("maxInboundStreams", DEFAULT_MAX_STREAMS_PER_METHOD, 1),
    maxOutboundStreams: number("maxOutboundStreams", DEFAULT_MAX_STREAMS_PER_METHOD, 1),
    maxStreamsPerPeer: number("maxStreamsPerPeer", DEFAULT_MAX_STREAMS_PER_PEER, 1),
    headerTimeoutMs: number("headerTimeoutMs", DEFAULT_HEADER_TIMEOUT_MS, 0, MAX_TIMEOUT_MS),
    shutdownGraceMs: number("shutdownGraceMs", DEFAULT_SHUTDOWN_GRACE_MS, 0, MAX_TIMEOUT_MS),
  };
}
