import assert from "node:assert/strict";
import { describe, it, mock, type TestContext } from "node:test";
import { identifyAfterDelay } from "../../src/node/identify-after-delay.ts";

/** What identifyAfterDelay uses of a libp2p node, with identify counted per connection. */
function fakeNode() {
  const events = new EventTarget();
  const identified: string[] = [];
  const node = Object.assign(events, {
    logger: { forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {} }) },
    services: {
      identify: {
        identify: async (connection: { id: string }) => {
          identified.push(connection.id);
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
  return { node, identified, open };
}

/** A fake node under identifyAfterDelay(1000 ms), with mocked timers. */
function delayedOnMockedTimers(t: TestContext): ReturnType<typeof fakeNode> {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const fake = fakeNode();
  identifyAfterDelay(fake.node as never, 1000);
  return fake;
}

describe("identifyAfterDelay", () => {
  it("identifies an open connection once the delay passed, not before", (t) => {
    const { identified, open } = delayedOnMockedTimers(t);
    open("a");
    t.mock.timers.tick(999);
    assert.deepEqual(identified, []);
    t.mock.timers.tick(1);
    assert.deepEqual(identified, ["a"]);
  });

  it("skips a connection that closed during the delay", (t) => {
    const { identified, open } = delayedOnMockedTimers(t);
    const closing = open("closing");
    open("staying");
    closing.status = "closed";
    t.mock.timers.tick(1000);
    assert.deepEqual(identified, ["staying"]);
  });

  it("drops pending identifies when the node stops", (t) => {
    const { node, identified, open } = delayedOnMockedTimers(t);
    open("a");
    node.dispatchEvent(new CustomEvent("stop"));
    t.mock.timers.tick(1000);
    assert.deepEqual(identified, []);
  });

  it("never keeps the process alive while it waits", () => {
    const { node, open } = fakeNode();
    const timers = mock.method(globalThis, "setTimeout");
    try {
      identifyAfterDelay(node as never, 60_000);
      open("a");
      const timer = timers.mock.calls[0]?.result as ReturnType<typeof setTimeout> | undefined;
      assert.ok(timer !== undefined);
      assert.equal(timer.hasRef(), false);
    } finally {
      timers.mock.restore();
      node.dispatchEvent(new CustomEvent("stop"));
    }
  });
});
