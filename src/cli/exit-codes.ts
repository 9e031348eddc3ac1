import { Code } from "@connectrpc/connect";
import { toConnectError } from "../to-connect-error.ts";

/**
 * Exit codes of the `p2prpc` CLI. A call that fails exits with its status
 * code (1 Canceled … 16 Unauthenticated), so scripts can tell them apart.
 */
export const EXIT_OK = 0;
/** `p2prpc health`: the service answered, but not with SERVING. */
export const EXIT_NOT_SERVING = 20;
/** Bad arguments or usage (as BSD's EX_USAGE). */
export const EXIT_USAGE = 64;

/** A usage error, reported without a status code and with exit code 64. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The exit code for a failure: its status code, or 64 for a usage error. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) {
    return EXIT_USAGE;
  }
  return toConnectError(error, Code.Unknown).code;
}
