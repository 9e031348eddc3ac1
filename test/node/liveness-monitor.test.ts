import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { livenessMonitor } from "../../src/node/liveness-monitor.ts";

describe("livenessMonitor", () => {
  it("splits the bound into a ping interval and a fixed ping timeout that add up to it", () => {
    for (const bound of [10_000, 1500, 1001, 2]) {
      const init = livenessMonitor(bound);
      const timeout = init.pingTimeout;
      assert.equal(init.abortConnectionOnPingFailure, true);
      assert.equal(timeout?.minTimeout, timeout?.maxTimeout, "the timeout never grows");
      assert.equal((init.pingInterval ?? 0) + (timeout?.maxTimeout ?? 0), bound);
    }
    assert.deepEqual(livenessMonitor(10_000), {
      pingInterval: 5000,
      pingTimeout: { minTimeout: 5000, maxTimeout: 5000 },
      abortConnectionOnPingFailure: true,
    });
  });

  it("turns the monitor off for 0", () => {
    assert.deepEqual(livenessMonitor(0), { enabled: false });
  });
});
