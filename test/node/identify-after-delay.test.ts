import assert from "node:assert/strict";
import type { IdentifyInit } from "@libp2p/identify";
import { identify } from "@libp2p/identify";
import type { Libp2p } from "@libp2p/interface";
import { memory } from "@libp2p/memory";
import { noise } from "@libp2p/noise";
import { yamux } from "@libp2p/yamux";
import { createLibp2p, type Libp2pOptions } from "libp2p";
import { afterAll, afterEach, describe, it, vi } from "vitest";
import { identifyAfterDelay } from "../../src/node/identify-after-delay.ts";
import { captureWrapperLog } from "../helpers/capture-wrapper-log.ts";
import { memoryListen } from "../helpers/start-pair.ts";

/**
 * What identifyAfterDelay uses of a node's components and of the identify
 * service, with identify counted per connection (and failing for ids
 * starting with "fail"), the inits the service was built with, and log
 * lines kept.
 */
function fakeNode() {
  const events = new EventTarget();
  const identified: string[] = [];
  const inits: IdentifyInit[] = [];
  const logged: unknown[][] = [];
  const log = (...args: unknown[]): void => {
    logged.push(args);
  };
  const components = {
    events,
    logger: { forComponent: () => Object.assign(log, { error: log, trace: log }) },
  };
  const createIdentify = (init: IdentifyInit = {}) => {
    inits.push(init);
    return () => ({
      identify: async (connection: { id: string }) => {
        identified.push(connection.id);
        if (connection.id.startsWith("fail")) {
          throw new Error("identify failed");
        }
        return {};
      },
      stop: async () => {},
    });
  };
  const open = (id: string): { id: string; status: string } => {
    const connection = { id, status: "open" };
    events.dispatchEvent(new CustomEvent("connection:open", { detail: connection }));
    return connection;
  };
  return { components, createIdentify, identified, inits, logged, open };
}

type Fake = ReturnType<typeof fakeNode> & { service: { stop(): unknown } };

/** Builds the service of `identifyAfterDelay` on a fake node. */
function build(fake: ReturnType<typeof fakeNode>, delayMs: number): Fake {
  const service = identifyAfterDelay(
    fake.createIdentify as never,
    {},
    delayMs,
  )(fake.components as never) as unknown as { stop(): unknown };
  return { ...fake, service };
}

/** A fake node under identifyAfterDelay(1000 ms), with fake timers (restored after each test). */
function delayedOnFakeTimers(): Fake {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  return build(fakeNode(), 1000);
}

describe("identifyAfterDelay", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("identifies an open connection once the delay passed, not before", () => {
    const { identified, inits, open } = delayedOnFakeTimers();
    assert.deepEqual(inits, [{ runOnConnectionOpen: false }]);
    open("a");
    vi.advanceTimersByTime(999);
    assert.deepEqual(identified, []);
    vi.advanceTimersByTime(1);
    assert.deepEqual(identified, ["a"]);
  });

  it("skips a connection that closed during the delay", () => {
    const { identified, open } = delayedOnFakeTimers();
    const closing = open("closing");
    open("staying");
    closing.status = "closed";
    vi.advanceTimersByTime(1000);
    assert.deepEqual(identified, ["staying"]);
  });

  it("drops pending identifies when the service stops", () => {
    const { service, identified, open } = delayedOnFakeTimers();
    open("a");
    void service.stop();
    vi.advanceTimersByTime(1000);
    assert.deepEqual(identified, []);
  });

  it("logs an identify that fails instead of leaving its rejection unhandled", async () => {
    const { identified, logged, open } = delayedOnFakeTimers();
    open("fail-1");
    await vi.advanceTimersByTimeAsync(1000);
    assert.deepEqual(identified, ["fail-1"]);
    assert.equal(logged.length, 1);
    assert.ok(logged[0]?.some((arg) => arg instanceof Error && arg.message === "identify failed"));
  });

  it("never keeps the process alive while it waits", () => {
    const fake = fakeNode();
    const timers = vi.spyOn(globalThis, "setTimeout");
    const { service, open } = build(fake, 60_000);
    try {
      open("a");
      const timer = timers.mock.results[0]?.value as ReturnType<typeof setTimeout> | undefined;
      assert.ok(timer !== undefined);
      assert.equal(timer.hasRef(), false);
    } finally {
      timers.mockRestore();
      void service.stop();
    }
  });

  it("builds identify as libp2p runs it, at connection open, when the service lacks identify(), and logs that once", () => {
    const log = captureWrapperLog();
    const inits: IdentifyInit[] = [];
    const createIdentify = (init: IdentifyInit = {}) => {
      inits.push(init);
      return () => ({ start: async () => {} });
    };
    const components = { events: new EventTarget(), logger: log.logger };
    const factory = identifyAfterDelay(createIdentify as never, { timeout: 5 }, 1000);
    const service = factory(components as never);
    assert.deepEqual(inits, [
      { timeout: 5, runOnConnectionOpen: false },
      { timeout: 5, runOnConnectionOpen: true },
    ]);
    assert.equal(typeof (service as unknown as { start: unknown }).start, "function");
    assert.equal(log.linesOf("identifyAfterDelay").length, 1);
  });
});

describe("identifyAfterDelay canary: unpatched @libp2p/identify", () => {
  const nodes: Libp2p[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("runs identify at connection open by default, on both sides", async () => {
    // When this fails, identify no longer runs at connection open by
    // default: identifyAfterDelay has nothing left to defer.
    const stack = () =>
      ({
        addresses: { listen: memoryListen() },
        transports: [memory()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify() },
      }) as unknown as Libp2pOptions;
    const a = await createLibp2p(stack());
    const b = await createLibp2p(stack());
    nodes.push(a, b);
    const identified = (node: Libp2p) =>
      new Promise((resolve) => node.addEventListener("peer:identify", resolve, { once: true }));
    const both = Promise.all([identified(a), identified(b)]);
    await a.dial(b.getMultiaddrs());
    await both;
  });
});
