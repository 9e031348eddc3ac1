import assert from "node:assert/strict";
import { afterEach, describe, it, vi } from "vitest";
import { identifyAfterDelay } from "../../src/node/identify-after-delay.ts";

/**
 * What identifyAfterDelay uses of a libp2p node, with identify counted per
 * connection (and failing for ids starting with "fail") and log lines kept.
 */
function fakeNode() {
  const events = new EventTarget();
  const identified: string[] = [];
  const logged: unknown[][] = [];
  const log = (...args: unknown[]): void => {
    logged.push(args);
  };
  const node = Object.assign(events, {
    logger: { forComponent: () => Object.assign(log, { error: log, trace: log }) },
    services: {
      identify: {
        identify: async (connection: { id: string }) => {
          identified.push(connection.id);
          if (connection.id.startsWith("fail")) {
            throw new Error("identify failed");
          }
          return {};
        },
      },
    },
  });
  const open = (id: string): { id: string; status: string } => {
    const connection = { id, status: "open" };
    events.dispatchEvent(new CustomEvent("connection:open", { detail: connection }));
    return connection;
  };
  return { node, identified, logged, open };
}

/** A fake node under identifyAfterDelay(1000 ms), with fake timers (restored after each test). */
function delayedOnFakeTimers(): ReturnType<typeof fakeNode> {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const fake = fakeNode();
  identifyAfterDelay(fake.node as never, 1000);
  return fake;
}

describe("identifyAfterDelay", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("identifies an open connection once the delay passed, not before", () => {
    const { identified, open } = delayedOnFakeTimers();
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

  it("drops pending identifies when the node stops", () => {
    const { node, identified, open } = delayedOnFakeTimers();
    open("a");
    node.dispatchEvent(new CustomEvent("stop"));
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
    const { node, open } = fakeNode();
    const timers = vi.spyOn(globalThis, "setTimeout");
    try {
      identifyAfterDelay(node as never, 60_000);
      open("a");
      const timer = timers.mock.results[0]?.value as ReturnType<typeof setTimeout> | undefined;
      assert.ok(timer !== undefined);
      assert.equal(timer.hasRef(), false);
    } finally {
      timers.mockRestore();
      node.dispatchEvent(new CustomEvent("stop"));
    }
  });
});
