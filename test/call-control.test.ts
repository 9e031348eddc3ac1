import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, it } from "vitest";
import { CallControl } from "../src/call-control.ts";

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("CallControl", () => {
  it("passes values and rejections through while the call is not aborted", async () => {
    const control = new CallControl();
    assert.equal(await control.race(Promise.resolve(1)), 1);
    await assert.rejects(control.race(Promise.reject(new Error("no"))), /no/);
    assert.equal(await control.race(Promise.resolve(2)), 2);
    assert.equal(control.aborted, false);
  });

  it("rejects a pending race with the abort reason, even if the promise never settles", async () => {
    const control = new CallControl();
    const pending = control.race(new Promise(() => {}));
    control.abort(new Error("cancelled"));
    await assert.rejects(pending, /cancelled/);
    await assert.rejects(
      control.race(Promise.resolve("late")),
      /cancelled/,
      "aborted: no more races",
    );
  });

  it("a race that settles late does not disarm the race started after it", {
    timeout: 5000,
  }, async () => {
    const control = new CallControl();
    const slow = deferred<string>();
    const first = control.race(slow.promise);
    // The handler's next step is raced before the first one settled.
    const second = control.race(new Promise(() => {}));
    slow.resolve("one");
    assert.equal(await first, "one");
    control.abort(new Error("cancelled"));
    await assert.rejects(second, /cancelled/);
  });

  it("keeps the first reason", () => {
    const control = new CallControl();
    const first = new Error("first");
    control.abort(first);
    control.abort(new Error("second"));
    assert.equal(control.reason, first);
    assert.equal(control.signal.reason, first);
  });

  it("aborts a signal made before the abort, with the reason", () => {
    const control = new CallControl();
    const signal = control.signal;
    assert.equal(control.signal, signal, "one signal per call");
    let seen: unknown;
    signal.addEventListener("abort", () => {
      seen = signal.reason;
    });
    const reason = new Error("gone");
    control.abort(reason);
    assert.equal(seen, reason);
  });

  it("makes a signal read after the abort already aborted, with the reason", () => {
    const control = new CallControl();
    const reason = new Error("over");
    control.abort(reason);
    assert.equal(control.signal.aborted, true);
    assert.equal(control.signal.reason, reason);
  });

  it("aborts with DeadlineExceeded at the deadline", { timeout: 5000 }, async () => {
    const control = new CallControl();
    control.startDeadline(1);
    await assert.rejects(control.race(new Promise(() => {})), (error: unknown) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.DeadlineExceeded);
      return true;
    });
    assert.equal(control.clientGone, false);
  });

  it("stops the deadline clock when the call ends first", () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = timers();
    const control = new CallControl();
    control.startDeadline(60_000);
    assert.equal(timers(), before + 1);
    control.abort(new Error("done"));
    assert.equal(timers(), before);
  });

  it("remembers that the client went away, even after the call ended", () => {
    const control = new CallControl();
    control.abort(new Error("done"));
    control.abortByClient(new Error("reset"));
    assert.equal(control.clientGone, true);
    assert.equal((control.reason as Error).message, "done");
  });
});
