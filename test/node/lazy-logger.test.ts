import assert from "node:assert/strict";
import type { ComponentLogger, Libp2p, Logger } from "@libp2p/interface";
import { defaultLogger, disable, enable } from "@libp2p/logger";
import { afterEach, describe, it } from "vitest";
import { createRpcNode, lazyLogger } from "../../src/index.ts";
import { within } from "../helpers/within.ts";

/** `DEBUG` patterns a user might set, each with components it must and must not turn on. */
const PATTERNS = [
  "",
  "*",
  "libp2p:*",
  "libp2p:yamux",
  "libp2p:yamux*",
  "libp2p:*:error",
  "*:trace",
  "libp2p:tcp:trace",
  "libp2p:*,-libp2p:tcp*",
  "libp2p:connection-manager:dial-queue",
  "p2prpc:*",
];
/** Components libp2p and p2prpc name, and scopes below them. */
const NAMES = [
  "libp2p",
  "libp2p:yamux",
  "libp2p:tcp",
  "libp2p:tcp:listener",
  "libp2p:connection-manager",
  "libp2p:noise",
  "p2prpc:server",
];
const SCOPES = ["dial-queue", "listener", "stream"];

/** Holds back what is written to stderr until `restore`; `chunks` has it. */
function interceptStderr(): { chunks: string[]; restore: () => void } {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { chunks, restore: () => (process.stderr.write = write) };
}

/** What is written to stderr while `act` runs (and not passed on). */
async function captureStderr(act: () => Promise<void>): Promise<string> {
  const { chunks, restore } = interceptStderr();
  try {
    await act();
  } finally {
    restore();
  }
  return chunks.join("");
}

/** What `act` writes to stderr, synchronously, without timestamps and time diffs. */
function stderrOf(act: () => void): string {
  const { chunks, restore } = interceptStderr();
  try {
    act();
  } finally {
    restore();
  }
  return chunks
    .join("")
    .replace(/^\S+Z /gm, "")
    .replace(/ \+\d+m?s$/gm, "");
}

/** What `log` and its sub-loggers do: enabled or not, and the lines they write. */
function behaviour(log: Logger): { enabled: boolean; output: string } {
  const output = stderrOf(() => {
    log("info %s", "one");
    log.error("error %s", "two");
    log.trace("trace %s", "three");
  });
  return { enabled: log.enabled, output };
}

/** `DEBUG` as the test run started (`enable` and `disable` rewrite `process.env.DEBUG`). */
const STARTING_DEBUG = process.env.DEBUG ?? "";

function withDebug(pattern: string): void {
  disable();
  if (pattern !== "") {
    enable(pattern);
  }
}

describe("lazyLogger", () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    withDebug(STARTING_DEBUG);
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  });

  it("logs exactly what defaultLogger logs, for every DEBUG pattern, component and scope", () => {
    let compared = 0;
    let logged = 0;
    for (const pattern of PATTERNS) {
      withDebug(pattern);
      const loggers: [ComponentLogger, ComponentLogger] = [defaultLogger(), lazyLogger()];
      for (const name of NAMES) {
        const [expected, actual] = loggers.map((l) => l.forComponent(name)) as [Logger, Logger];
        const cases: [Logger, Logger, string][] = [[expected, actual, name]];
        for (const scope of SCOPES) {
          cases.push([expected.newScope(scope), actual.newScope(scope), `${name}:${scope}`]);
        }
        for (const [want, got, label] of cases) {
          const wanted = behaviour(want);
          assert.deepEqual(behaviour(got), wanted, `DEBUG=${pattern} ${label}`);
          compared++;
          if (wanted.output !== "") {
            logged++;
          }
        }
      }
    }
    assert.equal(compared, PATTERNS.length * NAMES.length * (1 + SCOPES.length));
    // The comparison means something only if some loggers wrote and some did not.
    assert.ok(logged > 0 && logged < compared, `${logged} of ${compared} loggers wrote`);
  });

  it("gives a disabled component a no-op logger, not a debug instance", () => {
    withDebug("libp2p:tcp");
    const loggers = lazyLogger();
    const off = loggers.forComponent("libp2p:yamux");
    assert.equal(off.enabled, false);
    assert.equal("namespace" in off, false, "no debug instance is built for a disabled namespace");
    const on = loggers.forComponent("libp2p:tcp");
    assert.equal(on.enabled, true);
    assert.equal((on as Logger & { namespace?: string }).namespace, "libp2p:tcp");
  });

  it("is the logger createRpcNode gives libp2p, and a node logs through it what DEBUG enables", async () => {
    withDebug("libp2p");
    let node: Libp2p | undefined;
    const output = await captureStderr(async () => {
      node = await within(createRpcNode({ listen: ["/ip4/127.0.0.1/tcp/0"] }), "createRpcNode");
      nodes.push(node);
    });
    assert.ok(node !== undefined);
    assert.equal("namespace" in node.logger.forComponent("libp2p:yamux"), false);
    assert.match(output, /libp2p is starting/);
    assert.doesNotMatch(output, /libp2p:(tcp|yamux|noise)\b/);
  });

  it("leaves a logger given in libp2p options in place", async () => {
    const given = defaultLogger();
    const node = await within(createRpcNode({ libp2p: { logger: given } }), "createRpcNode");
    nodes.push(node);
    assert.equal(node.logger, given);
  });
});
