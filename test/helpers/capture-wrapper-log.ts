import type { ComponentLogger, Logger } from "@libp2p/interface";
import { defaultLogger } from "@libp2p/logger";
import { WRAPPER_LOG_COMPONENT } from "../../src/node/fallback-reporter.ts";

/** What the wrappers logged to one logger's `p2prpc:wrappers` component. */
export interface WrapperLog {
  /** libp2p's default logger, except that `p2prpc:wrappers` lines are kept. */
  readonly logger: ComponentLogger;
  /** Each line logged: its format string and arguments. */
  readonly lines: unknown[][];
  /** The lines that name `wrapper` as the one falling back. */
  linesOf(wrapper: string): unknown[][];
}

/** A logger for a node or a factory's components that keeps what the wrappers log. */
export function captureWrapperLog(): WrapperLog {
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
  const fallback = defaultLogger();
  return {
    logger: {
      forComponent: (name: string): Logger =>
        name === WRAPPER_LOG_COMPONENT ? log : fallback.forComponent(name),
    },
    lines,
    // The reporter's first argument after the format is the wrapper's name.
    linesOf: (wrapper) => lines.filter((line) => line[1] === wrapper),
  };
}
