import type { MethodImplSpec } from "@connectrpc/connect";
import type { Logger } from "@libp2p/interface";
import { MAX_TIMEOUT_MS } from "../../src/constants.ts";
import type { ServedMethod } from "../../src/server/served-method.ts";
import { ServerDrain } from "../../src/server/server-drain.ts";

/** A logger that keeps every line (format string and arguments), errors included. */
export function recordingLogger(): { log: Logger; lines: unknown[][] } {
  const lines: unknown[][] = [];
  const record = (...args: unknown[]): void => {
    lines.push(args);
  };
  const log: Logger = Object.assign(record, {
    error: record,
    trace: record,
    enabled: true,
    newScope: (): Logger => log,
  });
  return { log, lines };
}

/**
 * What the server resolves for one method, as `rpcServer` would with its
 * defaults, for `spec` (with 1 KiB limits, no header timeout, a drain of
 * its own and a recording logger); `overrides` replace any part.
 */
export function servedMethod(
  spec: MethodImplSpec,
  overrides: Partial<ServedMethod> = {},
): ServedMethod & { readonly lines: unknown[][] } {
  const drain = overrides.drain ?? new ServerDrain();
  const { log, lines } = recordingLogger();
  return {
    spec,
    protocol: `/p2prpc/${spec.method.parent.typeName}/${spec.method.name}/1.0.0`,
    interceptors: [],
    readMaxBytes: 1024,
    writeMaxBytes: 1024,
    maxTimeoutMs: MAX_TIMEOUT_MS,
    headerTimeoutMs: 0,
    shutdownSignal: drain.signal,
    drain,
    requestGate: undefined,
    binaryOptions: undefined,
    tracker: undefined,
    log,
    authorize: undefined,
    ...overrides,
    lines,
  };
}
