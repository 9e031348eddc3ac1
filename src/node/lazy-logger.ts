// Relies on: @libp2p/logger ^6.2's `logger(name)` (a `debug` instance for
// `name`, one for `name:error`, and one for `name:trace` only when trace
// logging is enabled explicitly) and `enabled(namespaces)` (whether `debug`,
// set up from `DEBUG` when it loads or by `enable()`, would log a namespace).
import type { ComponentLogger, Logger } from "@libp2p/interface";
import { enabled, logger } from "@libp2p/logger";

const noop = (): void => {};

/**
 * A libp2p `ComponentLogger` that makes a real `@libp2p/logger` logger only
 * for components whose logging is on (the component itself, its `:error` or
 * its `:trace` namespace enabled in `DEBUG`), and a small no-op logger for
 * the others.
 *
 * Why: libp2p asks for a logger for every component, service, connection,
 * muxer and stream, and `@libp2p/logger` builds two `debug` instances for
 * each, logging on or not: about 57 per node and 7 per connection, 72 KiB
 * per node and 9 KiB per connection (bench/README.md, "Where an idle peer's
 * bytes go").
 *
 * What is logged is what `defaultLogger()` logs for the namespaces enabled
 * when a component asks for its logger, the same lines in the same format;
 * `newScope` asks again for the scoped name. One difference: a component's
 * logger is decided when it is made, so `enable()` called later turns on
 * logging only for components made after it (`DEBUG` in the environment,
 * read when the process starts, is seen by all).
 *
 * `createRpcNode` gives it to libp2p unless `libp2p.logger` is set.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({ logger: lazyLogger(), … });
 * ```
 */
export function lazyLogger(): ComponentLogger {
  const forComponent = (name: string): Logger => {
    if (enabled(name) || enabled(`${name}:error`) || enabled(`${name}:trace`)) {
      return logger(name);
    }
    return Object.assign(() => {}, {
      enabled: false,
      error: noop,
      trace: noop,
      newScope: (scope: string): Logger => forComponent(`${name}:${scope}`),
    });
  };
  return { forComponent };
}
