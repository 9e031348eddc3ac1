import assert from "node:assert/strict";
import type { Stream } from "@libp2p/interface";
import { describe, it } from "vitest";
import { abortStreamOnSignal } from "../../src/client/abort-stream-on-signal.ts";

/** What abortStreamOnSignal uses of a stream, with its aborts recorded. */
function fakeStream(): { stream: Stream; aborts: Error[] } {
  const aborts: Error[] = [];
  const stream = { abort: (error: Error) => aborts.push(error) } as unknown as Stream;
  return { stream, aborts };
}

describe("abortStreamOnSignal", () => {
  it("resets the stream when the signal aborts, with the signal's reason", () => {
    const { stream, aborts } = fakeStream();
    const controller = new AbortController();
    abortStreamOnSignal(stream, controller.signal);
    assert.equal(aborts.length, 0);
    const reason = new Error("cancelled by the caller");
    controller.abort(reason);
    assert.deepEqual(aborts, [reason]);
    controller.abort(new Error("again"));
    assert.equal(aborts.length, 1, "reset once");
  });

  it("resets the stream at once when the signal already aborted", () => {
    const { stream, aborts } = fakeStream();
    const reason = new Error("too late");
    const stop = abortStreamOnSignal(stream, AbortSignal.abort(reason));
    assert.deepEqual(aborts, [reason]);
    stop();
  });

  it("wraps a reason that is not an Error", () => {
    const { stream, aborts } = fakeStream();
    const controller = new AbortController();
    abortStreamOnSignal(stream, controller.signal);
    controller.abort("gone");
    assert.equal(aborts.length, 1);
    assert.ok(aborts[0] instanceof Error);
    assert.equal(aborts[0].message, "gone");
  });

  it("leaves the stream alone once told to stop watching", () => {
    const { stream, aborts } = fakeStream();
    const controller = new AbortController();
    const stop = abortStreamOnSignal(stream, controller.signal);
    stop();
    controller.abort(new Error("after the call ended"));
    assert.equal(aborts.length, 0);
  });
});
