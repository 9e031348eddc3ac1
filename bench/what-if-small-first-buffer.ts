/**
 * What-if: protobuf-es's `toBinary` with a 64-byte first buffer instead of
 * 128 bytes, to measure what that one upstream change would buy.
 *
 * Every `toBinary` makes a new `BinaryWriter` whose first write allocates a
 * 128-byte buffer. V8 keeps typed arrays of at most 64 bytes on its heap and
 * allocates larger ones outside it, which costs about 1 µs each on Node 20
 * and 24 here (`new Uint8Array(64)` ~60 ns). Loaded with `--import`, this
 * file rewrites that one constant as `@bufbuild/protobuf` is loaded; nothing
 * in `node_modules` changes. It throws if the constant is not found, so a
 * protobuf-es that changed never runs unpatched by mistake.
 *
 * Through `NODE_OPTIONS`, so that the benchmark's client and server
 * processes load it too (run the pinned Node directly, not through npm,
 * whose own Node may be older):
 *
 * @example
 * ```sh
 * NODE_OPTIONS=--import=./bench/what-if-small-first-buffer.ts \
 *   node_modules/.bin/node bench/run.ts --only=p2prpc-tcp,grpc-js --workloads=d --rounds=3
 * NODE_OPTIONS=--import=./bench/what-if-small-first-buffer.ts \
 *   node_modules/.bin/node bench/cpu-per-call.ts server-stream 3
 * ```
 */

import { registerHooks } from "node:module";

const ENCODER_PATH = /\/@bufbuild\/protobuf\/dist\/(esm|cjs)\/wire\/binary-encoding\.js$/;
const ORIGINAL = "const INITIAL_SIZE = 128;";
const PATCHED = "const INITIAL_SIZE = 64;";

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (!ENCODER_PATH.test(url)) {
      return loaded;
    }
    const source = String(loaded.source);
    if (!source.includes(ORIGINAL)) {
      throw new Error(`what-if: "${ORIGINAL}" not found in ${url}`);
    }
    return { ...loaded, source: source.replace(ORIGINAL, PATCHED) };
  },
});
