import type { Registry } from "@bufbuild/protobuf";
import { exitCodeOf } from "./exit-codes.ts";
import { formatError } from "./format-error.ts";

/** What an action may hand back for its error report: the types it learnt. */
export interface ActionScope {
  registry?: Registry;
}

/**
 * Runs a command's action: its result becomes the exit code; a failure is
 * printed to stderr (code, message, details) and exits with its status code.
 */
export function runAction<A extends unknown[]>(
  action: (scope: ActionScope, ...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    const scope: ActionScope = {};
    try {
      process.exitCode = await action(scope, ...args);
    } catch (error) {
      process.stderr.write(`${formatError(error, scope.registry)}\n`);
      process.exitCode = exitCodeOf(error);
    }
  };
}

/** Collects a repeated option's values (`-H a:1 -H b:2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a non-negative integer option. */
export function milliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`expected milliseconds, got ${value}`);
  }
  return n;
}
