/**
 * What-if: `createRpcNode` without one (or several) of its wrappers of libp2p
 * internals, to measure what each buys over libp2p's own behaviour, which is
 * what the wrapper falls back to when upstream changes shape.
 *
 * Loaded with `--import`, this file rewrites the wrapper composition in
 * `src/node/with-fast-path.ts` (which `createRpcNode` goes through) as it is
 * loaded: the wrappers named in `P2PRPC_WITHOUT` (comma-separated) are left
 * out, e.g. `quietNoiseDecoder(x)` becomes an identity call on `x`, Noise
 * keeps its default crypto without `cachedKeyCrypto`, and `identify()` runs at
 * connection open without `deferIdentify`.
 * Nothing else changes.
 * It throws if a name is unknown or not found exactly once, so a refactor
 * never measures the unchanged node by mistake.
 *
 * Through `NODE_OPTIONS`, so that every benchmark process loads it (run the
 * pinned Node directly, not through npm, whose own Node may be older), and
 * alternated with runs without it:
 *
 * @example
 * ```sh
 * for round in 1 2 3 4; do
 *   node_modules/.bin/node bench/cpu-per-call.ts ping-pong 3
 *   P2PRPC_WITHOUT=quietNoiseDecoder NODE_OPTIONS=--import=./bench/what-if-without-wrapper.ts \
 *     node_modules/.bin/node bench/cpu-per-call.ts ping-pong 3
 * done
 * ```
 */

import { registerHooks } from "node:module";

const FAST_PATH = /\/src\/node\/with-fast-path\.ts$/;

/** What each wrapper's call is replaced with (`null`: its name becomes an identity function). */
const REPLACEMENTS: Readonly<Record<string, readonly [string, string] | null>> = {
  corkTcpWrites: null,
  quietNoiseDecoder: null,
  leanNoiseDecrypt: null,
  batchWindowUpdates: null,
  optimisticSelect: null,
  optimisticSelectTransport: null,
  quicReadBackpressure: null,
  cachedKeyCrypto: ["useCachedKeyCrypto(encrypter, report)", "encrypter"],
  deferIdentify: ["deferIdentify(identify, identifyDelayMs)", "identify"],
};

const without = (process.env.P2PRPC_WITHOUT ?? "")
  .split(",")
  .map((name) => name.trim())
  .filter((name) => name !== "");
for (const name of without) {
  if (!(name in REPLACEMENTS)) {
    throw new Error(
      `what-if: unknown wrapper "${name}" (known: ${Object.keys(REPLACEMENTS).join(", ")})`,
    );
  }
}

/** `source` with `original` replaced by `replacement`, which must occur exactly once. */
function replaceOnce(source: string, original: string, replacement: string): string {
  const parts = source.split(original);
  if (parts.length !== 2) {
    throw new Error(`what-if: "${original}" found ${parts.length - 1} times in with-fast-path.ts`);
  }
  return parts.join(replacement);
}

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (!FAST_PATH.test(url) || without.length === 0) {
      return loaded;
    }
    let source = String(loaded.source);
    for (const name of without) {
      const replacement = REPLACEMENTS[name];
      source =
        replacement === null || replacement === undefined
          ? replaceOnce(source, `${name}(`, "((wrapped: unknown) => wrapped)(")
          : replaceOnce(source, replacement[0], replacement[1]);
    }
    console.error(`what-if: createRpcNode without ${without.join(", ")}`);
    return { ...loaded, source };
  },
});
