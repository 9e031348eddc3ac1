import type { ComponentLogger } from "@libp2p/interface";
import { defaultLogger } from "@libp2p/logger";

/**
 * The libp2p log component every wrapper of libp2p internals reports a
 * fallback to (`DEBUG=p2prpc:wrappers*` shows it with libp2p's default
 * logger).
 */
export const WRAPPER_LOG_COMPONENT = "p2prpc:wrappers";

/**
 * Tells, once, that a wrapper found an upstream shape it does not know and
 * left libp2p's own behaviour in place; `reason` says what was missing.
 */
export type ReportFallback = (reason: string) => void;

/**
 * A reporter for `wrapper`'s fallbacks: the first report goes to `logger`'s
 * `p2prpc:wrappers` component as an error line, later ones are dropped. A
 * wrapper makes one when libp2p builds it (once per node), so a node logs at
 * most one line per wrapper however many connections or streams fall back.
 * Without a logger (a factory called outside libp2p), libp2p's default
 * logger is used.
 */
export function fallbackReporter(wrapper: string, logger?: ComponentLogger): ReportFallback {
  let reported = false;
  return (reason) => {
    if (reported) {
      return;
    }
    reported = true;
    (logger ?? defaultLogger())
      .forComponent(WRAPPER_LOG_COMPONENT)
      .error("%s falls back to libp2p's own behaviour: %s", wrapper, reason);
  };
}

/** The logger among a libp2p factory's components, when it has one. */
export function loggerOf(components: unknown): ComponentLogger | undefined {
  const logger = (components as { logger?: Partial<ComponentLogger> } | null)?.logger;
  return typeof logger?.forComponent === "function" ? (logger as ComponentLogger) : undefined;
}
